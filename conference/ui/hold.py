"""The Hold page's forms: each hands its write to conference.services.groups in a callback.

Writes run in `on_click` callbacks so they get the versions the therapist saw when the form was
drawn (the callback's arguments), not the ones a rerun would read: a save that crosses someone
else's is caught and both versions are shown. The outcome is kept as a message for the form's
own section ("flash") and shown on the run that follows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from conference.formatting import date_short
from conference.hold_view import flag_byline, flag_choices, flag_heading, session_option
from conference.labels import ATTENDANCE
from conference.services import groups
from conference.services.errors import NotFound, ServiceError
from conference.services.staff import StaffOption, get_staff
from conference.ui.context import clear_caches, db_session
from conference.ui.text import escape_md
from db.models import AttendanceStatus, Staff

FLASH = "hold_flash"
GROUP_PARAM = "hold"
VIEW_PARAM = "vis"
STATUSES = list(AttendanceStatus)


# --------------------------------------------------------------------------- plumbing


def _flash(section: str, kind: str, text: str) -> None:
    st.session_state[FLASH] = (section, kind, text)


def show_flash(section: str) -> None:
    """The outcome of the last write made from `section`, once."""
    message = st.session_state.get(FLASH)
    if not message or message[0] != section:
        return
    del st.session_state[FLASH]
    _, kind, text = message
    if kind == "success":
        st.success(text)
        return
    headline, _, rest = text.partition("\n\n")
    st.error(headline)
    if rest:
        st.text(rest)  # may quote user text: shown as text, never as markdown


def _act(
    section: str,
    success: str,
    actor_id: int,
    write: Callable[[Session, Staff], Any],
) -> Any:
    """Run one write as the acting user; a refusal becomes the section's Danish message."""
    try:
        with db_session() as session:
            actor = get_staff(session, actor_id)
            if actor is None:
                raise NotFound("Den valgte medarbejder findes ikke længere. Vælg igen.")
            result = write(session, actor)
            result_id = getattr(result, "id", result)
    except ServiceError as error:
        _flash(section, "error", str(error))
        return None
    clear_caches()
    _flash(section, "success", success)
    return result_id


# --------------------------------------------------------------------------- create a group


def _create(actor_id: int, day: dt.date) -> None:
    s = st.session_state
    kind = s.get("hold_new_kind")
    new_id = _act(
        "create",
        "Holdet er oprettet med holdgange efter katalogets rytme.",
        actor_id,
        lambda session, actor: groups.create_group(
            session,
            actor,
            kind.code if kind else "",
            s.get("hold_new_start"),
            [o.id for o in s.get("hold_new_therapists") or []],
            name=s.get("hold_new_name"),
            capacity=s.get("hold_new_capacity"),
            starts_at=s.get("hold_new_time"),
        ),
    )
    if new_id is not None:
        st.query_params[GROUP_PARAM] = str(new_id)
        start = s.get("hold_new_start")
        st.query_params[VIEW_PARAM] = (
            groups.Period.PLANNED if start and start > day else groups.Period.RUNNING
        ).value
        s["hold_new_name"] = ""


def create_group_form(
    kinds: list[groups.GroupKind], staff: list[StaffOption], day: dt.date, actor_id: int
) -> None:
    with st.expander("Opret nyt hold"):
        show_flash("create")
        with st.form("hold_new"):
            left, right = st.columns(2)
            left.selectbox(
                "Indsats", kinds, format_func=_kind_label, key="hold_new_kind",
            )
            left.text_input(
                "Navn", key="hold_new_name", max_chars=groups.NAME_MAX_LENGTH,
                placeholder="Tomt: indsats og startuge, fx »Afspænding – uge 3, 2027«",
            )
            left.multiselect(
                "Behandlere (1–2)", staff, format_func=lambda o: o.label, max_selections=2,
                key="hold_new_therapists", placeholder="Vælg holdets behandlere",
            )
            right.date_input("Første holdgang", value=day, format="DD.MM.YYYY",
                             key="hold_new_start")
            right.time_input("Kl.", value=dt.time(9, 0), step=dt.timedelta(minutes=15),
                             key="hold_new_time")
            right.number_input(
                "Pladser", min_value=1, max_value=50, value=None, step=1,
                key="hold_new_capacity", placeholder="Tomt: katalogets antal",
            )
            st.caption(
                "Holdgangene lægges efter indsatsens rytme i kataloget; de kan flyttes enkeltvis "
                "bagefter (fx helligdage). Mindfulness får stilhedsdagen mellem 6. og 7. gang."
            )
            st.form_submit_button("Opret hold", on_click=_create, args=(actor_id, day))


def _kind_label(kind: groups.GroupKind) -> str:
    parts = []
    if kind.sessions:
        parts.append(f"{kind.sessions} × {kind.session_minutes} min" if kind.session_minutes
                     else f"{kind.sessions} gange")
    if kind.interval_days and (kind.sessions or 0) > 1:
        parts.append("ugentligt" if kind.interval_days == 7 else f"hver {kind.interval_days}. dag")
    if kind.capacity:
        parts.append(f"højst {kind.capacity}")
    return f"{kind.name} ({', '.join(parts)})" if parts else kind.name


# --------------------------------------------------------------------------- attendance


def _attendance_key(session_id: int, row: groups.RosterRow, seen: int | None) -> str:
    return f"hold_att_{session_id}_{row.enrolment_id}_{seen or 0}"


def _save_attendance(
    session_id: int, fields: list[tuple[int, str, int | None]], actor_id: int, day: dt.date
) -> None:
    marks = {eid: st.session_state[key] for eid, key, _ in fields}
    seen = {eid: version for eid, _, version in fields}
    _act(
        "attendance",
        "Fremmødet er gemt.",
        actor_id,
        lambda session, actor: groups.record_attendance(
            session, actor, session_id, marks, seen, day
        ),
    )


def attendance_form(detail: groups.GroupDetail, day: dt.date, actor_id: int) -> None:
    show_flash("attendance")
    held = [s for s in detail.sessions if s.held]
    roster = detail.active_roster
    if not held:
        first = detail.sessions[0].date if detail.sessions else None
        st.info(f"Holdet er ikke begyndt; fremmøde registreres fra første holdgang "
                f"({date_short(first)}).")
        return
    if not roster:
        st.info("Der er ingen deltagere på holdet.")
        return
    by_id = {s.id: s for s in held}
    chosen = st.selectbox(
        "Holdgang", list(reversed(list(by_id))), format_func=lambda i: session_option(by_id[i]),
        key=f"hold_att_session_{detail.summary.id}",
    )
    st.caption("Alle står som mødt, indtil andet er registreret: ret dem, der ikke kom, og gem.")
    fields = []
    with st.form(f"hold_att_form_{chosen}"):
        for row in roster:
            mark = detail.marks.get((row.enrolment_id, chosen))
            seen = mark.version if mark else None
            key = _attendance_key(chosen, row, seen)
            name_col, marks_col = st.columns([2, 3], vertical_alignment="center")
            name_col.text(row.name)
            marks_col.radio(
                escape_md(row.name),
                [s.value for s in STATUSES],
                index=[s.value for s in STATUSES].index(mark.status) if mark else 0,
                format_func=lambda v: ATTENDANCE[AttendanceStatus(v)],
                horizontal=True,
                label_visibility="collapsed",
                key=key,
            )
            fields.append((row.enrolment_id, key, seen))
        st.form_submit_button(
            "Gem fremmøde", type="primary", on_click=_save_attendance,
            args=(chosen, fields, actor_id, day),
        )


# --------------------------------------------------------------------------- holdkonference


def _flag(group_id: int, actor_id: int) -> None:
    s = st.session_state
    patient_id, note = s.get("hold_flag_patient"), s.get("hold_flag_note", "")
    if patient_id is None:
        _flash("flags", "error", "Vælg den patient, der skal drøftes.")
        return
    if _act(
        "flags",
        "Patienten er markeret til holdkonference.",
        actor_id,
        lambda session, actor: groups.flag_patient(session, actor, group_id, patient_id, note),
    ) is not None:
        s["hold_flag_note"] = ""
        s["hold_flag_patient"] = None


def _group_note(group_id: int, actor_id: int) -> None:
    note = st.session_state.get("hold_group_note", "")
    if _act(
        "flags",
        "Noten om holdet er med til holdkonference.",
        actor_id,
        lambda session, actor: groups.add_group_note(session, actor, group_id, note),
    ) is not None:
        st.session_state["hold_group_note"] = ""


def _handled(flag_id: int, actor_id: int) -> None:
    _act(
        "flags",
        "Markeringen er flyttet til de behandlede.",
        actor_id,
        lambda session, actor: groups.mark_flags_handled(session, actor, [flag_id]),
    )


def _flag_card(flag: groups.FlagRow, actor_id: int | None) -> None:
    with st.container(border=True):
        st.markdown(f"**{escape_md(flag_heading(flag))}**")
        st.text(flag.note)
        st.caption(escape_md(flag_byline(flag)))
        if actor_id is not None:
            st.button("Markér som behandlet", key=f"hold_flag_done_{flag.id}",
                      on_click=_handled, args=(flag.id, actor_id))


def flags_section(detail: groups.GroupDetail, actor_id: int) -> None:
    show_flash("flags")
    group_id = detail.summary.id
    if detail.open_flags:
        for flag in detail.open_flags:
            _flag_card(flag, actor_id)
    else:
        st.info("Ingen patienter eller noter er markeret til næste holdkonference.")
    roster = flag_choices(detail)  # everyone who was on the group, also those who dropped out
    left, right = st.columns(2)
    with left, st.form("hold_flag_form"):
        st.markdown("**Markér en patient til drøftelse**")
        st.selectbox("Patient", list(roster), format_func=roster.get, index=None,
                     placeholder="Vælg patient", key="hold_flag_patient")
        st.text_area("Hvad er kommet frem, og hvad skal overleveres?",
                     max_chars=groups.NOTE_MAX_LENGTH, key="hold_flag_note")
        st.form_submit_button("Til holdkonference", on_click=_flag, args=(group_id, actor_id))
    with right, st.form("hold_group_note_form"):
        st.markdown("**Note om hele holdet**")
        st.text_area("Fx udfordringer på holdet, lokaler, aflysninger",
                     max_chars=groups.NOTE_MAX_LENGTH, key="hold_group_note")
        st.form_submit_button("Tilføj note", on_click=_group_note, args=(group_id, actor_id))
    if detail.handled_flags:
        with st.expander(f"Behandlede markeringer ({len(detail.handled_flags)})"):
            for flag in detail.handled_flags:
                _flag_card(flag, None)


# --------------------------------------------------------------------------- sessions


def _move(seen_version: int, actor_id: int, day: dt.date) -> None:
    s = st.session_state
    session_id, new_date = s.get("hold_move_session"), s.get("hold_move_date")
    if session_id is None or new_date is None:
        _flash("move", "error", "Vælg holdgangen og den nye dato.")
        return
    _act(
        "move",
        f"Holdgangen er flyttet til {date_short(new_date)}.",
        actor_id,
        lambda session, actor: groups.move_session(
            session, actor, session_id, new_date, seen_version, day
        ),
    )


def move_form(detail: groups.GroupDetail, day: dt.date, actor_id: int) -> None:
    show_flash("move")
    movable = {s.id: s for s in detail.sessions if s.date >= day and not s.recorded}
    if not movable:
        return
    with st.form("hold_move"):
        st.markdown("**Flyt en holdgang** (fx en helligdag); de andre bliver, hvor de er.")
        left, right = st.columns(2)
        left.selectbox("Holdgang", list(movable), format_func=lambda i: session_option(movable[i]),
                       key="hold_move_session")
        right.date_input("Ny dato", value=None, format="DD.MM.YYYY", min_value=day,
                         key="hold_move_date")
        st.form_submit_button("Flyt holdgang", on_click=_move,
                              args=(detail.version, actor_id, day))


# --------------------------------------------------------------------------- enrolment


def _enrol(group_id: int, actor_id: int, day: dt.date) -> None:
    patient_id = st.session_state.get("hold_enrol_patient")
    if patient_id is None:
        _flash("enrol", "error", "Vælg den patient, der skal tilmeldes.")
        return
    if _act(
        "enrol",
        "Patienten er tilmeldt holdet.",
        actor_id,
        lambda session, actor: groups.enrol_patient(session, actor, group_id, patient_id, day),
    ) is not None:
        st.session_state["hold_enrol_patient"] = None


def enrol_form(
    detail: groups.GroupDetail, candidates: list[groups.Candidate], day: dt.date, actor_id: int
) -> None:
    show_flash("enrol")
    summary = detail.summary
    if summary.end_date < day:
        st.info("Holdet er afsluttet; der kan ikke tilmeldes flere.")
        return
    st.caption(f"{summary.free} ledige af {summary.capacity} pladser. Patienter, der er planlagt "
               "til indsatsen, står først.")
    by_id = {c.patient_id: c for c in candidates}
    with st.form("hold_enrol"):
        st.selectbox("Patient", list(by_id), format_func=lambda i: by_id[i].label, index=None,
                     placeholder="Søg på navn eller CPR-nummer", key="hold_enrol_patient")
        st.form_submit_button("Tilmeld", on_click=_enrol, args=(summary.id, actor_id, day))


# --------------------------------------------------------------------------- handover


def _handover(enrolment_id: int, key: str, seen: int, actor_id: int, day: dt.date) -> None:
    note = st.session_state.get(key, "")
    _act(
        "handover",
        "Overleveringen er gemt; den vises på patientens side.",
        actor_id,
        lambda session, actor: groups.save_handover_note(
            session, actor, enrolment_id, note, seen, day
        ),
    )


def handover_section(detail: groups.GroupDetail, day: dt.date, actor_id: int) -> None:
    show_flash("handover")
    last = detail.last_session
    st.caption(
        "Ved sidste holdgang giver behandlerne tilbagemelding til kontaktsygeplejersken: fx "
        "patientens valg af Afspænding eller Mindfulness, og hvad næste indsats skal vide. "
        "Overleveringen vises på patientens side og ved næste opfølgende samtale."
    )
    roster = {r.enrolment_id: r for r in detail.active_roster}
    if last is not None and day < last.date:
        st.info(f"Overleveringen skrives ved sidste holdgang, {date_short(last.date)}.")
    elif roster:
        chosen = st.selectbox("Deltager", list(roster), format_func=lambda i: roster[i].name,
                              key=f"hold_handover_patient_{detail.summary.id}")
        row = roster[chosen]
        key = f"hold_handover_{row.enrolment_id}_{row.version}"
        with st.form(f"hold_handover_form_{row.enrolment_id}"):
            st.text_area("Overlevering", value=row.handover_note or "",
                         max_chars=groups.HANDOVER_MAX_LENGTH, key=key)
            st.form_submit_button("Gem overlevering", on_click=_handover,
                                  args=(row.enrolment_id, key, row.version, actor_id, day))
    written = [r for r in detail.roster if r.handover_note]
    for row in written:
        st.markdown(f"**{escape_md(row.name)}**")
        st.text(row.handover_note)

