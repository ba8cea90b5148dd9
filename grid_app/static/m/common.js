/* Shared by every page of the phone app: boot data, texts, API calls, photos, network banner. */
(function () {
  "use strict";
  const BOOT = JSON.parse(document.getElementById("m-boot").textContent);
  const TEXT = JSON.parse(document.getElementById("m-text").textContent);

  /** Fill {name} placeholders of a text. */
  function fmt(text, values) {
    return String(text).replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));
  }

  /** Escape user text before it goes into HTML. */
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  /** A short duration such as "3 h" or "2 d". */
  function duration(ms) {
    const min = Math.max(1, Math.round(Math.abs(ms) / 60000));
    if (min < 60) return fmt(TEXT.minutes, { n: min });
    const h = Math.round(min / 60);
    if (h < 48) return fmt(TEXT.hours, { n: h });
    return fmt(TEXT.days, { n: Math.round(h / 24) });
  }

  /** Date and time in the page's language, short. */
  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleString(BOOT.lang === "zh" ? "zh-CN" : "en-GB",
      { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  /** A fresh CSRF token (a page served from the offline cache may hold an expired one). */
  async function csrf() {
    const resp = await fetch(BOOT.urls.csrf, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (resp.status === 401) throw Object.assign(new Error("unauthorized"), { status: 401 });
    if (!resp.ok) throw Object.assign(new Error("csrf " + resp.status), { status: resp.status });
    BOOT.csrf = (await resp.json()).csrf;
    return BOOT.csrf;
  }

  /** Call the API; resolves {status, body}; rejects only when the network fails. */
  async function api(path, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    if (opts.method && opts.method !== "GET") opts.headers["X-CSRFToken"] = BOOT.csrf;
    const resp = await fetch(BOOT.urls.api + path, opts);
    let body = null;
    try { body = await resp.json(); } catch (e) { body = null; }
    if (resp.status === 401) showAuth(true);
    return { status: resp.status, ok: resp.ok, body: body, cached: resp.headers.get("X-From-Cache") === "1" };
  }

  /** Downscale a camera photo to at most `max` px on its long side, as JPEG. */
  async function downscale(file, max, quality) {
    max = max || 1600;
    let source;
    try {
      source = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (e) {
      source = await new Promise((resolve, reject) => {
        const img = new Image();
        img.onload = () => resolve(img);
        img.onerror = () => reject(new Error(TEXT.imageError));
        img.src = URL.createObjectURL(file);
      });
    }
    const w0 = source.width || source.naturalWidth, h0 = source.height || source.naturalHeight;
    const scale = Math.min(1, max / Math.max(w0, h0));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(w0 * scale));
    canvas.height = Math.max(1, Math.round(h0 * scale));
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    if (source.close) source.close();
    return new Promise((resolve, reject) => canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error(TEXT.imageError))), "image/jpeg", quality || 0.85));
  }

  function showAuth(on) {
    const el = document.getElementById("m-auth");
    if (el) el.hidden = !on;
  }

  function showNet() {
    const el = document.getElementById("m-net");
    if (el) el.hidden = navigator.onLine;
    document.body.classList.toggle("offline", !navigator.onLine);
  }

  /** Show a message in the page's flash box. */
  function flash(text, kind) {
    const el = document.getElementById("m-flash");
    if (!el) return;
    el.textContent = text;
    el.className = "m-flash" + (kind ? " " + kind : "");
    el.hidden = !text;
  }

  /** Forget cached pages and data (on logout or language change); keep scripts, styles and the outbox. */
  async function clearCaches() {
    if (!window.caches) return;
    for (const name of await caches.keys()) {
      if (name === "m-data") await caches.delete(name);
      if (!name.startsWith("m-shell-")) continue;
      const cache = await caches.open(name);
      for (const req of await cache.keys()) {
        if (!new URL(req.url).pathname.startsWith("/static/")) await cache.delete(req);
      }
    }
  }

  window.addEventListener("online", showNet);
  window.addEventListener("offline", showNet);
  document.addEventListener("DOMContentLoaded", () => {
    showNet();
    const carried = sessionStorage.getItem("m-flash");
    if (carried) {
      sessionStorage.removeItem("m-flash");
      const [kind, text] = JSON.parse(carried);
      flash(text, kind);
    }
    document.querySelectorAll("a[data-lang]").forEach((a) => a.addEventListener("click", async (ev) => {
      ev.preventDefault();
      await clearCaches();
      location.href = a.href;
    }));
    const logout = document.getElementById("m-logout");
    if (logout) logout.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      // The page may come from the offline cache with an expired token: get a fresh one first.
      try { logout.elements.csrf_token.value = await csrf(); } catch (e) { /* the server will say */ }
      await clearCaches();
      logout.submit();
    });
  });

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(BOOT.urls.sw, { scope: BOOT.urls.tasks }).catch((e) => {
      console.warn("service worker not registered", e);
    });
  }

  window.M = { BOOT, TEXT, fmt, esc, duration, when, csrf, api, downscale, flash, showAuth, clearCaches };
})();
