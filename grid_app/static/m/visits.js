/* 走访: the key residents of my grids with their next visit, overdue first, then by due date (as the
   case list), from the last list fetched when offline; the visits and visit cases still on the phone,
   and 转为事件 for a visit already sent. */
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("m-visits-data").textContent);
  const T = Object.assign({}, M.TEXT, DATA.text);
  const DUE_URL = "/visits/due?limit=500";  // the form reads the same answer, so the worker caches one
  const LEVEL_ORDER = { red: 0, yellow: 1, green: 2 };

  function visitUrl(id) {
    return M.BOOT.urls.visit.replace(/shell$/, String(id));
  }

  function dueLabel(r, now) {
    const left = new Date(r.next_due).getTime() - now;
    if (r.overdue) return `<span class="m-due over">${M.esc(M.fmt(T.overdueBy, { t: M.duration(left) }))}</span>`;
    if (r.due) return `<span class="m-due soon">${M.esc(T.dueToday)}</span>`;
    return `<span class="m-due">${M.esc(M.fmt(T.dueIn, { t: M.duration(left) }))}</span>`;
  }

  function flat(r) {
    return [r.building_name || r.building, M.fmt(T.flat, { unit: r.unit || "–", room: r.room || "–" })].join(" · ");
  }

  function render(body, pending) {
    const list = document.getElementById("visits-list");
    list.setAttribute("aria-busy", "false");
    const rows = body.residents.slice();
    // Overdue first, then the one due soonest, the more urgent care level on a tie (the API orders so too).
    rows.sort((a, b) => (b.overdue - a.overdue) || (a.next_due < b.next_due ? -1 : a.next_due > b.next_due ? 1 : 0)
      || ((LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9)));
    const now = Date.now();
    const overdue = rows.filter((r) => r.overdue).length;
    document.getElementById("n-overdue").textContent = overdue;
    document.getElementById("n-due").textContent = rows.filter((r) => r.due && !r.overdue).length;
    document.getElementById("n-total").textContent = body.total;
    const badge = document.getElementById("m-visits-badge");
    if (badge) { badge.hidden = overdue === 0; badge.textContent = overdue; }
    const more = document.getElementById("visits-more");
    more.hidden = body.total <= rows.length;
    more.textContent = M.fmt(T.more, { n: rows.length, total: body.total });
    if (!rows.length) {
      list.innerHTML = `<li class="m-empty">${M.esc(T.empty)}</li>`;
      return;
    }
    list.innerHTML = rows.map((r) => {
      const level = r.level ? `<span class="m-level lv-${M.esc(r.level)}">${M.esc(T.levels[r.level] || r.level)}</span>` : "";
      const tags = (r.tags || []).map((t) => M.esc(M.BOOT.lang === "zh" ? t.name : t.name_en)).join("、");
      const last = r.last_visit ? M.fmt(T.lastVisit, { when: M.when(r.last_visit) }) : T.neverVisited;
      const waiting = pending[r.id] ? `<span class="m-chip-status s-pending">${M.esc(T.onPhone)}</span>` : "";
      return `<li class="m-item v-row lv-${M.esc(r.level || "none")}${r.overdue ? " t-over" : ""}" data-resident="${r.id}">
        <a href="${visitUrl(r.id)}">
        <div class="m-item-head"><strong>${M.esc(r.name)}</strong>${level}</div>
        <p class="m-item-text">${M.esc(flat(r))}${tags ? ` · <span class="m-muted">${tags}</span>` : ""}</p>
        <p class="m-item-meta">${dueLabel(r, now)}<span>${M.esc(last)}</span>${waiting}</p>
      </a></li>`;
    }).join("");
  }

  async function pendingByResident() {
    const found = {};
    for (const i of await Outbox.all()) {
      if (i.kind === "visit" && i.status !== "sent" && i.user === M.BOOT.user) found[i.fields.resident_id] = true;
    }
    return found;
  }

  let lastBody = null;
  async function load() {
    const note = document.getElementById("visits-note");
    let r;
    try {
      r = await M.api(DUE_URL);
    } catch (e) {
      r = { status: 0 };
    }
    if (r.ok) {
      lastBody = r.body;
      render(r.body, await pendingByResident());
      note.hidden = !r.cached;
      note.textContent = T.offlineData;
    } else if (r.status !== 401) {
      note.hidden = false;
      note.textContent = M.fmt(T.loadFailed, { msg: (r.body && r.body.message) || T.networkError });
      document.getElementById("visits-list").innerHTML = "";
    }
  }

  /* ---- the visits and visit cases on this phone, with 转为事件 for a sent visit ---- */
  function toCaseButton(items) {
    return (i) => {
      if (i.kind !== "visit" || i.user !== M.BOOT.user) return "";
      // 记录微心愿 once the visit is on the server (the wish names the visit by its id)
      const wish = i.visitId && DATA.wishUrl
        ? `<a class="m-link" style="display:inline-flex;align-items:center" href="${M.esc(DATA.wishUrl)}?visit=${encodeURIComponent(i.visitId)}">${M.esc(T.wish)}</a>` : "";
      if (items.some((x) => x.after === i.key)) return wish && `<div class="m-item-actions">${wish}</div>`;  // one case per visit
      return `<div class="m-item-actions"><button type="button" class="secondary" data-to-case="${M.esc(i.key)}">${M.esc(T.toCase)}</button>${wish}</div>`;
    };
  }

  function categoryOptions(select) {
    const groups = {};
    DATA.categories.forEach((c) => { (groups[c.group] = groups[c.group] || []).push(c); });
    select.innerHTML = `<option value="">${M.esc(T.chooseHint)}</option>` + Object.entries(groups).map(([g, cs]) =>
      `<optgroup label="${M.esc(g)}">${cs.map((c) => `<option value="${M.esc(c.code)}">${M.esc(c.name)}</option>`).join("")}</optgroup>`).join("");
  }

  function openCaseForm(li, visit) {
    if (li.querySelector(".m-to-case")) return;
    const form = document.getElementById("to-case-form").content.firstElementChild.cloneNode(true);
    categoryOptions(form.elements.category);
    form.elements.description.value = visit.fields.finding || "";
    const opener = li.querySelector("[data-to-case]").parentElement;
    opener.hidden = true;
    form.querySelector("[data-cancel]").addEventListener("click", () => { form.remove(); opener.hidden = false; renderOutbox(); });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const error = form.querySelector(".m-error");
      const category = form.elements.category.value, description = form.elements.description.value.trim();
      error.hidden = !!(category && description);
      error.textContent = !category ? T.chooseCategory : T.describe;
      if (!category || !description) return;
      form.querySelector("button[type=submit]").disabled = true;
      await queueCase(visit, category, description);
      form.remove();
      renderOutbox();
      M.flash(T.caseQueued, "ok");
      Outbox.flush(true);
    });
    li.appendChild(form);
    form.elements.category.focus();
  }

  async function renderOutbox() {
    if (document.querySelector("#visit-outbox-list .m-to-case")) return;  // never wipe a form being filled in
    const all = await Outbox.all();
    OutboxView.badge(all);
    const flash = document.getElementById("m-flash");
    if (flash.classList.contains("warn") && !all.some((i) => i.user === M.BOOT.user && i.status !== "sent")) {
      M.flash("");  // "saved on the phone" no longer holds: everything has been sent
    }
    const items = all.filter((i) => i.kind === "visit" || i.kind === "visit_case").reverse();
    document.getElementById("visit-outbox-section").hidden = items.length === 0;
    const list = document.getElementById("visit-outbox-list");
    await OutboxView.render(list, items, toCaseButton(items));
    list.querySelectorAll("[data-to-case]").forEach((b) => b.addEventListener("click", () => {
      openCaseForm(b.closest("li"), items.find((i) => i.key === b.dataset.toCase));
    }));
    if (lastBody) render(lastBody, await pendingByResident());
  }

  /** Queue 转为事件 for a visit on this phone; the outbox sends it after the visit. */
  async function queueCase(visit, category, description) {
    const cat = DATA.categories.find((c) => c.code === category);
    const fields = { category };
    if (description !== (visit.fields.finding || "")) fields.description = description;
    await Outbox.add({ key: newKey(), kind: "visit_case", after: visit.key, title: cat ? cat.name : category,
      finding: description, fields });
  }

  function newKey() {
    return (crypto.randomUUID && crypto.randomUUID()) || Array.from(crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let renderTimer = null, loadTimer = null;
  window.addEventListener("outbox-change", () => {
    clearTimeout(renderTimer);
    renderTimer = setTimeout(renderOutbox, 100);
    clearTimeout(loadTimer);
    loadTimer = setTimeout(load, 800);  // a visit just sent moves its resident's next visit
  });
  window.addEventListener("online", load);
  renderOutbox();
  load();
})();
