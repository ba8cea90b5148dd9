/* The outbox as a list: each case, visit and visit's case still on the phone (or recently sent) with
   its state, the server's answer (case number and grid, a visit flagged far from home) and, when
   the server refused it, retry and delete. Used by the task list and the 走访 page. */
(function () {
  "use strict";
  const T = M.TEXT;

  function caseUrl(id) {
    return M.BOOT.urls.case.replace(/shell$/, String(id));
  }

  function chip(item) {
    const label = { pending: T.pending, sending: T.sending, sent: T.sent, failed: T.failed }[item.status];
    return `<span class="m-chip-status s-${item.status}">${M.esc(label)}</span>`;
  }

  function title(i) {
    if (i.kind === "visit") return M.fmt(T.visitOf, { who: i.title || "" });
    if (i.kind === "visit_case") return (i.title || "") + " · " + T.caseFromVisit;
    return i.categoryName;
  }

  function text(i) {
    if (i.kind === "visit") return (T.kinds[i.fields.kind] || i.fields.kind) + (i.fields.finding ? " · " + i.fields.finding : "");
    return i.fields.description || i.finding || "";
  }

  function sentNote(i) {
    if (i.kind === "visit") {
      const far = i.farFromHome ? ` · <b class="m-far">${M.esc(M.fmt(T.farFromHome, { m: M.BOOT.farFromHomeM }))}</b>` : "";
      return `<p class="m-item-note ok">${M.esc(T.visitSent)}${far}</p>`;
    }
    return `<p class="m-item-note ok">${M.esc(M.fmt(T.sentAs, { id: i.caseId }))}`
      + (i.grid ? ` · ${M.esc(i.grid.name)}` : ` · ${M.esc(T.unlocated)}`) + "</p>";
  }

  /** The HTML of one item; `extra(item)` may add buttons (the 走访 page's 转为事件). */
  function itemHtml(i, waits, extra) {
    const photos = i.status === "sent" || !(i.photos || []).length ? "" : ` · ${M.esc(M.fmt(T.photos, { n: (i.photos || []).length }))}`;
    let detail = "";
    if (i.user !== M.BOOT.user) {
      detail = `<p class="m-item-note">${M.esc(M.fmt(T.belongsTo, { user: i.user }))}</p>`;
    } else if (i.status === "sent") {
      detail = sentNote(i);
    } else if (waits) {
      detail = `<p class="m-item-note">${M.esc(T.waitsForVisit)}</p>`;
    } else if (i.error) {
      const next = i.status === "pending" && i.nextTry > Date.now() && navigator.onLine
        ? " · " + M.fmt(T.nextTry, { time: M.when(new Date(i.nextTry).toISOString()) }) : "";
      detail = `<p class="m-item-note ${i.status === "failed" ? "bad" : ""}">${M.esc(i.error.message)}${M.esc(next)}</p>`;
    }
    const buttons = i.status === "failed" && i.user === M.BOOT.user
      ? `<div class="m-item-actions"><button type="button" class="secondary" data-retry="${M.esc(i.key)}">${M.esc(T.retry)}</button>
         <button type="button" class="secondary danger" data-remove="${M.esc(i.key)}">${M.esc(T.remove)}</button></div>` : "";
    const body = `<div class="m-item-head"><strong>${M.esc(title(i))}</strong>${chip(i)}</div>
      <p class="m-item-text">${M.esc(text(i))}</p>
      <p class="m-item-meta">${M.esc(M.when(new Date(i.createdAt).toISOString()))}${photos}</p>${detail}${buttons}`;
    const kind = i.kind || "case";
    if (i.status === "sent" && i.caseId) {
      return `<li class="m-item o-${i.status} k-${kind}" data-key="${M.esc(i.key)}"><a href="${caseUrl(i.caseId)}">${body}</a></li>`;
    }
    return `<li class="m-item o-${i.status} k-${kind}" data-key="${M.esc(i.key)}">${body}${extra ? extra(i) : ""}</li>`;
  }

  /** Render items into a list element and wire its buttons. */
  async function render(list, items, extra) {
    const waits = {};
    for (const i of items) waits[i.key] = i.status === "pending" && await Outbox.blocked(i);
    list.innerHTML = items.map((i) => itemHtml(i, waits[i.key], extra)).join("");
    list.querySelectorAll("[data-retry]").forEach((b) => b.addEventListener("click", () => Outbox.retry(b.dataset.retry)));
    list.querySelectorAll("[data-remove]").forEach((b) => b.addEventListener("click", async () => {
      if (!confirm(T.confirmRemove)) return;
      // A visit's case cannot be sent without its visit: they go together.
      for (const chained of items.filter((x) => x.after === b.dataset.remove)) await Outbox.remove(chained.key);
      await Outbox.remove(b.dataset.remove);
    }));
  }

  /** The number of my items not yet on the server, shown on the task tab. */
  function badge(items) {
    const waiting = items.filter((i) => i.status !== "sent" && i.user === M.BOOT.user).length;
    const el = document.getElementById("m-pending-badge");
    if (!el) return;
    el.hidden = waiting === 0;
    el.textContent = waiting;
  }

  window.OutboxView = { render, badge, caseUrl };
})();
