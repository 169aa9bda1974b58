"""Tables and texts for the Hold page: the group list, the attendance grid, the sessions.

Plain Python and pandas, no I/O and no streamlit.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from conference.formatting import date_long, date_short, local_datetime, time_hm
from conference.labels import ATTENDANCE, ENROLMENT_STATUS
from conference.services.groups import FlagRow, GroupDetail, GroupSummary, SessionRow
from db.models import AttendanceStatus, EnrolmentStatus

PRESENT_MARK = "✓"
NOT_RECORDED = "·"
#: How a mark reads in the grid: present is a tick, absences are spelt out so they stand out.
GRID_MARK = {
    AttendanceStatus.PRESENT.value: PRESENT_MARK,
    AttendanceStatus.CANCELLED.value: ATTENDANCE[AttendanceStatus.CANCELLED],
    AttendanceStatus.NO_SHOW.value: ATTENDANCE[AttendanceStatus.NO_SHOW],
}
GROUP_NOTE = "Hele holdet"


def flags_text(flagged_patients: tuple[str, ...], group_notes: int) -> str:
    """'Bent Pedersen, Anna Holm + note om holdet' ('' when nothing is flagged)."""
    parts = list(flagged_patients)
    if group_notes:
        parts.append("note om holdet" if group_notes == 1 else f"{group_notes} noter om holdet")
    return ", ".join(parts)


def group_title(g: GroupSummary) -> str:
    """The group's name, with its intervention when the name does not say it."""
    title = g.name if g.name.startswith(g.intervention) else f"{g.name} ({g.intervention})"
    return title + (" · online" if g.online else "")


def overview_frame(groups: list[GroupSummary]) -> pd.DataFrame:
    """The group list; what the holdkonference needs comes before the dates and names."""
    columns = [
        "Hold", "Til holdkonference", "Holdgange", "Næste holdgang", "Deltagere",
        "Ledige pladser", "Behandlere", "Start", "Slut",
    ]
    return pd.DataFrame(
        [
            {
                "Hold": group_title(g),
                "Til holdkonference": flags_text(g.flagged_patients, g.group_notes),
                "Holdgange": f"{g.sessions_held} af {g.sessions_total}",
                "Næste holdgang": g.next_session,
                "Deltagere": f"{g.enrolled} af {g.capacity}",
                "Ledige pladser": g.free,
                "Behandlere": ", ".join(g.therapists),
                "Start": g.start_date,
                "Slut": g.end_date,
            }
            for g in groups
        ],
        columns=columns,
    )


def session_heading(s: SessionRow) -> str:
    """'3 · 18.11' or '7 · Stilhedsdag 21.11': a grid column."""
    label = f"{s.label} " if s.label else ""
    return f"{s.number} · {label}{s.date:%d.%m}"


def session_option(s: SessionRow) -> str:
    """'Holdgang 3 · 18. nov. 2026 (Stilhedsdag)': a choice in a list."""
    label = f" ({s.label})" if s.label else ""
    return f"Holdgang {s.number} · {date_short(s.date)}{label}"


def attendance_frame(detail: GroupDetail) -> pd.DataFrame:
    """One row per participant, one column per session; flags for the holdkonference marked."""
    flagged = {f.patient_id for f in detail.open_flags if f.patient_id is not None}
    rows = []
    for r in detail.roster:
        row: dict[str, str] = {"Deltager": r.name}
        if r.status != EnrolmentStatus.ENROLLED.value:
            row["Deltager"] += f" ({ENROLMENT_STATUS[EnrolmentStatus(r.status)].lower()})"
        present = recorded = 0
        for s in detail.sessions:
            mark = detail.marks.get((r.enrolment_id, s.id))
            if mark:
                recorded += 1
                present += mark.status == AttendanceStatus.PRESENT.value
                row[session_heading(s)] = GRID_MARK[mark.status]
            else:
                row[session_heading(s)] = NOT_RECORDED if s.held else ""
        row["Mødt"] = f"{present} af {recorded}" if recorded else ""
        row["Til holdkonference"] = "Markeret" if r.patient_id in flagged else ""
        rows.append(row)
    columns = ["Deltager", *(session_heading(s) for s in detail.sessions), "Mødt",
               "Til holdkonference"]
    return pd.DataFrame(rows, columns=columns)


def sessions_frame(detail: GroupDetail, today: dt.date) -> pd.DataFrame:
    active = len(detail.active_roster)
    rows = []
    for s in detail.sessions:
        state = "I dag" if s.date == today else "Afholdt" if s.held else "Kommende"
        rows.append(
            {
                "Nr.": s.number,
                "Dato": date_long(s.date),
                "Kl.": time_hm(s.starts_at),
                "Varighed": f"{s.minutes} min" if s.minutes else "",
                "Indhold": s.label or "",
                "Status": state,
                "Fremmøde": f"{s.present} af {active} mødt" if s.recorded else "",
            }
        )
    return pd.DataFrame(
        rows, columns=["Nr.", "Dato", "Kl.", "Varighed", "Indhold", "Status", "Fremmøde"]
    )


def flag_choices(detail: GroupDetail) -> dict[int, str]:
    """Who can be flagged for the holdkonference: everyone who was on the group, by name.

    A patient who dropped out is among them (3.10: problems that arose during the course),
    named with their status: 'Frida Nielsen (udgået)'.
    """
    dropped = EnrolmentStatus.DROPPED_OUT
    return {
        r.patient_id: f"{r.name} ({ENROLMENT_STATUS[dropped].lower()})"
        if r.status == dropped.value else r.name
        for r in detail.roster
    }


def flag_heading(flag: FlagRow) -> str:
    """Who a flag is about: 'Frida Nielsen · udgået af holdet 12. jan. 2027', or 'Hele holdet'."""
    if flag.patient_id is None:
        return GROUP_NOTE
    name = flag.patient_name or ""
    return f"{name} · {flag.dropout}" if flag.dropout else name


def flag_byline(flag: FlagRow) -> str:
    text = f"{flag.created_by} · {local_datetime(flag.created_at)}"
    if flag.handled_at is not None:
        when = (
            f"tværfaglig konference {date_short(flag.handled_conference_date)}"
            if flag.handled_conference_date
            else local_datetime(flag.handled_at)
        )
        text += f" · behandlet {when}"
    return text
