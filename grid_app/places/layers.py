"""The layers of the hierarchy and the facilities by name, spelt once.

A layer's name (``residential_areas``) is the same in file names, imports, exports, GeoPackage
tables and listings; only URL paths spell it with a hyphen (``/api/v1/residential-areas``).
"""
from __future__ import annotations

from grid_app.models import Building, Community, Facility, Grid, ResidentialArea, Street

# Parents before children, so one import can carry a whole district.
ORDER = ("streets", "communities", "grids", "residential_areas", "buildings", "facilities")
HIERARCHY = ORDER[:-1]  # the polygon layers
MODELS = {"streets": Street, "communities": Community, "grids": Grid,
          "residential_areas": ResidentialArea, "buildings": Building, "facilities": Facility}

# Other spellings people type (a URL's hyphen, the singular, the model's table name).
ALIASES = {"residential-areas": "residential_areas", "areas": "residential_areas",
           "community": "communities", "grid": "grids", "building": "buildings",
           "street": "streets", "facility": "facilities", "residential_area": "residential_areas"}


def canonical(name: str) -> str:
    """The layer's one name for any accepted spelling (unknown names come back unchanged)."""
    return ALIASES.get(name, name)
