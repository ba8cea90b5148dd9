/* Popups, tooltips and labels of desk maps, built with textContent so no user text is parsed as HTML. */
(function () {
  "use strict";

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = (value === null || value === undefined || value === "") ? "—" : String(value);
    if (cls) { el.className = cls; }
    return el;
  }

  function popup(props, spec) {
    var div = document.createElement("div");
    div.className = "desk-popup";
    if (spec.title) { div.appendChild(text("h4", props[spec.title])); }
    var table = document.createElement("table");
    (spec.fields || []).forEach(function (f) {
      var value = props[f[0]];
      if (value === null || value === undefined || value === "") { return; }
      var tr = document.createElement("tr");
      tr.appendChild(text("th", f[1]));
      tr.appendChild(text("td", value));
      table.appendChild(tr);
    });
    div.appendChild(table);
    var href = spec.link ? props[spec.link[0]] : null;
    if (href && /^\/[^\/]/.test(href)) {  // only links into this app
      var a = document.createElement("a");
      a.href = href;
      a.textContent = spec.link[1];
      div.appendChild(a);
    }
    return div;
  }

  window.gridDesk = {
    /* Bind an escaped popup and tooltip (or a permanent label) to one feature's layer. */
    bind: function (feature, layer, spec) {
      var props = feature.properties || {};
      if (spec.title || spec.fields) {
        layer.bindPopup(function () { return popup(props, spec); }, {maxWidth: 320});
      }
      var tip = spec.tooltip ? props[spec.tooltip] : null;
      if (tip !== null && tip !== undefined && tip !== "") {
        layer.bindTooltip(text("span", tip), spec.label
          ? {permanent: true, direction: "center", className: "grid-label"} : {sticky: true});
      }
    },
    /* A vector-tile layer whose features get the same escaped popups as embedded ones.
       style.colourKey names a feature property holding the fill colour (set on the server). */
    vectorTiles: function (url, layerName, style, spec) {
      var styles = {};
      styles[layerName] = function (props) {
        var s = Object.assign({}, style);
        if (style.colourKey && props[style.colourKey]) { s.fillColor = props[style.colourKey]; }
        delete s.colourKey;
        // Below zoom 14 the server sends a point per occupied pixel (with a building count), not outlines.
        if (props.buildings !== undefined) { s.radius = 2; s.stroke = false; s.fill = true; s.fillOpacity = 0.9; }
        return s;
      };
      var grid = L.vectorGrid.protobuf(url, {
        vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: 18, rendererFactory: L.svg.tile
      });
      grid.on("click", function (e) {
        L.popup({maxWidth: 320}).setLatLng(e.latlng)
          .setContent(popup(e.layer.properties || {}, spec)).openOn(grid._map);
      });
      return grid;
    },
    /* Fold the legend away on small screens, where it would cover the map. */
    foldOnPhone: function (details) {
      if (window.matchMedia && window.matchMedia("(max-width: 600px)").matches) { details.open = false; }
    }
  };
}());
