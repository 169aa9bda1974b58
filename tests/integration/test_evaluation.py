"""Evaluering on a real database (SQLite and PostgreSQL): the cohort of a period, whole-column
reads with a fixed number of statements, who may read and who may export, the access log, and
the report files with small counts suppressed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conference.services import evaluation as service
from conference.services.access import PermissionDenied
from db.models import (
    AccessLog,
    CourseStatus,
    Patient,
    PatientStatus,
    ProResponse,
    ProScore,
    Role,
    Timepoint,
)
from db.statements import count_statements
from tests import factories as f

TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 10, 30, tzinfo=dt.UTC)
YEAR = service.Period.year(2025)


def answers(session, who: Patient, timepoint: Timepoint, day: dt.date, **scores: float | None):
    response = ProResponse(patient_id=who.id, timepoint=timepoint, answered_on=day,
                           scores=[ProScore(instrument=code, score=value)
                                   for code, value in scores.items()])
    session.add(response)
    session.flush()


def whole_course(session, who: Patient, start: dt.date) -> None:
    codes = ["visitation", "kort_primaersamtale", "forstaa_smerte", "lang_primaersamtale",
             "livet_med_smerter", "foerste_opfoelgning", "mindfulness", "anden_opfoelgning",
             "afsluttende_samtale"]
    for i, code in enumerate(codes):
        f.event(session, who, code, day=start + dt.timedelta(days=20 * i + 2))


def discharge(session, who: Patient, day: dt.date) -> None:
    who.status, who.discharged_on = PatientStatus.DISCHARGED, day
    session.flush()


def cohort(session, completers: int = 6, dropouts: int = 2):
    """Referred in 2025: `completers` through the whole course (PDI 40 -> 30, improved, and
    PGIC 2) and `dropouts` who left at Livet med smerter without answering at the end; one
    still going; and one referred in 2024 and one in 2026 (outside the year)."""
    people = []
    for i in range(completers):
        who = f.patient(session, referral=dt.date(2025, 1, 10 + i))
        whole_course(session, who, who.referral_date)
        discharge(session, who, dt.date(2025, 12, 1))
        answers(session, who, Timepoint.BASELINE, dt.date(2025, 2, 1), pdi=40.0, nrs_avg=7.0)
        answers(session, who, Timepoint.AFSLUTNING, dt.date(2025, 12, 5), pdi=30.0,
                nrs_avg=7.0, pgic=2.0)
        people.append(who)
    for i in range(dropouts):
        who = f.patient(session, referral=dt.date(2025, 3, 1 + i))
        f.event(session, who, "visitation", day=dt.date(2025, 3, 3))
        f.event(session, who, "livet_med_smerter", CourseStatus.DROPPED_OUT,
                day=dt.date(2025, 5, 1), note="Ønsker ikke at fortsætte")
        discharge(session, who, dt.date(2025, 5, 20))
        answers(session, who, Timepoint.BASELINE, dt.date(2025, 3, 20), pdi=50.0)
        people.append(who)
    going = f.patient(session, referral=dt.date(2025, 11, 1))
    f.event(session, going, "visitation", day=dt.date(2025, 11, 2))
    people.append(going)
    f.patient(session, referral=dt.date(2024, 12, 31))
    f.patient(session, referral=dt.date(2026, 1, 1))
    return people


def test_the_year_cohort_referred_in_the_period(db):
    actor = f.staff(db, roles=(Role.LAESER,))
    cohort(db)
    result = service.evaluate(db, actor, YEAR, service.REFERRED, TODAY)
    assert result.size == 9
    done = result.completion
    assert (done.completed, done.dropped_out, done.in_course) == (6, 2, 1)
    funnel = result.funnel.set_index("step")
    assert funnel.loc["visitation", "reached"] == 9
    assert funnel.loc["livet_med_smerter", ["reached", "dropped_out"]].tolist() == [8, 2]
    assert funnel.loc["afsluttende_samtale", "completed"] == 6
    response = result.response.set_index("timepoint")
    assert response.loc["baseline", ["k", "n"]].tolist() == [8, 9]
    # after treatment: the 8 whose course ended should have answered; 6 did
    assert response.loc["afslutning", ["k", "n"]].tolist() == [6, 8]
    pdi = result.effect.set_index(["code", "timepoint"]).loc[("pdi", "afslutning")]
    assert (pdi["eligible"], pdi["both"], pdi["missing"], pdi["improved"]) == (8, 6, 2, 6)
    assert pdi["mean_change"] == pytest.approx(-10.0)
    assert pdi["share"] == 1.0 and not pdi["hidden"]  # 0 not improved: nothing small
    pgic = result.effect.set_index(["code", "timepoint"]).loc[("pgic", "afslutning")]
    assert (pgic["both"], pgic["improved"]) == (6, 6)
    subgroups = result.subgroups("pdi").set_index(["variable", "level"])
    assert subgroups.loc[("Køn", "Kvinde"), ["patients", "n", "k"]].tolist() == [9, 6, 6]


def test_the_cohort_whose_course_ended_in_the_period(db):
    actor = f.staff(db, roles=(Role.LAESER,))
    cohort(db)
    result = service.evaluate(db, actor, YEAR, service.ENDED, TODAY)
    assert result.size == 8  # discharged in 2025: the 6 completers and the 2 drop-outs
    assert result.completion.in_course == 0
    custom = service.Period(dt.date(2025, 5, 1), dt.date(2025, 6, 30))
    assert service.evaluate(db, actor, custom, service.ENDED, TODAY).size == 2


def test_reading_takes_the_same_statements_whatever_the_cohort(db):
    actor = f.staff(db, roles=(Role.BEHANDLER,))
    cohort(db, completers=1, dropouts=1)
    with count_statements() as small:
        service.evaluate(db, actor, YEAR, service.REFERRED, TODAY)
    cohort(db, completers=12, dropouts=6)
    with count_statements() as large:
        result = service.evaluate(db, actor, YEAR, service.REFERRED, TODAY)
    assert result.size == 3 + 19
    assert large.count == small.count <= 8


def test_only_a_meeting_leader_or_an_administrator_may_produce_the_report(db):
    cohort(db)
    for roles in ((Role.LAESER,), (Role.REFERENT,), (Role.BEHANDLER,)):
        with pytest.raises(PermissionDenied, match="evalueringsrapporten"):
            service.report_xlsx(db, f.staff(db, roles=roles), YEAR, service.REFERRED, TODAY,
                                now=NOW)
    leader = f.staff(db, roles=(Role.MOEDELEDER,))
    assert service.report_xlsx(db, leader, YEAR, service.REFERRED, TODAY, now=NOW)


def test_the_access_log_records_who_produced_which_report(db):
    cohort(db)
    leader = f.staff(db, roles=(Role.MOEDELEDER,))
    pdf = service.report_pdf(db, leader, YEAR, service.ENDED, TODAY, now=NOW)
    assert pdf.startswith(b"%PDF")
    service.report_xlsx(db, leader, YEAR, service.REFERRED, TODAY, now=NOW)
    rows = db.execute(
        select(AccessLog.view, AccessLog.patient_count, AccessLog.patient_id)
        .where(AccessLog.staff_id == leader.id).order_by(AccessLog.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("evalueringsrapport pdf 2025-01-01–2025-12-31 afsluttet", 8, None),
        ("evalueringsrapport xlsx 2025-01-01–2025-12-31 henvist", 9, None),
    ]


def test_the_workbook_states_what_it_is_and_suppresses_small_counts(db):
    cohort(db)
    admin = f.staff(db, roles=(Role.ADMIN,))
    admin.name = "Anne Andersen"
    data = service.report_xlsx(db, admin, YEAR, service.REFERRED, TODAY, now=NOW)
    book = load_workbook(io.BytesIO(data))
    front = {row[0]: row[1] for row in book["Rapport"].iter_rows(values_only=True) if row[0]}
    assert front["Periode"] == "år 2025 (01.01.2025–31.12.2025)"
    assert front["Kohorte"].startswith("Henvist i perioden.")
    assert front["Udtrukket"] == "1. jun. 2026 kl. 12:30"  # the Danish clock (summer time)
    assert front["Appversion"].startswith("Konferencetavlen 0.1.0")
    assert front["Udarbejdet af"] == "Anne Andersen"
    for sheet in ("Svarprocent", "Patientkarakteristika", "Effekt afslutning", "Gennemførelse",
                  "Forløbstrin", "Konferencen", "Definitioner"):
        assert sheet in book.sheetnames
    completion = {row[0]: row[1] for row in book["Gennemførelse"].iter_rows(values_only=True)}
    assert completion["Patienter i kohorten"] == 9
    assert completion["Udgået undervejs"] == "<5"
    assert completion["Stadig i forløb"] == "<5"
    # one cell of completed / dropped out / ended otherwise is hidden: the next one too
    assert completion["Gennemført standardforløb (afsluttende samtale)"] == "–"
    # no count from 1 to 4 anywhere (shares are percentages: 1 is 100 %)
    for name in book.sheetnames[1:]:
        for row in book[name].iter_rows():
            assert not any(isinstance(c.value, int) and 0 < c.value < 5
                           and c.number_format != "0%" for c in row), (name, row)
