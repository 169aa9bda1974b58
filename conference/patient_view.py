"""Tables for the patient page: the course with attendance, and the team."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from conference.formatting import date_short, local_datetime
from conference.labels import ATTENDANCE, COURSE_STATUS, PROFESSION
from conference.services.audit import HistoryEntry
from conference.services.patients import TimelineEntry
from db.models import AttendanceStatus, Profession, TeamFunction

TEAM_FUNCTION = {
    TeamFunction.PAL_LAEGE.value: "PAL-læge",
    TeamFunction.KONTAKTSYGEPLEJERSKE.value: "Kontaktsygeplejerske",
    TeamFunction.MEMBER.value: "Medlem",
}


def attendance_text(entry: TimelineEntry) -> str:
    """'4 af 5 mødt; udeblevet 12. nov.; 1 holdgang tilbage' ('' for non-group events)."""
    if not entry.sessions:
        return ""
    recorded = [s for s in entry.sessions if s.status]
    present = sum(1 for s in recorded if s.status == AttendanceStatus.PRESENT.value)
    parts = [f"{present} af {len(recorded)} mødt"] if recorded else []
    for status in (AttendanceStatus.NO_SHOW.value, AttendanceStatus.CANCELLED.value):
        days = [date_short(s.date) for s in entry.sessions if s.status == status]
        if days:
            parts.append(f"{ATTENDANCE[AttendanceStatus(status)].lower()} {', '.join(days)}")
    remaining = len(entry.sessions) - len(recorded)
    if remaining and entry.status not in ("gennemfoert", "aflyst", "udgaaet"):
        parts.append(f"{remaining} holdgang{'e' if remaining > 1 else ''} tilbage")
    return "; ".join(parts)


def timeline_frame(timeline: list[TimelineEntry]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "Indsats": e.name,
                "Status": COURSE_STATUS.get(e.status, e.status),
                "Start": e.start_date or e.planned_date,
                "Slut": e.end_date,
                "Hold / behandler": e.group_name or e.staff_name or "",
                "Fremmøde": attendance_text(e),
                "Note": e.note or "",
            }
            for e in timeline
        ]
    )
    for column in ("Start", "Slut"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def team_lines(members: list[tuple[str, str, str]]) -> list[str]:
    return [
        f"{TEAM_FUNCTION.get(function, function)}: {name} ({PROFESSION[Profession(prof)]})"
        for function, name, prof in members
    ]


ENTITY = {
    "concern": "Problemstilling", "agenda_item": "Sag på konference",
    "case_presentation": "Fremlæggelse", "team_note": "Teamnote", "conclusion": "Konklusion",
    "action_item": "Opgave", "course_event": "Forløb", "enrolment": "Holdtilmelding",
    "attendance": "Fremmøde", "group_flag": "Til holdkonference", "patient": "Patient",
    "pro_response": "PRO-besvarelse",
}
ACTION = {"create": "Oprettet", "update": "Ændret", "delete": "Slettet"}


def _stamp(text: str) -> str:
    """A timestamp from an audit snapshot (ISO text, UTC) on the Danish clock; else the text."""
    if len(text) < 16 or text[10:11] != "T":
        return text
    try:
        return local_datetime(dt.datetime.fromisoformat(text))
    except ValueError:
        return text


def _short(value: object) -> str:
    text = "" if value is None else _stamp(str(value))
    return text if len(text) <= 80 else text[:77] + "…"


def history_frame(history: list[HistoryEntry]) -> pd.DataFrame:
    """One row per change, with the changed fields as 'felt: før → efter'."""
    return pd.DataFrame(
        [
            {
                "Tidspunkt": local_datetime(h.at),
                "Hvem": h.actor,
                "Hvad": f"{ACTION.get(h.action, h.action)}: {ENTITY.get(h.entity, h.entity)}",
                "Ændringer": "; ".join(
                    f"{field}: {_short(old)} → {_short(new)}" for field, old, new in h.changes
                ),
            }
            for h in history
        ],
        columns=["Tidspunkt", "Hvem", "Hvad", "Ændringer"],
    )
