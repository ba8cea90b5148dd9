"""Base maps from the TILE_PROVIDER setting, and whether their tiles are drawn in GCJ-02.

GCJ-02 providers (amap/gaode, tencent) are supported by shifting every layer drawn over them
with grid_app.places.gcj02 (see shift.py): refusing them would bar the base maps most Chinese offices
use every day, and the shift is exact to the published transform, vectorised and applied only
at drawing time (stored data and clicked positions stay WGS84).
"""
from __future__ import annotations

from dataclasses import dataclass, field

TIANDITU = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s")
TIANDITU_ATTR = "&copy; 天地图 (国家地理信息公共服务平台)"
AMAP_ATTR = "&copy; 高德地图 AutoNavi"


@dataclass(frozen=True)
class Tiles:
    """One XYZ tile layer."""

    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 19
    overlay: bool = False  # an annotation layer drawn over the base


@dataclass(frozen=True)
class Provider:
    """A named base map: its tile layers (none for a plain background) and its datum."""

    key: str
    tiles: tuple[Tiles, ...] = field(default_factory=tuple)
    gcj02: bool = False


class ProviderError(ValueError):
    """TILE_PROVIDER (or its key) is not usable."""


def _tianditu(kind: str, key: str) -> Provider:
    if not key:
        raise ProviderError(f"TILE_PROVIDER=tianditu-{kind} needs a TIANDITU_KEY (a free key from tianditu.gov.cn)")
    base, notes = ("vec", "cva") if kind == "vec" else ("img", "cia")
    return Provider(f"tianditu-{kind}", (
        Tiles(TIANDITU % (base, base, key), TIANDITU_ATTR, "01234567", 18),
        Tiles(TIANDITU % (notes, notes, key), TIANDITU_ATTR, "01234567", 18, overlay=True)))


NAMED = {
    "osm": lambda key: Provider("osm", (Tiles("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                                              "&copy; OpenStreetMap contributors", "", 19),)),
    "none": lambda key: Provider("none"),
    "tianditu-vec": lambda key: _tianditu("vec", key),
    "tianditu-img": lambda key: _tianditu("img", key),
    "amap": lambda key: Provider("amap", (Tiles(
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        AMAP_ATTR, "1234", 18),), gcj02=True),
    "amap-img": lambda key: Provider("amap-img", (Tiles(
        "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}", AMAP_ATTR, "1234", 18),
        Tiles("https://webst0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}", AMAP_ATTR, "1234", 18,
              overlay=True)), gcj02=True),
    "tencent": lambda key: Provider("tencent", (Tiles(
        "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&type=vector&styleid=0",
        "&copy; 腾讯地图", "0123", 18),), gcj02=True),
}
NAMED["gaode"] = NAMED["amap"]


def provider_from_config(config) -> Provider:
    """The Provider named by TILE_PROVIDER: a name above or an XYZ URL template.

    A custom template is taken as WGS84 unless TILE_CRS is 'gcj02'."""
    name = (config.get("TILE_PROVIDER") or "osm").strip()
    if name.lower() in NAMED:
        return NAMED[name.lower()](config.get("TIANDITU_KEY") or "")
    if not all(part in name for part in ("{z}", "{x}")) or not ("{y}" in name or "{-y}" in name):
        raise ProviderError(f"TILE_PROVIDER={name!r} is neither one of {', '.join(sorted(NAMED))} "
                            "nor an XYZ URL template with {z}, {x} and {y}")
    if not (name.startswith(("https://", "http://")) or (name.startswith("/") and not name.startswith("//"))):
        raise ProviderError(f"TILE_PROVIDER URL must start with https://, http:// or / (got {name!r})")
    crs = (config.get("TILE_CRS") or "wgs84").lower()
    if crs not in ("wgs84", "gcj02"):
        raise ProviderError(f"TILE_CRS must be wgs84 or gcj02, got {crs!r}")
    return Provider("custom", (Tiles(name, config.get("TILE_ATTRIBUTION") or "", "abc", 19),),
                    gcj02=crs == "gcj02")
