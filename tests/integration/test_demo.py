"""The demo centre (demo/) on a real database: SQLite always, PostgreSQL when reachable.

One small build per database (scale 0.25, a fixed `today`), checked for what the app relies on:
determinism, valid CPR numbers, groups within capacity and running this week, every due rule
and every standard-course step represented among active patients, PRO with missing scores, and
the next conference with a realistic agenda, partly prepared.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from conference import pathway, pro
from conference.cpr import parse_cpr
from conference.services import agenda as agenda_service
from conference.services import audit
from conference.services import cases as case_service
from conference.services import groups as groups_service
from conference.services.access import log_access, log_security_event
from conference.services.settings import is_demo, next_conference_date
from db import audit_chain, backup
from db.migrate import upgrade
from db.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    AuditLog,
    CasePresentation,
    Concern,
    Conference,
    CourseEvent,
    Enrolment,
    GroupSession,
    Intervention,
    MicroteamMember,
    Patient,
    PresentationTemplate,
    ProResponse,
    ProScore,
    Role,
    SecurityEvent,
    Setting,
    Staff,
    StaffRole,
    TherapyGroup,
)
from db.session import make_engine, session_scope
from demo import (
    TEMPLATE_FIELDS,
    DemoRefused,
    DemoStats,
    build_demo,
    demo_refusal,
    ensure_demo,
)
from demo import builder as demo_module  # build_demo looks demo_refusal up here
from demo.cli import main
from tests import factories

TODAY = dt.date(2026, 11, 25)  # a Wednesday: the conference of the day is still to come
SCALE = 0.25
SEED = 2026
# The suite's PostgreSQL server (KT_TEST_DB, see tests/conftest.py), else the local default.
_KT_TEST_DB = os.environ.get("KT_TEST_DB", "")
PG_URL = (
    "postgresql+psycopg://" + _KT_TEST_DB.split("://", 1)[1]
    if _KT_TEST_DB.startswith("postgres")
    else os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
)

DUE_REASONS = (
    "anden_opfoelgning",
    "uafklaret_behandlingsbehov",
    "svaer_psykisk_belastning",
    "socialfagligt_spoergsmaal",
    "cft_langsom_responder",
    "psykologiske_barrierer",
    "bekymring",
)


# --------------------------------------------------------------------------- databases


def _sqlite_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _build(
    engine: Engine, *, today: dt.date = TODAY, scale: float = SCALE, seed: int = SEED
) -> DemoStats:
    with session_scope(engine) as session:
        return build_demo(session, scale=scale, seed=seed, today=today)


@dataclass
class Built:
    engine: Engine
    stats: DemoStats


@pytest.fixture(scope="module")
def sqlite_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Built, Built]]:
    """Two SQLite files built from the same seed and date."""
    base = tmp_path_factory.mktemp("demo")
    engines = (_sqlite_engine(base / "a.db"), _sqlite_engine(base / "b.db"))
    yield (Built(engines[0], _build(engines[0])), Built(engines[1], _build(engines[1])))
    for e in engines:
        e.dispose()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Built]:
    """A fresh PostgreSQL database `demo_test_<pid>`, migrated and built, dropped afterwards."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection problem means: not available
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable: {exc.__class__.__name__}")
    name = f"demo_test_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(False))
    try:
        upgrade(engine)
        yield Built(engine, _build(engine))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest) -> Built:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_pair")[0]
    return request.getfixturevalue("postgres")


# --------------------------------------------------------------------------- helpers


def _snapshot(session: Session) -> list[tuple]:
    return [
        tuple(row)
        for row in session.execute(
            select(
                Patient.cpr,
                Patient.first_name,
                Patient.last_name,
                Patient.referral_date,
                Patient.status,
            ).order_by(Patient.id)
        )
    ]


def _upcoming(session: Session) -> Conference:
    return session.scalars(
        select(Conference).where(Conference.status == "planlagt").order_by(Conference.date)
    ).one()


def due_by_reason(session: Session) -> dict[str, set[int]]:
    """Active patients per due reason at the upcoming conference, by the app's rules."""
    conf_date = _upcoming(session).date
    active = set(session.scalars(select(Patient.id).where(Patient.status == "aktiv")))
    events: dict[int, list[pathway.Event]] = defaultdict(list)
    for pid, code, name, status, planned, start, end, finding in session.execute(
        select(
            CourseEvent.patient_id,
            Intervention.code,
            Intervention.name,
            CourseEvent.status,
            CourseEvent.planned_date,
            CourseEvent.start_date,
            CourseEvent.end_date,
            CourseEvent.finding,
        ).join(Intervention, Intervention.id == CourseEvent.intervention_id)
    ):
        if pid in active:
            events[pid].append(
                pathway.Event(code, name, str(status), planned, start, end,
                              str(finding) if finding else None)
            )
    concerns: dict[int, list[pathway.Concern]] = defaultdict(list)
    for pid, raised_on, note in session.execute(
        select(Concern.patient_id, Concern.raised_on, Concern.note).where(
            Concern.resolved_on.is_(None)
        )
    ):
        concerns[pid].append(pathway.Concern(raised_on, note))
    last = dict(
        session.execute(
            select(AgendaItem.patient_id, func.max(Conference.date))
            .join(Conference, Conference.id == AgendaItem.conference_id)
            .where(AgendaItem.status == "droeftet", Conference.date < conf_date)
            .group_by(AgendaItem.patient_id)
        ).all()
    )
    result: dict[str, set[int]] = defaultdict(set)
    for pid in sorted(active):
        course = pathway.PatientCourse(
            active=True,
            events=events.get(pid, []),
            open_concerns=concerns.get(pid, []),
            last_presented=last.get(pid),
        )
        for reason in pathway.due_reasons(course, conf_date):
            result[reason.code].add(pid)
    return result


def planned_steps(session: Session) -> Counter:
    """How many active patients have a planned event of each intervention."""
    rows = session.execute(
        select(Intervention.code, func.count(func.distinct(CourseEvent.patient_id)))
        .join(CourseEvent, CourseEvent.intervention_id == Intervention.id)
        .join(Patient, Patient.id == CourseEvent.patient_id)
        .where(CourseEvent.status == "planlagt", Patient.status == "aktiv")
        .group_by(Intervention.code)
    )
    return Counter(dict(rows.all()))


def running_groups(session: Session, today: dt.date) -> list[tuple[int, str]]:
    """Groups with a session before today and one on or after today."""
    past = select(GroupSession.group_id).where(GroupSession.date < today)
    future = select(GroupSession.group_id).where(GroupSession.date >= today)
    return [
        tuple(r)
        for r in session.execute(
            select(TherapyGroup.id, Intervention.code)
            .join(Intervention, Intervention.id == TherapyGroup.intervention_id)
            .where(TherapyGroup.id.in_(past), TherapyGroup.id.in_(future))
        )
    ]


# --------------------------------------------------------------------------- tests


def test_same_seed_gives_identical_data(sqlite_pair: tuple[Built, Built]) -> None:
    a, b = sqlite_pair
    with Session(a.engine) as sa, Session(b.engine) as sb:
        assert _snapshot(sa) == _snapshot(sb)
        assert len(_snapshot(sa)) == pytest.approx(800 * 2 * SCALE, abs=1)
        for model in (CourseEvent, Enrolment, Attendance, ProScore, AgendaItem, ActionItem):
            count = select(func.count()).select_from(model)
            assert sa.scalar(count) == sb.scalar(count), model.__name__
        scores = select(ProScore.instrument, ProScore.items, ProScore.score).order_by(ProScore.id)
        assert sa.execute(scores.limit(500)).all() == sb.execute(scores.limit(500)).all()
    assert a.stats.counts == b.stats.counts


def test_sqlite_and_postgresql_get_the_same_data(
    sqlite_pair: tuple[Built, Built], postgres: Built
) -> None:
    with Session(sqlite_pair[0].engine) as s1, Session(postgres.engine) as s2:
        assert _snapshot(s1) == _snapshot(s2)
        scores = select(ProScore.instrument, ProScore.items, ProScore.score).order_by(ProScore.id)
        assert s1.execute(scores.limit(500)).all() == s2.execute(scores.limit(500)).all()
        fields = select(CasePresentation.fields).order_by(CasePresentation.id).limit(50)
        assert s1.scalars(fields).all() == s2.scalars(fields).all()
    assert sqlite_pair[0].stats.counts == postgres.stats.counts


def test_other_seed_gives_other_patients(
    tmp_path: Path, sqlite_pair: tuple[Built, Built]
) -> None:
    engine = _sqlite_engine(tmp_path / "c.db")
    _build(engine, seed=SEED + 1, scale=0.05)
    with Session(engine) as s1, Session(sqlite_pair[0].engine) as s2:
        assert {r[0] for r in _snapshot(s1)} != {r[0] for r in _snapshot(s2)}
    engine.dispose()


def test_stats_match_database(demo: Built) -> None:
    stats = demo.stats
    with Session(demo.engine) as session:
        for model in (Staff, Patient, CourseEvent, ProResponse, Conference, AgendaItem):
            table = model.__table__.name
            assert session.scalar(select(func.count()).select_from(model)) == stats.counts[table]
    assert stats.seconds > 0
    assert "rækker" in stats.format()


def test_new_rows_get_fresh_ids_after_the_demo(demo: Built) -> None:
    """Ids are assigned by the demo; the database's own sequences must continue after them."""
    with Session(demo.engine) as session:
        before = session.scalar(select(func.max(Concern.id)))
        patient_id = session.scalar(select(func.min(Patient.id)))
        staff_id = session.scalar(select(func.min(Staff.id)))
        concern = Concern(
            patient_id=patient_id, raised_by_id=staff_id, raised_on=TODAY, note="Test"
        )
        session.add(concern)
        session.flush()
        assert concern.id > before
        session.rollback()


def test_staff_roles_and_microteams(demo: Built) -> None:
    with Session(demo.engine) as session:
        staff = session.scalars(select(Staff)).all()
        assert 28 <= len(staff) <= 32
        assert len({s.initials for s in staff}) == len(staff)
        professions = Counter(str(s.profession) for s in staff)
        assert set(professions) == {
            "laege", "sygeplejerske", "psykolog", "fysioterapeut", "socialraadgiver", "sekretaer"
        }
        roles = Counter(str(r) for r in session.scalars(select(StaffRole.role)))
        assert roles["admin"] >= 2 and 2 <= roles["moedeleder"] <= 3 and roles["referent"] >= 3
        functions = session.execute(
            select(MicroteamMember.microteam_id, MicroteamMember.function)
        ).all()
        per_team: dict[int, Counter] = defaultdict(Counter)
        for team, function in functions:
            per_team[team][str(function)] += 1
        assert 6 <= len(per_team) <= 7
        for counts in per_team.values():
            assert counts["pal_laege"] == 1 and counts["kontaktsygeplejerske"] == 1
            assert 1 <= counts["medlem"] <= 2
        assert session.get(Setting, "demo").value == "1"
        assert session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity == "demo")
        ) == 1


def test_patients_have_valid_unique_cprs(demo: Built) -> None:
    with Session(demo.engine) as session:
        rows = session.execute(
            select(Patient.cpr, Patient.birth_date, Patient.sex, Patient.microteam_id,
                   Patient.pal_laege_id, Patient.kontaktsygeplejerske_id)
        ).all()
    assert len({r.cpr for r in rows}) == len(rows)
    for r in rows:
        info = parse_cpr(r.cpr, today=TODAY)
        assert info.birth_date == r.birth_date
        assert info.sex == str(r.sex)
        assert r.microteam_id and r.pal_laege_id and r.kontaktsygeplejerske_id
    women = sum(1 for r in rows if str(r.sex) == "K") / len(rows)
    assert 0.6 < women < 0.76


def test_groups_within_capacity_and_consistent(demo: Built) -> None:
    with Session(demo.engine) as session:
        over = session.execute(
            select(TherapyGroup.id)
            .join(Enrolment, Enrolment.group_id == TherapyGroup.id)
            .group_by(TherapyGroup.id, TherapyGroup.capacity)
            .having(func.count(Enrolment.id) > TherapyGroup.capacity)
        ).all()
        assert over == []
        wrong_capacity = session.execute(
            select(TherapyGroup.id)
            .join(Intervention, Intervention.id == TherapyGroup.intervention_id)
            .where(TherapyGroup.capacity != Intervention.capacity)
        ).all()
        assert wrong_capacity == []
        # Attendance only for past sessions.
        future_attendance = session.scalar(
            select(func.count())
            .select_from(Attendance)
            .join(GroupSession, GroupSession.id == Attendance.session_id)
            .where(GroupSession.date >= TODAY)
        )
        assert future_attendance == 0
        # Every past session of every enrolment has attendance.
        missing = session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .join(GroupSession, GroupSession.group_id == Enrolment.group_id)
            .outerjoin(
                Attendance,
                (Attendance.session_id == GroupSession.id)
                & (Attendance.enrolment_id == Enrolment.id),
            )
            .where(GroupSession.date < TODAY, Attendance.id.is_(None))
        )
        assert missing == 0
        shares = Counter(str(s) for s in session.scalars(select(Attendance.status)))
        assert shares["moedt"] / sum(shares.values()) > 0.75
        # The patient's group event carries the group and its dates; statuses agree.
        mismatched = session.execute(
            select(CourseEvent.id, CourseEvent.status, Enrolment.status)
            .join(TherapyGroup, TherapyGroup.id == CourseEvent.group_id)
            .join(
                Enrolment,
                (Enrolment.group_id == CourseEvent.group_id)
                & (Enrolment.patient_id == CourseEvent.patient_id),
            )
            .where(CourseEvent.start_date != TherapyGroup.start_date)
        ).all()
        assert mismatched == []
        pairs = Counter(
            (str(a), str(b))
            for a, b in session.execute(
                select(CourseEvent.status, Enrolment.status).join(
                    Enrolment,
                    (Enrolment.group_id == CourseEvent.group_id)
                    & (Enrolment.patient_id == CourseEvent.patient_id),
                )
            )
        )
        allowed = {
            ("gennemfoert", "gennemfoert"),
            ("udgaaet", "udgaaet"),
            ("i_gang", "tilmeldt"),
            ("planlagt", "tilmeldt"),
        }
        assert set(pairs) <= allowed
        # Mindfulness ends with the day of silence.
        silence = session.execute(
            select(GroupSession.number, GroupSession.minutes)
            .where(GroupSession.label == "Stilhedsdag")
            .limit(5)
        ).all()
        assert silence and all(n == 10 and m == 360 for n, m in silence)


def test_groups_of_several_kinds_run_this_week(demo: Built) -> None:
    with Session(demo.engine) as session:
        kinds = {code for _, code in running_groups(session, TODAY)}
    assert len(kinds) >= 3, kinds
    assert {"livet_med_smerter", "mindfulness"} <= kinds


def test_every_due_rule_fires_for_active_patients(demo: Built) -> None:
    with Session(demo.engine) as session:
        due = due_by_reason(session)
    missing = [reason for reason in DUE_REASONS if not due.get(reason)]
    assert missing == [], {k: len(v) for k, v in due.items()}
    assert len(due["anden_opfoelgning"]) >= 3


def test_active_patients_at_every_standard_step(demo: Built) -> None:
    with Session(demo.engine) as session:
        standard = session.scalars(
            select(Intervention.code).where(Intervention.standard_course.is_(True))
        ).all()
        planned = planned_steps(session)
        statuses = Counter(str(s) for s in session.scalars(select(Patient.status)))
        in_progress = session.scalar(
            select(func.count()).select_from(CourseEvent).where(CourseEvent.status == "i_gang")
        )
    missing = [code for code in standard if planned[code] == 0]
    assert missing == [], planned
    assert statuses["aktiv"] > 0 and statuses["afsluttet"] > 0
    assert in_progress > 0


def test_pro_responses(demo: Built) -> None:
    with Session(demo.engine) as session:
        timepoints = Counter(
            str(t) for t in session.scalars(select(ProResponse.timepoint))
        )
        assert all(timepoints[t] > 0 for t in ("baseline", "midtvejs", "afslutning", "opfoelgning"))
        assert timepoints["baseline"] > timepoints["midtvejs"] > timepoints["opfoelgning"]
        none_scores = session.scalar(
            select(func.count()).select_from(ProScore).where(ProScore.score.is_(None))
        )
        assert none_scores > 0
        rows = session.execute(
            select(ProResponse.timepoint, ProScore.instrument, ProScore.items, ProScore.score)
            .join(ProResponse, ProResponse.id == ProScore.response_id)
            .order_by(ProScore.id)
            .limit(3000)
        ).all()
        baseline_avg = []
        for timepoint, code, items, value in rows:
            assert code in pro.INSTRUMENTS
            assert str(timepoint) in pro.INSTRUMENTS[code].timepoints
            assert pro.score(code, items) == value
            if code == "nrs_avg" and str(timepoint) == "baseline" and value is not None:
                baseline_avg.append(value)
        mean = sum(baseline_avg) / len(baseline_avg)
        assert 5.5 < mean < 7.5


def test_conferences(demo: Built) -> None:
    with Session(demo.engine) as session:
        upcoming = _upcoming(session)
        assert upcoming.date == TODAY  # TODAY is a Wednesday
        assert upcoming.date.weekday() == 2
        past = session.scalars(select(Conference).where(Conference.date < TODAY)).all()
        assert 100 <= len(past) <= 106
        assert all(str(c.status) == "afsluttet" and c.signed_off_at for c in past)
        assert all(c.date.weekday() == 2 for c in past)
        # Past agendas: discussed items with conclusions, a few carried over.
        statuses = Counter(
            str(s) for s in session.scalars(select(AgendaItem.status))
        )
        assert statuses["droeftet"] > 0 and statuses["ikke_naaet"] > 0
        carried = session.scalars(
            select(AgendaItem).where(AgendaItem.carried_from_id.is_not(None))
        ).all()
        assert carried and all(str(i.source) == "overfoert" for i in carried)
        template = session.scalars(select(PresentationTemplate)).one()
        assert [f["key"] for f in template.fields] == [f["key"] for f in TEMPLATE_FIELDS]
        case = session.scalars(select(CasePresentation).limit(1)).one()
        assert set(case.fields) == {f["key"] for f in TEMPLATE_FIELDS}
        action_statuses = Counter(str(s) for s in session.scalars(select(ActionItem.status)))
        assert action_statuses["udfoert"] > 0
        overdue = session.scalar(
            select(func.count())
            .select_from(ActionItem)
            .where(ActionItem.status == "aaben", ActionItem.due_date < TODAY)
        )
        assert overdue > 0


def test_every_case_of_a_past_conference_left_with_a_decision(demo: Built) -> None:
    """Seed 3.9, 3.10: every case on a signed-off conference, on either list, has a recorded
    decision or was carried over / postponed with a reason."""
    from conference.services.decisions import open_decisions

    with Session(demo.engine) as session:
        past = session.scalars(select(Conference).where(Conference.date < TODAY)).all()
        undecided = {c.date: len(open_decisions(session, c.id)) for c in past}
        assert past and set(undecided.values()) == {0}, {
            d: n for d, n in undecided.items() if n
        }
        informed = session.scalar(
            select(func.count()).select_from(AgendaItem)
            .join(Conference, Conference.id == AgendaItem.conference_id)
            .where(Conference.date < TODAY, AgendaItem.list == "orientering")
        )
        assert informed > 0  # the rule is tried on cases til orientering too
        set_aside = session.scalars(
            select(AgendaItem.status_reason).where(
                AgendaItem.status.in_(["ikke_naaet", "udsat"]),
                AgendaItem.conference_id.in_([c.id for c in past]),
            )
        ).all()
        assert set_aside and all(reason for reason in set_aside)


def _next_agenda(session: Session) -> list[tuple]:
    """The next conference's cases as the generator left them, in speaking order."""
    upcoming = _upcoming(session)
    return [
        tuple(row)
        for row in session.execute(
            select(AgendaItem.patient_id, AgendaItem.list, AgendaItem.source,
                   AgendaItem.reason, AgendaItem.question, CasePresentation.fields,
                   CasePresentation.ready_at, CasePresentation.ready_by_id)
            .outerjoin(CasePresentation, CasePresentation.agenda_item_id == AgendaItem.id)
            .where(AgendaItem.conference_id == upcoming.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    ]


def test_next_conference_has_a_realistic_agenda(demo: Built) -> None:
    """6-12 cases, most proposed by the due rules (with their reason, some with the microteam's
    question), a few by hand and one or two for information; about half prepared from the
    template and most of those marked ready by the patient's microteam, one half-written, the
    rest not begun; a few due proposals left for "Sæt forslagene på dagsordenen"."""
    with Session(demo.engine) as session:
        upcoming = _upcoming(session)
        assert next_conference_date(session, TODAY) == upcoming.date
        items = session.scalars(
            select(AgendaItem).where(AgendaItem.conference_id == upcoming.id)
        ).all()
        assert 6 <= len(items) <= 12
        assert all(str(i.status) == "planlagt" and i.reason_text for i in items)
        sources = Counter(str(i.source) for i in items)
        assert sources["regel"] >= 4 and 1 <= sources["manuel"] <= 3, sources
        lists = Counter(str(i.list) for i in items)
        assert 1 <= lists["orientering"] <= 2 and lists["droeftelse"] >= 5, lists
        assert sum(1 for i in items if i.question) >= 2
        assert all(i.question for i in items
                   if str(i.source) == "manuel" and str(i.list) == "droeftelse")
        due = due_by_reason(session)
        proposed = set().union(*due.values())
        assert all(i.patient_id in proposed for i in items if str(i.source) == "regel")
        assert len({str(i.reason) for i in items if str(i.source) == "regel"}) >= 3

        readiness = case_service.case_readiness(session, upcoming.id)
        states = Counter(str(r.state) for r in readiness.values())
        assert states["klar"] >= 3, states
        assert states["ikke_paabegyndt"] >= 1, states
        half_written = [r for r in readiness.values() if str(r.state) == "kladde" and r.missing]
        assert len(half_written) == 1, readiness
        prepared = [r for r in readiness.values() if not r.missing]
        assert abs(len(prepared) - len(items) / 2) <= 1, states
        template = case_service.current_template(session)
        required = [f.key for f in template.fields if f.required and not f.system]
        stored = {
            c.agenda_item_id: c
            for c in session.scalars(
                select(CasePresentation).where(
                    CasePresentation.agenda_item_id.in_([i.id for i in items])
                )
            )
        }
        for info in prepared:
            case = stored[info.agenda_item_id]
            assert all(len(case.fields.get(key, "").strip()) > 20 for key in required), case.fields
        # Marked ready by someone in the patient's microteam, on a day before today; the audit
        # trail has the case written and marked, at the same moments.
        patients = {i.id: session.get(Patient, i.patient_id) for i in items}
        for item_id, case in stored.items():
            patient = patients[item_id]
            team = set(session.scalars(select(MicroteamMember.staff_id).where(
                MicroteamMember.microteam_id == patient.microteam_id)))
            assert case.updated_by_id in team and case.updated_at.date() < TODAY
            trail = session.execute(
                select(AuditLog.action, AuditLog.at, AuditLog.actor_id).where(
                    AuditLog.entity == "case_presentation", AuditLog.entity_id == case.id)
                .order_by(AuditLog.id)
            ).all()
            assert trail[0].action == "create" and trail[0].at == case.updated_at
            if case.ready_at is not None:
                assert case.ready_by_id in team and case.ready_at.date() < TODAY
                assert case.version == 2
                assert (trail[-1].action, trail[-1].at, trail[-1].actor_id) == (
                    "update", case.ready_at, case.ready_by_id)
        created = session.scalar(
            select(func.count()).select_from(AuditLog).where(
                AuditLog.entity == "agenda_item", AuditLog.action == "create",
                AuditLog.entity_id.in_([i.id for i in items]))
        )
        assert created == len(items)

        pending = agenda_service.pending_proposals(session, upcoming.id, TODAY)
        assert 3 <= len(pending) <= 8, pending
        assert not {p.patient_id for p in pending} & {i.patient_id for i in items}
        assert len(groups_service.holdkonference(session, upcoming.date)) >= 3


def test_next_conference_agenda_is_the_same_on_both_databases(
    sqlite_pair: tuple[Built, Built], postgres: Built
) -> None:
    with Session(sqlite_pair[0].engine) as a, Session(sqlite_pair[1].engine) as b, \
            Session(postgres.engine) as c:
        assert _next_agenda(a) == _next_agenda(b) == _next_agenda(c)


def test_ensure_demo_skips_when_staff_exist(sqlite_pair: tuple[Built, Built]) -> None:
    assert ensure_demo(sqlite_pair[0].engine) is None


def test_cli_reset_builds_into_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from db import session as db_session

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    db_session.default_engine.cache_clear()
    try:
        assert main(["--scale", "0.03", "--today", TODAY.isoformat(), "--reset"]) == 0
        assert main(["--scale", "0.03", "--today", TODAY.isoformat(), "--if-empty"]) == 0
        out = capsys.readouterr().out
        assert "Demo-centret" in out and "allerede" in out
        with Session(db_session.default_engine()) as session:
            assert session.scalar(select(func.count()).select_from(Patient)) == 48
    finally:
        db_session.default_engine().dispose()
        db_session.default_engine.cache_clear()


def test_the_demo_logs_are_chained(demo: Built) -> None:
    """The demo's audit rows (its own, and those of the services that prepared the next
    conference, dated before today as they were written) verify as one chain."""
    verdicts = audit_chain.verify(demo.engine)
    assert all(v.ok for v in verdicts), verdicts
    assert verdicts[0].table == "audit_log" and verdicts[0].rows > 10


# --------------------------------------------------------------------------- real data is safe


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on SQLite or on PostgreSQL (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tom.db'}"
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection problem means: not available
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable: {exc.__class__.__name__}")
    name = f"demo_guard_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def real_url(empty_url: str) -> str:
    """A migrated database with real data: a staff member with a password, a patient, and
    their audit, access and security log rows; not marked demo."""
    engine = make_engine(empty_url)
    upgrade(engine)
    with session_scope(engine) as session:
        admin = factories.staff(session, "Rigtig Administrator", roles=(Role.ADMIN,))
        admin.password_hash = "$argon2id$v=19$m=65536,t=3,p=4$rigtig"
        patient = factories.patient(session, "Rigtig", pal=admin)
        audit.record(session, admin, "create", patient)
        log_access(session, admin, "patient", [patient.id])
        log_security_event(session, "login_ok", staff_id=admin.id, username=admin.initials)
    engine.dispose()
    return empty_url


@contextmanager
def _database_url(monkeypatch: pytest.MonkeyPatch, url: str) -> Iterator[None]:
    from db import session as db_session

    monkeypatch.setenv("DATABASE_URL", url)
    db_session.default_engine.cache_clear()
    try:
        yield
    finally:
        db_session.default_engine().dispose()
        db_session.default_engine.cache_clear()


@pytest.mark.parametrize("flags", [[], ["--reset"], ["--if-empty"], ["--reset", "--if-empty"]],
                         ids=["plain", "reset", "if-empty", "reset-if-empty"])
def test_cli_refuses_a_database_with_real_data_whatever_the_flags(
    real_url: str, flags: list[str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nothing is dropped, filled or marked demo. `--if-empty` alone (what `make run` does
    before starting the app) then has nothing to do and says so (exit 0); every other
    combination asks to destroy or fill and is refused (exit 2)."""
    engine = make_engine(real_url)
    before = backup.fingerprint(engine)
    only_ensure = flags == ["--if-empty"]
    with _database_url(monkeypatch, real_url):
        status = main(["--scale", "0.03", "--today", TODAY.isoformat(), *flags])
    out = capsys.readouterr()
    if only_ensure:
        assert status == 0 and "demo-centret indlæses ikke" in out.out
    else:
        assert status == 2
        assert "Databasen er ikke en demo-database og indeholder data (patienter, " \
               "medarbejdere, auditlog, sikkerhedslog, adgangslog)" in out.err
        assert "Intet er ændret." in out.err
    assert backup.fingerprint(engine) == before  # not one row, table or trigger touched
    with Session(engine) as session:
        assert not is_demo(session)
    assert all(v.ok for v in audit_chain.verify(engine))
    engine.dispose()


def test_build_demo_never_marks_a_database_with_real_data(
    real_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(real_url)
    before = backup.fingerprint(engine)
    with pytest.raises(DemoRefused, match="ikke en demo-database"), \
            session_scope(engine) as session:
        build_demo(session, scale=0.03, today=TODAY)
    # the flag itself: even past the first check, it is not set with staff with a password
    monkeypatch.setattr(demo_module, "demo_refusal", lambda connection: None)
    with pytest.raises(DemoRefused, match="Demo-markeringen sættes ikke"), \
            session_scope(engine) as session:
        build_demo(session, scale=0.03, today=TODAY)
    assert backup.fingerprint(engine) == before
    engine.dispose()


def test_a_patient_alone_is_real_data_too(empty_url: str, monkeypatch) -> None:
    engine = make_engine(empty_url)
    upgrade(engine)
    with session_scope(engine) as session:
        factories.patient(session, "Eneste")
    with engine.connect() as connection:
        assert "(patienter)" in (demo_refusal(connection) or "")
    monkeypatch.setattr(demo_module, "demo_refusal", lambda connection: None)
    with pytest.raises(DemoRefused, match="Demo-markeringen sættes ikke"), \
            session_scope(engine) as session:
        build_demo(session, scale=0.03, today=TODAY)
    engine.dispose()


def test_cli_resets_a_demo_database_logs_included(
    empty_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """Empty: built. Marked demo, with log rows: reset (every table dropped, the logs' triggers
    with them) and built again, its logs a new chain."""
    with _database_url(monkeypatch, empty_url):
        assert main(["--scale", "0.03", "--today", TODAY.isoformat(), "--reset"]) == 0
        engine = make_engine(empty_url)
        with session_scope(engine) as session:
            admin = session.scalars(select(Staff).order_by(Staff.id)).first()
            log_security_event(session, "login_ok", staff_id=admin.id, username="efter")
            first_build = session.scalar(select(func.count()).select_from(AuditLog))
        engine.dispose()
        assert main(["--scale", "0.03", "--today", TODAY.isoformat(), "--reset"]) == 0
        engine = make_engine(empty_url)
        with Session(engine) as session:
            assert is_demo(session)
            assert session.scalar(select(func.count()).select_from(AuditLog)) == first_build
            assert not session.scalars(select(SecurityEvent).where(
                SecurityEvent.username == "efter")).all()
        assert all(v.ok for v in audit_chain.verify(engine))
        engine.dispose()
    assert "Demo-centret" in capsys.readouterr().out
