"""Validation of the stored hierarchy in PostGIS: tiling of grids, containment, orphans, validity.

Areas are in m² on the spheroid (geography). Gaps and overlaps smaller than ``min_area_m2`` are
numerical noise and not reported; a reported one is flagged as a sliver when it is thin.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

TABLES = ("street", "community", "grid", "residential_area", "building")


@dataclass(frozen=True)
class Issue:
    """One problem in the stored data; blocking ones make an import roll back."""

    kind: str
    table: str
    code: str
    reason: str
    area_m2: float | None = None
    lon: float | None = None
    lat: float | None = None
    blocking: bool = True

    def as_dict(self) -> dict:
        """JSON form."""
        return asdict(self)

    def __str__(self) -> str:
        where = f" at {self.lon:.6f},{self.lat:.6f}" if self.lon is not None else ""
        area = f" ({self.area_m2:.1f} m²)" if self.area_m2 is not None else ""
        return f"{self.kind}: {self.table} {self.code}: {self.reason}{area}{where}"


_SCOPE = "(CAST(:ids AS int[]) IS NULL OR {col} = ANY(CAST(:ids AS int[])))"

_INVALID = """
SELECT '{t}', code, ST_IsValidReason(geom), ST_X(ST_PointOnSurface(ST_Envelope(geom))),
       ST_Y(ST_PointOnSurface(ST_Envelope(geom)))
FROM {t} WHERE NOT ST_IsValid(geom) AND {scope}
"""

# Share of a child's area outside its parent (grid/area/building → community; building → area).
_OUTSIDE = text("""
WITH pairs AS (
    SELECT 'grid' AS t, g.code, g.geom AS child, c.geom AS parent, 'community ' || c.code AS parent_name
    FROM grid g JOIN community c ON c.id = g.community_id WHERE {scope_g}
    UNION ALL
    SELECT 'residential_area', a.code, a.geom, c.geom, 'community ' || c.code
    FROM residential_area a JOIN community c ON c.id = a.community_id WHERE {scope_a}
    UNION ALL
    SELECT 'building', b.code, b.geom, a.geom, 'residential area ' || a.code
    FROM building b JOIN residential_area a ON a.id = b.residential_area_id WHERE {scope_b}
    UNION ALL
    SELECT 'building', b.code, b.geom, c.geom, 'community ' || c.code
    FROM building b JOIN community c ON c.id = b.community_id
    WHERE b.residential_area_id IS NULL AND {scope_b}
), measured AS (
    SELECT t, code, parent_name, ST_Difference(child, parent) AS outside,
           ST_Area(child::geography) AS child_area
    FROM pairs WHERE NOT ST_CoveredBy(child, parent)
)
SELECT t, code, parent_name, ST_Area(outside::geography) AS area, child_area,
       ST_X(ST_PointOnSurface(outside)), ST_Y(ST_PointOnSurface(outside))
FROM measured WHERE NOT ST_IsEmpty(outside)
""".format(scope_g=_SCOPE.format(col="g.community_id"), scope_a=_SCOPE.format(col="a.community_id"),
           scope_b=_SCOPE.format(col="b.community_id")))

_GAPS = text(f"""
WITH gaps AS (
    SELECT c.code, (ST_Dump(ST_Difference(c.geom, ST_Union(g.geom)))).geom AS piece
    FROM community c JOIN grid g ON g.community_id = c.id
    WHERE {_SCOPE.format(col='c.id')}
    GROUP BY c.id
)
SELECT code, ST_Area(piece::geography) AS area, ST_Perimeter(piece::geography) AS perimeter,
       ST_X(ST_PointOnSurface(piece)), ST_Y(ST_PointOnSurface(piece))
FROM gaps WHERE ST_Dimension(piece) = 2
""")

_OVERLAPS = text(f"""
WITH o AS (
    SELECT a.code AS a_code, b.code AS b_code, ST_Intersection(a.geom, b.geom) AS piece
    FROM grid a JOIN grid b ON a.community_id = b.community_id AND a.code < b.code
         AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
    WHERE {_SCOPE.format(col='a.community_id')}
)
SELECT a_code, b_code, ST_Area(piece::geography) AS area, ST_Perimeter(piece::geography),
       ST_X(ST_PointOnSurface(piece)), ST_Y(ST_PointOnSurface(piece))
FROM o WHERE ST_Area(piece::geography) > 0
""")

_ORPHANS = text(f"""
SELECT b.code, ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom))
FROM building b
WHERE b.residential_area_id IS NULL AND {_SCOPE.format(col='b.community_id')}
  AND NOT EXISTS (SELECT 1 FROM residential_area a WHERE ST_Intersects(a.geom, b.geom))
""")

_ASSIGN = text(f"""
UPDATE {{t}} x SET grid_id = best.grid_id
FROM (
    SELECT DISTINCT ON (x.id) x.id, g.id AS grid_id
    FROM {{t}} x JOIN grid g ON g.community_id = x.community_id AND ST_Intersects(g.geom, x.geom)
    WHERE {_SCOPE.format(col='x.community_id')}
    ORDER BY x.id, ST_Area(ST_Intersection(g.geom, x.geom)) DESC, g.code
) best
WHERE x.id = best.id AND x.grid_id IS DISTINCT FROM best.grid_id
""")


def _is_sliver(area: float, perimeter: float) -> bool:
    # Polsby-Popper compactness: thin strips score near 0, a square about 0.79.
    return perimeter > 0 and 4 * 3.141592653589793 * area / (perimeter * perimeter) < 0.1


def assign_grids(session: Session, community_ids: list[int] | None = None) -> None:
    """Give residential areas and buildings the grid that holds most of their area."""
    for table in ("residential_area", "building"):
        session.execute(text(_ASSIGN.text.format(t=table)), {"ids": community_ids})


def validate(session: Session, community_ids: list[int] | None = None,
             min_area_m2: float = 1.0, outside_share: float = 0.01) -> list[Issue]:
    """Every problem in the given communities (all when None), most serious kinds first."""
    params = {"ids": community_ids}
    issues: list[Issue] = []
    for table in TABLES:
        scope = "true" if table == "street" else _SCOPE.format(
            col="id" if table == "community" else "community_id")
        if table == "street" and community_ids is not None:
            continue
        for t, code, reason, x, y in session.execute(text(_INVALID.format(t=table, scope=scope)), params):
            issues.append(Issue("invalid", t, code, reason, None, x, y))
    for t, code, parent, area, child_area, x, y in session.execute(_OUTSIDE, params):
        share = area / child_area if child_area else 1.0
        if share > outside_share and area > min_area_m2:
            issues.append(Issue("outside_parent", t, code,
                                f"{share:.1%} of its area lies outside {parent}", area, x, y))
    for code, area, perimeter, x, y in session.execute(_GAPS, params):
        if area > min_area_m2:
            kind = "sliver gap" if _is_sliver(area, perimeter) else "gap"
            issues.append(Issue(kind.replace(" ", "_"), "community", code,
                                f"{kind} not covered by any grid", area, x, y))
    for a_code, b_code, area, perimeter, x, y in session.execute(_OVERLAPS, params):
        if area > min_area_m2:
            kind = "sliver overlap" if _is_sliver(area, perimeter) else "overlap"
            issues.append(Issue(kind.replace(" ", "_"), "grid", a_code,
                                f"{kind} with grid {b_code}", area, x, y))
    for code, x, y in session.execute(_ORPHANS, params):
        issues.append(Issue("no_residential_area", "building", code,
                            "lies in no residential area", None, x, y, blocking=False))
    return issues
