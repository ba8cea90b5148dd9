"""Export the ways of an OSM extract as a city GIS office delivers them: whole ways, tags as fields."""
from __future__ import annotations

import numpy as np
import osmium
import pyogrio
import shapely

OSM_FIELDS = ("highway", "railway", "route", "foot", "access", "tunnel", "bridge", "layer", "area",
              "oneway:foot", "sidewalk", "name")


def osm_ways(pbf: str) -> tuple[list[shapely.LineString], list[dict[str, str | None]]]:
    """Every highway / railway / ferry way as one unsplit line (one per run where a clip cut it)."""
    geoms, rows = [], []
    for way in osmium.FileProcessor(pbf, osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if not way.is_way():
            continue
        tags = way.tags
        if "highway" not in tags and "railway" not in tags and tags.get("route") != "ferry":
            continue
        run: list[tuple[float, float]] = []
        for nref in [*way.nodes, None]:
            if nref is not None and nref.location.valid():
                xy = (nref.location.lon, nref.location.lat)
                if not run or run[-1] != xy:
                    run.append(xy)
                continue
            if len(run) >= 2:
                geoms.append(shapely.LineString(run))
                rows.append({k: tags.get(k) for k in OSM_FIELDS} | {"osm_id": way.id})
            run = []
    return geoms, rows


def write_geojson(path: str, geoms, rows) -> str:
    """GeoJSON of the ways with their OSM tags as fields."""
    fields = [*OSM_FIELDS, "osm_id"]
    data = [np.array([r[f] for r in rows], dtype=object) for f in fields]
    pyogrio.raw.write(path, shapely.to_wkb(np.array(geoms, dtype=object)), data, fields, crs="EPSG:4326",
                      geometry_type="LineString", driver="GeoJSON")
    return path


def geofabrik_class(row: dict) -> str:
    """Geofabrik's fclass for a way: the highway value, else the railway value, else ferry."""
    return row["highway"] or row["railway"] or ("ferry" if row["route"] == "ferry" else "unknown")


def tf(value: str | None) -> str:
    """Geofabrik's T/F for bridge=* / tunnel=*; a passage through a building is at ground level."""
    return "F" if value in (None, "no", "building_passage") else "T"


def write_geofabrik_shapefile(path: str, geoms, rows, crs: str = "EPSG:3067") -> str:
    """A Shapefile in a projected CRS with Geofabrik's columns: osm_id, fclass, name, layer, bridge, tunnel (T/F)."""
    from pyproj import Transformer
    tr = Transformer.from_crs(4326, crs, always_xy=True)
    projected = shapely.transform(np.array(geoms, dtype=object),
                                  lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    columns = {
        "osm_id": np.array([str(r["osm_id"]) for r in rows], dtype=object),
        "fclass": np.array([geofabrik_class(r) for r in rows], dtype=object),
        "name": np.array([r["name"] or "" for r in rows], dtype=object),
        "layer": np.array([int(float((r["layer"] or "0").split(";")[0])) for r in rows], dtype=np.int64),
        "bridge": np.array([tf(r["bridge"]) for r in rows], dtype=object),
        "tunnel": np.array([tf(r["tunnel"]) for r in rows], dtype=object),
    }
    pyogrio.raw.write(path, shapely.to_wkb(projected), list(columns.values()), list(columns), crs=crs,
                      geometry_type="LineString", driver="ESRI Shapefile", encoding="UTF-8")
    return path
