"""Evaluering: the cohort of a period as whole columns, for conference.evaluation.

A fixed number of set-based statements whatever the size of the cohort (no statement and no
Python loop per patient): the patients, their course events grouped by intervention and status,
their PRO scores pivoted to one row per patient by SQL conditional aggregation, the
interventions' names, and the period's conferences (conference.services.minutes.meeting_stats).

Reading needs Action.VIEW_PATIENTS (every role); the yearly report as a file needs
Action.EXPORT_REPORT (mødeleder and administrator), and who produced which report is written to
the access log (view "evalueringsrapport …", with the number of patients in it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Select, String, case, func, select, type_coerce
from sqlalchemy.orm import Session

from conference import evaluation, pro
from conference.minutes import MeetingStats
from conference.permissions import Action
from conference.services.access import authorize, log_access
from conference.services.errors import InvalidInput
from conference.services.minutes import meeting_stats
from db.models import (
    Conference,
    CourseEvent,
    Intervention,
    Microteam,
    Patient,
    PatientStatus,
    ProResponse,
    ProScore,
    Timepoint,
)

REFERRED, ENDED = "henvist", "afsluttet"
#: The cohort definitions, as stated on screen and in the report.
COHORTS: dict[str, tuple[str, str]] = {
    REFERRED: (
        "Henvist i perioden",
        "Alle patienter med henvisningsdato i perioden, uanset hvor langt de er nået. Patienter, "
        "der stadig er i forløb, tælles med i gennemførelsen som »i forløb« og skal endnu ikke "
        "have svaret efter behandlingen.",
    ),
    ENDED: (
        "Forløbet afsluttet i perioden",
        "Alle patienter, hvis forløb blev afsluttet (udskrevet) i perioden: både dem, der "
        "gennemførte standardforløbet, og dem, der udgik eller blev afsluttet undervejs.",
    ),
}
REPORT_VIEW = "evalueringsrapport"
EVENT_STATUSES = tuple(evaluation.REACHED)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("Periodens slutdato ligger før startdatoen.")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @property
    def is_year(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31) \
            and self.start.year == self.end.year


def _cohort_ids(period: Period, cohort: str) -> Select:
    if cohort == REFERRED:
        day = Patient.referral_date
    elif cohort == ENDED:
        day = Patient.discharged_on
    else:
        raise InvalidInput(f"Ukendt kohorte: {cohort!r}")
    return select(Patient.id).where(day >= period.start, day <= period.end)


def available_years(session: Session, actor, today: dt.date) -> list[int]:  # noqa: ANN001
    """The years from the first referral up to today's, newest first."""
    authorize(session, actor, Action.VIEW_PATIENTS)
    first = session.scalar(select(func.min(Patient.referral_date)))
    if first is None:
        return [today.year]
    return list(range(today.year, first.year - 1, -1))


def _patients(session: Session, ids: Select) -> pd.DataFrame:
    rows = session.connection().execute(
        select(
            Patient.id, type_coerce(Patient.sex, String), Patient.birth_date,
            Patient.referral_date, Patient.pain_duration_years,
            type_coerce(Patient.work_situation, String), Microteam.name,
            type_coerce(Patient.status, String), Patient.discharged_on,
        )
        .outerjoin(Microteam, Microteam.id == Patient.microteam_id)
        .where(Patient.id.in_(ids))
    ).all()
    frame = pd.DataFrame(
        rows, columns=["patient_id", "sex", "birth_date", "referral_date", "pain_years", "work",
                       "microteam", "status", "discharged_on"],
    )
    frame["sex"] = frame["sex"].astype(object)
    frame["work"] = frame["work"].astype(object)
    frame["active"] = frame["status"] == PatientStatus.ACTIVE.value
    frame["pain_years"] = pd.to_numeric(frame["pain_years"], errors="coerce")
    birth = pd.to_datetime(frame["birth_date"])
    referral = pd.to_datetime(frame["referral_date"])
    had_birthday = (referral.dt.month > birth.dt.month) | (
        (referral.dt.month == birth.dt.month) & (referral.dt.day >= birth.dt.day))
    frame["age"] = referral.dt.year - birth.dt.year - (~had_birthday).astype(int)
    frame = frame.drop(columns=["status", "birth_date"]).set_index("patient_id")
    return frame


def _events(session: Session, ids: Select) -> pd.DataFrame:
    day = func.coalesce(CourseEvent.start_date, CourseEvent.end_date, CourseEvent.planned_date)
    rows = session.connection().execute(
        select(
            CourseEvent.patient_id, Intervention.code, Intervention.standard_course,
            type_coerce(CourseEvent.status, String), func.min(day), func.max(CourseEvent.note),
        )
        .join(Intervention, Intervention.id == CourseEvent.intervention_id)
        .where(CourseEvent.patient_id.in_(ids), CourseEvent.status.in_(EVENT_STATUSES))
        .group_by(CourseEvent.patient_id, Intervention.code, Intervention.standard_course,
                  CourseEvent.status)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["patient_id", "code", "standard", "status", "first_date", "note"]
    )
    frame["status"] = frame["status"].astype(object)
    frame["standard"] = frame["standard"].astype(bool)
    frame["first_date"] = pd.to_datetime(frame["first_date"])
    return frame


def _score_columns() -> list[tuple[str, str]]:
    return [(code, tp) for code, inst in pro.INSTRUMENTS.items() for tp in inst.timepoints]


def _scores(session: Session, ids: Select) -> pd.DataFrame:
    """One row per patient who answered anything: a score column per instrument and time point
    (conditional aggregation in SQL), and whether they answered at each time point."""
    answered = [
        func.max(case((ProResponse.timepoint == tp, 1), else_=0)).label(f"svar__{tp}")
        for tp in pro.TIMEPOINTS
    ]
    values = [
        func.max(case(((ProResponse.timepoint == tp) & (ProScore.instrument == code),
                       ProScore.score))).label(f"{code}__{tp}")
        for code, tp in _score_columns()
    ]
    query = (
        select(ProResponse.patient_id, *answered, *values)
        .outerjoin(ProScore, ProScore.response_id == ProResponse.id)
        .where(ProResponse.patient_id.in_(ids))
        .group_by(ProResponse.patient_id)
    )
    result = session.connection().execute(query)
    columns = [c.replace("__", "@") for c in list(result.keys())]
    frame = pd.DataFrame(result.all(), columns=columns).set_index("patient_id")
    for tp in pro.TIMEPOINTS:
        frame[f"svar@{tp}"] = frame[f"svar@{tp}"].fillna(0).astype(int) > 0
    for code, tp in _score_columns():
        frame[f"{code}@{tp}"] = pd.to_numeric(frame[f"{code}@{tp}"], errors="coerce")
    return frame


def _meetings(session: Session, period: Period, today: dt.date) -> pd.DataFrame:
    ids = session.scalars(
        select(Conference.id).where(
            Conference.date >= period.start, Conference.date <= min(period.end, today),
            Conference.started_at.is_not(None),
        )
    ).all()
    stats = meeting_stats(session, today, ids, last=len(ids)) if ids else []
    fields = [f.name for f in dataclasses.fields(MeetingStats)]
    return pd.DataFrame([dataclasses.asdict(s) for s in stats], columns=fields)


def intervention_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Intervention.code, Intervention.name)).all())


def authorize_reading(session: Session, actor) -> None:  # noqa: ANN001
    """May `actor` read the evaluation (every role that sees patients)? PermissionDenied if not."""
    authorize(session, actor, Action.VIEW_PATIENTS)


def evaluate(
    session: Session, actor, period: Period, cohort: str, today: dt.date  # noqa: ANN001
) -> evaluation.Evaluation:
    """The evaluation of the cohort `cohort` (REFERRED or ENDED) in `period`, as of `today`
    (next steps are counted as due up to today)."""
    authorize_reading(session, actor)
    return evaluate_cohort(session, period, cohort, today)


def evaluate_cohort(session: Session, period: Period, cohort: str, today: dt.date
                    ) -> evaluation.Evaluation:
    """:func:`evaluate` for a caller that has checked :func:`authorize_reading` itself (the
    page keeps one result per period and cohort for everyone: aggregates, not per user)."""
    ids = _cohort_ids(period, cohort)
    return evaluation.evaluate(
        _patients(session, ids), _events(session, ids), _scores(session, ids),
        _meetings(session, period, today), intervention_names(session),
    )


def comparison_reference(session: Session) -> pd.DataFrame:
    """Among every patient who answered after treatment: per instrument and baseline severity
    band, how many improved (conference.evaluation.comparison_table). Aggregates only, no
    patient named: the conference board shows it beside a patient's own change."""
    ids = select(ProResponse.patient_id).where(ProResponse.timepoint == Timepoint.AFSLUTNING)
    return evaluation.comparison_table(_scores(session, ids))


# --------------------------------------------------------------------------- the report files


def _report(session: Session, actor, period: Period, cohort: str, today: dt.date,  # noqa: ANN001
            now: dt.datetime, kind: str):  # noqa: ANN202
    from conference import evaluation_report

    authorize(session, actor, Action.EXPORT_REPORT)
    result = evaluate(session, actor, period, cohort, today)
    meta = evaluation_report.ReportMeta(
        period_start=period.start, period_end=period.end, cohort=cohort,
        cohort_label=COHORTS[cohort][0], cohort_definition=COHORTS[cohort][1],
        extracted_at=now, produced_by=actor.name,
    )
    view = f"{REPORT_VIEW} {kind} {period.start.isoformat()}–{period.end.isoformat()} {cohort}"
    log_access(session, actor, view[:60], count=result.size)
    return evaluation_report, result, meta


def report_pdf(session: Session, actor, period: Period, cohort: str, today: dt.date,  # noqa: ANN001
               now: dt.datetime) -> bytes:
    """The yearly report as PDF (charts included); logged as produced by `actor`."""
    module, result, meta = _report(session, actor, period, cohort, today, now, "pdf")
    return module.to_pdf(result, meta)


def report_xlsx(session: Session, actor, period: Period, cohort: str, today: dt.date,  # noqa: ANN001
                now: dt.datetime) -> bytes:
    """The yearly report's tables as XLSX; logged as produced by `actor`."""
    module, result, meta = _report(session, actor, period, cohort, today, now, "xlsx")
    return module.to_xlsx(result, meta)
