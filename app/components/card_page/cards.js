// The Code page's cards (and Review next's, a second instance), drawn in the browser (app/components/card_page/__init__.py).
// A click changes its card at once (optimistic) and queues ONE event for Python; events go
// one at a time (a trigger value holds one event per rerun), each acknowledged in the next
// data the fragment sends (data.acks). The card is always drawn as the confirmed state plus
// the events not yet acknowledged, so a refusal simply drops its change and shows why.
// Every text goes in with textContent, never parsed as markup: shown exactly as stored.

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
};
const button = (label, act, extra = {}, cls = "qc-btn") => {
  const b = el("button", cls, label);
  b.type = "button";
  b.dataset.act = act;
  for (const [k, v] of Object.entries(extra)) b.dataset[k] = v;
  return b;
};
const pct = (x) => `${Math.round(x * 100)}%`;

function chip(state, code, extra) {
  const [label, color] = state.data.codes[code] || [code, "#8a94a6"];
  const c = el("span", "qc-chip", label);
  c.style.borderLeftColor = color;
  c.style.background = color + "22";
  c.dataset.code = code;
  if (extra) c.appendChild(el("span", "qc-chip-extra", " " + extra));
  return c;
}

// the confirmed card with the unacknowledged events applied
function view(state, card) {
  const mine = new Map(card.mine.map(([c, p]) => [c, p]));
  let sugg = card.sugg.slice();
  const memos = card.memos.slice();
  let saving = 0;
  for (const ev of state.queue.concat(state.inflight ? [state.inflight] : [])) {
    if (ev.seg !== card.id) continue;
    saving += 1;
    if (ev.action === "accept" || ev.action === "add") mine.set(ev.code, true);
    if (ev.action === "reject") mine.set(ev.code, false);
    if (ev.action === "remove") mine.delete(ev.code);
    if (ev.action === "memo") memos.push([state.data.coder, "saving…", ev.text]);
    if (["accept", "reject", "add"].includes(ev.action)) sugg = sugg.filter(([c]) => c !== ev.code);
  }
  return { mine, sugg, memos, saving };
}

function drawCard(state, card) {
  const box = el("div", "qc-card");
  box.dataset.seg = card.id;
  if (card.interviewer) {
    box.className = "qc-interviewer";
    const who = el("b", "", card.speaker);
    box.append(who, document.createTextNode(": "), el("span", "qc-text", card.text));
    return box;
  }
  const v = view(state, card);
  const focused = state.focus === card.id;
  if (focused) box.classList.add("qc-focused");
  if (card.note) box.append(el("div", "qc-caption qc-note", card.note));
  const head = el("div", "qc-head");
  head.append(el("b", "", (focused ? "▶ " : "") + card.speaker));
  head.append(document.createTextNode(`${card.when ? " · " + card.when : ""} · ${card.who} · segment ${card.id}`));
  box.append(head, el("div", "qc-text", card.text));
  const error = state.errors[card.id];
  if (error) box.append(el("div", "qc-error", error));
  if (card.spans.length) {
    const row = el("div", "qc-row", "Spans: ");
    for (const [code, text, coder] of card.spans)
      row.append(chip(state, code, `“${text.length > 60 ? text.slice(0, 60) + "…" : text}” · ${coder}`));
    box.append(row);
  }
  for (const [code, present] of v.mine) {
    if (!present) continue;
    const row = el("div", "qc-row qc-mine");
    row.append(chip(state, code, `by you (${state.data.coder})`),
      button("Remove", "remove", { code }), button("Use as example", "example", { code }));
    row.lastChild.title = "Add this segment's text to the code's examples in the codebook";
    box.append(row);
  }
  const rejected = [...v.mine].filter(([, p]) => !p).map(([c]) => (state.data.codes[c] || [c])[0]);
  if (rejected.length) box.append(el("div", "qc-caption", "You rejected: " + rejected.join(", ")));
  for (const [code, conf, reason] of v.sugg) {
    const row = el("div", "qc-row qc-sugg");
    // a plain-text mark, not an emoji: headless and font-poor browsers draw emoji as a box
    const what = el("span", "qc-sugg-text");
    what.append(el("span", "qc-sugg-mark", "Suggested:"), document.createTextNode(" "), chip(state, code),
      document.createTextNode(" machine suggestion "), el("b", "", pct(conf)));
    if (reason) what.append(el("div", "qc-why", "why: " + reason));
    row.append(what, button("Accept", "accept", { code }, "qc-btn qc-primary"), button("Reject", "reject", { code }));
    box.append(row);
  }
  for (const [name, codes] of card.others)
    box.append(el("div", "qc-caption", `${name}: ` + codes.map((c) => (state.data.codes[c] || [c])[0]).join(", ")));
  if (card.final.length)
    box.append(el("div", "qc-caption", "Final (adjudicated): " +
      card.final.map((c) => (state.data.codes[c] || [c])[0]).join(", ")));
  box.append(drawPicker(state, card), drawMemos(state, card, v));
  const status = el("div", "qc-status", v.saving ? "Saving…" : state.said[card.id] || "");
  box.append(status);
  return box;
}

function drawPicker(state, card) {
  const wrap = el("div", "qc-add");
  const open = state.picker === card.id;
  wrap.append(button(open ? "Close" : "Add a code", "picker"));
  if (!open) return wrap;
  const filter = el("input", "qc-filter");
  filter.placeholder = "Type to search";
  filter.setAttribute("aria-label", "Add a code");
  filter.value = state.filter;
  const list = el("div", "qc-options");
  const fill = () => {
    list.replaceChildren();
    const words = filter.value.toLowerCase();
    for (const [code, [label, , codable]] of Object.entries(state.data.codes))
      if (codable && label.toLowerCase().includes(words)) list.append(button(label, "add", { code }, "qc-option"));
  };
  filter.addEventListener("input", () => { state.filter = filter.value; fill(); });
  filter.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && list.firstChild) { e.preventDefault(); list.firstChild.click(); }
    if (e.key === "Escape") { state.picker = null; redraw(state, card.id); }
  });
  fill();
  wrap.append(filter, list);
  state.focusNext = filter;
  return wrap;
}

function drawMemos(state, card, v) {
  const wrap = el("div", "qc-memos");
  const draft = state.drafts[card.id] || "";
  const open = state.memoOpen.has(card.id) || !!draft;
  wrap.append(button(`Memos (${v.memos.length})` + (draft ? " · unsaved draft" : ""), "memos", {}, "qc-summary"));
  if (!open) return wrap;
  for (const [coder, at, text] of v.memos) {
    const m = el("div", "qc-memo");
    m.append(el("b", "", coder), el("span", "qc-at", " " + at), el("div", "qc-memo-text", text));
    wrap.append(m);
  }
  const area = el("textarea", "qc-memo-box");
  area.placeholder = "Your thoughts on this segment (kept as a draft until you save it)";
  area.setAttribute("aria-label", "New memo");
  area.value = draft;
  area.addEventListener("input", () => {
    state.drafts[card.id] = area.value;
    putLocal(state, card.id, area.value);  // at once: a reload a moment later finds every word
    clearTimeout(state.draftTimer[card.id]);
    state.draftTimer[card.id] = setTimeout(() => keepDraft(state, card.id), 800);
  });
  area.addEventListener("change", () => keepDraft(state, card.id));
  area.addEventListener("blur", () => keepDraft(state, card.id));
  wrap.append(area, button("Save memo", "memo", {}, "qc-btn qc-primary"));
  return wrap;
}

// Memo drafts are also kept in this browser's localStorage, keyed by study, coder and
// segment, written on every keystroke: the server hears of a draft after a pause, on blur
// or when the page is hidden, but a reload or a closed tab can come before that. A draft
// comes back when its card is drawn again (unless the server already holds it as a saved
// memo) and is cleared once the server confirms the memo saved.
const localKey = (state, seg) => `qualcode-memo-draft:${state.data.study}:${state.data.coder}:${seg}`;

function putLocal(state, seg, text) {
  try {
    if (text) localStorage.setItem(localKey(state, seg), JSON.stringify({ text, at: Date.now() }));
    else localStorage.removeItem(localKey(state, seg));
  } catch (e) { /* storage refused (private mode, quota): the server's copy remains */ }
}

function getLocal(state, seg) {
  try {
    const kept = JSON.parse(localStorage.getItem(localKey(state, seg)) || "null");
    return kept && typeof kept.text === "string" && kept.text ? kept.text : "";
  } catch (e) { return ""; }
}

function restoreDrafts(state) {
  for (const card of state.data.cards) {
    if (card.interviewer || state.drafts[card.id]) continue;
    const text = getLocal(state, card.id);
    if (!text) continue;
    if (card.memos.some(([coder, , saved]) => coder === state.data.coder && saved === text)) {
      putLocal(state, card.id, "");  // saved before the page went away: not a draft any more
      continue;
    }
    state.drafts[card.id] = text;
    keepDraft(state, card.id);  // the server's session holds it again too
  }
}

function flushDrafts(state) {
  const shown = codeable(state);
  for (const seg of Object.keys(state.drafts).map(Number)) if (shown.includes(seg)) keepDraft(state, seg);
}

function keepDraft(state, seg) {
  clearTimeout(state.draftTimer[seg]);
  const text = state.drafts[seg] || "";
  if ((state.data.drafts[String(seg)] || "") === text) return;
  const pending = state.queue.concat(state.inflight ? [state.inflight] : []);
  if (pending.some((ev) => ev.action === "draft" && ev.seg === seg && ev.text === text)) return;  // change + blur
  state.queue = state.queue.filter((ev) => !(ev.action === "draft" && ev.seg === seg));
  enqueue(state, { action: "draft", seg, text }, false);
}

let counter = 0;
function enqueue(state, ev, shown = true) {
  ev.id = `${Date.now().toString(36)}-${(counter += 1)}`;
  ev.shown = shown;
  state.queue.push(ev);
  pump(state);
  if (shown) {
    if (ev.seg !== undefined) redraw(state, ev.seg);
    mark(state);
  }
}

function pump(state) {
  if (state.inflight || !state.queue.length) return;
  state.inflight = state.queue.shift();
  const { shown, ...sent } = state.inflight;
  state.sentAt = Date.now();
  state.send("event", sent);
  clearTimeout(state.lost);
  state.lost = setTimeout(() => {  // never confirmed (its run was replaced by another): say so, go on
    if (!state.inflight || state.inflight.id !== sent.id) return;
    const ev = state.inflight;
    state.inflight = null;
    if (ev.seg !== undefined && ev.shown) {
      state.errors[ev.seg] = "Not confirmed by the server: reload the page to see what was saved.";
      redraw(state, ev.seg);
    }
    state.undoing = false;
    mark(state);
    pump(state);
  }, 15000);
}

function mark(state) {
  const pending = state.queue.filter((e) => e.shown).length + (state.inflight && state.inflight.shown ? 1 : 0);
  state.root.dataset.pending = String(pending);
  state.root.dataset.acked = state.lastAck || "";
  state.bar.querySelector(".qc-bar-status").textContent =
    state.undoing ? "Undoing…" : state.barError || state.barSaid || "";
  state.bar.querySelector(".qc-bar-status").classList.toggle("qc-error", !!state.barError);
}

function redraw(state, seg) {
  const card = state.data.cards.find((c) => c.id === seg);
  const old = state.root.querySelector(`[data-seg="${seg}"]`);
  if (!card || !old) return;
  state.focusNext = null;
  const fresh = drawCard(state, card);
  old.replaceWith(fresh);
  state.drawn[seg] = signature(state, card);
  if (state.focusNext) { state.focusNext.focus(); state.focusNext = null; }
}

function signature(state, card) {
  return JSON.stringify([card, state.focus === card.id, state.errors[card.id] || "", state.said[card.id] || "",
    state.picker === card.id, state.memoOpen.has(card.id)]);
}

function codeable(state) {
  return state.data.cards.filter((c) => !c.interviewer).map((c) => c.id);
}

function setFocus(state, seg, scroll) {
  const before = state.focus;
  state.focus = seg;
  if (before !== undefined && before !== seg) redraw(state, before);
  redraw(state, seg);
  const node = state.root.querySelector(`[data-seg="${seg}"]`);
  if (scroll && node) node.scrollIntoView({ block: "center" });
}

function shortcut(state, what) {
  const ids = codeable(state);
  if (!ids.length) return;
  if (!ids.includes(state.focus)) state.focus = ids[0];
  if (what === "next") return setFocus(state, ids[Math.min(ids.indexOf(state.focus) + 1, ids.length - 1)], true);
  if (what === "undo") { state.undoing = true; state.barError = ""; return enqueue(state, { action: "undo" }); }
  const card = state.data.cards.find((c) => c.id === state.focus);
  const top = view(state, card).sugg[0];
  if (!top) {
    state.errors[card.id] = "No suggestion left on this segment: press N for the next one.";
    return redraw(state, card.id);
  }
  delete state.errors[card.id];
  enqueue(state, { action: what, seg: card.id, code: top[0] });
}

function onClick(state, e) {
  const b = e.target.closest("button[data-act]");
  if (!b || !state.root.contains(b)) return;
  const cardNode = b.closest("[data-seg]");
  const seg = cardNode ? Number(cardNode.dataset.seg) : undefined;
  const act = b.dataset.act;
  if (act.startsWith("kb-")) return shortcut(state, act.slice(3));
  if (seg === undefined) return;
  if (state.focus !== seg) setFocus(state, seg, false);
  delete state.errors[seg];
  delete state.said[seg];
  if (act === "picker") {
    state.picker = state.picker === seg ? null : seg;
    state.filter = "";
    return redraw(state, seg);
  }
  if (act === "memos") {
    if (state.memoOpen.has(seg)) state.memoOpen.delete(seg); else state.memoOpen.add(seg);
    return redraw(state, seg);
  }
  if (act === "memo") {
    const text = state.drafts[seg] || "";
    if (!text.trim()) { state.errors[seg] = "Save memo: write something first."; return redraw(state, seg); }
    clearTimeout(state.draftTimer[seg]);
    state.queue = state.queue.filter((ev) => !(ev.action === "draft" && ev.seg === seg));
    delete state.drafts[seg];
    state.memoOpen.add(seg);
    return enqueue(state, { action: "memo", seg, text });
  }
  if (act === "add") { state.picker = null; state.filter = ""; }
  enqueue(state, { action: act, seg, code: b.dataset.code });
}

function onKey(state, e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  const t = e.target;
  if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
  const what = { a: "accept", x: "reject", n: "next", u: "undo" }[e.key.toLowerCase()];
  // two instances (the Code page's, Review next's) may be mounted: keys go to the one shown
  if (!what || !state.root.isConnected || !state.root.getClientRects().length) return;
  e.preventDefault();
  e.stopPropagation();
  shortcut(state, what);
}

function toolbar(state) {
  const bar = el("div", "qc-bar");
  const keys = [["Accept top", "kb-accept", "A", "Accept the ▶ segment's top suggestion"],
    ["Reject top", "kb-reject", "X", "Reject the ▶ segment's top suggestion"],
    ["Next segment", "kb-next", "N", "Move ▶ to the next segment"],
    ["Undo", "kb-undo", "U", "Undo your last action (kept in the audit log)"]];
  for (const [label, act, key, help] of keys) {
    const b = button(label, act);
    b.append(el("kbd", "qc-kbd", key));
    b.title = help;
    bar.append(b);
  }
  bar.append(el("span", "qc-bar-status"));
  return bar;
}

function settle(state) {
  // what Python confirmed since the last data: drop those events, keep their outcome
  const seen = new Map((state.data.acks || []).map((a) => [a.id, a]));
  const done = state.inflight && seen.get(state.inflight.id);
  if (done) {
    const ev = state.inflight;
    state.inflight = null;
    state.lastAck = ev.id;
    if (ev.action === "undo") {
      state.undoing = false;
      state.barError = done.error || "";
      state.barSaid = done.error ? "" : "✓ " + done.message;
      if (!done.error) state.said = {};  // "✓ Rejected" no longer true once undone: a card's word goes
    } else if (done.error) {
      state.errors[ev.seg] = done.error;
      if (ev.action === "memo") { state.drafts[ev.seg] = ev.text; }
    } else if (ev.shown) {
      state.said[ev.seg] = "✓ " + done.message;
    }
    if (ev.action === "memo" && !done.error && !state.drafts[ev.seg]) putLocal(state, ev.seg, "");
  }
}

export default function (args) {
  const began = performance.now();
  const { data, parentElement, setTriggerValue } = args;
  let state = parentElement.__qcCards;
  if (!state) {
    const root = el("div", "qc-page");
    state = parentElement.__qcCards = {
      root, bar: toolbar(null), list: el("div", "qc-list"), queue: [], inflight: null, errors: {}, said: {},
      drafts: {}, draftTimer: {}, memoOpen: new Set(), picker: null, filter: "", drawn: {}, focus: undefined,
      scrolled: 0, lastAck: "",
    };
    root.append(state.bar, state.list);
    parentElement.append(root);
    root.addEventListener("click", (e) => onClick(state, e));
  }
  const first = !state.data;
  state.data = data;
  state.root.dataset.name = data.name || "";
  state.send = setTriggerValue;
  settle(state);
  for (const [seg, text] of Object.entries(data.drafts || {}))
    if (!(Number(seg) in state.drafts)) state.drafts[Number(seg)] = text;
  restoreDrafts(state);
  const ids = codeable(state);
  if (!ids.includes(state.focus)) state.focus = ids.includes(data.focus) ? data.focus : ids[0];
  if (data.scroll && data.scroll[1] !== state.scrolled && ids.includes(data.scroll[0])) state.focus = data.scroll[0];
  state.root.querySelector('[data-act="kb-undo"]').disabled = !data.undo;
  // draw only the cards that changed (all of them when the page itself changed)
  const order = data.cards.map((c) => c.id).join(",");
  if (first || order !== state.order) {
    // another page or transcript: what was said belongs to the page it was said on
    if (!first) { state.said = {}; state.barSaid = ""; state.barError = ""; }
    state.list.replaceChildren(...data.cards.map((c) => drawCard(state, c)));
    state.drawn = Object.fromEntries(data.cards.map((c) => [c.id, signature(state, c)]));
    state.order = order;
  } else {
    for (const c of data.cards) if (state.drawn[c.id] !== signature(state, c)) redraw(state, c.id);
  }
  if (data.scroll && data.scroll[1] !== state.scrolled) {
    state.scrolled = data.scroll[1];
    const node = state.root.querySelector(`[data-seg="${data.scroll[0]}"]`);
    if (node) requestAnimationFrame(() => node.scrollIntoView({ block: "center" }));
  }
  mark(state);
  pump(state);
  // what the last data cost the browser (bench/app_latency.py): the cards built, then laid out and painted
  state.root.dataset.drawMs = (performance.now() - began).toFixed(1);
  requestAnimationFrame(() => setTimeout(() => { state.root.dataset.paintMs = (performance.now() - began).toFixed(1); }));
  // one key listener per page of cards: Streamlit calls this function again on every new data
  // and calls the cleanup it returned only once the component is gone
  if (!state.keys) {
    state.keys = (e) => onKey(state, e);
    state.hide = () => flushDrafts(state);  // leaving or hiding the page: send what is typed now
    state.hidden = () => { if (document.visibilityState === "hidden") flushDrafts(state); };
    document.addEventListener("keydown", state.keys);
    window.addEventListener("pagehide", state.hide);
    document.addEventListener("visibilitychange", state.hidden);
  }
  return () => setTimeout(() => {
    if (state.keys && !state.root.isConnected) {
      flushDrafts(state);
      document.removeEventListener("keydown", state.keys);
      window.removeEventListener("pagehide", state.hide);
      document.removeEventListener("visibilitychange", state.hidden);
      state.keys = null;
    }
  }, 0);
}
