/* The visit form: how (home / phone / video), the finding, follow-up, the phone's position for a home
   visit (bounded wait; saved without one when there is none), and optionally 转为事件 in one go.
   Saving goes through the outbox like a case: the visit first, its case chained to the visit's key. */
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("m-visit-data").textContent);
  const T = DATA.text;
  const GPS_TIMEOUT_MS = 15000;
  const form = document.getElementById("visit-form");
  const residentId = Number((location.pathname.match(/\/visits\/(\d+)$/) || [])[1]);
  const newKey = () => (crypto.randomUUID && crypto.randomUUID()) || Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  // Made when the form opens: saving and every retry of this visit (and its case) carry the same keys.
  const KEY = newKey(), CASE_KEY = newKey();
  const state = { lon: null, lat: null, accuracy: null, saving: false, who: "" };

  /* ---- who is visited, from the due list last loaded ---- */
  async function loadResident() {
    let r;
    try { r = await M.api("/visits/due?limit=500"); } catch (e) { r = { ok: false }; }
    const found = r.ok && r.body.residents.find((x) => x.id === residentId);
    if (!found) {
      document.getElementById("who").hidden = true;
      document.getElementById("who-missing").hidden = false;
      state.who = "#" + residentId;
      return;
    }
    const flat = M.fmt(T.flat, { unit: found.unit || "–", room: found.room || "–" });
    state.who = `${found.name} · ${found.building_name || found.building} ${flat}`;
    document.getElementById("who-name").textContent = found.name;
    document.getElementById("who-flat").textContent = `${found.building_name || found.building} · ${flat}`;
    const level = document.getElementById("who-level");
    if (found.level) {
      level.className = "m-level lv-" + found.level;
      level.textContent = T.levels[found.level] || found.level;
    }
    document.getElementById("who").classList.add("lv-" + (found.level || "none"));
    document.getElementById("who-due").textContent = found.last_visit ? M.fmt(T.lastVisit, { when: M.when(found.last_visit) }) : T.neverVisited;
  }

  /* ---- the position of a home visit ---- */
  let gpsAsked = false;
  function gps(text, kind) {
    const el = document.getElementById("vgps");
    el.textContent = text;
    el.className = "m-gps " + (kind || "");
  }

  function locate() {
    if (kind() !== "home") {
      gps(T.noGpsNeeded);
      return;
    }
    if (state.lon !== null) {
      gps(M.fmt(T.gpsAccuracy, { m: state.accuracy }), "ok");
      return;
    }
    if (!("geolocation" in navigator)) {
      gps(T.gpsNone, "warn");
      return;
    }
    if (gpsAsked) return;
    gpsAsked = true;
    gps(T.locating);
    navigator.geolocation.getCurrentPosition((pos) => {
      state.lon = pos.coords.longitude;
      state.lat = pos.coords.latitude;
      state.accuracy = Math.round(pos.coords.accuracy);
      if (kind() === "home") gps(M.fmt(T.gpsAccuracy, { m: state.accuracy }), "ok");
    }, (err) => {
      gpsAsked = false;  // a later switch back to a home visit asks again
      const why = { 1: T.gpsDenied, 2: T.gpsUnavailable, 3: T.gpsTimeout }[err.code] || err.message;
      if (kind() === "home") gps(M.fmt(T.gpsFailed, { msg: why }), "warn");
    }, { enableHighAccuracy: true, timeout: GPS_TIMEOUT_MS, maximumAge: 60000 });
  }

  function kind() {
    return form.querySelector("input[name=kind]:checked").value;
  }
  form.querySelectorAll("input[name=kind]").forEach((i) => i.addEventListener("change", locate));

  /* ---- 转为事件 ---- */
  const select = document.getElementById("case-category");
  const groups = {};
  DATA.categories.forEach((c) => { (groups[c.group] = groups[c.group] || []).push(c); });
  select.innerHTML = `<option value="">${M.esc(T.chooseHint)}</option>` + Object.entries(groups).map(([g, cs]) =>
    `<optgroup label="${M.esc(g)}">${cs.map((c) => `<option value="${M.esc(c.code)}">${M.esc(c.name)}</option>`).join("")}</optgroup>`).join("");
  const makeCase = document.getElementById("make-case");
  makeCase.addEventListener("change", () => {
    document.getElementById("case-fields").hidden = !makeCase.checked;
    document.getElementById("submit").textContent = makeCase.checked ? T.saveAndCase : T.save;
  });

  function status(text, kind) {
    const el = document.getElementById("submit-status");
    el.textContent = text || "";
    el.className = "m-submit-status" + (kind ? " " + kind : "");
    el.hidden = !text;
  }

  function caseError(text) {
    const el = form.querySelector(".m-error[data-for=case]");
    el.textContent = text || "";
    el.hidden = !text;
    if (text) el.closest("fieldset").scrollIntoView({ behavior: "smooth", block: "start" });
    return !text;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (state.saving) return;
    const finding = document.getElementById("finding").value.trim();
    const category = select.value;
    if (makeCase.checked && !caseError(!category ? T.chooseCategory : !finding ? T.needFinding : "")) return;
    if (!makeCase.checked) caseError("");
    state.saving = true;
    document.getElementById("submit").disabled = true;
    status(T.saving);
    const home = kind() === "home" && state.lon !== null;
    const fields = { resident_id: residentId, kind: kind(), finding, follow_up: document.getElementById("follow-up").checked,
      at: new Date().toISOString() };  // when it happened, not when the network let it through
    if (home) Object.assign(fields, { lon: Number(state.lon.toFixed(7)), lat: Number(state.lat.toFixed(7)), crs: "wgs84" });
    try {
      await Outbox.add({ key: KEY, kind: "visit", title: state.who, fields });
      if (makeCase.checked) {
        const cat = DATA.categories.find((c) => c.code === category);
        await Outbox.add({ key: CASE_KEY, kind: "visit_case", after: KEY, title: cat ? cat.name : category,
          finding, fields: { category } });
      }
    } catch (e) {
      state.saving = false;
      document.getElementById("submit").disabled = false;
      status(M.fmt(T.storeFailed, { msg: e.message }), "error");
      return;
    }
    let visit = await Outbox.get(KEY);
    if (navigator.onLine) {
      status(T.sendingNow);
      await Outbox.flush(true);
      visit = await Outbox.get(KEY);
      if (visit && visit.status === "pending" && !visit.attempts) {
        await Outbox.flush(true);  // a run already under way had not seen this visit yet
        visit = await Outbox.get(KEY);
      }
    }
    if (visit && visit.status === "failed") {
      state.saving = false;
      document.getElementById("submit").disabled = false;
      status(M.fmt(T.failed, { msg: visit.error && visit.error.message }), "error");
      return;
    }
    let message = ["warn", T.savedOffline];
    if (visit && visit.status === "sent") {
      const made = makeCase.checked ? await Outbox.get(CASE_KEY) : null;
      if (made && made.status === "sent") message = ["ok", M.fmt(T.sentCase, { id: made.caseId })];
      else if (visit.farFromHome) message = ["warn", M.fmt(T.sentFar, { m: M.BOOT.farFromHomeM })];
      else message = ["ok", T.sentOk];
    }
    sessionStorage.setItem("m-flash", JSON.stringify(message));
    location.href = M.BOOT.urls.visits;
  });

  loadResident();
  locate();
})();
