"""Drawing the conference board: the leader's agenda and the projected one-case view.

User text (names, notes, questions) is always drawn as text (st.text / st.write of plain
strings in widgets that do not interpret HTML); markdown is only used for our own labels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from conference import agenda as rules
from conference.formatting import date_short
from conference.labels import ACTION_STATUS
from conference.pathway import REASON_TEXTS
from conference.services import agenda
from conference.services.case_sheet import CaseSheet, case_sheet
from conference.services.decisions import OpenDecision
from conference.services.groups import HoldkonferenceGroup, holdkonference
from conference.services.settings import get_setting
from conference.services.staff import StaffOption
from conference.ui import attendance, open_decisions, pro_view, projection_style
from conference.ui.context import today
from conference.ui.form_keys import field_key, saved
from conference.ui.open_decisions import proposal_lines
from conference.ui.text import escape_md
from db.models import ActionStatus, AgendaList, AgendaStatus, utcnow

Act = Callable[..., bool]  # runs a service write; False when it was refused
PARTS = {"hold": "Holdkonference", "patient": "Patientkonference", "faglig": "Faglig udvikling"}
PROPOSALS_SHOWN = 30  # pending proposals listed by name on the board


def groups_for(session: Session, day: dt.date) -> list[HoldkonferenceGroup]:
    """The holdkonference part: every group running on the day, with therapists' notes."""
    return holdkonference(session, day)


def sheet_for(session: Session, item_id: int | None, today: dt.date) -> CaseSheet | None:
    return case_sheet(session, item_id, today) if item_id else None


def name_mode(session: Session) -> str:
    return get_setting(session, "projection_name", "fornavn") or "fornavn"


# --------------------------------------------------------------------------- the leader's board


def _case_line(case: agenda.CaseEntry) -> str:
    marks = []
    if case.carried_over:
        marks.append("overført")
    marks.append("klar" if case.ready else "ikke klar")
    return f"{case.name} · {case.microteam or 'intet mikroteam'} · " + ", ".join(marks)


def _case_details(case: agenda.CaseEntry, plan: rules.TimePlan) -> str:
    """Reason, question, time and earlier open actions as one markdown block (user text escaped)."""
    reason = case.reason_text or REASON_TEXTS.get(case.reason, case.reason)
    lines = [f"Anledning: {escape_md(reason)}"]
    if case.question:
        lines.append(f"Spørgsmål til konferencen: {escape_md(case.question)}")
    budget = case.budget_seconds or plan.default_case_seconds
    used = rules.case_clock(utcnow(), case.started_at, case.seconds_used, budget)
    lines.append(
        f"Tid: {rules.format_seconds(budget)} afsat"
        + (f" · {rules.format_seconds(used.elapsed)} brugt" if used.elapsed else "")
    )
    for action in case.open_actions:
        lines.append(
            f"Åben opgave fra {date_short(action.conference_date)} "
            f"({ACTION_STATUS[ActionStatus(action.status)].lower()}, frist "
            f"{date_short(action.due_date)}): {escape_md(action.description)} "
            f"({escape_md(action.owner)})"
        )
    return "  \n".join(lines)


def case_row(
    view: agenda.Board, case: agenda.CaseEntry, index: int, act: Act, plan: rules.TimePlan,
    locked: bool,
) -> None:
    """One case on the agenda: a few lines of text and the speaking-order buttons. What else the
    leader may do to a case (other list, postpone, remove, time) is in one panel, `case_panel`,
    so a long agenda does not carry a set of widgets per case."""
    current = case.item_id == view.current_item_id
    with st.container(border=True):
        head, buttons = st.columns([5, 3], vertical_alignment="center")
        prefix = "▶ Nu:" if current else f"{index}."
        head.markdown(f"**{prefix}** {escape_md(_case_line(case))}")
        head.caption(_case_details(case, plan))
        if locked:
            return
        # each click carries the order it was drawn from: one click is one move (see reorder)
        seen = tuple(c.item_id for c in view.discussion)
        row = buttons.container(horizontal=True)  # each as wide as its label, at any width
        up = down = show = row
        for column, label, step, tip in ((up, "↑", -1, "Tidligere i talerækken"),
                                         (down, "↓", 1, "Senere i talerækken")):
            key = f"{'up' if step < 0 else 'down'}{case.item_id}"
            if not column.button(label, key=key, help=tip, on_click=_move,
                                 args=(act, key, case.item_id, step, seen)):
                st.session_state.get(MOVED_KEY, set()).discard(key)  # clickable again
        show.button("Vis", key=f"go{case.item_id}", type="primary" if not current else "secondary",
                    help="Gør sagen til den aktuelle", on_click=act,
                    args=(agenda.go_to, view.conference_id, case.item_id))


MOVED_KEY = "board_moved"  # the ↑/↓ buttons clicked and not yet drawn without their click


def _move(act: Act, button: str, item_id: int, steps: int, seen: tuple[int, ...]) -> None:
    """One click on ↑ or ↓ is one move. The same button again before the board has been drawn
    once without its click is the same click: Streamlit can deliver a click again when other
    reruns (the clocks every second, the board every 3 s) interrupt the run it started, and
    then with the buttons as that run drew them (the service's check of the order they were
    drawn from cannot tell); or the person clicked twice before the board was drawn anew."""
    moved = st.session_state.setdefault(MOVED_KEY, set())
    if button in moved:
        st.toast("Sagen er flyttet én plads. Tryk igen, når tavlen er opdateret, for at "
                 "flytte den længere.", icon=":material/swap_vert:")
        return
    moved.add(button)
    if not act(agenda.reorder, item_id, steps, seen):
        moved.discard(button)  # refused, with the message why: nothing moved, click again


def information_list(
    cases: list[agenda.CaseEntry], undecided: dict[int, OpenDecision] | None = None
) -> None:
    """The cases only listed (not discussed, not in the speaking order): a line each, in one
    block, with the conclusion the pathway proposes while none is recorded (✓: decided)."""
    undecided = undecided or {}
    lines = []
    for case in cases:
        line = f"- {escape_md(_case_line(case))}: " + escape_md(
            case.reason_text or REASON_TEXTS.get(case.reason, case.reason)
        )
        if case.item_id in undecided:
            line += "".join(
                f"  \n  {escape_md(text)}" for text in proposal_lines(undecided[case.item_id])
            )
        else:
            line = "- ✓ " + line[2:] + " (besluttet)"
        lines.append(line)
    st.markdown("\n".join(lines))


def case_panel(view: agenda.Board, act: Act, plan: rules.TimePlan) -> None:
    """Change one case: move it to the other list, set its time, postpone or remove it."""
    cases = {c.item_id: c for c in (*view.discussion, *view.information)}
    if not cases:
        return
    numbers = {c.item_id: f"{i}." for i, c in enumerate(view.discussion, start=1)}
    numbers |= {c.item_id: "orientering:" for c in view.information}
    with st.expander("Ændr en sag: liste, tid, udsæt eller fjern"):
        chosen = st.selectbox(
            "Sag", list(cases), format_func=lambda i: f"{numbers[i]} {cases[i].name}",
            index=list(cases).index(view.current_item_id)
            if view.current_item_id in cases else 0,
            key="panel_case",
        )
        case = cases[chosen]
        budget = case.budget_seconds or plan.default_case_seconds
        move, time, aside = st.columns([1, 1, 2], vertical_alignment="bottom")
        to_information = case.list == AgendaList.DISCUSSION.value
        move.button(
            "Flyt til orientering" if to_information else "Flyt til drøftelse",
            key=f"list{chosen}", on_click=act,
            args=(agenda.set_list, chosen,
                  AgendaList.INFORMATION if to_information else AgendaList.DISCUSSION,
                  case.version),
        )
        minutes = time.number_input(
            # a lone case may be planned for more than the 120 minutes one can set by hand
            "Minutter", min_value=1, max_value=max(120, budget // 60), value=max(budget // 60, 1),
            key=f"budget{chosen}",
        )
        time.button("Gem tid", key=f"setb{chosen}", disabled=minutes * 60 == budget,
                    on_click=act, args=(agenda.set_budget, chosen, int(minutes)))
        aside.text_input("Begrundelse (påkrævet for at udsætte eller fjerne)",
                         key=f"why{chosen}", max_chars=500)
        left, right = aside.columns(2)
        # the reason as it is when the button is pressed, not as it was when it was drawn
        left.button("Udsæt til næste gang", key=f"pp{chosen}", on_click=_set_aside,
                    args=(act, chosen, AgendaStatus.POSTPONED, case.version))
        right.button("Fjern fra dagsorden", key=f"rm{chosen}", on_click=_set_aside,
                     args=(act, chosen, AgendaStatus.REMOVED, case.version))


def _set_aside(act: Act, item_id: int, status: AgendaStatus, version: int) -> None:
    act(agenda.set_aside, item_id, status, st.session_state.get(f"why{item_id}", ""), version)


def plan_for(view: agenda.Board, groups: list[HoldkonferenceGroup]) -> rules.TimePlan:
    flags = sum(len(g.flags) for g in groups)
    return rules.time_plan(view.duration_minutes, len(groups), flags, len(view.discussion))


def group_part(groups: list[HoldkonferenceGroup], name_mode: str | None = None) -> None:
    """Groups whose therapists bring something, in full; the others on one line each. Flagged
    patients are named in full, or as the projection names them (`name_mode`)."""
    if not groups:
        st.info("Ingen hold kører på konferencedagen.")
        return
    quiet = [g for g in groups if not g.flags]
    for group in (g for g in groups if g.flags):
        with st.container(border=True):
            st.markdown(f"**{group.intervention}**")
            st.text(
                f"{group.name} · {date_short(group.start_date)}–{date_short(group.end_date)}"
                f" · holdgang {group.sessions_held} af {group.sessions_total}"
                f" · {group.enrolled}/{group.capacity} pladser"
                f" · behandlere: {', '.join(group.therapists) or 'ikke angivet'}"
            )
            for flag in group.flags:
                who = (
                    "Hele holdet" if flag.patient_id is None
                    else rules.display_name(flag.first_name, flag.last_name, name_mode)
                    if name_mode else flag.patient_name or ""
                ) + (f" ({flag.dropout})" if flag.dropout else "")
                st.caption(f"{escape_md(who)} – meldt af "
                           f"{escape_md(flag.created_by)}")
                st.text(flag.note)
    if quiet:
        st.caption(f"{len(quiet)} hold uden meldte patienter:")
        st.text("\n".join(
            f"{g.name} · holdgang {g.sessions_held} af {g.sessions_total} · "
            f"{', '.join(g.therapists)}"
            for g in quiet
        ))


def leader_board(
    view: agenda.Board,
    groups: list[HoldkonferenceGroup],
    pending: list[rules.Proposal],
    act: Act,
    staff: list[StaffOption],
    search: Callable[[str], list[tuple[int, str]]],
    can_lead: bool = True,
    can_record_attendance: bool = True,
    undecided: list[OpenDecision] | None = None,
    can_record: bool = True,
) -> None:
    discussion, information = view.discussion, view.information
    plan = plan_for(view, groups)
    locked = view.signed_off or not can_lead
    undecided = [] if view.signed_off else list(undecided or [])
    open_by_item = {c.item_id: c for c in undecided}
    controls(view, act, locked)
    if view.ended_at is not None and undecided:
        with st.container(border=True):
            st.warning(
                f"Mødet er slut, men {len(undecided)} sag(er) mangler en beslutning. Bekræft "
                "forslaget, skriv konklusionen i Referat, eller overfør sagen til næste "
                "konference med en begrundelse. Referatet kan ikke underskrives før da.",
                icon=":material/gavel:",
            )
            open_decisions.panel(
                view.conference_id, undecided, act, can_record=can_record, can_lead=can_lead,
                meeting_over=True, referat_link=_referat_link(view), key="ended",
            )
    if view.unready:
        st.warning(
            f"{len(view.unready)} sag(er) til drøftelse er ikke markeret klar af mikroteamet: "
            + escape_md(", ".join(c.name for c in view.unready))
        )
    agenda_tab, attendance_tab = st.tabs(["Dagsorden", "Fremmøde"])
    with agenda_tab:
        st.subheader(f"1. Holdkonference ({len(groups)} hold, ca. {plan.group_minutes} min)")
        group_part(groups)
        st.subheader(
            f"2. Patientkonference ({len(discussion)} til drøftelse, "
            f"{plan.case_minutes} min, {rules.format_seconds(plan.default_case_seconds)} pr. sag)"
        )
        if pending and not locked:
            with st.container(border=True):
                st.markdown(f"**{len(pending)} forslag er ikke på dagsordenen endnu**")
                for proposal in pending[:PROPOSALS_SHOWN]:
                    st.caption(escape_md(proposal.reason_text))
                st.button("Sæt forslagene på dagsordenen", type="primary", key="add_proposals",
                          on_click=act, args=(agenda.add_proposals, view.conference_id, today()))
        if not locked:
            case_panel(view, act, plan)
        st.markdown("**Til drøftelse**")
        if not discussion:
            st.caption("Ingen sager til drøftelse.")
        for index, case in enumerate(discussion, start=1):
            case_row(view, case, index, act, plan, locked)
        st.markdown("**Til orientering** (drøftes ikke, men hver sag får en beslutning)")
        informed_open = [c for c in undecided if c.for_information]
        if not information:
            st.caption("Ingen sager til orientering.")
        elif can_record and informed_open and view.ended_at is None:
            decided = [c for c in information if c.item_id not in open_by_item]
            if decided:
                information_list(decided)
            open_decisions.panel(
                view.conference_id, informed_open, act, can_record=can_record,
                can_lead=not locked, meeting_over=False, key="info",
            )
        else:
            information_list(information, open_by_item)
        if view.set_aside:
            with st.expander(f"Udsat eller fjernet ({len(view.set_aside)})"):
                for case in view.set_aside:
                    st.text(f"{case.name}: {case.status_reason or ''}")
                    st.button("Sæt tilbage på dagsordenen", key=f"restore{case.item_id}",
                              on_click=act, args=(agenda.restore, case.item_id))
        if not locked:
            add_case_form(view, act, search)
        st.subheader(f"3. Faglig udvikling (ca. {plan.development_minutes} min)")
        development_form(view, act, locked)
    with attendance_tab:
        attendance_form(view, act, staff, view.signed_off or not can_record_attendance)


def _referat_link(view: agenda.Board) -> Callable[[OpenDecision], None]:
    def link(case: OpenDecision) -> None:
        st.page_link(
            "views/referat.py", label="Skriv konklusionen i Referat", icon=":material/edit:",
            query_params={"dato": view.date.isoformat(), "sag": str(case.item_id)},
        )
    return link


def controls(view: agenda.Board, act: Act, locked: bool) -> None:
    if view.signed_off:
        st.success("Konferencen er afsluttet og underskrevet.")
        return
    if locked:
        st.caption("Kun mødelederen styrer dagsordenen og talerækken.")
        return
    # one row, each control as wide as its label: on a 1024-pixel screen columns cut them off
    row = st.container(horizontal=True, vertical_alignment="center")
    if view.started_at is None:
        row.button("Start mødet", type="primary", key="start",
                   on_click=act, args=(agenda.start_meeting, view.conference_id))
    else:
        chosen = row.selectbox(
            "Del", list(PARTS), format_func=PARTS.get,
            index=list(PARTS).index(view.phase) if view.phase in PARTS else 0,
            key=f"phase{view.version}", label_visibility="collapsed", width=220,
        )
        if chosen != view.phase and view.ended_at is None:
            act(agenda.set_phase, view.conference_id, chosen)
            st.rerun()
    row.button("◀ Forrige", key="prev", shortcut="ArrowLeft",
               on_click=act, args=(agenda.step, view.conference_id, -1))
    row.button("Næste ▶", key="next", type="primary", shortcut="ArrowRight",
               on_click=act, args=(agenda.step, view.conference_id, 1))
    if view.started_at is not None and view.ended_at is None:
        row.button("Afslut mødet", key="end",
                   on_click=act, args=(agenda.end_meeting, view.conference_id))


def add_case_form(
    view: agenda.Board, act: Act, search: Callable[[str], list[tuple[int, str]]]
) -> None:
    with st.expander("Tilføj patient manuelt"):
        text = st.text_input("Find patienten", placeholder="Navn eller CPR-nummer",
                             key=field_key("add_case", "search"), max_chars=100)
        names = dict(search(text)) if text.strip() else {}
        if text.strip() and not names:
            st.caption("Ingen aktive patienter matcher søgningen.")
        patient_key = field_key("add_case", "patient")
        if st.session_state.get("add_case_searched") != text:  # a new search: new choices
            st.session_state["add_case_searched"] = text
            st.session_state[patient_key] = next(iter(names)) if len(names) == 1 else None
        with st.form("add_case"):
            chosen = st.selectbox(
                "Patient", list(names), format_func=names.get, key=patient_key,
                placeholder="Vælg blandt de fundne" if names else "Søg først ovenfor",
            )
            reason = st.text_input("Anledning (påkrævet)", max_chars=2000,
                                   key=field_key("add_case", "reason"))
            question = st.text_area("Spørgsmål til konferencen", max_chars=2000,
                                    key=field_key("add_case", "question"))
            which = st.radio("Liste", [AgendaList.DISCUSSION, AgendaList.INFORMATION],
                             format_func=lambda v: "Til drøftelse" if v == AgendaList.DISCUSSION
                             else "Til orientering", horizontal=True)
            if st.form_submit_button("Tilføj"):
                if chosen is None:
                    st.session_state["board_error"] = "Find og vælg en patient."
                elif act(agenda.add_case, view.conference_id, chosen, reason, question, which):
                    saved("add_case")
                st.rerun()


def development_form(view: agenda.Board, act: Act, locked: bool) -> None:
    if locked:
        st.text(view.development_topic or "Intet emne registreret")
        st.text(view.staff_exercise or "")
        return
    with st.form("development"):
        topic = st.text_area("Emne til refleksion", value=view.development_topic or "",
                             max_chars=2000)
        exercise = st.selectbox(
            "Øvelse for personalet (5–10 min)",
            ["", "Afspændingsøvelse", "Mindfulnessøvelse"],
            index=["", "Afspændingsøvelse", "Mindfulnessøvelse"].index(view.staff_exercise)
            if view.staff_exercise in ("Afspændingsøvelse", "Mindfulnessøvelse") else 0,
        )
        if st.form_submit_button("Gem faglig udvikling"):
            act(agenda.set_development, view.conference_id, topic, exercise)
            st.rerun()


def attendance_form(
    view: agenda.Board, act: Act, staff: list[StaffOption], locked: bool
) -> None:
    by_profession: dict[str, list[StaffOption]] = {}
    for person in staff:
        by_profession.setdefault(person.profession, []).append(person)
    present = [s for s in staff if s.id in view.present_staff]
    st.caption(
        f"{len(present)} til stede: "
        + ", ".join(
            f"{sum(1 for s in present if s.profession == p)} {p.lower()}"
            for p in by_profession if any(s.profession == p for s in present)
        )
    )
    columns = st.columns(3)
    for index, (profession, people) in enumerate(sorted(by_profession.items())):
        with columns[index % 3]:
            attendance.picker(
                profession, {p.id: p.name for p in people}, view.present_staff,
                conference_id=view.conference_id, write=act, disabled=locked,
                key=f"att_{view.conference_id}_{profession}", placeholder="Vælg",
            )
    if not locked:
        st.caption("Hver ændring gemmes med det samme, og listen viser også, hvad andre "
                   "registrerer.")


# --------------------------------------------------------------------------- projection


def projection(
    view: agenda.Board,
    groups: list[HoldkonferenceGroup],
    sheet: CaseSheet | None,
    act: Act,
    mode: str,
) -> None:
    projection_style.apply()
    discussion = view.discussion
    nav = st.container(horizontal=True)  # each button as wide as its label, at any zoom
    nav.button("◀ Forrige", key="p_prev", shortcut="ArrowLeft",
               on_click=act, args=(agenda.step, view.conference_id, -1))
    nav.button("Næste ▶", key="p_next", shortcut="ArrowRight", type="primary",
               on_click=act, args=(agenda.step, view.conference_id, 1))
    if sheet is None:
        if view.phase == "faglig" or view.ended_at:
            st.header("3. Faglig udvikling")
            st.text(view.development_topic or "Emne ikke angivet")
            if view.staff_exercise:
                st.subheader(escape_md(view.staff_exercise))
            return
        st.header("1. Holdkonference")
        group_part(groups, mode)
        return
    position = next((i for i, c in enumerate(discussion, 1) if c.item_id == sheet.item_id), None)
    case = view.current
    title = rules.display_name(sheet.first_name, sheet.last_name, mode)
    st.header(f"Sag {position or '–'} af {len(discussion)}: {escape_md(title)}, "
              f"{sheet.age} år")
    if case is not None:
        budget = case.budget_seconds or plan_for(view, groups).default_case_seconds
        st.markdown(
            f"**{'Klar til konference' if case.ready else 'Ikke markeret klar af mikroteamet'}**"
            f" · {escape_md(case.microteam or 'intet mikroteam')}"
            f" · {rules.format_seconds(budget)} afsat"
        )
        st.text(case.reason_text or REASON_TEXTS.get(case.reason, case.reason))
        if case.question:
            st.subheader("Spørgsmål til konferencen")
            st.text(case.question)
    left, right = st.columns([3, 2])
    with left:
        if not sheet.fields:
            st.warning("Sagen er ikke forberedt fra skabelonen.")
        for label, text in sheet.fields:
            st.subheader(escape_md(label))
            st.text(text or "– ikke udfyldt –")
    with right:
        st.subheader("PRO")
        pro_view.pro_section(sheet.pro, projection=True, key=f"pro{sheet.item_id}",
                             reference=pro_view.comparison() if sheet.pro else None)
        if sheet.group_notes:
            st.subheader("Holdbehandlernes noter")
            for note in sheet.group_notes:
                st.caption(f"{escape_md(note.context)} – {escape_md(note.author)}, "
                           f"{date_short(note.written)}")
                st.text(note.text)
        if sheet.team_notes:
            st.subheader("Teamnoter")
            for note in sheet.team_notes:
                st.caption(f"{escape_md(note.author)}, {date_short(note.written)}")
                st.text(note.text)
