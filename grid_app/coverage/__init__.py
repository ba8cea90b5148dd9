"""15-minute service circle computations: snapping, distances, isochrones, siting."""
