"""Open311 GeoReport v2: services from case categories, public requests through the case pipeline."""
