"""People in the grid: households and residents (人房关联), encrypted, masked and scoped."""
