"""GCJ-02 ⇄ WGS84: the offset coordinate system of most Chinese web maps and phone apps.

The forward transform (WGS84 → GCJ-02) is the published closed form; the inverse has none, so
it is solved by fixed-point iteration to well under a millimetre. Outside mainland China the
offset is not applied, as every GCJ-02 provider does. Works on scalars or numpy arrays.
"""
from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses
_EE = 0.00669342162296594323


def _outside_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon, lat):
    x = lon - 105.0
    y = lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Shift WGS84 lon/lat to GCJ-02 (unchanged outside China)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    outside = _outside_china(lon, lat)
    out_lon = np.where(outside, lon, lon + dlon)
    out_lat = np.where(outside, lat, lat + dlat)
    return _unwrap(out_lon), _unwrap(out_lat)


def gcj02_to_wgs84(lon, lat, tolerance_deg: float = 1e-10, max_iter: int = 30):
    """Invert the GCJ-02 shift by iteration (accurate to < 1 mm inside China)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    guess_lon, guess_lat = lon.copy(), lat.copy()
    for _ in range(max_iter):
        g_lon, g_lat = wgs84_to_gcj02(guess_lon, guess_lat)
        err_lon = np.asarray(g_lon) - lon
        err_lat = np.asarray(g_lat) - lat
        guess_lon = guess_lon - err_lon
        guess_lat = guess_lat - err_lat
        if np.nanmax(np.abs(np.concatenate([np.ravel(err_lon), np.ravel(err_lat)]))) < tolerance_deg:
            break
    return _unwrap(guess_lon), _unwrap(guess_lat)


def _unwrap(arr):
    arr = np.asarray(arr)
    return float(arr) if arr.ndim == 0 else arr
