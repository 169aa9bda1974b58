"""Hold: the groups running on a date, one group's sessions, therapists, roster and attendance,
and what its therapists bring to the holdkonference. The place (date, list, group) lives in the
URL (?dato=, ?vis=, ?hold=) so a reload keeps it."""

import datetime as dt

import streamlit as st

from conference.formatting import date_long, date_short
from conference.hold_view import attendance_frame, flags_text, overview_frame, sessions_frame
from conference.services import groups
from conference.services.errors import ServiceError
from conference.ui import hold as forms
from conference.ui.context import (
    USER_PARAM,
    acting_user,
    db_session,
    record_view,
    staff_options,
    today,
)
from conference.ui.text import escape_md

DATE_PARAM = "dato"
TAB_PARAM = "fane"
VIEW_LABELS = {
    groups.Period.RUNNING: "Kørende",
    groups.Period.EARLIER: "Tidligere",
    groups.Period.PLANNED: "Planlagte",
}
EMPTY = {
    groups.Period.RUNNING: "Ingen hold kører på datoen.",
    groups.Period.EARLIER: "Ingen hold er afsluttet før datoen.",
    groups.Period.PLANNED: "Ingen hold er planlagt efter datoen.",
}

params = st.query_params
now = today()
try:
    day = dt.date.fromisoformat(params.get(DATE_PARAM, "")) if params.get(DATE_PARAM) else now
except ValueError:
    day = now
view = next((p for p in groups.Period if p.value == params.get(forms.VIEW_PARAM)),
            groups.Period.RUNNING)
raw_group = params.get(forms.GROUP_PARAM, "")
chosen = int(raw_group) if raw_group.isdigit() else None

with db_session() as session:
    user = acting_user(session)
    listed = groups.list_groups(session, day, view, today=now)
    detail = missing = None
    if chosen is not None:
        try:
            detail = groups.group_detail(session, chosen, now)
        except ServiceError as error:
            missing = str(error)
    kinds = groups.group_kinds(session)
    # who is named on screen: patients flagged for the holdkonference in the list, and the
    # chosen group's roster and flags (every tab shows them); nothing is drawn before this
    shown = [pid for g in listed for pid in g.flagged_patient_ids]
    if detail is not None:
        shown += [r.patient_id for r in detail.roster]
        shown += [f.patient_id for f in detail.flags if f.patient_id is not None]
    if shown:
        record_view(session, user, "hold", list(dict.fromkeys(shown)))

st.title("Hold")
st.caption("Holdene med holdgange, behandlere, deltagere og fremmøde – og hvad behandlerne "
           "tager med til holdkonferencen.")

date_col, view_col = st.columns([1, 2], vertical_alignment="bottom")
picked_day = date_col.date_input("Dato", value=day, format="DD.MM.YYYY")
picked_view = view_col.radio(
    "Vis", list(VIEW_LABELS), index=list(VIEW_LABELS).index(view),
    format_func=VIEW_LABELS.get, horizontal=True, label_visibility="collapsed",
)
if picked_day != day or picked_view != view:
    if picked_day == now:
        params.pop(DATE_PARAM, None)
    else:
        params[DATE_PARAM] = picked_day.isoformat()
    params[forms.VIEW_PARAM] = picked_view.value
    st.rerun()

forms.create_group_form(kinds, staff_options(), day, user.id)

heading = {
    groups.Period.RUNNING: f"Hold, der kører {date_long(day)}",
    groups.Period.EARLIER: f"Hold afsluttet før {date_short(day)} (de seneste {groups.LIST_LIMIT})",
    groups.Period.PLANNED: f"Hold, der starter efter {date_short(day)}",
}[view]
st.subheader(heading)
if not listed:
    st.info(EMPTY[view])
else:
    frame = overview_frame(listed)
    table = st.dataframe(
        frame,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"hold_table_{view.value}_{day.isoformat()}",
        column_config={
            "Start": st.column_config.DateColumn(format="DD.MM.YYYY"),
            "Slut": st.column_config.DateColumn(format="DD.MM.YYYY"),
            "Næste holdgang": st.column_config.DateColumn(format="DD.MM.YYYY"),
            "Hold": st.column_config.TextColumn(width="large"),
            "Til holdkonference": st.column_config.TextColumn(width="large"),
        },
        height=min(38 + 35 * len(frame), 560),
    )
    rows = [listed[i].id for i in table.selection.rows]
    if rows != st.session_state.get("hold_table_seen"):
        st.session_state["hold_table_seen"] = rows
        if rows and rows[0] != chosen:
            params[forms.GROUP_PARAM] = str(rows[0])
            st.rerun()

by_id = {g.id: g.name for g in listed}
if detail is not None:
    by_id.setdefault(detail.summary.id, detail.summary.name)
options = list(by_id)
picked = st.selectbox(
    "Hold", options, index=options.index(chosen) if chosen in by_id else None,
    format_func=by_id.get, placeholder="Vælg et hold for at se deltagere og fremmøde",
)
if picked is not None and picked != chosen:
    params[forms.GROUP_PARAM] = str(picked)
    st.rerun()

if missing:
    st.error(missing)
if detail is None:
    st.stop()

summary = detail.summary
st.divider()
st.header(escape_md(summary.name))
st.caption(
    f"{summary.intervention}{' (online)' if summary.online else ''} · "
    f"{date_short(summary.start_date)} – {date_short(summary.end_date)} · "
    f"Behandlere: {escape_md(', '.join(summary.therapists)) or 'ikke angivet'}"
)
enrolled, free, held, upcoming = st.columns(4)
enrolled.metric("Deltagere", f"{summary.enrolled} af {summary.capacity}")
free.metric("Ledige pladser", summary.free)
held.metric("Holdgange afholdt", f"{summary.sessions_held} af {summary.sessions_total}")
upcoming.metric("Næste holdgang", date_short(summary.next_session) or "Ingen")
flagged = flags_text(summary.flagged_patients, summary.group_notes)
if flagged:
    st.warning(f"Til holdkonference: {escape_md(flagged)}", icon=":material/flag:")

TABS = ["Deltagere og fremmøde", "Registrér fremmøde", "Til holdkonference", "Holdgange",
        "Tilmeld patient", "Overlevering"]
# The open tab lives in the URL (?fane=); only the open one is drawn (and read for).
roster_tab, attendance_tab, flags_tab, sessions_tab, enrol_tab, handover_tab = st.tabs(
    TABS, key=TAB_PARAM, bind="query-params"
)

if roster_tab.open:
    with roster_tab:
        if not detail.roster:
            st.info("Der er ingen deltagere på holdet endnu.")
        else:
            st.dataframe(attendance_frame(detail), hide_index=True,
                         height=min(38 + 35 * len(detail.roster), 760))
            st.caption("✓ mødt · Afbud · Udeblevet · »·« ikke registreret · tomt: kommende "
                       "holdgang. Markeret: patienten er til drøftelse på næste holdkonference.")
            names = {r.patient_id: r.name for r in detail.roster}
            patient = st.selectbox("Åbn en deltagers patientside", list(names), index=None,
                                   format_func=names.get, placeholder="Vælg deltager")
            if patient is not None:
                st.switch_page(
                    "views/patient.py",
                    query_params={"id": patient, USER_PARAM: params.get(USER_PARAM, "")},
                )

if attendance_tab.open:
    with attendance_tab:
        forms.attendance_form(detail, now, user.id)

if flags_tab.open:
    with flags_tab:
        forms.flags_section(detail, user.id)

if sessions_tab.open:
    with sessions_tab:
        st.dataframe(sessions_frame(detail, now), hide_index=True)
        forms.move_form(detail, now, user.id)

if enrol_tab.open:
    with enrol_tab:
        with db_session() as session:
            candidates = groups.enrolment_candidates(session, detail.summary.id)
        forms.enrol_form(detail, candidates, now, user.id)

if handover_tab.open:
    with handover_tab:
        forms.handover_section(detail, now, user.id)
