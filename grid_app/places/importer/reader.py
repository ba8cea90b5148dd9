"""Reading features from GeoJSON, GeoPackage or Shapefile with pyogrio, into WGS84 shapely shapes."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from grid_app.places.importer.problems import ImportFailed, Problem

SUPPORTED = (".geojson", ".json", ".gpkg", ".shp", ".zip")


@dataclass
class Feature:
    """One feature read from a file: its position, attributes and WGS84 geometry."""

    index: int
    properties: dict
    geometry: shapely.Geometry | None


@dataclass
class SourceFile:
    """The features of one file and the layer they belong to."""

    path: str
    layer: str
    features: list[Feature] = field(default_factory=list)


def read_features(path: str, encoding: str | None = None) -> list[Feature]:
    """Read every feature of a file; the CRS is converted to WGS84 when it differs."""
    name = os.path.basename(path)
    if not os.path.exists(path):
        raise ImportFailed([Problem(name, None, "file not found")])
    if not path.lower().endswith(SUPPORTED):
        raise ImportFailed([Problem(name, None, f"unsupported file type; use one of {', '.join(SUPPORTED)}")])
    try:
        meta, _, geometry, field_data = pyogrio.raw.read(path, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise ImportFailed([Problem(name, None, f"text is not valid {encoding or 'UTF-8'}: {exc.reason} "
                                    "(save the file as UTF-8 or pass --encoding)")]) from exc
    except (DataSourceError, DataLayerError, OSError, ValueError) as exc:
        raise ImportFailed([Problem(name, None, f"cannot read file: {exc}")]) from exc
    if geometry is None or meta.get("geometry_type") in (None, "None"):
        raise ImportFailed([Problem(name, None, "the file has no geometry column")])
    shapes = shapely.from_wkb(geometry, on_invalid="ignore")
    shapes = _to_wgs84(name, meta.get("crs"), shapes)
    columns = list(meta["fields"])
    features = []
    for i in range(len(shapes)):
        props = {col: _plain(field_data[j][i]) for j, col in enumerate(columns)}
        geom = shapes[i]
        features.append(Feature(i, props, None if geom is None or geom.is_empty else geom))
    return features


def _to_wgs84(name: str, crs_text: str | None, shapes: np.ndarray) -> np.ndarray:
    if not crs_text:
        return shapes  # GeoJSON without a crs member is WGS84 by RFC 7946
    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError as exc:
        raise ImportFailed([Problem(name, None, f"unknown coordinate reference system {crs_text!r}")]) from exc
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return shapes
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    return shapely.transform(shapes, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _plain(value):
    """numpy scalars → Python values; NaN/empty → None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="strict")
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value
