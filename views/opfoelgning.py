"""Opfølgning: the next steps decided at the conferences, followed until done.

Open steps across conferences by owner, due date and patient; overdue ones stand out; "Mine"
shows the acting user's own (named, their patients' PAL-læge/kontaktsygeplejerske steps, or
their profession's). Booked or done is one click. A second tab shows the meetings' numbers.
The filters live in the address, so a reload keeps them.
"""

import datetime as dt
from math import nan

import pandas as pd
import streamlit as st

from conference.charts import meeting_time_chart
from conference.formatting import date_numeric, date_short, number
from conference.services import actions
from conference.services import minutes as minutes_service
from conference.ui import followup
from conference.ui.context import USER_PARAM, acting_user, db_session, record_view, today
from conference.ui.text import escape_md

PAGE_SIZE = 40


@st.cache_data(ttl=60, show_spinner="Henter opgaver …")
def open_steps() -> list[actions.OpenAction]:
    with db_session() as session:
        return actions.open_actions(session)


@st.cache_data(ttl=300, show_spinner=False)
def stats_over_time(day: dt.date) -> pd.DataFrame:
    with db_session() as session:
        stats = minutes_service.meeting_stats(session, day)
    return pd.DataFrame(
        [
            {
                "Konference": s.date,
                "Sager": s.cases_on_agenda,
                "Drøftet": s.discussed,
                "Overført": s.carried_over,
                "Minutter pr. sag": round(s.minutes_per_case, 1) if s.timed_cases else nan,
                "Afsat pr. sag": round(s.budget_seconds / 60 / s.timed_cases, 1)
                if s.timed_cases else nan,
                "Over tid": s.over_budget,
                "Næste skridt": s.actions,
                "Udført til tiden": s.on_time_share,
                "Udført for sent": s.done_late,
                "Åbne og overskredne": s.overdue_open,
            }
            for s in stats
        ]
    )


with db_session() as session:
    user = acting_user(session)
day = today()
steps = open_steps()

st.title("Opfølgning")
st.caption("Næste skridt fra de tværfaglige konferencer, til de er udført.")
followup.messages()
open_tab, stats_tab = st.tabs(["Åbne opgaver", "Mødestatistik"])

with open_tab:
    mine = [s for s in steps if s.is_for(user.id, user.profession.value)]
    total, overdue, own = st.columns(3)
    total.metric("Åbne i alt", len(steps))
    overdue.metric("Overskredne", sum(1 for s in steps if s.overdue(day)))
    own.metric("Mine", len(mine))

    # two rows of filters, so that each keeps its width on a 1024-pixel screen and at 200 % zoom
    show_col, late_col = st.columns(2, vertical_alignment="bottom")
    owner_col, patient_col = st.columns(2, vertical_alignment="bottom")
    show = show_col.segmented_control(
        "Vis", ["mine", "alle"], default="mine" if mine else "alle",
        format_func={"mine": "Mine", "alle": "Alle"}.get, key="vis", bind="query-params",
        required=True,
    )
    owners = sorted({s.owner for s in steps})
    owner = owner_col.selectbox(
        "Ansvarlig", owners, index=None, placeholder="Alle ansvarlige", key="ansvarlig",
        bind="query-params",
    )
    patient = patient_col.text_input(
        "Patient", placeholder="Navn eller CPR-nummer", key="patient", bind="query-params"
    )
    late = late_col.toggle("Kun overskredne", key="overskredne", bind="query-params")

    chosen = actions.filter_actions(
        steps,
        actions.FollowUpFilter(
            mine_for=(user.id, user.profession.value) if show == "mine" else None,
            owner=owner, patient=patient or "", overdue_only=late,
        ),
        day,
    )
    if not chosen:
        st.info("Ingen åbne opgaver matcher." if steps else "Der er ingen åbne opgaver.")
    limit = st.session_state.get("followup_limit", PAGE_SIZE)
    if chosen:  # the rows below name these patients: logged before they are drawn
        with db_session() as session:
            record_view(session, user, "opfoelgning",
                        list(dict.fromkeys(step.patient_id for step in chosen[:limit])))
    for step in chosen[:limit]:
        with st.container(border=True):
            # the status under the step, not beside it: its four choices need the width
            who, what = st.columns([2, 5])
            state = what
            who.page_link(
                "views/patient.py", label=escape_md(step.patient_name), icon=":material/person:",
                query_params={"id": step.patient_id, USER_PARAM: user.initials},
            )
            who.caption(step.cpr)
            origin = (f" · konference {date_short(step.conference_date)}"
                      if step.conference_date else "")
            what.markdown(
                f"**{escape_md(step.description)}**  \n"
                f"{escape_md(step.owner)} · {followup.due_text(step.due_date, step.status, day)}"
                f":gray[{escape_md(origin)}]"
            )
            with state:
                followup.status_control(step.id, step.version, step.status)
    if len(chosen) > limit:
        st.caption(f"Viser {limit} af {len(chosen)} opgaver.")
        if st.button("Vis flere", key="more_steps"):
            st.session_state["followup_limit"] = limit + PAGE_SIZE
            st.rerun()

with stats_tab:
    frame = stats_over_time(day)
    if frame.empty:
        st.info("Der er ikke holdt konferencer endnu.")
    else:
        st.caption(
            "Pr. konference: sager drøftet og overført, tid pr. sag mod den afsatte tid, og "
            "hvor mange næste skridt med frist til i dag der blev udført til tiden."
        )
        st.altair_chart(meeting_time_chart(frame), width="stretch")
        shown = frame.sort_values("Konference", ascending=False)
        for column in ("Minutter pr. sag", "Afsat pr. sag"):  # Danish decimals, '–' for none
            shown[column] = [number(v) if v == v else "–" for v in shown[column]]
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                "Konference": st.column_config.DateColumn(format="DD.MM.YYYY"),
                "Udført til tiden": st.column_config.ProgressColumn(
                    format="percent", min_value=0, max_value=1
                ),
            },
        )
        first, last = frame["Konference"].min(), frame["Konference"].max()
        st.caption(f"{len(frame)} konferencer fra {date_numeric(first)} til {date_numeric(last)}.")
