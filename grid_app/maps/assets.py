"""Local JS/CSS for folium maps: no CDN at run time, and a standalone file with everything inlined."""
from __future__ import annotations

import base64
import os
import re
from typing import Callable

import folium
from branca.element import Element
from folium.elements import JSCSSMixin
from folium.plugins import HeatMap, MarkerCluster

STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")

# Per element class: (js, css) as (name, path under static/). Names match folium's, so one copy loads.
LOCAL: dict[type, tuple[list, list]] = {
    folium.Map: ([("leaflet", "vendor/leaflet/leaflet.js"), ("desk_map", "desk/map.js")],
                 [("leaflet_css", "vendor/leaflet/leaflet.css"), ("desk_map_css", "desk/map.css")]),
    MarkerCluster: ([("markerclusterjs", "vendor/leaflet.markercluster/leaflet.markercluster.js")],
                    [("markerclustercss", "vendor/leaflet.markercluster/MarkerCluster.css"),
                     ("markerclusterdefaultcss", "vendor/leaflet.markercluster/MarkerCluster.Default.css")]),
    HeatMap: ([("leaflet-heat.js", "vendor/leaflet.heat/leaflet-heat.js")], []),
}
VECTORGRID_JS = ("vectorgrid", "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js")


def _walk(element: Element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def localise(root: Element, static_url: Callable[[str], str]) -> None:
    """Point every element's JS/CSS at the vendored copies; refuse an element with no local copy."""
    for element in _walk(root):
        if not isinstance(element, JSCSSMixin):
            continue
        spec = next((v for k, v in LOCAL.items() if isinstance(element, k)), None)
        if spec is None:
            own = getattr(element, "local_assets", None)
            if own is None:
                raise ValueError(f"{type(element).__name__} has no vendored assets; it would load from a CDN")
            spec = own
        element.default_js = [(name, static_url(path)) for name, path in spec[0]]
        element.default_css = [(name, static_url(path)) for name, path in spec[1]]


def static_path_url(path: str) -> str:
    """The app's URL of a static file (what url_for('static') gives with the default static path)."""
    return "/static/" + path


_SCRIPT = re.compile(r'<script src="/static/([^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="/static/([^"]+)"\s*/>')
_CSS_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")
MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


def _read(path: str) -> str:
    full = os.path.normpath(os.path.join(STATIC_DIR, path))
    if not full.startswith(STATIC_DIR + os.sep):
        raise ValueError(f"asset path outside static/: {path}")
    with open(full, encoding="utf-8") as fh:
        return fh.read()


def _css_with_data_urls(path: str) -> str:
    css = _read(path)
    folder = os.path.dirname(path)

    def data_url(match):
        rel = os.path.join(folder, match.group(2))
        with open(os.path.join(STATIC_DIR, rel), "rb") as fh:
            encoded = base64.b64encode(fh.read()).decode()
        return f"url(data:{MIME.get(os.path.splitext(rel)[1], 'application/octet-stream')};base64,{encoded})"

    return _CSS_URL.sub(data_url, css)


def inline_assets(html: str) -> str:
    """Replace links to /static/ JS and CSS with their contents, so the file works on its own."""
    html = _SCRIPT.sub(lambda m: "<script>" + _read(m.group(1)).replace("</script", "<\\/script") + "</script>", html)
    return _LINK.sub(lambda m: "<style>" + _css_with_data_urls(m.group(1)).replace("</style", "<\\/style")
                     + "</style>", html)
