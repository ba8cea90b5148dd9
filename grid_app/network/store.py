"""The walking network in PostGIS: replace it from a file, load it back, and version datasets."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import delete, func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from tqdm import tqdm

from grid_app.models import DatasetVersion, NetworkEdge, NetworkNode
from grid_app.network import bulk
from grid_app.network.lines import load_lines
from grid_app.network.model import WalkNetwork
from grid_app.network.osm import load_osm
from grid_app.network.walkable import Tally
from grid_app.platform.errors import InvalidInput

BATCH = 2000


@dataclass(frozen=True)
class NetworkReport:
    """What an import stored: counts and the connected components."""

    nodes: int
    edges: int
    component_sizes: list[int]
    length_km: float


def bump_version(session: Session, name: str) -> None:
    """Mark a dataset as changed, so results computed from it are refreshed."""
    stmt = insert(DatasetVersion.__table__).values(name=name, version=1, changed_at=func.clock_timestamp())
    session.execute(stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"version": DatasetVersion.version + 1, "changed_at": func.clock_timestamp()}))


# Built once: `IN (:names)` made SQLAlchemy compile an expanding IN on every call (0.3 ms against 0.06).
_VERSIONS = text("SELECT name, version, changed_at FROM dataset_version WHERE name = ANY(:names)")


def versions(session: Session, names: tuple[str, ...]) -> str:
    """A stamp of the named datasets' versions and change times, e.g. 'network:1@1795...,...'."""
    return versions_stamp(session.execute(_VERSIONS, {"names": list(names)}).all(), names)


def versions_stamp(rows, names: tuple[str, ...]) -> str:
    """versions()' stamp of `names` from dataset_version rows (name, version, changed_at) read by the caller."""
    found = {name: (version, changed.timestamp()) for name, version, changed in rows if name in names}
    # The time is part of the stamp: a rolled-back change must not look like the next one.
    return ",".join(f"{n}:{found.get(n, (0, 0))[0]}@{found.get(n, (0, 0))[1]:.6f}" for n in sorted(names))


OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")


def is_osm_file(path: str) -> bool:
    """An OSM extract (which also holds buildings and amenities), not a line layer."""
    return path.lower().endswith(OSM_SUFFIXES)


def read_network_file(path: str, **options) -> WalkNetwork:
    """A WalkNetwork from an OSM extract (.osm.pbf / .osm) or a line layer (GeoJSON, GPKG, SHP)."""
    return load_network_file(path, **options)[0]


def load_network_file(path: str, *, snap_m: float = 0.5, class_field: str | None = None,
                      keep: frozenset[str] = frozenset(), drop: frozenset[str] = frozenset()
                      ) -> tuple[WalkNetwork, Tally]:
    """The network of a file and the tally of what was kept and dropped; InvalidInput on bad input."""
    name = os.path.basename(path)
    if not os.path.exists(path):
        raise InvalidInput(f"{name}: file not found", code="file_not_found")
    if not snap_m >= 0:
        raise InvalidInput(f"--snap must be >= 0 metres, got {snap_m}", code="bad_option")
    try:
        if is_osm_file(path):
            if class_field:
                raise InvalidInput(f"{name}: --class-field is for line layers; an OSM file has tags",
                                   code="bad_option")
            network, tally = load_osm(path, keep, drop)
        else:
            network, tally = load_lines(path, snap_m=snap_m, class_field=class_field, keep=keep, drop=drop)
    except (ValueError, RuntimeError, OSError) as exc:
        raise InvalidInput(f"{name}: {exc}", code="bad_network_file") from exc
    if network.n_edges == 0:
        raise InvalidInput(f"{name}: no walkable ways or lines found", code="bad_network_file")
    return network, tally


def replace_network(session: Session, network: WalkNetwork, progress: bool = True,
                    commit: bool = True) -> NetworkReport:
    """Store the network in place of the current one and bump its version (commit=False: caller commits)."""
    labels, sizes = network.components()
    session.execute(delete(NetworkEdge))
    session.execute(delete(NetworkNode))
    nodes = [{"id": i, "osm_id": int(network.node_ids[i]),
              "geom": f"SRID=4326;POINT({network.lon[i]:.7f} {network.lat[i]:.7f})"}
             for i in range(network.n_nodes)]
    wkt = shapely.to_wkt(network.geometry, rounding_precision=7)
    edges = [{"id": i, "u": int(network.u[i]), "v": int(network.v[i]),
              "length_m": float(network.length_m[i]), "directed": bool(network.directed[i]),
              "highway": str(network.highway[i] or "")[:40] or None, "ground": bool(network.ground[i]),
              "component": int(labels[network.u[i]]), "geom": f"SRID=4326;{wkt[i]}"}
             for i in range(network.n_edges)]
    for table, rows in ((NetworkNode.__table__, nodes), (NetworkEdge.__table__, edges)):
        for start in tqdm(range(0, len(rows), BATCH), desc=f"storing {table.name}", unit="batch",
                          disable=not progress or len(rows) < 10 * BATCH):
            session.execute(insert(table), rows[start:start + BATCH])
    bump_version(session, "network")
    if commit:
        session.commit()
    return NetworkReport(network.n_nodes, network.n_edges, [int(s) for s in sizes],
                         float(network.length_m.sum() / 1000))


# One statement (one snapshot). Each row's fixed-width columns are packed into one record and the
# records of a table concatenated into one bytea; ids are sent so the order is ours. NULLs are coalesced
# (a NULL would drop the record); a NULL length becomes NaN, which WalkNetwork refuses as before.
# Geometry: each line's WKB after its 9-byte header is its x/y doubles, with its point count in the record.
_NODE_RECORD = np.dtype([("id", ">i8"), ("osm_id", ">i8"), ("lon", ">f8"), ("lat", ">f8")])
_EDGE_RECORD = np.dtype([("id", ">i8"), ("u", ">i8"), ("v", ">i8"), ("length_m", ">f8"), ("directed", "u1"),
                         ("ground", "u1"), ("n_points", ">i4")])
_NETWORK_SQL = """
SELECT n.*, e.* FROM
 (SELECT string_agg(int8send(id) || int8send(coalesce(osm_id, 0)) || float8send(ST_X(geom))
                    || float8send(ST_Y(geom)), ''::bytea)
  FROM network_node) n,
 (SELECT string_agg(int8send(id) || int8send(u) || int8send(v) || float8send(coalesce(length_m, 'NaN'))
                    || boolsend(coalesce(directed, false)) || boolsend(coalesce(ground, false))
                    || int4send(ST_NPoints(geom)), ''::bytea),
         string_agg(coalesce(highway, ''), chr(31)),
         string_agg(substring(ST_AsBinary(geom, 'NDR') FROM 10), ''::bytea)
  FROM network_edge) e"""


def load_network(session: Session) -> WalkNetwork | None:
    """The stored network as a WalkNetwork (None when none is stored), read in one bulk statement."""
    node_bytes, edge_bytes, highway, coords = bulk.copy_row(session, _NETWORK_SQL)
    if node_bytes is None or edge_bytes is None:
        return None
    nodes, edges = bulk.records(node_bytes, _NODE_RECORD), bulk.records(edge_bytes, _EDGE_RECORD)
    node_order, edge_order = np.argsort(nodes["id"], kind="stable"), np.argsort(edges["id"], kind="stable")
    nodes, ids = nodes[node_order], nodes["id"][node_order].astype(np.int64)
    index = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    index[ids] = np.arange(len(ids))
    geometry = bulk.linestrings(coords, edges["n_points"].astype(np.int64))[edge_order]
    highways = bulk.texts(highway, len(edges))[edge_order]
    edges = edges[edge_order]
    return WalkNetwork(
        node_ids=nodes["osm_id"], lon=nodes["lon"], lat=nodes["lat"],
        u=index[edges["u"]], v=index[edges["v"]], length_m=edges["length_m"],
        directed=edges["directed"].astype(bool), geometry=geometry, highway=highways,
        ground=edges["ground"].astype(bool))


def home_points(session: Session) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of a point on each building with residents, and their residents."""
    rows = session.execute(text(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), residents "
        "FROM building WHERE residents > 0 ORDER BY id")).all()
    xy = np.array([(r[0], r[1]) for r in rows], dtype=np.float64).reshape(-1, 2)
    return xy, np.array([r[2] for r in rows], dtype=np.float64)
