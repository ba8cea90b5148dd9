/* The member's phone home: claim / give up posts, sign up / withdraw, check in with the phone's position. */
(function () {
  "use strict";
  const BOOT = JSON.parse(document.getElementById("ps-boot").textContent);
  const T = BOOT.text;
  const flash = document.getElementById("ps-flash");
  const GEO_TIMEOUT_MS = 15000; // indoors a fix may never come: ask, then check in without it

  function say(text, kind) {
    flash.textContent = text;
    flash.className = "m-flash " + (kind || "");
    flash.hidden = false;
    window.scrollTo({ top: 0, behavior: "smooth" });
  }

  function fmt(text, values) {
    return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  }

  async function post(path, body) {
    const resp = await fetch(BOOT.api + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": BOOT.csrf },
      body: JSON.stringify(body || {}),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw Object.assign(new Error(data.message || String(resp.status)), { status: resp.status });
    return data;
  }

  /** The phone's position, or null when refused, unavailable or too slow. */
  function position() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }),
        () => resolve(null),
        { enableHighAccuracy: true, timeout: GEO_TIMEOUT_MS, maximumAge: 60000 });
    });
  }

  async function checkin(id) {
    say(T.locating);
    const where = await position();
    if (!where && !window.confirm(T.noPosition)) { flash.hidden = true; return null; }
    const row = await post(`/activities/${id}/checkin`, where ? { lon: where.lon, lat: where.lat, crs: "wgs84" } : {});
    return row.far_from_place ? fmt(T.far, { m: BOOT.farM }) : T.checkedIn;
  }

  const ACTIONS = {
    signup: (id) => post(`/activities/${id}/signup`).then(() => T.done),
    withdraw: (id) => (window.confirm(T.confirmWithdraw) ? post(`/activities/${id}/withdraw`).then(() => T.done) : null),
    checkin,
    claim: (id) => post(`/service-posts/${id}/claim`).then(() => T.done),
    release: (id) => (window.confirm(T.confirmRelease) ? post(`/service-posts/${id}/release`).then(() => T.done) : null),
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const item = button.closest("[data-activity], [data-post]");
    const id = item.dataset.activity || item.dataset.post;
    button.disabled = true;
    try {
      const done = await ACTIONS[button.dataset.act](id);
      if (done) {
        sessionStorage.setItem("ps-flash", done);
        window.location.reload();
      }
    } catch (err) {
      say(err.status ? fmt(T.failed, { msg: err.message }) : T.network, "warn");
    } finally {
      button.disabled = false;
    }
  });

  const kept = sessionStorage.getItem("ps-flash");
  if (kept) {
    sessionStorage.removeItem("ps-flash");
    say(kept, kept === T.done || kept === T.checkedIn ? "ok" : "warn");
  }
}());
