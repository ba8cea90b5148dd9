/* The phone app's service worker (served from /m/sw.js, CONFIG is prepended by the server).
   Shell (pages, scripts, styles, Leaflet) cache-first so the app opens without a network;
   API reads network-first with the last answer kept for offline; map tiles kept when seen and
   replaced by a blank tile when they cannot load. Writes (POST) are never touched here. */
/* global CONFIG */
"use strict";
const SHELL = "m-shell-" + CONFIG.version;
const DATA = "m-data";
const TILES = "m-tiles";
const MAX_TILES = 600;
const SCOPE = new URL(self.registration.scope).pathname;
const BLANK_TILE = Uint8Array.from(atob(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0));
// The visits due are personal data (masked): kept in m-data, which logging out clears (common.js).
const CACHED_API = [/^\/api\/v1\/(categories|me|grids)$/, /^\/api\/v1\/cases$/, /^\/api\/v1\/cases\/\d+(\/events)?$/,
  /^\/api\/v1\/visits\/due$/];
const PHOTO = /^\/api\/v1\/cases\/\d+\/photos\/\d+$/;
const CASE_PAGE = new RegExp("^" + SCOPE + "cases/\\d+$");
const VISIT_PAGE = new RegExp("^" + SCOPE + "visits/\\d+$");

function tileHost() {
  const host = new URL(CONFIG.tileUrl.replace("{s}", "SUB").replace(/\{[a-z]\}/g, "0")).hostname;
  return new RegExp("^" + host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("SUB", "[a-z0-9]+") + "$");
}
const TILE_HOST = tileHost();

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(CONFIG.static);
    // Pages need the login: keep only real pages, never a redirect to the login form.
    await Promise.all(CONFIG.pages.map(async (url) => {
      try {
        const resp = await fetch(url, { credentials: "same-origin", redirect: "manual" });
        if (resp.ok && resp.type === "basic") await cache.put(url, resp);
      } catch (e) { /* offline while installing: the page is cached when next opened */ }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("m-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function offlineJson() {
  return new Response(JSON.stringify({ error: "offline", message: "offline" }),
    { status: 503, headers: { "Content-Type": "application/json" } });
}

function fromCache(resp) {
  const headers = new Headers(resp.headers);
  headers.set("X-From-Cache", "1");
  return new Response(resp.body, { status: resp.status, statusText: resp.statusText, headers });
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/** Pages: the cached copy at once, refreshed in the background (stale-while-revalidate). */
async function page(event, url) {
  const key = CASE_PAGE.test(url.pathname) ? CONFIG.caseShell
    : VISIT_PAGE.test(url.pathname) ? CONFIG.visitShell : url.pathname;
  const cache = await caches.open(SHELL);
  const network = fetch(event.request).then(async (resp) => {
    if (resp.ok && resp.type === "basic" && !resp.redirected) await cache.put(key, resp.clone());
    return resp;
  });
  const cached = url.search ? null : await cache.match(key);
  if (cached) {
    event.waitUntil(network.catch(() => null));
    return cached;
  }
  try {
    return await network;
  } catch (e) {
    const fallback = await cache.match(key);
    return fallback || new Response("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
      + "<p style='font:18px sans-serif;padding:2rem'>离线：此页面尚未保存在手机上。<br>Offline: this page is not saved on the phone yet.</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
}

async function staticFile(event) {
  const hit = await caches.match(event.request, { ignoreSearch: true });
  if (hit) return hit;
  const resp = await fetch(event.request);
  if (resp.ok) (await caches.open(SHELL)).put(event.request, resp.clone());
  return resp;
}

/** API reads: the network when it answers within a few seconds, else the last answer kept. */
async function apiRead(event) {
  const cache = await caches.open(DATA);
  const network = fetch(event.request).then(async (resp) => {
    if (resp.ok) await cache.put(event.request, resp.clone());
    return resp;
  });
  try {
    return await withTimeout(network, 6000);
  } catch (e) {
    const hit = await cache.match(event.request);
    if (hit) {
      event.waitUntil(network.catch(() => null));
      return fromCache(hit);
    }
    return network.catch(() => offlineJson());
  }
}

async function photo(event) {
  const cache = await caches.open(DATA);
  const hit = await cache.match(event.request);
  if (hit) return hit;
  const resp = await fetch(event.request);
  if (resp.ok) await cache.put(event.request, resp.clone());
  return resp;
}

async function tile(event) {
  const cache = await caches.open(TILES);
  const hit = await cache.match(event.request);
  if (hit) return hit;
  try {
    const resp = await withTimeout(fetch(event.request), 5000);
    if (resp.ok || resp.type === "opaque") {
      await cache.put(event.request, resp.clone());
      const keys = await cache.keys();
      for (const old of keys.slice(0, Math.max(0, keys.length - MAX_TILES))) await cache.delete(old);
      return resp;
    }
  } catch (e) { /* no tiles on this network: a blank tile keeps the map and its outlines usable */ }
  return new Response(BLANK_TILE, { headers: { "Content-Type": "image/png" } });
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) {
    if (TILE_HOST.test(url.hostname)) event.respondWith(tile(event));
    return;
  }
  if (req.mode === "navigate") {
    if (url.pathname.startsWith(SCOPE)) event.respondWith(page(event, url));
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === SCOPE + "manifest.webmanifest") {
    event.respondWith(staticFile(event));
  } else if (PHOTO.test(url.pathname)) {
    event.respondWith(photo(event));
  } else if (CACHED_API.some((re) => re.test(url.pathname))) {
    event.respondWith(apiRead(event));
  } else if (url.pathname === "/api/v1/locate") {
    event.respondWith(fetch(req).catch(() => offlineJson()));
  }
});
