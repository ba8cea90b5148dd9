"""The layers that can be imported: their fields, geometry kind and parent."""
from __future__ import annotations

import os
from dataclasses import dataclass

from grid_app.places.importer.problems import ImportFailed, Problem


@dataclass(frozen=True)
class Level:
    """One importable layer."""

    name: str
    geometry: str  # "polygon" or "point"
    required: tuple[str, ...]
    integers: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


PARTY_FIELDS = ("party_org_kind", "party_org_name", "party_secretary", "party_members")

LEVELS = {
    "streets": Level("streets", "polygon", ("code", "name")),
    "communities": Level("communities", "polygon", ("code", "name", "street_code"),
                         ("party_members",), PARTY_FIELDS),
    "grids": Level("grids", "polygon", ("code", "name", "community_code"), (), ("workers",)),
    "residential_areas": Level("residential_areas", "polygon", ("code", "name", "community_code"),
                               ("party_members",), PARTY_FIELDS),
    "buildings": Level("buildings", "polygon", ("code", "name", "community_code"),
                       ("floors", "households", "residents", "party_members"),
                       ("residential_area_code", "floors", "households", "residents", *PARTY_FIELDS)),
    "facilities": Level("facilities", "point", ("code", "name", "type_code"), (), ("community_code",)),
}

# Parents before children, so one import can carry a whole district.
ORDER = ("streets", "communities", "grids", "residential_areas", "buildings", "facilities")

ALIASES = {"residential-areas": "residential_areas", "areas": "residential_areas",
           "community": "communities", "grid": "grids", "building": "buildings",
           "street": "streets", "facility": "facilities", "residential_area": "residential_areas"}


def level_for(path: str, asked: str | None) -> Level:
    """The level named by --level, else by the file name (e.g. grids.geojson)."""
    name = asked or os.path.splitext(os.path.basename(path))[0].lower()
    name = ALIASES.get(name, name)
    if name not in LEVELS:
        hint = "pass --level" if not asked else "unknown level"
        raise ImportFailed([Problem(os.path.basename(path), None,
                                    f"cannot tell which layer this is ({hint}: one of {', '.join(ORDER)})")])
    return LEVELS[name]
