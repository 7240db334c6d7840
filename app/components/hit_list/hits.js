// The Search page's hits (app/components/hit_list/__init__.py), drawn in the browser: each
// hit's transcript and who said it, the words around it with the hit marked, and an Open
// button that sends ONE event ("open": the hit's index on the page); Python opens the place.
// Every text goes in with textContent, never parsed as markup: shown exactly as stored.

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
};

function drawHit(hit, k) {
  const box = el("div", "qh-hit");
  box.setAttribute("role", "listitem");
  box.dataset.hit = String(k);
  const head = el("div", "qh-head");
  const where = el("span", "qh-where", `${hit.transcript} · ${hit.who}${hit.codeable ? "" : " · interviewer/procedural"}`);
  where.id = `qh-where-${hit.n}`;
  const open = el("button", "qh-open", "Open");
  open.type = "button";
  open.dataset.hit = String(k);
  open.title = "Open it on the Code page";
  open.setAttribute("aria-describedby", where.id);
  head.append(where, open);
  const context = el("div", "qh-context");
  context.append(document.createTextNode("…" + hit.before), el("mark", "", hit.text), document.createTextNode(hit.after + "…"));
  box.append(head, context);
  return box;
}

let counter = 0;

export default function ({ data, parentElement, setTriggerValue }) {
  let state = parentElement.__qcHits;
  if (!state) {
    const root = el("div", "qh-list");
    root.setAttribute("role", "list");
    state = parentElement.__qcHits = { root };
    parentElement.append(root);
    root.addEventListener("click", (e) => {
      const b = e.target.closest("button.qh-open");
      if (!b || !root.contains(b) || b.disabled) return;
      for (const other of root.querySelectorAll("button.qh-open")) other.disabled = true;  // one place at a time
      b.textContent = "Opening…";
      clearTimeout(state.lost);  // never answered (the run was replaced by another): usable again
      state.lost = setTimeout(() => draw(state), 10000);
      state.send("open", { hit: Number(b.dataset.hit), id: `${Date.now().toString(36)}-${(counter += 1)}` });
    });
  }
  state.send = setTriggerValue;
  state.data = data;
  clearTimeout(state.lost);
  draw(state);
}

function draw(state) {
  const { data, root } = state;
  root.setAttribute("aria-label", data.label || "Search hits");
  const error = data.error ? [el("div", "qh-error", data.error)] : [];
  if (error.length) error[0].setAttribute("role", "alert");
  root.replaceChildren(...error, ...(data.hits || []).map(drawHit));
}
