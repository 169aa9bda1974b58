"""Every page that names patients writes the access log before it draws them (sundhedsloven
§ 42 a): who, when, which view, which patients. The administrator's Adgangslog finds each of
these look-ups by the patient's CPR number; and when the log cannot be written, the page shows
no patient at all.

Each scenario opens one page as a staff member on the demo centre and says which patients the
page names (read from the services the page itself uses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from conference.services import actions, agenda, cases, groups
from conference.services import minutes as minutes_service
from conference.services.settings import next_conference_date
from db.models import (
    AccessLog,
    AgendaStatus,
    GroupFlag,
    GroupTherapist,
    Patient,
    PatientStatus,
    Role,
    Staff,
    StaffRole,
)
from tests.factories import in_db

LOG_FAILED = "Adgangen kunne ikke logges, så oplysningerne vises ikke. Prøv igen om lidt."


@dataclass
class Opened:
    """A page as a staff member saw it, and the patients it names."""

    app: AppTest
    staff: Staff
    view: str
    patient_ids: list[int]


def today() -> dt.date:
    return dt.date.today()


def with_role(session, role: Role) -> list[Staff]:  # noqa: ANN001
    return list(session.scalars(
        select(Staff).join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(StaffRole.role == role, Staff.active.is_(True)).order_by(Staff.id)
    ))


def one_with_role(url: str, role: Role) -> Staff:
    return in_db(url, lambda s: with_role(s, role)[0])


# --------------------------------------------------------------------------- the pages


def my_cases_list(run_page, url: str) -> Opened:  # noqa: ANN001
    """Forbered sag, the list: a treating staff member's cases on coming conferences."""
    def pick(session):  # noqa: ANN001, ANN202
        for person in with_role(session, Role.BEHANDLER):
            rows = cases.my_cases(session, person.id, today())
            if rows:
                return person, [r.patient_id for r in rows]
        raise AssertionError("the demo centre must have a behandler with coming cases")

    staff, ids = in_db(url, pick)
    app = run_page("views/forbered_sag.py", som=staff.initials)
    return Opened(app, staff, "forbered_sag_liste", list(dict.fromkeys(ids)))


def one_case(run_page, url: str) -> Opened:  # noqa: ANN001
    """Forbered sag, one case: the patient of the case being prepared."""
    def pick(session):  # noqa: ANN001, ANN202
        for person in with_role(session, Role.BEHANDLER):
            rows = cases.my_cases(session, person.id, today())
            if rows:
                return person, rows[0].agenda_item_id, rows[0].patient_id
        raise AssertionError("the demo centre must have a behandler with coming cases")

    staff, item_id, patient_id = in_db(url, pick)
    app = run_page("views/forbered_sag.py", som=staff.initials, sag=str(item_id))
    return Opened(app, staff, "forbered_sag", [patient_id])


def referat(run_page, url: str) -> Opened:  # noqa: ANN001
    """Referat: the cases on the conference being recorded and the patients of its group notes
    (the minutes)."""
    staff = one_with_role(url, Role.REFERENT)
    app = run_page("views/referat.py", som=staff.initials)
    day = dt.date.fromisoformat(app.query_params["dato"])

    def shown(session):  # noqa: ANN001, ANN202
        conference = next(c for c in minutes_service.conference_choices(session, today(),
                                                                         include=day)
                          if c.date == day)
        view = minutes_service.referent_view(session, conference.id)
        data = minutes_service.minutes_data(session, conference.id, today())
        ids = [c.patient_id for c in view.cases if c.status != AgendaStatus.REMOVED.value]
        return ids + [n.patient_id for n in data.group_notes if n.patient_id is not None]

    ids = in_db(url, shown)
    assert ids, "the referent's default conference must have cases"
    return Opened(app, staff, "referat", list(dict.fromkeys(ids)))


def opfoelgning(run_page, url: str) -> Opened:  # noqa: ANN001
    """Opfølgning: the patients of the next steps on screen (the first page of them)."""
    staff = one_with_role(url, Role.BEHANDLER)
    steps = in_db(url, actions.open_actions)
    app = run_page("views/opfoelgning.py", som=staff.initials, vis="alle")
    ids = [s.patient_id for s in steps[:40]]
    assert ids, "the demo centre must have open next steps"
    return Opened(app, staff, "opfoelgning", list(dict.fromkeys(ids)))


def hold(run_page, url: str) -> Opened:  # noqa: ANN001
    """Hold: the roster and flags of the chosen group, and the flagged patients in the list."""
    def pick(session):  # noqa: ANN001, ANN202
        listed = groups.list_groups(session, today(), today=today())
        detail = next(
            d for d in (groups.group_detail(session, g.id, today()) for g in listed) if d.roster
        )
        therapist = session.scalar(
            select(Staff).join(GroupTherapist, GroupTherapist.staff_id == Staff.id)
            .where(GroupTherapist.group_id == detail.summary.id).order_by(Staff.id)
        )
        ids = [pid for g in listed for pid in g.flagged_patient_ids]
        ids += [r.patient_id for r in detail.roster]
        ids += [f.patient_id for f in detail.flags if f.patient_id is not None]
        return therapist, detail.summary.id, ids

    staff, group_id, ids = in_db(url, pick)
    app = run_page("views/hold.py", som=staff.initials, hold=str(group_id))
    return Opened(app, staff, "hold", list(dict.fromkeys(ids)))


def import_preview(run_page, url: str) -> Opened:  # noqa: ANN001
    """Import: a file that changes a stored patient's name; the preview shows the stored name.
    (Only previewed: nothing is imported.)"""
    staff = one_with_role(url, Role.ADMIN)
    patient = in_db(url, lambda s: s.scalar(
        select(Patient).where(Patient.status == PatientStatus.ACTIVE).order_by(Patient.id.desc())
    ))
    csv = (f"CPR;Fornavn;Efternavn\n{patient.cpr[:6]}-{patient.cpr[6:]};Andetnavn;"
           f"{patient.last_name}\n").encode("utf-8-sig")
    app = run_page("views/import_eksport.py", som=staff.initials)
    app.file_uploader[0].set_value(("navn.csv", csv, "text/csv")).run()
    return Opened(app, staff, "import_forhaandsvisning", [patient.id])


PAGES: dict[str, Callable[..., Opened]] = {
    "forbered_sag-list": my_cases_list,
    "forbered_sag-case": one_case,
    "referat": referat,
    "opfoelgning": opfoelgning,
    "hold-group": hold,
    "import-preview": import_preview,
}


def last_log_id(url: str) -> int:
    return in_db(url, lambda s: s.scalar(select(func.max(AccessLog.id))) or 0)


# --------------------------------------------------------------------------- logged


@pytest.mark.parametrize("open_page", PAGES.values(), ids=PAGES.keys())
def test_the_page_logs_every_patient_it_shows_and_admin_finds_it_by_cpr(
    run_page, demo_url, open_page
) -> None:
    since = last_log_id(demo_url)
    opened = open_page(run_page, demo_url)
    assert not opened.app.exception, [e.message for e in opened.app.exception]
    assert LOG_FAILED not in [e.value for e in opened.app.error]

    rows = in_db(demo_url, lambda s: s.execute(
        select(AccessLog.staff_id, AccessLog.view, AccessLog.patient_id, AccessLog.at)
        .where(AccessLog.id > since)
    ).all())
    mine = [r for r in rows if r.staff_id == opened.staff.id and r.view == opened.view]
    assert {r.patient_id for r in mine} == set(opened.patient_ids)
    assert all(r.at is not None for r in mine)
    # one bulk insert: every row of the look-up carries the same moment
    assert len({r.at for r in mine}) == 1

    # the administrator's Adgangslog finds the look-up by the patient's CPR number
    cpr, name = in_db(demo_url, lambda s: (lambda p: (p.cpr, p.full_name))(
        s.get(Patient, opened.patient_ids[-1])
    ))
    admin = one_with_role(demo_url, Role.ADMIN)
    log_page = run_page("views/adgangslog.py", som=admin.initials)
    log_page.text_input[0].set_value(cpr)
    next(b for b in log_page.button if b.label == "Søg").click().run()
    assert not log_page.exception
    found = log_page.dataframe[0].value
    hits = found[(found["Medarbejder"] == opened.staff.name)
                 & (found["Visning"] == opened.view)]
    assert len(hits) >= 1
    assert set(hits["Patient"]) == {name}


def test_reopening_within_a_few_minutes_logs_nothing_new(run_page, demo_url) -> None:
    """The same browser session logs a view and patient once per ACCESS_LOG_MINUTES."""
    opened = hold(run_page, demo_url)
    since = last_log_id(demo_url)
    opened.app.run()
    assert not opened.app.exception
    assert last_log_id(demo_url) == since


@pytest.fixture
def flagged(demo_url: str):
    """A patient on a running group flagged for the holdkonference (removed afterwards): the
    group list and the minutes name them."""
    def flag(session):  # noqa: ANN001, ANN202
        listed = groups.list_groups(session, today(), today=today())
        detail = next(
            d for d in (groups.group_detail(session, g.id, today()) for g in listed) if d.roster
        )
        therapist_id = session.scalar(
            select(GroupTherapist.staff_id).where(GroupTherapist.group_id == detail.summary.id)
        )
        patient_id = detail.roster[-1].patient_id
        row = GroupFlag(group_id=detail.summary.id, patient_id=patient_id,
                        note="Til drøftelse (adgangslogtest)", created_by_id=therapist_id)
        session.add(row)
        session.flush()
        return row.id, patient_id

    flag_id, patient_id = in_db(demo_url, flag)
    yield patient_id
    in_db(demo_url, lambda s: s.delete(s.get(GroupFlag, flag_id)))


def test_patients_flagged_for_the_holdkonference_are_logged_where_named(
    run_page, demo_url, flagged
) -> None:
    """The group list (no group chosen) and the referent's minutes name flagged patients."""
    reader = one_with_role(demo_url, Role.LAESER)
    referent = one_with_role(demo_url, Role.REFERENT)
    day = in_db(demo_url, lambda s: next_conference_date(s, today()))
    assert in_db(demo_url, lambda s: agenda.find_conference(s, day)) is not None
    name = in_db(demo_url, lambda s: s.get(Patient, flagged).full_name)
    since = last_log_id(demo_url)
    app = run_page("views/hold.py", som=reader.initials)
    assert any(name in names for names in app.dataframe[0].value["Til holdkonference"])
    app = run_page("views/referat.py", som=referent.initials, dato=day.isoformat())
    assert name in visible_text(app)
    rows = in_db(demo_url, lambda s: s.execute(
        select(AccessLog.staff_id, AccessLog.view).where(
            AccessLog.id > since, AccessLog.patient_id == flagged
        )
    ).all())
    assert (reader.id, "hold") in rows
    assert (referent.id, "referat") in rows


def test_the_board_logs_its_cases_and_the_proposals_it_names(run_page, demo_url) -> None:
    leader = one_with_role(demo_url, Role.MOEDELEDER)
    day = in_db(demo_url, lambda s: next_conference_date(s, today()))

    def named(session):  # noqa: ANN001, ANN202
        conference = agenda.find_conference(session, day)
        on_agenda = {c.patient_id for c in agenda.board(session, conference.id).cases}
        pending = {p.patient_id for p in agenda.pending_proposals(session, conference.id,
                                                                  today())[:30]}
        return on_agenda, pending

    on_agenda, pending = in_db(demo_url, named)
    assert on_agenda and pending  # the demo's next conference has both
    since = last_log_id(demo_url)
    app = run_page("views/konference.py", som=leader.initials, dato=day.isoformat())
    assert not app.exception
    logged = set(in_db(demo_url, lambda s: s.scalars(
        select(AccessLog.patient_id).where(AccessLog.id > since,
                                           AccessLog.staff_id == leader.id,
                                           AccessLog.view == "konference")
    ).all()))
    assert on_agenda | pending <= logged


# --------------------------------------------------------------------------- not logged: not shown


def visible_text(app: AppTest) -> str:
    """Everything a person could read on the page (texts, tables, choices, links)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "code", "info",
                 "warning", "success", "metric"):
        parts += [str(getattr(e, "value", "")) for e in app.get(kind)]
    parts += [e.value.to_string() for e in app.dataframe]
    for widget in (*app.radio, *app.selectbox, *app.multiselect):
        parts += [str(o) for o in widget.options]
    parts += [e.proto.label for e in app.get("page_link")]
    return "\n".join(parts)


@pytest.mark.parametrize("open_page", PAGES.values(), ids=PAGES.keys())
def test_when_the_log_cannot_be_written_no_patient_is_shown(
    run_page, demo_url, open_page, monkeypatch
) -> None:
    def broken(*_args, **_kwargs) -> None:
        raise RuntimeError("the access log is unavailable")

    monkeypatch.setattr("conference.ui.context.log_access", broken)
    since = last_log_id(demo_url)
    opened = open_page(run_page, demo_url)
    assert LOG_FAILED in [e.value for e in opened.app.error]
    names = in_db(demo_url, lambda s: list(s.scalars(
        select(Patient).where(Patient.id.in_(opened.patient_ids))
    )))
    shown = visible_text(opened.app)
    for patient in names:
        assert patient.full_name not in shown
        assert patient.cpr[:6] not in shown
    assert last_log_id(demo_url) == since
