/* The case form: category (most used first), GPS + draggable pin with the grid it falls in,
   camera photos downscaled in the browser, description. Saving always goes through the outbox. */
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("m-form-data").textContent);
  const T = DATA.text;
  const SHOWN = 8;
  const COUNTS_KEY = "grid-m-cat-counts:" + M.BOOT.user;
  const form = document.getElementById("case-form");
  // The key is made when the form opens: saving and every retry of this case carry it.
  const KEY = (crypto.randomUUID && crypto.randomUUID()) || Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  const state = { category: null, lon: null, lat: null, accuracy: null, manual: false, photos: [], saving: false };

  /* ---- categories, most used first ---- */
  function localCounts() {
    try { return JSON.parse(localStorage.getItem(COUNTS_KEY)) || {}; } catch (e) { return {}; }
  }

  function renderCategories(expanded) {
    const local = localCounts();
    const score = (c) => Math.max(DATA.counts[c.code] || 0, local[c.code] || 0);
    const sorted = DATA.categories.map((c, i) => Object.assign({ i }, c))
      .sort((a, b) => score(b) - score(a) || a.i - b.i);
    const box = document.getElementById("cats");
    box.innerHTML = sorted.map((c, n) => `
      <label class="m-chip${n >= SHOWN && !expanded ? " m-chip-extra" : ""}">
        <input type="radio" name="category" value="${M.esc(c.code)}"${state.category === c.code ? " checked" : ""}>
        <span><small>${M.esc(c.group)}</small>${M.esc(c.name)}</span>
      </label>`).join("");
    box.querySelectorAll("input").forEach((input) => input.addEventListener("change", () => {
      state.category = input.value;
      showError("category", false);
    }));
    const more = document.getElementById("cats-more");
    more.hidden = sorted.length <= SHOWN;
    more.textContent = expanded ? T.less : M.fmt(T.more, { n: sorted.length });
    more.onclick = () => renderCategories(!expanded);
  }

  function countCategory(code) {
    const counts = localCounts();
    counts[code] = (counts[code] || 0) + 1;
    localStorage.setItem(COUNTS_KEY, JSON.stringify(counts));
  }

  /* ---- map, GPS and the grid under the pin ---- */
  const map = L.map("map", { zoomControl: true, attributionControl: true }).setView([35, 105], 4);  // China until the grids or GPS arrive
  const tiles = L.tileLayer(DATA.tiles.url, { maxZoom: 19, attribution: DATA.tiles.attribution,
    subdomains: DATA.tiles.subdomains || "abc" });
  tiles.addTo(map);
  M.formMap = map;  // for tests and debugging on the phone
  const pin = L.marker(map.getCenter(), { draggable: true, autoPan: true, keyboard: true });
  const halo = L.circle(map.getCenter(), { radius: 0, color: "#0b5cad", weight: 1, fillOpacity: 0.12 });
  let gridLayer = null, locateTimer = null, locateSeq = 0, fitted = false;

  function loadGrids() {
    if (!M.BOOT.community) return;
    M.api("/grids?community=" + encodeURIComponent(M.BOOT.community) + "&limit=500").then((r) => {
      if (!r.ok || !r.body || !r.body.features) return;
      gridLayer = L.geoJSON(r.body, {
        style: (f) => {
          const mine = M.BOOT.grids.includes(f.properties.code);
          return { color: mine ? "#c8102e" : "#64748b", weight: mine ? 3 : 1.5, dashArray: mine ? null : "6 4",
            fillColor: mine ? "#c8102e" : "#94a3b8", fillOpacity: mine ? 0.08 : 0.04, interactive: false };
        },
        onEachFeature: (f, layer) => layer.bindTooltip(M.esc(f.properties.name || f.properties.code),
          { permanent: true, direction: "center", className: "m-grid-label" }),
      }).addTo(map);
      if (!fitted && state.lon === null) {
        const mine = gridLayer.getLayers().filter((l) => M.BOOT.grids.includes(l.feature.properties.code));
        const bounds = L.featureGroup(mine.length ? mine : gridLayer.getLayers()).getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
      }
    }).catch(() => null);
  }

  function setPoint(lat, lng, accuracy, manual) {
    state.lat = lat;
    state.lon = lng;
    state.accuracy = manual ? null : accuracy;
    state.manual = manual;
    pin.setLatLng([lat, lng]);
    if (!map.hasLayer(pin)) pin.addTo(map);
    halo.setLatLng([lat, lng]).setRadius(manual ? 0 : accuracy || 0);
    if (!manual && !map.hasLayer(halo)) halo.addTo(map);
    if (!fitted || !manual) {
      if (!fitted) map.setView([lat, lng], Math.max(map.getZoom(), 17));
      fitted = true;
    }
    document.getElementById("use-gps").hidden = !manual || !lastFix;
    showError("location", false);
    locateSoon();
  }

  let lastFix = null;
  function onFix(pos) {
    lastFix = pos;
    const acc = Math.round(pos.coords.accuracy);
    const gps = document.getElementById("gps");
    gps.textContent = M.fmt(acc > 50 ? T.gpsPoor : T.gpsAccuracy, { m: acc });
    gps.className = "m-gps " + (acc > 50 ? "warn" : "ok");
    if (!state.manual) setPoint(pos.coords.latitude, pos.coords.longitude, acc, false);
    else document.getElementById("use-gps").hidden = false;
  }

  function onGpsError(err) {
    const why = { 1: T.gpsDenied, 2: T.gpsUnavailable, 3: T.gpsTimeout }[err.code] || err.message;
    const gps = document.getElementById("gps");
    if (lastFix) return;  // keep the last good fix
    gps.textContent = M.fmt(T.gpsFailed, { msg: why });
    gps.className = "m-gps warn";
  }

  function moveByHand(latlng) {
    setPoint(latlng.lat, latlng.lng, null, true);
    const gps = document.getElementById("gps");
    gps.textContent = T.manual;
    gps.className = "m-gps";
  }
  pin.on("dragend", () => moveByHand(pin.getLatLng()));
  map.on("click", (ev) => moveByHand(ev.latlng));
  document.getElementById("use-gps").addEventListener("click", () => {
    if (lastFix) { state.manual = false; onFix(lastFix); map.setView([state.lat, state.lon]); }
  });

  function locateSoon() {
    clearTimeout(locateTimer);
    locateTimer = setTimeout(locateNow, 400);
  }

  async function locateNow() {
    const place = document.getElementById("place");
    if (!navigator.onLine) {
      place.textContent = T.offlinePlace;
      place.className = "m-place";
      return;
    }
    const seq = ++locateSeq;
    place.textContent = T.locatingGrid;
    place.className = "m-place";
    let r;
    try {
      r = await M.api("/locate?lon=" + state.lon.toFixed(7) + "&lat=" + state.lat.toFixed(7));
    } catch (e) {
      r = { status: 0 };
    }
    if (seq !== locateSeq) return;  // the pin moved again meanwhile
    if (r.ok && r.body && r.body.grid) {
      const mine = M.BOOT.grids.includes(r.body.grid.code);
      place.innerHTML = `<b>${M.esc(r.body.grid.name)}</b> <span>${M.esc(r.body.community ? r.body.community.name : "")}</span>`
        + (mine ? "" : ` <em>${M.esc(T.notMine)}</em>`);
      place.className = "m-place ok";
      place.dataset.grid = r.body.grid.code;
    } else if (r.status === 404) {
      place.textContent = T.notLocated;
      place.className = "m-place warn";
      place.dataset.grid = "";
    } else {
      place.textContent = T.offlinePlace;
      place.className = "m-place";
    }
  }

  if ("geolocation" in navigator) {
    navigator.geolocation.watchPosition(onFix, onGpsError, { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
  } else {
    document.getElementById("gps").textContent = T.gpsNone;
  }

  /* ---- photos ---- */
  const photoInput = document.getElementById("photo-input");
  function renderPhotos() {
    const box = document.getElementById("photos");
    box.querySelectorAll(".m-thumb").forEach((el) => { URL.revokeObjectURL(el.dataset.url); el.remove(); });
    const add = document.getElementById("photo-add");
    state.photos.forEach((blob, i) => {
      const url = URL.createObjectURL(blob);
      const fig = document.createElement("figure");
      fig.className = "m-thumb";
      fig.dataset.url = url;
      fig.innerHTML = `<img src="${url}" alt=""><button type="button" aria-label="${M.esc(T.removePhoto)}">×</button>`;
      fig.querySelector("button").addEventListener("click", () => { state.photos.splice(i, 1); renderPhotos(); });
      box.insertBefore(fig, add);
    });
    add.hidden = state.photos.length >= 3;
  }
  photoInput.addEventListener("change", async () => {
    const files = Array.from(photoInput.files || []);
    photoInput.value = "";
    for (const file of files) {
      if (state.photos.length >= 3) { showError("photos", true, T.tooMany); break; }
      try {
        state.photos.push(await M.downscale(file, 1600, 0.85));
        showError("photos", false);
      } catch (e) {
        showError("photos", true, M.TEXT.imageError);
      }
    }
    renderPhotos();
  });

  /* ---- saving ---- */
  function showError(field, on, text) {
    const el = form.querySelector(`.m-error[data-for="${field}"]`);
    if (!el) return;
    if (text) el.textContent = text;
    el.hidden = !on;
  }

  function status(text, kind) {
    const el = document.getElementById("submit-status");
    el.textContent = text || "";
    el.className = "m-submit-status " + (kind || "");
    el.hidden = !text;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (state.saving) return;
    const description = document.getElementById("description").value.trim();
    const problems = { category: !state.category, location: state.lat === null, description: !description };
    Object.entries(problems).forEach(([k, bad]) => showError(k, bad));
    if (Object.values(problems).some(Boolean)) {
      status(T.fixErrors, "error");
      const first = form.querySelector(".m-error:not([hidden])");
      if (first) first.closest("fieldset").scrollIntoView({ behavior: "smooth", block: "start" });
      return;
    }
    state.saving = true;
    document.getElementById("submit").disabled = true;
    status(T.saving);
    const cat = DATA.categories.find((c) => c.code === state.category);
    try {
      await Outbox.add({
        key: KEY, categoryName: cat ? cat.name : state.category, photos: state.photos.slice(),
        fields: { category: state.category, lon: state.lon.toFixed(7), lat: state.lat.toFixed(7), crs: "wgs84",
          accuracy_m: state.accuracy == null ? "" : String(state.accuracy),
          address: document.getElementById("address").value.trim(), description,
          severity: form.querySelector("input[name=severity]:checked").value },
      });
    } catch (e) {
      state.saving = false;
      document.getElementById("submit").disabled = false;
      status(M.fmt(T.storeFailed, { msg: e.message }), "error");
      return;
    }
    countCategory(state.category);
    let item = await Outbox.get(KEY);
    if (navigator.onLine) {
      status(T.sendingNow);
      await Outbox.flush(true);
      item = await Outbox.get(KEY);
      if (item && item.status === "pending" && !item.attempts) {
        await Outbox.flush(true);  // a run already under way had not seen this case yet
        item = await Outbox.get(KEY);
      }
    }
    if (item && item.status === "sent" && item.caseId) {
      sessionStorage.setItem("m-flash", JSON.stringify(["ok", T.sentOk]));
      location.href = M.BOOT.urls.case.replace(/shell$/, String(item.caseId));
      return;
    }
    if (item && item.status === "failed") {
      state.saving = false;
      document.getElementById("submit").disabled = false;
      status(M.fmt(T.failed, { msg: item.error && item.error.message }), "error");
      return;
    }
    sessionStorage.setItem("m-flash", JSON.stringify(["warn", T.savedOffline]));
    location.href = M.BOOT.urls.tasks;
  });

  renderCategories(false);
  loadGrids();
  window.addEventListener("online", () => { if (state.lat !== null) locateSoon(); });
  window.addEventListener("offline", () => { if (state.lat !== null) locateNow(); });
})();
