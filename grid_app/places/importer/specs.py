"""What each importable layer must hold: its fields and geometry kind."""
from __future__ import annotations

import os
from dataclasses import dataclass

from grid_app.places import layers
from grid_app.places.importer.problems import ImportFailed, Problem


@dataclass(frozen=True)
class LayerSpec:
    """The fields and geometry of one importable layer."""

    name: str
    geometry: str  # "polygon" or "point"
    required: tuple[str, ...]
    integers: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


PARTY_FIELDS = ("party_org_kind", "party_org_name", "party_secretary", "party_members")

SPECS = {spec.name: spec for spec in (
    LayerSpec("streets", "polygon", ("code", "name")),
    LayerSpec("communities", "polygon", ("code", "name", "street_code"), ("party_members",), PARTY_FIELDS),
    LayerSpec("grids", "polygon", ("code", "name", "community_code"), (), ("workers",)),
    LayerSpec("residential_areas", "polygon", ("code", "name", "community_code"), ("party_members",), PARTY_FIELDS),
    LayerSpec("buildings", "polygon", ("code", "name", "community_code"),
              ("floors", "households", "residents", "party_members"),
              ("residential_area_code", "floors", "households", "residents", *PARTY_FIELDS)),
    # capacity: places or beds (kindergarten places, elderly-care beds), the supply of the 2SFCA measure
    LayerSpec("facilities", "point", ("code", "name", "type_code"), ("capacity",), ("community_code", "capacity")),
)}


def layer_for(path: str, asked: str | None) -> LayerSpec:
    """The layer named by --level, else by the file name (e.g. grids.geojson)."""
    name = layers.canonical(asked or os.path.splitext(os.path.basename(path))[0].lower())
    if name not in SPECS:
        hint = "pass --level" if not asked else "unknown level"
        raise ImportFailed([Problem(os.path.basename(path), None,
                                    f"cannot tell which layer this is ({hint}: one of {', '.join(layers.ORDER)})")])
    return SPECS[name]
