"""Folium pieces shared by every desk map: the map without CDN assets, escaped layers, a legend."""
from __future__ import annotations

import json
from typing import Callable

import folium
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode
from markupsafe import Markup

from grid_app.maps import assets
from grid_app.maps.providers import Provider

# Compact JSON in folium's templates: Chinese as UTF-8 rather than \uXXXX and no spaces, which makes
# embedded layers about a third smaller. jinja's tojson still escapes < > & ' for <script>.
folium.Map._template.environment.policies["json.dumps_kwargs"] = {
    "sort_keys": False, "ensure_ascii": False, "separators": (",", ":")}


class DeskMap(folium.Map):
    """folium.Map whose header styles only its own div (the page keeps its layout and viewport)."""

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>#{{ this.get_name() }} { position: relative; width: 100%; height: 100%; }
            .leaflet-container { font-size: {{ this.font_size }}; }</style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }} ></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map({{ this.get_name()|tojson }}, {
                center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }},
                ...{{ this.options|tojavascript }}
            });
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
    """)


def js_json(value) -> str:
    """JSON that is safe inside a <script> element."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def new_map(bounds: tuple[float, float, float, float], provider: Provider) -> DeskMap:
    """A map fitted to (minlon, minlat, maxlon, maxlat), with the provider's tile layers."""
    minx, miny, maxx, maxy = bounds
    m = DeskMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=15,
                control_scale=True, max_zoom=19)
    for i, t in enumerate(provider.tiles):
        folium.TileLayer(tiles=t.url, attr=t.attribution, name=f"base-{i}", subdomains=t.subdomains or "abc",
                         max_zoom=19, max_native_zoom=t.max_zoom, overlay=t.overlay, control=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(12, 12))
    return m


def detail_layer(features: list[dict], name: str, *, spec: dict, style: dict | Callable | None = None,
                 marker=None, show: bool = True, control: bool = True) -> folium.GeoJson:
    """A GeoJSON layer whose popups/tooltips are built from `spec` with textContent (never as HTML).

    spec: {"title": key, "tooltip": key, "label": bool, "fields": [[key, label]...], "link": [key, text]}
    """
    style_function = style if callable(style) else (lambda f, s=style or {}: s)
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=name, show=show, control=control,
        style_function=style_function, marker=marker, highlight_function=None,
        on_each_feature=JsCode(f"function(feature, layer) {{ gridDesk.bind(feature, layer, {js_json(spec)}); }}"))


class Legend(MacroElement):
    """A legend control in a map corner, from escaped HTML built on the server."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "desk-legend");
                div.innerHTML = {{ this.html|tojson }};
                gridDesk.foldOnPhone(div.querySelector("details"));
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        }());
        {% endmacro %}
    """)

    def __init__(self, title: str, items: list[tuple[str, str, str]], position: str = "bottomleft"):
        """items: (kind 'box'|'dot'|'ring'|'line'|'dash', colour, label)."""
        super().__init__()
        self._name = "Legend"
        rows = [Markup("<details open><summary><h4>{}</h4></summary>").format(title)]
        for kind, colour, label in items:
            style = (f"background:{colour}" if kind not in ("line", "dash") else
                     f"background:none;border-top:3px {'solid' if kind == 'line' else 'dashed'} {colour};"
                     "height:0;margin-bottom:4px;border-radius:0")
            rows.append(Markup('<div><i class="{}" style="{}"></i>{}</div>').format(kind, style, label))
        rows.append(Markup("</details>"))
        self.html = str(Markup("").join(rows))
        self.position = position


class CollapseOnPhone(MacroElement):
    """Folds a control (e.g. the layer list) to its icon on small screens, where it would hide the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        if (window.matchMedia && window.matchMedia("(max-width: 600px)").matches) {
            {{ this.control.get_name() }}.collapse();
        }
        {% endmacro %}
    """)

    def __init__(self, control):
        super().__init__()
        self._name = "CollapseOnPhone"
        self.control = control


def render_parts(m: folium.Map, static_url: Callable[[str], str]) -> dict[str, Markup]:
    """The map's <head> additions, its <div> and its script, for embedding in an app page."""
    assets.localise(m, static_url)
    root = m.get_root()
    root.render()
    return {"head": Markup(root.header.render()), "body": Markup(root.html.render()),
            "script": Markup(root.script.render())}


def standalone_html(m: folium.Map, inline: bool = True) -> str:
    """The map as one HTML document; with inline=True it needs no server (JS/CSS copied in)."""
    assets.localise(m, assets.static_path_url)
    html = m.get_root().render()
    # DeskMap styles only its div (for app pages); a file of its own must give the page a height.
    page_style = ('<meta name="viewport" content="width=device-width, initial-scale=1">'
                  "<style>html, body { width: 100%; height: 100%; margin: 0; padding: 0; }</style>")
    html = html.replace("<head>", "<head>" + page_style, 1)
    return assets.inline_assets(html) if inline else html

