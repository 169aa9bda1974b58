"""The case presentation form with autosave, conflict handling and "Klar til konference".

Drafts never get lost:
- every field saves itself to the database while it is typed (conference.ui.live_text reports
  the text 1.5 s after the last keystroke, and at once when the field is left): an
  ``on_change`` callback calls conference.services.cases.save_draft;
- the form is a fragment that reruns every AUTOSAVE_SECONDS: it saves anything committed but
  not yet saved (e.g. after a failed save), notices other people's saves, and refreshes
  "Gemt kl. HH:MM" and the readiness;
- a reload reads the texts back from the database (nothing lives only in the browser session).

Two people on one case: each field remembers the stored text it started from (its base). A save
of a field someone else changed meanwhile is refused by the service and comes back as a
conflict; the page shows both texts and the person chooses. Other people's changes to fields
this person has not touched are only pulled in when asked ("Vis de nyeste tekster"), so text
being typed is never replaced under the typist's hands. The conflict box follows the stored text
(each run of the form reads it), so "Behold min tekst" saves over the text it shows; conflicts
and merges are in the audit log (the service writes them).

Every save carries the case its text box says the text was typed for (the service refuses text
typed for another case than the form's).

Only the last moment of typing (under 1.5 s; at most 5 s while typing on) lives in the browser
alone, and the field sends that too when the page is left.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import streamlit as st
from sqlalchemy.exc import OperationalError

from conference.formatting import local_clock, local_datetime
from conference.labels import CASE_STATE
from conference.services.cases import (
    CaseStamp,
    CaseView,
    Conflict,
    FieldConflict,
    ReadyInfo,
    case_stamp,
    mark_ready,
    mark_unready,
    save_draft,
)
from conference.services.errors import ServiceError
from conference.services.staff import get_staff
from conference.template import CaseState, TemplateField
from conference.ui.context import clear_caches, db_session
from conference.ui.live_text import live_text_area, reported_for
from conference.ui.text import escape_md

AUTOSAVE_SECONDS = 10
ACTOR_KEY = "case_form_actor_id"
STATE_ICON = {
    CaseState.NOT_STARTED: ":material/radio_button_unchecked:",
    CaseState.DRAFT: ":material/edit_note:",
    CaseState.READY: ":green[:material/check_circle:]",
}


@dataclass
class FormState:
    """The page's memory of one case between reruns (the texts themselves are in the DB)."""

    keys: list[str]
    labels: dict[str, str]
    base: dict[str, str]  # per field: the stored text the widget's text started from
    version: int | None
    saved_at: dt.datetime | None = None
    saved_by: str | None = None
    conflicts: dict[str, FieldConflict] = field(default_factory=dict)
    conflict_by: str = ""
    conflict_at: dt.datetime | None = None
    error: str | None = None
    notice: str | None = None
    ready_error: str | None = None


def widget_key(item_id: int, key: str) -> str:
    return f"case{item_id}_field_{key}"


def _state_key(item_id: int) -> str:
    return f"case{item_id}_form"


def _state(item_id: int) -> FormState:
    return st.session_state[_state_key(item_id)]


def _load(view: CaseView) -> None:
    """Fill the form from the database: on first show, after a reload, or coming back."""
    keys = [f.key for f in view.template.fields]
    base = {k: view.values.get(k, "") or "" for k in keys}
    st.session_state[_state_key(view.agenda_item_id)] = FormState(
        keys=keys,
        labels={f.key: f.label for f in view.template.fields},
        base=base,
        version=view.version,
        saved_at=view.readiness.updated_at,
        saved_by=view.readiness.updated_by,
    )
    for key in keys:
        st.session_state[widget_key(view.agenda_item_id, key)] = base[key]


def ensure_loaded(view: CaseView) -> None:
    state = st.session_state.get(_state_key(view.agenda_item_id))
    if state is None or any(
        widget_key(view.agenda_item_id, k) not in st.session_state for k in state.keys
    ):
        _load(view)


# --------------------------------------------------------------------------- saving


def _pending(item_id: int, state: FormState) -> dict[str, str]:
    """Committed texts that differ from what they started from (conflicts wait for a choice)."""
    result = {}
    for key in state.keys:
        value = st.session_state.get(widget_key(item_id, key))
        if value is None or key in state.conflicts:
            continue
        if value != state.base.get(key, ""):
            result[key] = value
    return result


def _save(item_id: int, changes: dict[str, str], typed_for: int | None = None) -> None:
    state = _state(item_id)
    if not changes:
        return
    base = {k: state.base.get(k, "") for k in changes}
    try:
        with db_session() as session:
            actor = get_staff(session, st.session_state.get(ACTOR_KEY, 0))
            if actor is None:
                state.error = "Vælg, hvem du er, i menuen til venstre."
                return
            result = save_draft(session, actor, item_id, changes, base, state.version,
                                typed_for=typed_for)
            actor_name = actor.name
    except ServiceError as error:
        state.error = str(error)
        return
    except OperationalError:  # e.g. the database is busy: the timer tries again
        state.error = "Teksten kunne ikke gemmes lige nu. Der prøves igen om lidt."
        return
    clear_caches()
    state.error = None
    if isinstance(result, Conflict):
        state.version = result.version
        state.conflict_by = result.saved_by
        state.conflict_at = result.saved_at
        for conflict in result.fields:
            state.conflicts[conflict.key] = conflict
            state.base[conflict.key] = conflict.theirs  # a new commit then means: mine, seen
        return
    state.base.update(changes)
    state.version = result.version
    state.saved_at = result.saved_at
    state.saved_by = actor_name
    for key in changes:
        state.conflicts.pop(key, None)
    if result.unready:
        state.notice = (
            "Markeringen »Klar til konference« er fjernet, fordi et felt, der skal udfyldes, "
            "nu er tomt."
        )


def _on_change(item_id: int, key: str) -> None:
    state = _state(item_id)
    value = st.session_state.get(widget_key(item_id, key), "")
    conflict = state.conflicts.get(key)
    if conflict is not None:
        # The text is saved as it is typed, so typing on must not count as the choice: the box
        # shows the text as it now is, and only a click on one of its buttons saves.
        state.conflicts[key] = replace(conflict, mine=value)
        return
    if value != state.base.get(key, ""):
        _save(item_id, {key: value}, typed_for=reported_for(widget_key(item_id, key)))


def _keep_mine(item_id: int, key: str) -> None:
    state = _state(item_id)
    state.conflicts.pop(key, None)
    _save(item_id, {key: st.session_state.get(widget_key(item_id, key), "")})


def _take_theirs(item_id: int, key: str) -> None:
    state = _state(item_id)
    conflict = state.conflicts.pop(key, None)
    if conflict is not None:
        st.session_state[widget_key(item_id, key)] = conflict.theirs
        state.base[key] = conflict.theirs


def _follow_conflicts(item_id: int, state: FormState, stamp: CaseStamp) -> None:
    """Keep each conflict box on the newest stored text: saved again since the conflict, the box
    shows that text and "Behold min tekst" saves over it; stored equal to this person's text,
    there is nothing left to choose."""
    for key, conflict in list(state.conflicts.items()):
        stored = stamp.values.get(key, "")
        if stored == conflict.theirs:
            continue
        state.base[key] = stored
        state.version = stamp.version
        state.conflict_by = stamp.readiness.updated_by or state.conflict_by
        state.conflict_at = stamp.readiness.updated_at or state.conflict_at
        mine = st.session_state.get(widget_key(item_id, key), "")
        if stored == mine:
            del state.conflicts[key]
        else:
            state.conflicts[key] = replace(conflict, theirs=stored, mine=mine)


def _take_newest(item_id: int, values: dict[str, str], version: int | None) -> None:
    """Pull in other people's texts for the fields this person has not changed."""
    state = _state(item_id)
    for key in state.keys:
        mine = st.session_state.get(widget_key(item_id, key), "")
        if key not in state.conflicts and mine == state.base.get(key, ""):
            st.session_state[widget_key(item_id, key)] = values.get(key, "")
            state.base[key] = values.get(key, "")
    if not _pending(item_id, state) and not state.conflicts:
        state.version = version


def _set_ready(item_id: int, ready: bool) -> None:
    state = _state(item_id)
    _save(item_id, _pending(item_id, state))
    try:
        with db_session() as session:
            actor = get_staff(session, st.session_state.get(ACTOR_KEY, 0))
            if actor is None:
                state.ready_error = "Vælg, hvem du er, i menuen til venstre."
                return
            if ready:
                mark_ready(session, actor, item_id)
            else:
                mark_unready(session, actor, item_id)
    except ServiceError as error:
        state.ready_error = str(error)
        return
    clear_caches()
    state.ready_error = None
    state.notice = None


# --------------------------------------------------------------------------- drawing


def readiness_line(info: ReadyInfo) -> str:
    """'Klar til konference · markeret af X 24. nov. 2026 kl. 15:10' and the like, after an
    icon (markdown)."""
    text = f"{STATE_ICON[info.state]} {CASE_STATE[info.state]}"
    if info.ready and info.ready_by:
        text += f" · markeret af {escape_md(info.ready_by)} {local_datetime(info.ready_at)}"
    elif info.missing:
        text += " · mangler: " + escape_md(", ".join(info.missing))
    return text


def _saved_line(info: ReadyInfo, me: str) -> str:
    """'Gemt kl. 14:05' (by this person) or 'Gemt kl. 14:05 af X': the latest save (markdown)."""
    if info.updated_at is None:
        return "Intet gemt endnu. Teksten gemmes, mens du skriver."
    who = "" if info.updated_by in (None, me) else f" af {escape_md(info.updated_by)}"
    return f"Gemt kl. {local_clock(info.updated_at)}{who}"


def _conflict_box(item_id: int, state: FormState, key: str) -> None:
    conflict = state.conflicts[key]
    with st.container(border=True):
        st.warning(escape_md(
            f"{state.conflict_by or 'En anden'} gemte en anden tekst i »{conflict.label}« "
            f"kl. {local_clock(state.conflict_at)}, mens du skrev. Din tekst er ikke gemt. "
            "Vælg, hvilken der skal gælde – eller ret feltet, så det rummer begge, og vælg "
            "så »Behold min tekst«."
        ))
        mine_col, theirs_col = st.columns(2)
        with mine_col:
            st.markdown("**Din tekst**")
            st.text(conflict.mine or "(tom)")
            st.button("Behold min tekst", key=f"case{item_id}_keep_{key}",
                      on_click=_keep_mine, args=(item_id, key))
        with theirs_col:
            st.markdown(f"**Gemt af {escape_md(state.conflict_by or 'en anden')}**")
            st.text(conflict.theirs or "(tom)")
            st.button("Brug den gemte tekst", key=f"case{item_id}_theirs_{key}",
                      on_click=_take_theirs, args=(item_id, key))


def _field(view: CaseView, state: FormState, spec: TemplateField) -> None:
    item_id = view.agenda_item_id
    label = spec.label + (" *" if spec.required and not spec.system else "")
    if spec.system:
        st.markdown(f"**{escape_md(spec.label)}**")
        st.caption("Udfyldt af systemet ud fra patientens data og holdt opdateret.")
        with st.container(border=True):
            st.text(view.system.get(spec.key, ""))
        live_text_area(
            f"{spec.label}: mikroteamets tilføjelse",
            key=widget_key(item_id, spec.key),
            help=spec.help or None,
            height=80,
            placeholder="Tilføj det, systemet ikke ved (valgfrit).",
            on_change=_on_change,
            args=(item_id, spec.key),
            disabled=not view.editable,
            belongs_to=item_id,
        )
    else:
        live_text_area(
            label,
            key=widget_key(item_id, spec.key),
            help=spec.help or None,
            height=140,
            placeholder=spec.help or None,
            on_change=_on_change,
            args=(item_id, spec.key),
            disabled=not view.editable,
            belongs_to=item_id,
        )
    if spec.key in state.conflicts:
        _conflict_box(item_id, state, spec.key)


@st.fragment(run_every=AUTOSAVE_SECONDS)
def case_form(view: CaseView, me: str) -> None:
    """The template form of one case; reruns on its own to save and to notice others."""
    item_id = view.agenda_item_id
    ensure_loaded(view)
    state = _state(item_id)
    if view.editable:
        _save(item_id, _pending(item_id, state))  # the timer: anything committed, not saved
    with db_session() as session:
        stamp = case_stamp(session, item_id)
    info = stamp.readiness
    _follow_conflicts(item_id, state, stamp)

    top_left, top_right = st.columns([3, 2], vertical_alignment="center")
    top_left.markdown(f"**{readiness_line(info)}**")
    top_right.caption(_saved_line(info, me), help=(
        "Teksten gemmes i databasen, mens du skriver (lidt efter sidste tastetryk) og når du "
        f"forlader feltet, og formularen ser efter ændringer hvert {AUTOSAVE_SECONDS}. sekund."
    ))
    if view.template.version_no < view.newest_template:
        st.caption(
            f"Sagen skrives efter skabelonens version {view.template.version_no} "
            f"(nyeste er version {view.newest_template})."
        )
    if not view.editable:
        st.info("Konferencen er afholdt; sagsfremstillingen kan kun læses.")

    newer = [
        k for k in state.keys
        if k not in state.conflicts
        and stamp.values.get(k, "") != state.base.get(k, "")
        and st.session_state.get(widget_key(item_id, k), "") == state.base.get(k, "")
    ]
    if newer:
        by = f" af {info.updated_by}" if info.updated_by else ""
        st.info(escape_md(
            f"Der er gemt nyere tekst{by} kl. {local_clock(info.updated_at)} i "
            + ", ".join(f"»{state.labels[k]}«" for k in newer) + "."
        ))
        st.button("Vis de nyeste tekster", key=f"case{item_id}_newest", on_click=_take_newest,
                  args=(item_id, stamp.values, stamp.version))
    if state.error:
        st.error(state.error)
    if state.notice:
        st.warning(state.notice)

    st.caption("Felter med * skal udfyldes, før sagen kan markeres klar til konference.")
    for spec in view.template.fields:
        _field(view, state, spec)

    if not view.editable:
        return
    if state.ready_error:
        st.error(state.ready_error)
    if info.ready:
        st.button("Fjern markeringen »klar«", key=f"case{item_id}_unready",
                  on_click=_set_ready, args=(item_id, False))
    else:
        st.button("Klar til konference", key=f"case{item_id}_ready", type="primary",
                  on_click=_set_ready, args=(item_id, True))
