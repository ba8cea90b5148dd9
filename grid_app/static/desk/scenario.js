/* 方案模拟 on the coverage map: planned sites, closures and a walking speed, evaluated live by
   POST /api/v1/scenarios/evaluate; saved, opened and compared through /api/v1/scenarios. */
(function () {
  "use strict";
  var panel = document.getElementById("scenario");
  if (!panel || !window.L) { return; }
  var api = panel.dataset.api, labels = JSON.parse(panel.dataset.labels);
  var gcj = panel.dataset.crs === "gcj02";
  var state = {add: [], remove: [], speed: parseFloat(panel.dataset.speed)};
  var facilities = [], timer = null, seq = 0;
  var $ = function (sel) { return panel.querySelector(sel); };

  /* The page's Leaflet map (folium declares it as a global). */
  var map = null;
  Object.keys(window).some(function (k) {
    if (k.indexOf("map_") === 0 && window[k] instanceof L.Map) { map = window[k]; return true; }
    return false;
  });
  if (!map) { return; }
  var siteLayer = L.layerGroup().addTo(map), facilityLayer = L.layerGroup().addTo(map);
  var homesLayer = L.layerGroup().addTo(map);

  /* WGS84 -> GCJ-02 (the datum of most Chinese base maps), for drawing server points on such a map. */
  function toMap(lon, lat) {
    if (!gcj || lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) { return [lat, lon]; }
    var a = 6378245.0, ee = 0.00669342162296594323, x = lon - 105, y = lat - 35;
    var dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) +
      (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3 +
      (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3 +
      (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    var dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
      (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3 +
      (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3 +
      (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    var rad = lat / 180 * Math.PI, magic = 1 - ee * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = dLat * 180 / ((a * (1 - ee)) / (magic * sq) * Math.PI);
    dLon = dLon * 180 / (a / sq * Math.cos(rad) * Math.PI);
    return [lat + dLat, lon + dLon];
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function pct(share) { return share === null || share === undefined ? "—" : Math.round(share * 100) + "%"; }
  function num(n) { return n === null || n === undefined ? "—" : n.toLocaleString(); }
  function status(text, bad) {
    var p = $(".scenario-status");
    p.textContent = text || "";
    p.classList.toggle("overdue-text", !!bad);
  }
  function csrf() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }
  function call(method, url, body) {
    var opts = {method: method, credentials: "same-origin",
                headers: {"Accept": "application/json", "X-CSRFToken": csrf()}};
    if (body) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (res) {
      if (res.status === 204) { return null; }
      return res.json().then(function (data) {
        if (!res.ok) { throw new Error(data.message || res.status); }
        return data;
      });
    });
  }

  function changes() {
    var body = {community: panel.dataset.community, type: panel.dataset.type,
                minutes: parseFloat(panel.dataset.minutes), speed_m_s: state.speed,
                add: state.add.map(function (s) { return {lon: s.lon, lat: s.lat, name: s.name}; }),
                remove: state.remove.slice()};
    if (gcj) { body.crs = "gcj02"; }
    return body;
  }

  /* Planned sites and closable facilities as markers; the change list beside. */
  function drawChanges() {
    siteLayer.clearLayers();
    facilityLayer.clearLayers();
    var list = $(".scenario-changes");
    list.textContent = "";
    state.add.forEach(function (s, i) {
      var m = L.circleMarker([s.lat, s.lon], {radius: 9, color: "#ffffff", weight: 2, fillColor: "#7c3aed",
                                              fillOpacity: 1, bubblingMouseEvents: false, className: "scenario-site"});
      m.bindTooltip(s.name + " · " + labels.remove_site);
      m.on("click", function () { state.add.splice(i, 1); changed(); });
      m.addTo(siteLayer);
      var li = el("li", labels.added_item + ": " + s.name + " ");
      var x = el("button", "×");
      x.type = "button";
      x.setAttribute("aria-label", labels.remove_site);
      x.onclick = function () { state.add.splice(i, 1); changed(); };
      li.appendChild(x);
      list.appendChild(li);
    });
    facilities.forEach(function (f) {
      var closed = state.remove.indexOf(f.id) >= 0;
      var m = L.circleMarker(toMap(f.lon, f.lat), {
        radius: 10, weight: 3, color: closed ? "#b91c1c" : "#1d4ed8", fillColor: closed ? "#9ca3af" : "#1d4ed8",
        fillOpacity: closed ? 0.9 : 0.25, dashArray: closed ? "3 3" : null, bubblingMouseEvents: false,
        className: "scenario-facility"});
      m.bindTooltip(f.name + " · " + (closed ? labels.closed + " · " + labels.keep : labels.close));
      m.on("click", function () { toggleFacility(f.id); });
      m.addTo(facilityLayer);
      if (closed) {
        var li = el("li", labels.removed_item + ": " + f.name + " ");
        var x = el("button", "×");
        x.type = "button";
        x.setAttribute("aria-label", labels.keep);
        x.onclick = function () { toggleFacility(f.id); };
        li.appendChild(x);
        list.appendChild(li);
      }
    });
    if (!state.add.length && !state.remove.length && state.speed === parseFloat(panel.dataset.speed)) {
      list.appendChild(el("li", labels.no_changes, "muted"));
    }
  }

  function toggleFacility(id) {
    var at = state.remove.indexOf(id);
    if (at >= 0) { state.remove.splice(at, 1); } else { state.remove.push(id); }
    changed();
  }

  function changed() {
    drawChanges();
    clearTimeout(timer);
    timer = setTimeout(evaluate, 250);  // live, but one request per burst of clicks
  }

  function evaluate() {
    var mine = ++seq;
    status(labels.computing);
    call("POST", api + "/evaluate", changes()).then(function (r) {
      if (mine !== seq) { return; }  // a newer request is on its way
      show(r);
    }).catch(function (err) { if (mine === seq) { status(labels.error + " " + err.message, true); } });
  }

  function show(r) {
    facilities = r.facilities;
    drawChanges();
    status("");
    var figs = $(".scenario-figures");
    figs.hidden = false;
    figs.querySelector("[data-fig=share]").textContent = pct(r.share_today) + " → " + pct(r.share);
    figs.querySelector("[data-fig=covered]").textContent = num(r.residents_covered_today) + " → " + num(r.residents_covered);
    figs.querySelector("[data-fig=gained]").textContent = "+" + num(r.residents_gained);
    figs.querySelector("[data-fig=lost]").textContent = "−" + num(r.residents_lost);
    var body = panel.querySelector(".scenario-units tbody");
    body.textContent = "";
    r.by_residential_area.concat(r.by_grid).forEach(function (u) {
      var tr = el("tr");
      tr.appendChild(el("td", u.name || labels.no_area));
      tr.appendChild(el("td", pct(u.share_today), "num"));
      tr.appendChild(el("td", pct(u.share), "num" + (u.change > 0 ? " gain-text" : u.change < 0 ? " overdue-text" : "")));
      tr.appendChild(el("td", (u.change > 0 ? "+" : "") + num(u.change), "num"));
      body.appendChild(tr);
    });
    panel.querySelector(".scenario-units").hidden = false;
    showMeasures(r.measures);
    homesLayer.clearLayers();
    [["gained", "#16a34a"], ["lost", "#dc2626"]].forEach(function (kind) {
      r[kind[0]].forEach(function (h) {
        L.circleMarker(toMap(h.lon, h.lat), {radius: 6, color: "#111827", weight: 1, fillColor: kind[1],
                                             fillOpacity: 0.95, className: "scenario-home-" + kind[0]})
          .bindTooltip(h.name + " · " + labels[kind[0]] + " · " + labels.residents + " " + h.residents +
                       (h.minutes !== null ? " · " + labels.min.replace("{m}", h.minutes) : ""))
          .addTo(homesLayer);
      });
    });
  }

  /* The planners' measures today -> scenario (checklist rows of the type, equity, 2SFCA). */
  function showMeasures(m) {
    var box = $(".scenario-measures");
    if (!m || m.unavailable) { box.hidden = true; return; }
    var body = box.querySelector("tbody"), f3 = function (x) { return x === null || x === undefined ? "—" : x.toFixed(3); };
    body.textContent = "";
    var eq0 = m.equity_today.coverage_share || {}, eq1 = m.equity.coverage_share || {};
    var rows = m.checklist.map(function (c) {
      return [labels.checklist_row.replace("{m}", c.minutes).replace("{item}", c.standard_item),
              pct(c.share_today) + (c.meets_today ? " ✓" : " ✗"), pct(c.share) + (c.meets ? " ✓" : " ✗"), c.share - c.share_today];
    }).concat([[labels.met_items, m.met_today + "/" + m.items, m.met + "/" + m.items, m.met - m.met_today],
               [labels.gini, f3(eq0.gini), f3(eq1.gini), (eq0.gini || 0) - (eq1.gini || 0)],
               [labels.bottom, pct(eq0.bottom20_share), pct(eq1.bottom20_share), (eq1.bottom20_share || 0) - (eq0.bottom20_share || 0)],
               [labels.fca, f3(m.fca_score_today), f3(m.fca_score), (m.fca_score || 0) - (m.fca_score_today || 0)]]);
    rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("td", row[0]));
      tr.appendChild(el("td", row[1], "num"));
      tr.appendChild(el("td", row[2], "num" + (row[3] > 1e-9 ? " gain-text" : row[3] < -1e-9 ? " overdue-text" : "")));
      body.appendChild(tr);
    });
    box.hidden = false;
    if (window.gridMeasures && m.scenario) { window.gridMeasures.render(m.scenario); }
  }

  /* 建议选址: the server's maximal-coverage sites, loaded as planned sites to adjust by hand. */
  function suggest() {
    var body = changes();
    body.k = parseInt(panel.querySelector("input[name=suggest_k]").value, 10);
    status(labels.suggesting);
    call("POST", api + "/suggest", body).then(function (r) {
      if (!r.suggested.length) { status(labels.suggest_none); return; }
      r.suggested.forEach(function (s) {
        var p = toMap(s.lon, s.lat);  // server points are WGS84; the state holds map clicks
        state.add.push({lon: gcj ? +p[1].toFixed(7) : s.lon, lat: gcj ? +p[0].toFixed(7) : s.lat,
                        name: labels.suggested + " " + (state.add.length + 1)});
      });
      changed();
    }).catch(function (err) { status(labels.error + " " + err.message, true); });
  }

  /* Saved scenarios: list, open, delete, compare two. */
  function loadSaved() {
    var url = api + "?community=" + encodeURIComponent(panel.dataset.community) +
      "&type=" + encodeURIComponent(panel.dataset.type);
    call("GET", url).then(function (data) {
      var list = $(".scenario-saved");
      list.textContent = "";
      if (!data.scenarios.length) { list.appendChild(el("li", labels.none_saved, "muted")); }
      data.scenarios.forEach(function (s) {
        var li = el("li");
        var tick = el("input");
        tick.type = "checkbox";
        tick.value = s.id;
        tick.setAttribute("aria-label", s.name);
        li.appendChild(tick);
        li.appendChild(el("span", " " + s.name + " · " + (s.author || "") + " · " + s.created_at.slice(0, 10) + " "));
        var open = el("button", labels.open);
        open.type = "button";
        open.onclick = function () { openSaved(s); };
        li.appendChild(open);
        if (s.author === panel.dataset.user) {
          var del = el("button", labels.delete);
          del.type = "button";
          del.onclick = function () { call("DELETE", api + "/" + s.id).then(loadSaved).catch(function (e) { status(e.message, true); }); };
          li.appendChild(del);
        }
        list.appendChild(li);
      });
    }).catch(function (err) { status(err.message, true); });
  }

  function openSaved(s) {
    state.add = s.changes.add.map(function (a, i) {
      var p = toMap(a.lon, a.lat);
      return {lon: gcj ? p[1] : a.lon, lat: gcj ? p[0] : a.lat, name: a.name || labels.planned + " " + (i + 1)};
    });
    state.remove = s.changes.remove.slice();
    setSpeed(s.changes.speed_m_s);
    changed();
  }

  function compare() {
    var ticked = Array.prototype.map.call(panel.querySelectorAll(".scenario-saved input:checked"),
                                          function (t) { return t.value; });
    var out = $(".scenario-compare");
    out.textContent = "";
    if (ticked.length !== 2) { status(labels.pick_two, true); return; }
    call("GET", api + "/compare?a=" + ticked[0] + "&b=" + ticked[1]).then(function (c) {
      var table = el("table", null, "data"), head = el("tr");
      [labels.area, labels.today, c.a.name, c.b.name].forEach(function (h, i) { head.appendChild(el("th", h, i ? "num" : "")); });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      var total = {name: "∑", today: c.today, a: c.a, b: c.b};
      [total].concat(c.by_residential_area, c.by_grid).forEach(function (u) {
        var tr = el("tr");
        tr.appendChild(el("td", u.name || labels.no_area));
        [u.today, u.a, u.b].forEach(function (v) { tr.appendChild(el("td", pct(v.share), "num")); });
        body.appendChild(tr);
      });
      out.appendChild(table);
      status("");
    }).catch(function (err) { status(err.message, true); });
  }

  function setSpeed(value) {
    var select = panel.querySelector("select[name=speed]"), custom = panel.querySelector("input[name=speed_custom]");
    var known = Array.prototype.some.call(select.options, function (o) { return parseFloat(o.value) === value; });
    select.value = known ? String(Array.prototype.find.call(select.options, function (o) {
      return parseFloat(o.value) === value; }).value) : "custom";
    custom.hidden = known;
    if (!known) { custom.value = value; }
    state.speed = value;
  }

  var adding = false, addButton = panel.querySelector("[data-act=add]");
  addButton.onclick = function () {
    adding = !adding;
    addButton.setAttribute("aria-pressed", String(adding));
    map.getContainer().classList.toggle("scenario-adding", adding);
  };
  // preclick: a layer with a popup stops the click itself from reaching the map.
  map.on("preclick", function (e) {
    if (!adding) { return; }
    var n = state.add.length + 1;
    // Clicks are in the map's datum; the request says which (crs), the server converts.
    state.add.push({lon: +e.latlng.lng.toFixed(7), lat: +e.latlng.lat.toFixed(7), name: labels.planned + " " + n});
    setTimeout(function () { map.closePopup(); }, 0);  // the area's popup is not what was asked for
    changed();
  });
  panel.querySelector("select[name=speed]").onchange = function () {
    var custom = panel.querySelector("input[name=speed_custom]");
    custom.hidden = this.value !== "custom";
    state.speed = this.value === "custom" ? parseFloat(custom.value) : parseFloat(this.value);
    changed();
  };
  panel.querySelector("input[name=speed_custom]").oninput = function () {
    var v = parseFloat(this.value);
    if (v >= 0.3 && v <= 2.5) { state.speed = v; changed(); }
  };
  panel.querySelector("[data-act=clear]").onclick = function () {
    state.add = [];
    state.remove = [];
    setSpeed(parseFloat(panel.dataset.speed));
    $(".scenario-compare").textContent = "";
    changed();
  };
  panel.querySelector("[data-act=compare]").onclick = compare;
  panel.querySelector("[data-act=suggest]").onclick = suggest;
  panel.querySelector(".scenario-save").onsubmit = function (e) {
    e.preventDefault();
    var body = changes();
    body.name = this.elements.name.value;
    var form = this;
    call("POST", api, body).then(function (r) {
      form.reset();
      show(r);
      status(labels.saved);
      loadSaved();
    }).catch(function (err) { status(labels.error + " " + err.message, true); });
  };

  evaluate();  // today's figures and the facilities that may be closed
  loadSaved();
}());
