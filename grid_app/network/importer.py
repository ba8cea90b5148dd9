"""`import-network` as one transaction: read and check everything, replace the network, add OSM POIs."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from grid_app.coverage.service import MAX_ACCESS_M
from grid_app.network.reach import Piece, main_piece_warning, pieces
from grid_app.network.store import NetworkReport, home_points, is_osm_file, load_network_file, replace_network
from grid_app.network.walkable import Tally
from grid_app.platform import audit
from grid_app.platform.errors import InvalidInput


@dataclass
class NetworkImport:
    """What import-network stored, what it dropped, and how the homes sit on the pieces."""

    report: NetworkReport
    tally: Tally
    pieces: list[Piece]
    unattached_residents: int
    warning: str | None
    pois: dict = field(default_factory=dict)


def import_network_file(session: Session, path: str, *, pois: bool = False, snap_m: float = 0.5,
                        class_field: str | None = None, keep: frozenset[str] = frozenset(),
                        drop: frozenset[str] = frozenset(), progress: bool = True) -> NetworkImport:
    """Replace the network (and with pois, add OSM buildings and facilities); commit once or write nothing."""
    name = os.path.basename(path)
    if pois and not is_osm_file(path):
        # Buildings and amenities come from OSM tags; a line layer has none. Refuse before any write.
        raise InvalidInput(f"{name}: --pois needs an OSM extract (.osm.pbf, .osm); import buildings and "
                           "facilities from a GIS layer with `flask grid import`", code="bad_option")
    overlap = keep & drop
    if overlap:
        raise InvalidInput(f"--keep and --drop both name {', '.join(sorted(overlap))}", code="bad_option")
    network, tally = load_network_file(path, snap_m=snap_m, class_field=class_field, keep=keep, drop=drop)
    try:
        report = replace_network(session, network, progress=progress, commit=False)
        poi_counts: dict = {}
        if pois:
            from grid_app.places.osm_pois import import_osm_pois
            poi_counts = import_osm_pois(session, path, progress=progress, commit=False)
        xy, residents = home_points(session)
        found, unattached = pieces(network, xy, residents, MAX_ACCESS_M)
        audit.record(session, "import-network", {
            "file": name, "edges": report.edges, "snap_m": snap_m, "class_field": class_field,
            "keep": sorted(keep), "drop": sorted(drop),
            **({"pois": {k: v for k, v in poi_counts.items() if k != "warnings"}} if pois else {})})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return NetworkImport(report, tally, found, unattached, main_piece_warning(found), poi_counts)
