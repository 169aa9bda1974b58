"""The texts the system writes into a case presentation, in Danish, kept current from data.

- Baggrund: age, sex, diagnosis, pain duration and distribution, work situation, findings;
- Forløb indtil nu: interventions attended with dates and attendance, missed sessions named;
- PRO: per instrument baseline against the later time points, band, change (with the
  instrument's rule for a clinically relevant change), flags with their time point and date.

Each function takes plain data (conference.services.patients' dataclasses) and returns text,
rendered as text (never HTML or markdown). No database, no streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

from conference import pro, pro_trend
from conference.formatting import date_short, number
from conference.labels import COURSE_STATUS, FINDING, SEX, WORK_SITUATION
from conference.patient_view import attendance_text
from conference.services.patients import PatientDetail, TimelineEntry
from db.models import AttendanceStatus

NOT_GIVEN = "ikke angivet"
SHOWN_STATUSES = ("gennemfoert", "i_gang", "aflyst", "udgaaet")


def background_text(patient: PatientDetail) -> str:
    """'56-årig kvinde, henvist 1. jun. 2026.' and one line per fact (missing ones said so)."""
    sex = SEX.get(patient.sex, patient.sex).lower()
    years = patient.pain_duration_years
    if years is None:
        duration = NOT_GIVEN
    elif years < 1:
        duration = "under 1 år"
    else:
        duration = f"{number(years)} år"
    work = WORK_SITUATION.get(patient.work_situation, NOT_GIVEN) if patient.work_situation else ""
    lines = [
        f"{patient.age}-årig {sex}, henvist {date_short(patient.referral_date)}.",
        f"Diagnose: {patient.diagnosis or NOT_GIVEN}.",
        f"Smertevarighed: {duration}. Smerteudbredelse: {patient.pain_distribution or NOT_GIVEN}.",
        f"Arbejde og forsørgelse: {work or NOT_GIVEN}.",
    ]
    for entry in patient.timeline:
        if entry.finding:
            lines.append(f"{entry.name}: {FINDING.get(entry.finding, entry.finding)}.")
    return "\n".join(lines)


def _period(entry: TimelineEntry) -> str:
    start = entry.start_date or entry.planned_date
    if entry.status == "i_gang":
        return f"i gang siden {date_short(start)}" if start else "i gang"
    status = COURSE_STATUS.get(entry.status, entry.status).lower()
    end = entry.end_date
    if start and end and end != start:
        return f"{status} {date_short(start)}–{date_short(end)}"
    day = end or start
    return f"{status} {date_short(day)}" if day else status


def course_text(timeline: Sequence[TimelineEntry]) -> str:
    """Interventions so far (with attendance and missed sessions), then what is planned."""
    lines = []
    for entry in timeline:
        if entry.status not in SHOWN_STATUSES:
            continue
        name = entry.name
        if entry.group_name:
            name = entry.group_name if entry.group_name.startswith(name) else (
                f"{name} ({entry.group_name})"
            )
        text = f"- {name}: {_period(entry)}"
        attendance = attendance_text(entry)
        if attendance:
            text += f"; {attendance}"
        if entry.finding:
            text += f"; fund: {FINDING.get(entry.finding, entry.finding).lower()}"
        lines.append(text)
        if entry.handover_note:  # the therapists' handover at the last session
            lines.append(f"  Overlevering fra holdbehandlerne: {entry.handover_note.strip()}")
    if not lines:
        lines.append("Ingen indsatser gennemført eller i gang endnu.")
    sessions = [s for e in timeline for s in e.sessions if s.status]
    if sessions:
        present = sum(1 for s in sessions if s.status == AttendanceStatus.PRESENT.value)
        no_show = sum(1 for s in sessions if s.status == AttendanceStatus.NO_SHOW.value)
        cancelled = sum(1 for s in sessions if s.status == AttendanceStatus.CANCELLED.value)
        summary = f"Fremmøde på hold i alt: {present} af {len(sessions)} holdgange"
        missed = []
        if no_show:
            missed.append(f"{no_show} udeblivelse{'r' if no_show > 1 else ''}")
        if cancelled:
            missed.append(f"{cancelled} afbud")
        lines.append(summary + (f" ({', '.join(missed)})." if missed else "."))
    planned = [e for e in timeline if e.status == "planlagt"]
    if planned:
        lines.append(
            "Planlagt: "
            + "; ".join(
                f"{e.name} {date_short(e.planned_date)}".strip() for e in planned
            )
            + "."
        )
    return "\n".join(lines)


def _point_text(point: pro_trend.TrendPoint) -> str:
    text = f"{point.label.lower()} {point.text}"
    if point.band:
        text += f", {point.band.label[:1].lower()}{point.band.label[1:]}"
    return text


def pro_text(answers: Sequence[pro_trend.Answers]) -> str:
    """When the patient answered; per instrument each time point with score and band, the
    change from baseline and the rule it is judged by, missing time points; then the flags of
    the latest response and, under "Tidligere målinger", older ones, each with time point and
    date. Dialogue support only."""
    trends = pro_trend.trends(answers)
    if not trends:
        return "Patienten har ikke besvaret spørgeskemaer endnu."
    answered = [
        f"{pro.TIMEPOINTS.get(a.timepoint, a.timepoint)} {date_short(a.answered_on)}"
        for a in pro_trend.sorted_answers(answers)
    ]
    lines = [f"Besvaret: {'; '.join(answered)}."]
    for trend in trends:
        parts = [_point_text(p) for p in trend.points]
        parts += [f"{label.lower()} {pro_trend.NOT_ANSWERED}" for label in trend.missing]
        line = f"{trend.instrument.short_name}: " + "; ".join(parts)
        latest, base = trend.latest, trend.at("baseline")
        if latest is not None and latest.change is not None:
            line += f" – {latest.change.label}"
            rule = pro.mic_text(trend.code, base.score if base else None)
            if rule:
                line += f" (mindste betydende ændring: {rule})"
        lines.append(line + ".")
    split = pro_trend.split_flags(trends)
    if split.current or split.history:
        lines.append("")
        lines.append("Markeringer (dialogstøtte, ikke beslutningsstøtte):")
        lines += [f"- {pro_trend.flag_text(f)}" for f in split.current]
        if not split.current:
            lines.append(f"- Ingen ved seneste besvarelse ({split.latest}).")
        if split.history:
            lines.append(f"{pro_trend.HISTORY_TITLE}:")
            lines += [f"- {pro_trend.flag_text(f)}" for f in split.history]
    return "\n".join(lines)


def system_texts(patient: PatientDetail) -> dict[str, str]:
    """The text of every system field, keyed like the template (conference.template)."""
    return {
        "baggrund": background_text(patient),
        "forloeb": course_text(patient.timeline),
        "pro": pro_text(patient.pro),
    }
