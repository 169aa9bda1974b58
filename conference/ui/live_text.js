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
// sessionStorage (this tab only, gone when it closes) with the text it was typed over. When the
// box is drawn anew (after a reload) and Python still has that same text, the kept text goes
// back in the box and is sent; if Python's text changed meanwhile (someone else saved), the kept
// text is dropped rather than written over theirs. It is removed as soon as Python echoes it.

const DEBOUNCE_MS = 1500;
const MAX_WAIT_MS = 5000;

const DRAFT_PREFIX = "konferencetavlen:unsent:";

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
    return draft && typeof draft.text === "string" && typeof draft.base === "string" ? draft : null;
  } catch {
    return null;
  }
}

function writeDraft(draftKey, text, base) {
  const store = draftStore();
  if (!store || !draftKey) {
    return;
  }
  try {
    if (text === base) {
      store.removeItem(DRAFT_PREFIX + draftKey);
    } else {
      store.setItem(DRAFT_PREFIX + draftKey, JSON.stringify({ text, base }));
    }
  } catch {
    // full or blocked: the timer and leave-flush still save
  }
}

function memoryOf(input) {
  if (!input.liveText) {
    input.liveText = {
      rev: null, sent: null, timer: null, firstPending: null, send: null, height: undefined,
      confirmed: null, draftKey: null,
    };
  }
  return input.liveText;
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
    element("div", { class: "counter", id: "live-text-counter", hidden: "" }),
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
  const memory = memoryOf(input);

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

  // The text itself: only on first show or when Python changed it (a new revision).
  if (memory.rev !== data.rev) {
    const value = data.value ?? "";
    if (input.value !== value) {
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
    clearTimeout(memory.timer);
    memory.timer = null;
    memory.firstPending = null;
    memory.rev = data.rev;
    memory.sent = value;
  }
  showCounter(counter, input, data.maxChars);

  // Unsent text kept in the tab: drop it once Python has it or has another text than it was
  // typed over; put it back (and send it) when the box is new and Python's text is unchanged.
  const firstShow = memory.confirmed === null;
  memory.confirmed = data.value ?? "";
  memory.draftKey = data.draftKey || null;
  const kept = readDraft(memory.draftKey);
  if (kept && (kept.text === memory.confirmed || kept.base !== memory.confirmed)) {
    writeDraft(memory.draftKey, memory.confirmed, memory.confirmed);
  } else if (kept && firstShow && !input.disabled && input.value === memory.confirmed) {
    input.value = kept.text;
    showCounter(counter, input, data.maxChars);
  }

  // Each report is a new state (the stamp), so typing back an earlier text still reaches Python.
  memory.send = (text) => setStateValue("typed", { text, stamp: `${Date.now()}-${Math.random()}` });
  if (input.value !== memory.sent && memory.timer === null) {
    schedule(memory, input); // typed during the rerun that brought this call
  }

  const onInput = () => {
    showCounter(counter, input, data.maxChars);
    writeDraft(memory.draftKey, input.value, memory.confirmed);
    schedule(memory, input);
  };
  const onBlur = () => flush(memory, input);
  const onKeyDown = (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      flush(memory, input);
    }
  };
  const onLeave = () => flush(memory, input);
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
    // A pending timer stays: it sends through the newest `send` (the next call replaces it).
  };
}
