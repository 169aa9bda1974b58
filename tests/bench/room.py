"""The whole room connected (issue 14): many sessions on one server, without browsers.

    uv run python -m tests.bench.room [--followers 0,10,20,30] [--minutes 10] [--scale 10]
                                      [--db sqlite|<PostgreSQL server URL>] [--instances 1|2]

Each simulated session speaks Streamlit's own WebSocket protocol, as the 1.67 frontend does:
it connects to ws://host:port/_stcore/stream (subprotocol "streamlit"), sends a `rerun_script`
BackMsg whose ClientState carries the page's name (its URL path; later also the
page_script_hash the server named in its `navigation` message), the query string
(?som=INITIALS: the demo picker) and the widget states, and reads the ForwardMsgs that come
back: `new_session` and `script_finished` frame each run, the deltas carry the elements (and
their widget ids and fragment ids), `auto_rerun` asks the client to rerun a fragment every n
seconds (the board's clocks and polling: the client keeps these timers, as the browser does),
`page_info_changed` rewrites the query string. A click is a `trigger_value`, typed text in the
autosave box (live_text.py, a components.v2 component) is the component's `json_value`
{"typed": {text, stamp, key, for}}, sent with the fragment id of the element, as the browser
sends it.

Scenario "the room", on a demo centre whose next conference is a running meeting
(views.prepare_meeting, through conference.services.agenda):

- the leader on /konference clicking "Næste ▶" every 20–60 s (seeded); before a click at the
  last case the meeting is rewound to its first case (as tests/bench/users.py does);
- the projection, /konference?visning=projektion: it only watches;
- the referent on /referat, following the board ("Gå til sagen") and typing the conclusion
  ("Uddybning af konklusionen") of the current case every 4–6 s;
- six microteam members on /forbered_sag?sag=<their case>, typing in the case every 4–6 s;
- F followers on /konference, idle.

An interaction's figure is the time from sending its BackMsg to the `script_finished` of the run
it started (a session sends none of its own timer reruns while it waits, and waits up to 3 s
for a run in progress to end first). For each F a fresh server (or two on the same database,
sessions spread over them in turn, no nginx) runs the scenario for --minutes after every session
has drawn its page; the server's CPU (psutil, user + system) over that time and its RSS
(sampled every 2 s) are reported beside the latencies, errors (exceptions in deltas,
disconnects, interactions unanswered in 120 s, a Næste that did not move the board, a typist's
last saved words missing from the database) and the bytes and messages an idle follower
received per minute (payload sizes after the WebSocket's own compression is undone).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil
import websockets
from sqlalchemy import select
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from conference.ui import navigation
from db.models import CasePresentation, Conclusion, Staff
from db.session import make_engine, session_scope
from tests.bench.browser import current_name
from tests.bench.centre import centres
from tests.bench.views import rewind_at_last_case
from tests.streamlit_server import StreamlitServer

NEXT_LABEL = "Næste ▶"
FOLLOW_LABEL = "Gå til sagen"
CONCLUSION_KEY = "_decision_text"  # conclusion_form._key(item, "decision_text") = ref<id>_…
ANSWER_TIMEOUT = 120.0  # s: an interaction unanswered this long counts as an error
READY_TIMEOUT = 120.0  # s: sessions whose page is not drawn by then count as errors
SUCCESS = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


# --------------------------------------------------------------------------- the protocol (pure)


@dataclass
class Widget:
    """One element that takes input, as a delta drew it."""

    kind: str  # the Element oneof: "button", "text_area", "bidi_component", …
    id: str
    label: str = ""
    fragment_id: str = ""
    disabled: bool = False
    data: dict[str, Any] = field(default_factory=dict)  # a components.v2 element's JSON data
    path: tuple[int, ...] = ()
    run: int = 0  # the run (count of new_session messages) that drew it last


def widget_from_delta(msg: ForwardMsg, run: int = 0) -> Widget | None:
    """The widget a ForwardMsg's delta draws (None: no delta, or no widget)."""
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind is None:
        return None
    proto = getattr(element, kind)
    widget_id = getattr(proto, "id", "")
    if not isinstance(widget_id, str) or not widget_id:
        return None
    data: dict[str, Any] = {}
    if kind == "bidi_component":
        raw = proto.json or (proto.mixed.json if proto.HasField("mixed") else "")
        with contextlib.suppress(ValueError):
            parsed = json.loads(raw) if raw else {}
            data = parsed if isinstance(parsed, dict) else {}
    return Widget(
        kind=kind, id=widget_id, label=getattr(proto, "label", "") or data.get("label", ""),
        fragment_id=msg.delta.fragment_id, disabled=bool(getattr(proto, "disabled", False)),
        data=data, path=tuple(msg.metadata.delta_path), run=run,
    )


def exception_in_delta(msg: ForwardMsg) -> str | None:
    """The exception a delta shows (st.exception or an uncaught error), else None."""
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    element = msg.delta.new_element
    if element.WhichOneof("type") != "exception":
        return None
    return f"{element.exception.type}: {element.exception.message}"


def trigger(widget_id: str) -> WidgetState:
    """A button's click (the browser sends trigger_value true once)."""
    return WidgetState(id=widget_id, trigger_value=True)


def text_value(widget_id: str, text: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=text)


def typed_report(widget: Widget, text: str, stamp: str) -> WidgetState:
    """What live_text.js's setStateValue("typed", …) sends: the component's whole state as
    JSON (json_value), naming the box's key and what it belongs to."""
    state = {"typed": {"text": text, "stamp": stamp, "key": widget.data.get("draftKey"),
                       "for": widget.data.get("belongsTo")}}
    return WidgetState(id=widget.id, json_value=json.dumps(state))


def rerun_message(
    *, query_string: str, page_name: str, page_script_hash: str = "",
    widgets: list[WidgetState] | tuple[WidgetState, ...] = (), fragment_id: str = "",
    auto: bool = False,
) -> BackMsg:
    """The rerun_script BackMsg the frontend sends for a page load, a widget change or a
    fragment's timer (auto)."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query_string
    state.page_name = page_name
    state.page_script_hash = page_script_hash
    state.widget_states.widgets.extend(widgets)
    state.fragment_id = fragment_id
    state.is_auto_rerun = auto
    state.context_info.timezone = "Europe/Copenhagen"
    state.context_info.timezone_offset = -60
    state.context_info.locale = "da-DK"
    return msg


def find(widgets: list[Widget], *, kind: str, label: str | None = None,
         draft_key_part: str | None = None) -> Widget | None:
    """The most recently drawn enabled widget of `kind` with this label (or whose components.v2
    draftKey contains `draft_key_part`)."""
    for widget in sorted(widgets, key=lambda w: w.run, reverse=True):
        if widget.kind != kind or widget.disabled:
            continue
        if label is not None and widget.label.split("\n")[0].strip() != label:
            continue
        draft_key = widget.data.get("draftKey")
        if draft_key_part is not None and not (
            isinstance(draft_key, str) and draft_key_part in draft_key
        ):
            continue
        return widget
    return None


# --------------------------------------------------------------------------- one session


@dataclass
class Stats:
    role: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bytes: int = 0
    messages: int = 0
    ready_bytes: int = 0  # received when the page had been drawn
    ready_messages: int = 0
    ready_at: float = 0.0
    ended_at: float = 0.0


class Session:
    """One browser tab, without the browser."""

    def __init__(self, base_ws: str, path: str, params: dict[str, str], role: str) -> None:
        self.uri = f"{base_ws}/_stcore/stream"
        self.page_name = path.strip("/")
        self.query_string = urlencode(params)
        self.page_hash = ""
        self.stats = Stats(role)
        self.elements: dict[tuple[int, ...], Widget] = {}
        self.values: dict[str, WidgetState] = {}  # widget values set so far (sent every rerun)
        self.timers: dict[str, asyncio.Task] = {}
        self.run = 0
        self.run_fragments: tuple[str, ...] = ()
        self.running = False
        self.idle = asyncio.Event()
        self.ready = asyncio.Event()
        self.waiting: asyncio.Future | None = None
        self.wait_from_run = 0
        self.wait_fragment = ""
        self.ws: Any = None
        self.closing = False

    # sending ---------------------------------------------------------------------------------
    async def send_rerun(self, extra: list[WidgetState] | None = None, fragment_id: str = "",
                         auto: bool = False) -> None:
        widgets = [v for k, v in self.values.items() if not extra or all(e.id != k for e in extra)]
        msg = rerun_message(query_string=self.query_string, page_name=self.page_name,
                            page_script_hash=self.page_hash, widgets=widgets + (extra or []),
                            fragment_id=fragment_id, auto=auto)
        await self.ws.send(msg.SerializeToString())

    async def interact(self, change: WidgetState, widget: Widget, keep: bool = False) -> float:
        """Send one widget change and wait for the run it starts to finish: its seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), 3.0)
        loop = asyncio.get_running_loop()
        self.waiting = loop.create_future()
        self.wait_from_run = self.run
        self.wait_fragment = widget.fragment_id
        started = time.perf_counter()
        if keep:
            self.values[change.id] = change
        await self.send_rerun([change], fragment_id=widget.fragment_id)
        try:
            await asyncio.wait_for(asyncio.shield(self.waiting), ANSWER_TIMEOUT)
            seconds = time.perf_counter() - started
        except TimeoutError:
            self.stats.errors.append(f"{self.stats.role}: no answer in {ANSWER_TIMEOUT:.0f} s")
            seconds = math.inf
        finally:
            self.waiting = None
        self.stats.latencies.append(seconds)
        return seconds

    async def _auto(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self.waiting is None:  # no own timer run while an interaction is measured
                with contextlib.suppress(websockets.ConnectionClosed):
                    await self.send_rerun(fragment_id=fragment_id, auto=True)

    # receiving -------------------------------------------------------------------------------
    def handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.run += 1
            self.running = True
            self.idle.clear()
            self.run_fragments = tuple(msg.metadata.run.fragment_ids)
            if not self.run_fragments:  # a full run: the browser drops its fragment timers
                for task in self.timers.values():
                    task.cancel()
                self.timers.clear()
        elif kind == "delta":
            problem = exception_in_delta(msg)
            if problem:
                self.stats.errors.append(f"{self.stats.role}: {problem}"[:300])
            widget = widget_from_delta(msg, self.run)
            path = tuple(msg.metadata.delta_path)
            if widget is not None:
                self.elements[path] = widget
            else:
                self.elements.pop(path, None)
        elif kind == "auto_rerun":
            fragment_id = msg.auto_rerun.fragment_id
            if fragment_id in self.timers:
                self.timers.pop(fragment_id).cancel()
            self.timers[fragment_id] = asyncio.create_task(
                self._auto(fragment_id, msg.auto_rerun.interval))
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                if fragment_id in self.timers:
                    self.timers.pop(fragment_id).cancel()
        elif kind == "navigation":  # st.navigation names the page drawn (new_session names
            self.page_hash = msg.navigation.page_script_hash  # the main script)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.stats.errors.append(f"{self.stats.role}: page not found")
        elif kind == "script_finished":
            self.running = False
            self.idle.set()
            status = msg.script_finished
            if status in SUCCESS:
                # what the run did not draw again is gone (the whole page, or its fragments)
                stale = [p for p, w in self.elements.items() if w.run < self.run and (
                    not self.run_fragments or w.fragment_id in self.run_fragments)]
                for path in stale:
                    del self.elements[path]
                if not self.ready.is_set() and status == ForwardMsg.FINISHED_SUCCESSFULLY:
                    self.stats.ready_at = time.monotonic()
                    self.stats.ready_bytes = self.stats.bytes
                    self.stats.ready_messages = self.stats.messages
                    self.ready.set()
                if self.answers_the_wait():
                    self.waiting.set_result(self.run)

    def answers_the_wait(self) -> bool:
        """Whether the run that just finished well is the one the awaited change started: a
        run begun after it was sent, of the whole page or of the widget's fragment."""
        return (self.waiting is not None and not self.waiting.done()
                and self.run > self.wait_from_run
                and (not self.run_fragments or self.wait_fragment in self.run_fragments))

    def widgets(self) -> list[Widget]:
        return list(self.elements.values())

    async def open(self) -> None:
        self.ws = await websockets.connect(self.uri, subprotocols=["streamlit"], max_size=None,
                                           ping_interval=None, open_timeout=60)
        self.receiver = asyncio.create_task(self._receive())
        await self.send_rerun()

    async def _receive(self) -> None:
        try:
            async for raw in self.ws:
                self.stats.bytes += len(raw)
                self.stats.messages += 1
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self.handle(msg)
        except websockets.ConnectionClosed:
            pass
        if not self.closing:
            self.stats.errors.append(f"{self.stats.role}: disconnected")

    async def close(self) -> None:
        self.closing = True
        self.stats.ended_at = time.monotonic()
        for task in self.timers.values():
            task.cancel()
        await self.ws.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self.receiver


# --------------------------------------------------------------------------- the roles


async def leader_loop(session: Session, stop: asyncio.Event, rng: random.Random,
                      url: str, today: dt.date, interval: tuple[float, float]) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(*interval))
        if stop.is_set():
            return
        if await asyncio.to_thread(rewind_at_last_case, url, today):
            await asyncio.sleep(4)  # the board's fragment shows the rewound case
        button = find(session.widgets(), kind="button", label=NEXT_LABEL)
        if button is None:
            session.stats.errors.append("leader: no 'Næste ▶' on the board")
            continue
        before = await asyncio.to_thread(current_name, url, today)
        seconds = await session.interact(trigger(button.id), button)
        if math.isfinite(seconds) and await asyncio.to_thread(current_name, url, today) == before:
            session.stats.errors.append("leader: 'Næste ▶' did not move the board")


@dataclass
class Typed:
    saves: int = 0
    last: dict[str, tuple[Any, str]] = field(default_factory=dict)  # box: (belongs to, text)


async def typist_loop(session: Session, stop: asyncio.Event, rng: random.Random,
                      draft_key_part: str, follow: bool, name: str) -> Typed:
    texts: dict[str, str] = {}
    typed = Typed()
    tag = f"{name}-{rng.randrange(16**4):04x}"  # this run's words, never an earlier run's
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(4.0, 6.0))
        if stop.is_set():
            break
        if follow and (go := find(session.widgets(), kind="button", label=FOLLOW_LABEL)):
            await session.interact(trigger(go.id), go)
        box = find(session.widgets(), kind="bidi_component", draft_key_part=draft_key_part)
        if box is None:
            session.stats.errors.append(
                f"{name}: no text box to type in (page has "
                + ", ".join(sorted({w.kind for w in session.widgets()})) + ")")
            continue
        key = str(box.data.get("draftKey"))
        texts.setdefault(key, str(box.data.get("value") or ""))
        texts[key] += f" {tag} {typed.saves + 1}."
        stamp = f"{time.time() * 1000:.0f}-{rng.random()}"
        seconds = await session.interact(typed_report(box, texts[key], stamp), box, keep=True)
        typed.saves += 1
        if math.isfinite(seconds):
            typed.last[key] = (box.data.get("belongsTo"), f"{tag} {typed.saves}.")
    return typed


def lost_saves(url: str, typed: list[Typed]) -> list[str]:
    """The last words each typist saw saved in a box, looked for in the database (the
    conclusion's text, or the case presentation's fields): what is missing was lost."""
    engine = make_engine(url)
    lost = []
    with session_scope(engine) as session:
        for one in typed:
            for key, (item_id, words) in one.last.items():
                if key.endswith("_decision_text"):
                    stored = session.scalar(select(Conclusion.decision_text)
                                            .where(Conclusion.agenda_item_id == item_id))
                else:
                    stored = json.dumps(session.scalar(
                        select(CasePresentation.fields)
                        .where(CasePresentation.agenda_item_id == item_id)), ensure_ascii=False)
                if words not in (stored or ""):
                    lost.append(f"lost autosave: {key} has not {words!r}")
    engine.dispose()
    return lost


# --------------------------------------------------------------------------- the run


@dataclass
class Cast:
    leader: str
    referent: str
    members: list[tuple[str, int]]
    followers: list[str]


def cast_of(url: str, today: dt.date) -> Cast:
    from tests.bench.users import cast  # the same people as the browser benchmark

    who = cast(url, today)
    engine = make_engine(url)
    with session_scope(engine) as session:
        staff = session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name))
        followers = [s.initials for s in staff if "konference" in navigation.allowed_urls(s)]
    engine.dispose()
    return Cast(who.leader, who.referent, who.members, followers)


class Sampler:
    """The servers' CPU seconds and RSS, sampled every 2 s."""

    def __init__(self, pids: list[int]) -> None:
        self.processes = [psutil.Process(pid) for pid in pids]
        self.rss: list[float] = []

    def cpu(self) -> float:
        return sum(p.cpu_times().user + p.cpu_times().system for p in self.processes)

    def rss_mb(self) -> float:
        return sum(p.memory_info().rss for p in self.processes) / 2**20

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.rss.append(self.rss_mb())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)


async def the_room(bases: list[str], pids: list[int], who: Cast, followers: int,
                   minutes: float, url: str, today: dt.date, seed: int,
                   interval: tuple[float, float]) -> dict:
    rng = random.Random(seed)
    turn = iter(range(10**6))

    def ws(_: object = None) -> str:  # the sessions spread over the instances in turn
        return bases[next(turn) % len(bases)].replace("http://", "ws://")

    # The server's first run goes through app.py (see the report of issue 9): warm it up.
    for base in bases:
        warm = Session(base.replace("http://", "ws://"), "/", {"som": who.leader}, "warm-up")
        await warm.open()
        await asyncio.wait_for(warm.ready.wait(), READY_TIMEOUT)
        await warm.close()
    await asyncio.to_thread(rewind_at_last_case, url, today)

    leader = Session(ws(), "/konference", {"som": who.leader}, "leader")
    projection = Session(ws(), "/konference", {"visning": "projektion", "som": who.leader},
                         "projection")
    referent = Session(ws(), "/referat", {"som": who.referent}, "referent")
    members = [Session(ws(), "/forbered_sag", {"sag": str(item), "som": initials}, "member")
               for initials, item in who.members]
    idle = [Session(ws(), "/konference", {"som": who.followers[i % len(who.followers)]},
                    "follower") for i in range(followers)]
    everyone = [leader, projection, referent, *members, *idle]
    for session in everyone:  # one after another, as people come in
        await session.open()
    with contextlib.suppress(TimeoutError):  # a saturated server: measure what there is
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in everyone)),
                               READY_TIMEOUT)
    not_drawn = [f"{s.stats.role}: page not drawn within {READY_TIMEOUT:.0f} s"
                 for s in everyone if not s.ready.is_set()]

    sampler = Sampler(pids)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    cpu0, wall0 = sampler.cpu(), time.monotonic()
    me = psutil.Process()
    own0 = me.cpu_times().user + me.cpu_times().system
    load0 = os.getloadavg()
    for follower in idle:  # what an idle follower receives is counted from here
        follower.stats.ready_bytes, follower.stats.ready_messages = (
            follower.stats.bytes, follower.stats.messages)
        follower.stats.ready_at = wall0
    tasks = [
        asyncio.create_task(leader_loop(leader, stop, random.Random(rng.random()), url, today,
                                        interval)),
        asyncio.create_task(typist_loop(referent, stop, random.Random(rng.random()),
                                        CONCLUSION_KEY, True, "Referent")),
        *[asyncio.create_task(typist_loop(m, stop, random.Random(rng.random()),
                                          f"case{item}_field_", False, f"Mikroteam{n}"))
          for n, (m, (_, item)) in enumerate(zip(members, who.members, strict=True))],
    ]
    await asyncio.sleep(minutes * 60)
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    wall = time.monotonic() - wall0
    cpu = sampler.cpu() - cpu0
    own = me.cpu_times().user + me.cpu_times().system - own0
    await sampling
    rss_end = sampler.rss_mb()
    for session in everyone:
        await session.close()
    crashed = [f"task: {r!r}" for r in results if isinstance(r, BaseException)]
    typed = [r for r in results if isinstance(r, Typed)]
    lost = await asyncio.to_thread(lost_saves, url, typed)
    return {
        "followers": followers, "wall": wall, "cpu": cpu, "own_cpu": own,
        "rss_end": rss_end, "rss_max": max(sampler.rss or [rss_end]),
        "leader": leader.stats.latencies,
        "all": [x for s in (leader, referent, *members) for x in s.stats.latencies],
        "errors": not_drawn + crashed + lost + [e for s in everyone for e in s.stats.errors],
        "saves": sum(t.saves for t in typed), "lost": len(lost),
        "idle": [(s.stats.bytes - s.stats.ready_bytes, s.stats.messages - s.stats.ready_messages,
                  s.stats.ended_at - s.stats.ready_at) for s in idle],
        "load": (load0, os.getloadavg()),
        "roles": roles(everyone, wall),
    }


def roles(sessions: list[Session], wall: float) -> dict[str, tuple[int, float, float, float]]:
    """Per role: sessions, and per session and minute over the whole run (page load
    included) the script runs seen, messages and kB received: where the server's time went."""
    out: dict[str, list[Session]] = {}
    for session in sessions:
        out.setdefault(session.stats.role, []).append(session)
    minutes = max(wall, 1.0) / 60
    return {role: (len(group),
                   sum(s.run for s in group) / len(group) / minutes,
                   sum(s.stats.messages for s in group) / len(group) / minutes,
                   sum(s.stats.bytes for s in group) / len(group) / minutes / 1000)
            for role, group in out.items()}


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(rows: list[dict], label: str) -> str:
    lines = [
        f"The room · {label}",
        "| F | leader Næste p50 / p95 (s) | all interactions p50 / p95 (s) | n | "
        "server CPU (% of a core) | RSS at end (MB) | errors | idle follower per min "
        "(kB / msgs) | load avg (start → end) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        idle = r["idle"]
        per_min_kb = (statistics.mean(b / (t / 60) for b, _, t in idle) / 1000) if idle else 0
        per_min_msgs = statistics.mean(m / (t / 60) for _, m, t in idle) if idle else 0
        idle_text = f"{per_min_kb:,.1f} / {per_min_msgs:,.0f}" if idle else "–"
        lines.append(
            f"| {r['followers']} | {pct(r['leader'], .5):.2f} / {pct(r['leader'], .95):.2f} "
            f"| {pct(r['all'], .5):.2f} / {pct(r['all'], .95):.2f} "
            f"| {len(r['leader'])} + {len(r['all']) - len(r['leader'])} "
            f"| {100 * r['cpu'] / r['wall']:.0f} % | {r['rss_end']:.0f} "
            f"| {len(r['errors'])} | {idle_text} "
            f"| {r['load'][0][0]:.1f} → {r['load'][1][0]:.1f} |"
        )
    by_f = {r["followers"]: r for r in rows}
    if 0 in by_f and len(by_f) > 1:
        top = max(by_f)
        per = (100 * (by_f[top]["cpu"] / by_f[top]["wall"] - by_f[0]["cpu"] / by_f[0]["wall"])
               / top)
        lines.append(f"\nIdle follower CPU: {per:.2f} % of a core per idle session "
                     f"((F={top} − F=0) / {top}; target ≤ 0.5 %)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.room", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", default="0,10,20,30")
    parser.add_argument("--minutes", type=float, default=10.0, help="per F")
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--db", default="sqlite",
                        help="sqlite, or a PostgreSQL server URL (…/test)")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--leader-every", default="20,60",
                        help="seconds between the leader's clicks: min,max")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse a SQLite file already in --workdir")
    args = parser.parse_args(argv)
    server_url = None if args.db == "sqlite" else args.db
    followers = [int(f) for f in args.followers.split(",")]
    interval = tuple(float(x) for x in args.leader_every.split(","))
    today = dt.date.fromisoformat(os.environ["KT_TODAY"]) if os.environ.get("KT_TODAY") \
        else dt.date.today()
    label = (f"scale {args.scale:g} · {'PostgreSQL' if server_url else 'SQLite'} · "
             f"{args.instances} instance{'s' if args.instances > 1 else ''} · "
             f"{args.minutes:g} min per F · {os.cpu_count()} CPUs")
    print(f"Konferencetavlen: the room · {label}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kt-room-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        with centres([args.scale], server=server_url, workdir=workdir, reuse=args.reuse,
                     today=today, log=lambda m: print(m, flush=True)) as built:
            url = built[0].url
            who = cast_of(url, today)
            print(f"  leader {who.leader}, referent {who.referent}, members "
                  + ", ".join(f"{i} (sag {s})" for i, s in who.members), flush=True)
            for count in followers:
                print(f"  F = {count}: starting {args.instances} server(s) …", flush=True)
                servers = [StreamlitServer(env={"DATABASE_URL": url}, log_dir=workdir)
                           for _ in range(args.instances)]
                try:
                    row = asyncio.run(the_room(
                        [s.url for s in servers], [s.process.pid for s in servers], who,
                        count, args.minutes, url, today, args.seed, interval))
                finally:
                    for s in servers:
                        s.stop()
                rows.append(row)
                print(f"  F = {count}: leader {len(row['leader'])} clicks, "
                      f"{row['saves']} saves typed ({row['lost']} lost), "
                      f"{len(row['errors'])} errors, "
                      f"this generator's CPU {100 * row['own_cpu'] / row['wall']:.0f} %",
                      flush=True)
                for error in row["errors"][:5]:
                    print(f"    {error}", flush=True)
                print("    per session and minute: " + "; ".join(
                    f"{role} ×{n}: {r:.0f} runs, {m:.0f} msgs, {kb:.0f} kB"
                    for role, (n, r, m, kb) in row["roles"].items()), flush=True)
                print(table([row], label), flush=True)
    print()
    print(table(rows, label))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
