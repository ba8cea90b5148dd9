/* One case: details, photos, timeline, and the actions the API says this worker may take. */
(function () {
  "use strict";
  const T = Object.assign({}, M.TEXT, JSON.parse(document.getElementById("m-case-text").textContent));
  const match = location.pathname.match(/\/cases\/(\d+)$/);
  const ID = match ? Number(match[1]) : null;
  // Actions a worker takes from the phone; the others (merge, evaluate…) need the desktop.
  const PHONE_ACTIONS = ["register", "dispatch", "start", "report", "close", "reopen", "escalate", "reject"];
  const FORWARD = ["register", "dispatch", "start", "report", "close"];
  let current = null, chosen = null, afterPhotos = [];

  function note(text) {
    const el = document.getElementById("case-note");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function photoList(photos, kind) {
    const mine = photos.filter((p) => p.kind === kind);
    if (!mine.length) return "";
    return `<div class="m-photo-row"><span class="m-muted">${M.esc(kind === "after" ? T.after : T.before)}</span>
      ${mine.map((p) => `<a href="${M.esc(p.url)}" target="_blank" rel="noopener"><img src="${M.esc(p.thumb_url)}" alt="" loading="lazy"></a>`).join("")}</div>`;
  }

  function renderCase(c) {
    current = c;
    document.getElementById("case-no").textContent = "#" + c.id;
    const place = [c.grid && c.grid.name, c.residential_area && c.residential_area.name, c.building && c.building.name]
      .filter(Boolean).join(" · ") || T.unlocated;
    let due = "";
    if (c.deadline) {
      const left = new Date(c.deadline).getTime() - Date.now();
      due = c.overdue ? `<span class="m-due over">${M.esc(M.fmt(T.overdueBy, { t: M.duration(left) }))}</span>`
        : `<span class="m-due ${left < 86400000 ? "soon" : ""}">${M.esc(M.fmt(T.dueIn, { t: M.duration(left) }))}</span>`;
    }
    const sev = c.severity >= 2 ? `<span class="m-sev s${c.severity}">${M.esc(T["severity" + c.severity])}</span>` : "";
    document.getElementById("case").innerHTML = `
      <section class="m-card m-case">
        <div class="m-item-head"><h2>${M.esc(c.category.name)}</h2>
          <span class="m-state st-${M.esc(c.state)}">${M.esc(M.BOOT.states[c.state] || c.state)}</span></div>
        <p class="m-case-meta">${due}${sev}<span>${M.esc(T.level)}: ${M.esc(M.BOOT.levels[c.level] || c.level)}</span></p>
        <p class="m-case-text">${M.esc(c.description)}</p>
        ${photoList(c.photos, "before")}${photoList(c.photos, "after")}
        <dl class="m-facts">
          <dt>${M.esc(T.place)}</dt><dd>${M.esc(place)}${c.address ? "<br>" + M.esc(c.address) : ""}
            ${c.snapped_m ? `<br><small>${M.esc(M.fmt(T.snapped, { m: Math.round(c.snapped_m) }))}</small>` : ""}</dd>
          <dt>${M.esc(T.reported)}</dt><dd>${M.esc(M.when(c.created_at))}</dd>
          ${c.deadline ? `<dt>${M.esc(T.deadline)}</dt><dd>${M.esc(M.when(c.deadline))}</dd>` : ""}
          <dt>${M.esc(T.resolveBy)}</dt><dd>${M.esc(M.when(c.resolve_by))}</dd>
        </dl>
      </section>`;
    document.getElementById("case").setAttribute("aria-busy", "false");
    renderActions(c);
  }

  function renderActions(c) {
    const section = document.getElementById("actions");
    const mine = (c.actions || []).filter((a) => PHONE_ACTIONS.includes(a));
    section.hidden = false;
    const buttons = document.getElementById("action-buttons");
    buttons.innerHTML = mine.length ? mine.map((a) => `<button type="button" data-action="${a}"
        class="${FORWARD.includes(a) ? "" : "secondary"}">${M.esc(M.BOOT.actions[a] || a)}</button>`).join("")
      : `<p class="m-empty">${M.esc(T.noActions)}</p>`;
    buttons.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => choose(b.dataset.action)));
    document.getElementById("action-form").hidden = true;
    buttons.hidden = false;
  }

  function choose(action) {
    chosen = action;
    afterPhotos = [];
    renderAfterPhotos();
    document.getElementById("action-title").textContent = M.BOOT.actions[action] || action;
    document.getElementById("action-submit").textContent = M.BOOT.actions[action] || action;
    document.getElementById("after-photo").hidden = action !== "report";
    document.getElementById("action-error").hidden = true;
    document.getElementById("action-note").value = "";
    document.getElementById("action-buttons").hidden = true;
    document.getElementById("action-form").hidden = false;
    document.getElementById("action-form").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function renderAfterPhotos() {
    const box = document.getElementById("after-photos");
    box.querySelectorAll(".m-thumb").forEach((el) => el.remove());
    const add = box.querySelector(".m-photo-add");
    afterPhotos.forEach((blob, i) => {
      const fig = document.createElement("figure");
      fig.className = "m-thumb";
      fig.innerHTML = `<img src="${URL.createObjectURL(blob)}" alt=""><button type="button" aria-label="×">×</button>`;
      fig.querySelector("button").addEventListener("click", () => { afterPhotos.splice(i, 1); renderAfterPhotos(); });
      box.insertBefore(fig, add);
    });
    add.hidden = afterPhotos.length >= 3;
  }

  document.getElementById("after-input").addEventListener("change", async (ev) => {
    const input = ev.target;
    for (const file of Array.from(input.files || [])) {
      if (afterPhotos.length >= 3) break;
      try { afterPhotos.push(await M.downscale(file, 1600, 0.85)); } catch (e) { actionError(M.TEXT.imageError); }
    }
    input.value = "";
    if (afterPhotos.length) actionError("");
    renderAfterPhotos();
  });

  document.getElementById("action-cancel").addEventListener("click", () => renderActions(current));

  function actionError(text) {
    const el = document.getElementById("action-error");
    el.textContent = text;
    el.hidden = !text;
  }

  document.getElementById("action-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!navigator.onLine) { actionError(T.offline); return; }
    if (chosen === "report" && !afterPhotos.length) { actionError(T.needPhoto); return; }
    const submit = document.getElementById("action-submit");
    submit.disabled = true;
    const body = new FormData();
    body.append("action", chosen);
    body.append("version", String(current.version));
    const text = document.getElementById("action-note").value.trim();
    if (text) body.append("note", text);
    afterPhotos.forEach((b, i) => body.append("photos", b, "after-" + (i + 1) + ".jpg"));
    let r;
    try {
      await M.csrf();
      r = await M.api("/cases/" + ID + "/transitions", { method: "POST", body });
    } catch (e) {
      r = { status: 0, body: { message: T.networkError } };
    }
    submit.disabled = false;
    if (r.ok) {
      M.flash(M.fmt(T.done, { action: M.BOOT.actions[chosen] || chosen }), "ok");
      renderCase(r.body);
      loadEvents();
    } else if (r.status === 409 && r.body && r.body.error === "stale_version") {
      M.flash(T.stale, "warn");
      load();
    } else {
      actionError((r.body && r.body.message) || String(r.status));
    }
  });

  function renderEvents(events) {
    document.getElementById("timeline").innerHTML = events.slice().reverse().map((e) => `
      <li><span class="m-dot"></span><div>
        <p><strong>${M.esc(M.BOOT.actions[e.action] || e.action)}</strong>
          ${e.from_state && e.from_state !== e.to_state ? `<span class="m-state st-${M.esc(e.to_state)}">${M.esc(M.BOOT.states[e.to_state] || e.to_state)}</span>` : ""}</p>
        <p class="m-item-meta">${M.esc(M.when(e.at))}${e.actor ? " · " + M.esc(e.actor) : ""}
          ${e.from_level && e.to_level !== e.from_level ? " · " + M.esc(M.BOOT.levels[e.to_level] || e.to_level) : ""}</p>
        ${e.note ? `<p class="m-item-text">${M.esc((e.note_by_system && M.BOOT.notes[e.note]) || e.note)}</p>` : ""}
      </div></li>`).join("");
  }

  async function loadEvents() {
    try {
      const r = await M.api("/cases/" + ID + "/events");
      if (r.ok) renderEvents(r.body.events);
    } catch (e) { /* the timeline waits for the network */ }
  }

  async function load() {
    if (ID === null) return;
    let r;
    try { r = await M.api("/cases/" + ID); } catch (e) { r = { status: 0 }; }
    if (r.ok) {
      renderCase(r.body);
      note(r.cached ? T.offline : "");
      if (r.cached) document.getElementById("actions").hidden = true;
    } else if (r.status === 404) {
      document.getElementById("case").innerHTML = `<p class="m-empty">${M.esc(T.notFound)}</p>`;
    } else if (r.status !== 401) {
      document.getElementById("case").innerHTML = `<p class="m-empty">${M.esc(M.fmt(T.loadFailed,
        { msg: (r.body && r.body.message) || T.networkError }))}</p>`;
    }
    loadEvents();
  }

  async function showDuplicates() {
    // The server lists open cases of the same kind nearby when this phone sent the case.
    const item = (await Outbox.all()).find((i) => i.caseId === ID && i.duplicates && i.duplicates.length);
    if (item && current && current.state === "collected" && document.getElementById("case-note").hidden) {
      note(M.fmt(T.possibleDuplicates, { ids: item.duplicates.map((d) => "#" + d.id).join(" ") }));
    }
  }

  load().then(showDuplicates).catch(() => null);
})();
