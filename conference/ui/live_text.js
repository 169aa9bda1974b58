// live_text_area: a text area that reports its text to Python while the person types.
//
// Loaded by conference/ui/live_text.py through st.components.v2 (no build step). Streamlit
// calls the default export on mount and again whenever `data` changes; the DOM built on the
// first call stays, so this function is idempotent: it fills in the texts, attaches listeners,
// and returns a cleanup that detaches them.
//
// Safety: the DOM is made with createElement, and every text (label, help, placeholder, the
// stored value) goes in through textContent, setAttribute or .value, never innerHTML, so stored
// text can never run as HTML.
//
// The text is sent with setStateValue("typed", {text, stamp}) 1.5 s after the last keystroke,
// at the latest 5 s after the first unsent one, at once on blur and Ctrl/Cmd+Enter, and when the
// page is being left or hidden. Python echoes the text back in `data.value` with the same
// `data.rev`; only a new `rev` (Python changed the text itself, e.g. "Brug den gemte tekst")
// replaces what is in the box, so a rerun never moves the caret or eats what is being typed.
//
// A reload right after typing can drop the last report: the page's connection closes before the
// server has run it. So text Python has not yet echoed back is also kept in the tab's
// sessionStorage (this tab only, gone when it closes) with the texts it was typed over (Python's
// last echo and the reports sent since, any of which the server may hold). When the box is drawn
// anew (after a reload) and Python's text is one of those, the kept text goes back in the box and
// is sent; if Python's text is another (someone else saved meanwhile), the kept text is dropped
// rather than written over theirs. It is removed as soon as Python echoes it.
//
// A restarted server (or a lost server session) is met the same way without a reload: `data`
// carries the server session's id, and a new id means the reports the old session never echoed
// may be lost, so the box sends its unconfirmed text to the new session at once (same rule).
// A reconnect to the same session sends it again too. While text is unconfirmed and the app's
// connection is or was lost, the box says "Ikke gemt – forbinder igen…" under it until Python
// has the text; leaving the page while any text is unconfirmed asks the browser's "leave page?".
// The connection is read from the attribute Streamlit keeps on its root element
// (data-test-connection-state); without it the box counts as connected.
//
// Each report names the field it was typed in (draftKey) and what it belongs to (belongsTo, e.g.
// the agenda item id). Should Streamlit ever draw this element for another field, the box starts
// afresh (the old field's unsent text stays kept in the tab under the old field's key), and
// Python ignores a report that names another field than the one it arrives for.

const DEBOUNCE_MS = 1500;
const MAX_WAIT_MS = 5000;
const MAX_BASES = 6; // Python's last echo and the latest reports sent since

const DRAFT_PREFIX = "konferencetavlen:unsent:";
const OFFLINE_TEXT = "Ikke gemt – forbinder igen…";

// --------------------------------------------------------------------------- the connection

const boxes = new Set(); // the memories of the boxes on the page now
let watching = false;

function connected() {
  const state = document
    .querySelector("[data-testid='stApp']")
    ?.getAttribute("data-test-connection-state");
  return !state || state === "CONNECTED" || state === "STATIC_CONNECTED";
}

function watchConnection() {
  if (watching || typeof MutationObserver === "undefined") {
    return;
  }
  watching = true;
  new MutationObserver(() => {
    const online = connected();
    for (const memory of boxes) {
      showState(memory);
      if (online && memory.lost && unconfirmed(memory)) {
        memory.sent = null; // the last report may have gone down with the connection
        flush(memory, memory.input);
      }
    }
  }).observe(document.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ["data-test-connection-state"],
  });
}

function unconfirmed(memory) {
  return memory.confirmed !== null && memory.input.value !== memory.confirmed;
}

// "Ikke gemt – forbinder igen…" while text is unconfirmed and the connection is or was lost;
// data-confirmed tells whether Python has the box's text.
function showState(memory) {
  const pending = unconfirmed(memory);
  if (!pending) {
    memory.lost = false;
  } else if (!connected()) {
    memory.lost = true;
  }
  memory.statusLine.hidden = !memory.lost;
  memory.root.dataset.confirmed = pending ? "false" : "true";
}

function draftStore() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked: the timer and leave-flush still save
  }
}

function readDraft(draftKey) {
  const store = draftStore();
  if (!store || !draftKey) {
    return null;
  }
  try {
    const draft = JSON.parse(store.getItem(DRAFT_PREFIX + draftKey) ?? "null");
    if (!draft || typeof draft.text !== "string") {
      return null;
    }
    // {text, bases}; a draft kept before bases were kept has one `base`
    const bases = Array.isArray(draft.bases) ? draft.bases : [draft.base];
    return { text: draft.text, bases: bases.filter((b) => typeof b === "string") };
  } catch {
    return null;
  }
}

// Keep `text` for the field unless it is Python's own text (then nothing is kept).
function writeDraft(draftKey, text, bases) {
  const store = draftStore();
  if (!store || !draftKey) {
    return;
  }
  try {
    if (text === bases[0]) {
      store.removeItem(DRAFT_PREFIX + draftKey);
    } else {
      store.setItem(DRAFT_PREFIX + draftKey, JSON.stringify({ text, bases }));
    }
  } catch {
    // full or blocked: the timer and leave-flush still save
  }
}

function memoryOf(input) {
  if (!input.liveText) {
    input.liveText = {
      rev: null, sent: null, timer: null, firstPending: null, send: null, height: undefined,
      confirmed: null, bases: [], draftKey: null, belongsTo: null, session: null, lost: false,
      input, root: null, statusLine: null,
    };
  }
  return input.liveText;
}

// Put `value` in the box, keeping the caret where it was if the box has the focus.
function setText(input, value) {
  if (input.value === value) {
    return;
  }
  const focused = input.getRootNode().activeElement === input;
  const { selectionStart, selectionEnd } = input;
  input.value = value;
  if (focused) {
    input.setSelectionRange(
      Math.min(selectionStart, value.length),
      Math.min(selectionEnd, value.length),
    );
  }
}

function flush(memory, input) {
  clearTimeout(memory.timer);
  memory.timer = null;
  memory.firstPending = null;
  if (input.value === memory.sent || !memory.send) {
    return;
  }
  memory.sent = input.value;
  memory.send(input.value);
  writeDraft(memory.draftKey, input.value, memory.bases);
}

function schedule(memory, input) {
  clearTimeout(memory.timer);
  const now = Date.now();
  if (memory.firstPending === null) {
    memory.firstPending = now;
  }
  const wait = Math.max(0, Math.min(DEBOUNCE_MS, memory.firstPending + MAX_WAIT_MS - now));
  memory.timer = setTimeout(() => flush(memory, input), wait);
}

function showCounter(counter, input, maxChars) {
  counter.hidden = !maxChars;
  if (maxChars) {
    counter.textContent = `${input.value.length}/${maxChars} tegn`;
  }
}

function element(tag, attributes = {}, children = [], namespace = null) {
  const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function helpIcon() {
  const svg = "http://www.w3.org/2000/svg";
  return element("svg", {
    width: "16", height: "16", viewBox: "0 0 24 24", fill: "none", stroke: "currentColor",
    "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round",
    "aria-hidden": "true", focusable: "false",
  }, [
    element("circle", { cx: "12", cy: "12", r: "10" }, [], svg),
    element("path", { d: "M9.09 9a3 3 0 0 1 5.83 1c0 2-3 3-3 3" }, [], svg),
    element("line", { x1: "12", y1: "17", x2: "12.01", y2: "17" }, [], svg),
  ], svg);
}

// The component's own DOM, built once and appended to the (shadow) root Streamlit gives it.
// Built here rather than passed as `html`: Streamlit may re-insert a component's `html`, which
// would leave a fresh box without text, label or listeners.
function build(parentElement) {
  const root = element("div", { class: "live-text" }, [
    element("div", { class: "head" }, [
      element("label", { for: "live-text-input" }),
      element("button", { type: "button", class: "help-button", hidden: "" }, [helpIcon()]),
      element("div", { class: "tooltip", id: "live-text-help", role: "tooltip", hidden: "" }),
    ]),
    element("div", { class: "box" }, [element("textarea", { id: "live-text-input", rows: "3" })]),
    element("div", { class: "foot" }, [
      element("div", { class: "status", role: "status", hidden: "" }, [OFFLINE_TEXT]),
      element("div", { class: "counter", id: "live-text-counter", hidden: "" }),
    ]),
  ]);
  parentElement.append(root);
  return root;
}

export default function liveTextArea({ data, parentElement, setStateValue }) {
  if (!data) {
    return undefined;
  }
  const root = parentElement.querySelector(".live-text") ?? build(parentElement);
  const label = root.querySelector("label");
  const input = root.querySelector("textarea");
  const helpButton = root.querySelector(".help-button");
  const tooltip = root.querySelector(".tooltip");
  const counter = root.querySelector(".counter");
  const statusLine = root.querySelector(".status");
  let memory = memoryOf(input);
  const draftKey = data.draftKey || null;
  if (memory.draftKey !== null && memory.draftKey !== draftKey) {
    // Drawn for another field: start afresh. What the old field had unsent stays kept in the
    // tab under the old field's key (its reports name that key, so Python never takes them
    // as this field's text).
    clearTimeout(memory.timer);
    boxes.delete(memory);
    input.liveText = null;
    input.value = "";
    memory = memoryOf(input);
  }
  memory.draftKey = draftKey;
  memory.belongsTo = data.belongsTo ?? null;
  memory.root = root;
  memory.statusLine = statusLine;
  boxes.add(memory);
  watchConnection();

  label.textContent = data.label ?? "";
  root.classList.toggle("disabled", Boolean(data.disabled));
  input.disabled = Boolean(data.disabled);
  input.placeholder = data.placeholder ?? "";
  if (data.maxChars) {
    input.maxLength = data.maxChars;
  } else {
    input.removeAttribute("maxlength");
  }
  if (data.height !== memory.height) {
    // Only when Python's height changes: an echo must not undo the person's own resizing.
    memory.height = data.height;
    input.style.height = data.height ? `${data.height}px` : "";
  }
  helpButton.hidden = !data.help;
  tooltip.textContent = data.help ?? "";
  // Not "Hjælp til <label>": a locator or screen reader asking for the field by its label
  // would then find the button too.
  helpButton.setAttribute("aria-label", "Hjælp til feltet");
  const describedBy = [data.help ? "live-text-help" : "", data.maxChars ? "live-text-counter" : ""]
    .filter(Boolean)
    .join(" ");
  if (describedBy) {
    input.setAttribute("aria-describedby", describedBy);
  } else {
    input.removeAttribute("aria-describedby");
  }

  // The text itself.
  const value = data.value ?? "";
  const session = data.session ?? "";
  const newSession = memory.session !== null && memory.session !== session;
  let sendNow = false;
  if (memory.confirmed === null || newSession) {
    // First show (a reload, or a new box) or a new server session (the server restarted):
    // Python's text is the stored one. Text typed here that Python never confirmed (still in
    // the box, or kept in the tab) goes back in and is sent at once, if Python's text is one it
    // was typed over; else it is dropped, as someone else saved meanwhile.
    const kept = readDraft(draftKey);
    let unsent = null;
    let over = [];
    if (memory.confirmed !== null && input.value !== memory.confirmed) {
      unsent = input.value;
      over = memory.bases;
    } else if (kept) {
      unsent = kept.text;
      over = kept.bases;
    }
    clearTimeout(memory.timer);
    memory.timer = null;
    memory.firstPending = null;
    memory.rev = data.rev;
    memory.confirmed = value;
    memory.bases = [value];
    memory.sent = value;
    sendNow = unsent !== null && unsent !== value && over.includes(value) && !data.disabled;
    setText(input, sendNow ? unsent : value);
    memory.lost = sendNow && (memory.lost || newSession);
    writeDraft(draftKey, input.value, memory.bases);
  } else {
    if (memory.rev !== data.rev) { // Python changed the text itself: the box shows it
      setText(input, value);
      clearTimeout(memory.timer);
      memory.timer = null;
      memory.firstPending = null;
      memory.rev = data.rev;
      memory.sent = value;
      memory.bases = [value];
    }
    // Python's echo: what it has now. The texts it may still get are those sent after it.
    memory.confirmed = value;
    const at = memory.bases.indexOf(value);
    memory.bases = at >= 0 ? memory.bases.slice(at) : [value];
    writeDraft(draftKey, input.value, memory.bases);
  }
  memory.session = session;
  showCounter(counter, input, data.maxChars);

  // Each report is a new state (the stamp), so typing back an earlier text still reaches Python.
  memory.send = (text) => {
    if (!memory.bases.includes(text)) {
      memory.bases = [memory.bases[0], ...memory.bases.slice(1), text];
      if (memory.bases.length > MAX_BASES) {
        memory.bases.splice(1, memory.bases.length - MAX_BASES);
      }
    }
    setStateValue("typed", {
      text, stamp: `${Date.now()}-${Math.random()}`, key: memory.draftKey, for: memory.belongsTo,
    });
  };
  if (sendNow) {
    memory.timer = setTimeout(() => flush(memory, input), 0);
  } else if (input.value !== memory.sent && memory.timer === null) {
    schedule(memory, input); // typed during the rerun that brought this call
  }
  showState(memory);

  const onInput = () => {
    showCounter(counter, input, data.maxChars);
    writeDraft(memory.draftKey, input.value, memory.bases);
    showState(memory);
    schedule(memory, input);
  };
  const onBlur = () => flush(memory, input);
  const onKeyDown = (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      flush(memory, input);
    }
  };
  const onLeave = (event) => {
    flush(memory, input);
    if (event.type === "beforeunload" && unconfirmed(memory)) {
      // Python does not have the text yet: the browser asks "leave page?" (a reload keeps it
      // in the tab and sends it; closing the tab would lose it).
      event.preventDefault();
      event.returnValue = "";
    }
  };
  const onVisibility = () => {
    if (document.visibilityState === "hidden") {
      flush(memory, input);
    }
  };
  const showTip = () => {
    tooltip.hidden = false;
  };
  const hideTip = () => {
    tooltip.hidden = true;
  };
  const onTipKey = (event) => {
    if (event.key === "Escape") {
      hideTip();
    }
  };

  const listeners = [
    [input, "input", onInput],
    [input, "blur", onBlur],
    [input, "keydown", onKeyDown],
    [window, "beforeunload", onLeave],
    [window, "pagehide", onLeave],
    [document, "visibilitychange", onVisibility],
    [helpButton, "mouseenter", showTip],
    [helpButton, "mouseleave", hideTip],
    [helpButton, "focus", showTip],
    [helpButton, "blur", hideTip],
    [helpButton, "keydown", onTipKey],
  ];
  for (const [target, name, handler] of listeners) {
    target.addEventListener(name, handler);
  }
  return () => {
    for (const [target, name, handler] of listeners) {
      target.removeEventListener(name, handler);
    }
    boxes.delete(memory); // the next call (if any) adds it again
    // A pending timer stays: it sends through the newest `send` (the next call replaces it).
  };
}
