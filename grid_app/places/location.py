"""What locating a point answers: the community, grid, residential area and building around it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A located feature: its id, code and name."""

    id: int
    code: str
    name: str

    def as_dict(self) -> dict:
        """JSON form (code and name)."""
        return {"code": self.code, "name": self.name}


@dataclass(frozen=True)
class Location:
    """Where a point lies; community and grid are None when it could not be located."""

    community: Place | None
    grid: Place | None
    residential_area: Place | None
    building: Place | None
    snapped_m: float | None

    @property
    def located(self) -> bool:
        """True when the point landed in (or snapped to) a grid."""
        return self.grid is not None

    def as_dict(self) -> dict:
        """JSON form, as the locate API answers."""
        return {
            "community": self.community.as_dict() if self.community else None,
            "grid": self.grid.as_dict() if self.grid else None,
            "residential_area": self.residential_area.as_dict() if self.residential_area else None,
            "building": self.building.as_dict() if self.building else None,
            "snapped_m": None if self.snapped_m is None else round(self.snapped_m, 2),
        }
