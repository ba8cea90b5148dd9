/* The outbox: cases and visits logged on the phone are kept in IndexedDB (photos as Blobs) until the
   server has them. Each carries the idempotency key made when its form was opened, so a send that timed
   out and is tried again finds the same record on the server instead of making a second one.
   Three kinds of item: a case (the default), a visit (走访), and a visit's case (转为事件), which names
   its visit by the visit's key and is sent only once that visit has arrived. */
(function () {
  "use strict";
  const DB_NAME = "grid-m", STORE = "outbox", LOCK = "grid-m-outbox";
  const KEEP_SENT_MS = 3 * 24 * 3600 * 1000;
  const TIMEOUT_MS = 60000;
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("grid-m-outbox") : null;
  let dbPromise = null, timer = null, running = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => {
          const store = req.result.createObjectStore(STORE, { keyPath: "key" });
          store.createIndex("user", "user");
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }

  async function tx(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      let result;
      const req = work(t.objectStore(STORE));
      if (req) req.onsuccess = () => { result = req.result; };
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error("transaction aborted"));
    });
  }

  function changed() {
    window.dispatchEvent(new CustomEvent("outbox-change"));
    if (channel) channel.postMessage("change");
  }
  if (channel) channel.onmessage = () => window.dispatchEvent(new CustomEvent("outbox-change"));

  /** Every outbox item of this phone, oldest first. */
  async function all() {
    const items = await tx("readonly", (s) => s.getAll());
    return (items || []).sort((a, b) => a.createdAt - b.createdAt);
  }

  async function get(key) {
    return tx("readonly", (s) => s.get(key));
  }

  /** Store a new case to send (the form's key is its identity). */
  async function add(item) {
    const full = Object.assign({ status: "pending", attempts: 0, nextTry: 0, createdAt: Date.now(),
      user: M.BOOT.user, error: null, caseId: null }, item);
    await tx("readwrite", (s) => s.put(full));
    changed();
    return full;
  }

  async function update(key, patch) {
    const item = await get(key);
    if (!item) return null;
    Object.assign(item, patch);
    await tx("readwrite", (s) => s.put(item));
    changed();
    return item;
  }

  async function remove(key) {
    await tx("readwrite", (s) => s.delete(key));
    changed();
  }

  /** Put a failed item back in the queue. */
  async function retry(key) {
    await update(key, { status: "pending", attempts: 0, nextTry: 0, error: null });
    return flush(true);
  }

  function backoff(attempts) {
    const base = Math.min(300000, 2000 * Math.pow(2, Math.max(0, attempts - 1)));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /* How each kind of item is sent, and what of the answer is kept. */
  const KINDS = {
    case: {
      request: (item) => ({ url: "/cases", body: formOf(item), headers: {} }),
      sent: (body) => ({ caseId: body && body.id, grid: body && body.grid,
        duplicates: body && body.possible_duplicates || [] }),
    },
    visit: {
      request: (item) => json("/visits", item),
      sent: (body) => ({ visitId: body && body.id, farFromHome: !!(body && body.far_from_home) }),
    },
    visit_case: {
      // By the visit's key: the case needs no server id, so it can be queued while the visit is too.
      request: (item) => json("/visits/by-key/" + encodeURIComponent(item.after) + "/case", item),
      sent: (body) => ({ caseId: body && body.id, grid: body && body.grid }),
    },
  };

  function json(url, item) {
    return { url, body: JSON.stringify(Object.assign({}, item.fields, { idempotency_key: item.key })),
      headers: { "Content-Type": "application/json" } };
  }

  /** A visit's case waits while its visit is still on this phone and not yet sent. */
  async function blocked(item) {
    if (item.kind !== "visit_case") return false;
    const visit = await get(item.after);
    return !!visit && visit.status !== "sent";
  }

  function formOf(item) {
    const form = new FormData();
    for (const [k, v] of Object.entries(item.fields)) {
      if (v !== null && v !== undefined && v !== "") form.append(k, v);
    }
    form.append("idempotency_key", item.key);
    (item.photos || []).forEach((blob, i) => form.append("photos", blob, "photo-" + (i + 1) + ".jpg"));
    return form;
  }

  /** One attempt; returns "sent", "failed", "retry", "offline" or "auth". */
  async function sendOne(item) {
    const kind = KINDS[item.kind || "case"];
    await update(item.key, { status: "sending", lastTry: Date.now() });
    const ctrl = new AbortController();
    const timeout = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
    const req = kind.request(item);
    let resp, body = null;
    try {
      resp = await fetch(M.BOOT.urls.api + req.url, {
        method: "POST", body: req.body, credentials: "same-origin", signal: ctrl.signal,
        headers: Object.assign({ Accept: "application/json", "X-CSRFToken": M.BOOT.csrf }, req.headers),
      });
      try { body = await resp.json(); } catch (e) { body = null; }
    } catch (e) {
      // Timed out or no network: the server may or may not have the case; the key makes retrying safe.
      const attempts = (item.attempts || 0) + 1;
      await update(item.key, { status: "pending", attempts, nextTry: Date.now() + backoff(attempts),
        error: { status: 0, code: "network", message: M.TEXT.networkError } });
      return navigator.onLine ? "retry" : "offline";
    } finally {
      clearTimeout(timeout);
    }
    if (resp.status === 200 || resp.status === 201) {
      await update(item.key, Object.assign({ status: "sent", sentAt: Date.now(), photos: [], error: null },
        kind.sent(body)));
      return "sent";
    }
    if (resp.status === 401) {
      M.showAuth(true);
      await update(item.key, { status: "pending", error: { status: 401, code: "login", message: M.TEXT.loginAgain } });
      return "auth";
    }
    if (resp.status === 400 && body && body.error === "csrf_failed") {
      await update(item.key, { status: "pending" });
      return "csrf";
    }
    if (resp.status >= 400 && resp.status < 500 && resp.status !== 408 && resp.status !== 429) {
      await update(item.key, { status: "failed", error: { status: resp.status, code: body && body.error,
        message: (body && body.message) || resp.statusText } });
      return "failed";
    }
    const attempts = (item.attempts || 0) + 1;
    await update(item.key, { status: "pending", attempts, nextTry: Date.now() + backoff(attempts),
      error: { status: resp.status, code: body && body.error,
        message: M.fmt(M.TEXT.serverError, { status: resp.status }) } });
    return "retry";
  }

  async function run(force) {
    if (!navigator.onLine) return;
    const mine = (await all()).filter((i) => i.user === M.BOOT.user && (i.status === "pending" || i.status === "sending"));
    const due = mine.filter((i) => force || !i.nextTry || i.nextTry <= Date.now());
    if (due.length) {
      try {
        await M.csrf();
        M.showAuth(false);
      } catch (e) {
        if (e.status === 401) { M.showAuth(true); return; }
        schedule(10000);
        return;  // no network or server down: try again later
      }
    }
    for (const item of due) {
      if (await blocked(item)) continue;  // checked now: its visit may have been sent a moment ago
      let outcome = await sendOne(item);
      if (outcome === "csrf") {
        await M.csrf().catch(() => null);
        outcome = await sendOne(await get(item.key));
      }
      if (outcome === "offline" || outcome === "auth") break;
    }
    const waiting = [];
    for (const i of await all()) {
      if (i.user === M.BOOT.user && i.status === "pending" && !(await blocked(i))) waiting.push(i);
    }
    if (waiting.length) schedule(Math.max(1000, Math.min(...waiting.map((i) => (i.nextTry || 0) - Date.now()))));
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(() => flush(false), ms);
  }

  /** Send what is due (everything when forced); one run at a time, across tabs too. */
  function flush(force) {
    if (running) return running;
    const go = () => run(force);
    running = (navigator.locks ? navigator.locks.request(LOCK, go) : go())
      .catch((e) => console.warn("outbox", e))
      .finally(() => { running = null; });
    return running;
  }

  /** Drop sent items older than a few days; the server has them. */
  async function prune() {
    const old = (await all()).filter((i) => i.status === "sent" && Date.now() - (i.sentAt || 0) > KEEP_SENT_MS);
    for (const i of old) await tx("readwrite", (s) => s.delete(i.key));
  }

  window.addEventListener("online", () => flush(true));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(false); });
  window.addEventListener("load", () => { prune().then(() => flush(true)); });

  window.Outbox = { all, get, add, update, remove, retry, flush, sendOne, blocked };
})();
