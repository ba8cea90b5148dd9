/* My tasks: what is still on the phone (cases and visits: pending, sending, failed, recently sent)
   and the open cases of my grids, overdue first, then the ones due soonest. */
(function () {
  "use strict";
  const T = M.TEXT;
  const OPEN = "collected,registered,dispatched,handling,reported";
  const DAY = 24 * 3600 * 1000;

  const caseUrl = OutboxView.caseUrl;

  async function renderOutbox() {
    const items = (await Outbox.all()).reverse();
    document.getElementById("outbox-section").hidden = items.length === 0;
    OutboxView.badge(items);
    await OutboxView.render(document.getElementById("outbox-list"), items);
  }

  function deadlineChip(c) {
    if (!c.deadline) return "";
    const left = new Date(c.deadline).getTime() - Date.now();
    if (c.overdue || left < 0) return `<span class="m-due over">${M.esc(M.fmt(T.overdueBy, { t: M.duration(left) }))}</span>`;
    return `<span class="m-due ${left < DAY ? "soon" : ""}">${M.esc(M.fmt(T.dueIn, { t: M.duration(left) }))}</span>`;
  }

  function renderCases(cases) {
    const list = document.getElementById("tasks-list");
    list.setAttribute("aria-busy", "false");
    // Overdue first, then by deadline; the API already orders by deadline, this keeps it explicit.
    cases.sort((a, b) => (b.overdue - a.overdue) || ((a.deadline || "9") < (b.deadline || "9") ? -1 : 1));
    const now = Date.now();
    document.getElementById("n-overdue").textContent = cases.filter((c) => c.overdue).length;
    document.getElementById("n-soon").textContent = cases.filter((c) => !c.overdue && c.deadline
      && new Date(c.deadline).getTime() - now < DAY).length;
    document.getElementById("n-open").textContent = cases.length;
    if (!cases.length) {
      list.innerHTML = `<li class="m-empty">${M.esc(T.tasksEmpty)}</li>`;
      return;
    }
    list.innerHTML = cases.map((c) => `
      <li class="m-item${c.overdue ? " t-over" : ""}"><a href="${caseUrl(c.id)}">
        <div class="m-item-head"><strong>${M.esc(c.category.name)}</strong>
          <span class="m-state st-${M.esc(c.state)}">${M.esc(M.BOOT.states[c.state] || c.state)}</span></div>
        <p class="m-item-text">${M.esc(c.description)}</p>
        <p class="m-item-meta">${deadlineChip(c)}<span>${M.esc(c.grid ? c.grid.name : T.unlocated)}</span>
          ${c.address ? `<span>${M.esc(c.address)}</span>` : ""}<span class="m-id">#${c.id}</span></p>
      </a></li>`).join("");
  }

  async function loadCases() {
    const note = document.getElementById("tasks-note");
    let r;
    try {
      r = await M.api("/cases?order=deadline&limit=200&area=mine&state=" + OPEN);
    } catch (e) {
      r = { status: 0 };
    }
    if (r.ok) {
      renderCases(r.body.cases);
      note.hidden = !r.cached;
      note.textContent = T.offlineData;
    } else if (r.status !== 401) {
      note.hidden = false;
      note.textContent = M.fmt(T.loadFailed, { msg: (r.body && r.body.message) || T.networkError });
      document.getElementById("tasks-list").innerHTML = "";
    }
  }

  /** Cases I logged outside the grids I work: followed read-only, as their own grid handles them. */
  async function loadReported() {
    let r;
    try {
      r = await M.api("/cases?reported=me&area=other&order=newest&limit=20&state=" + OPEN);
    } catch (e) {
      return;
    }
    if (!r.ok) return;
    const elsewhere = r.body.cases;
    document.getElementById("reported-section").hidden = elsewhere.length === 0;
    document.getElementById("reported-list").innerHTML = elsewhere.map((c) => `
      <li class="m-item"><a href="${caseUrl(c.id)}">
        <div class="m-item-head"><strong>${M.esc(c.category.name)}</strong>
          <span class="m-state st-${M.esc(c.state)}">${M.esc(M.BOOT.states[c.state] || c.state)}</span></div>
        <p class="m-item-text">${M.esc(c.description)}</p>
        <p class="m-item-meta"><span>${M.esc(c.grid ? c.grid.name : T.unlocated)}</span><span class="m-id">#${c.id}</span></p>
      </a></li>`).join("");
  }

  window.addEventListener("outbox-change", () => {
    renderOutbox();
    clearTimeout(window.__reloadCases);
    window.__reloadCases = setTimeout(loadCases, 800);  // a case just sent joins the task list
  });
  window.addEventListener("online", () => { loadCases(); loadReported(); });
  /** Fetch what the pages need through the service worker, so it has them for offline use. */
  function warm() {
    if (!navigator.serviceWorker) return;
    const grids = () => {
      if (navigator.onLine && M.BOOT.community) {
        M.api("/grids?community=" + encodeURIComponent(M.BOOT.community) + "&limit=500").catch(() => null);
      }
    };
    if (navigator.serviceWorker.controller) {
      grids();
    } else {
      // First visit: this page loaded before the worker took over, so fetch again through it.
      navigator.serviceWorker.addEventListener("controllerchange", () => { grids(); loadCases(); loadReported(); }, { once: true });
    }
  }

  renderOutbox();
  loadCases();
  loadReported();
  warm();
})();
