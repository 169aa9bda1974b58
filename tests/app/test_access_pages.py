"""Login, the menu each role sees, the access log written by pages and searched by admins."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from conference.services.accounts import set_password
from conference.ui import context
from conference.ui.navigation import allowed_urls
from db.migrate import upgrade
from db.models import AccessLog, Patient, PatientStatus, Role, SecurityEvent, Staff, StaffRole
from db.session import make_engine, session_scope
from tests import factories as f
from tests.app.conftest import ROOT


def staff_with(url: str, role: Role) -> Staff:
    engine = make_engine(url)
    with session_scope(engine) as session:
        staff = session.scalar(
            select(Staff).join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == role).order_by(Staff.id)
        )
    engine.dispose()
    return staff


@pytest.mark.parametrize(
    ("roles", "sees", "not_sees"),
    [
        ({Role.LAESER}, {"patienter", "konference", "hold"},
         {"referat", "forbered_sag", "import_eksport", "adgangslog", "skabelon", "indstillinger"}),
        ({Role.BEHANDLER}, {"forbered_sag", "hold"}, {"referat", "adgangslog", "indstillinger"}),
        ({Role.REFERENT}, {"referat", "opfoelgning"},
         {"forbered_sag", "adgangslog", "indstillinger"}),
        ({Role.MOEDELEDER}, {"konference", "referat", "forbered_sag"},
         {"adgangslog", "skabelon", "indstillinger"}),
        ({Role.ADMIN}, {"adgangslog", "skabelon", "import_eksport", "referat", "indstillinger"},
         set()),
    ],
)
def test_each_role_sees_its_pages(roles, sees, not_sees):
    staff = Staff(initials="X", name="X", profession="laege", active=True,
                  roles=[StaffRole(role=r) for r in roles])
    urls = set(allowed_urls(staff))
    assert sees <= urls and not (not_sees & urls)
    staff.active = False
    assert allowed_urls(staff) == []


def test_opening_a_patient_is_logged_and_admin_finds_it_by_cpr(run_page, demo_url):
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        patient = session.scalar(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE).order_by(Patient.id)
        )
        pid, cpr = patient.id, patient.cpr
    reader = staff_with(demo_url, Role.LAESER)
    run_page("views/patient.py", id=str(pid), som=reader.initials)
    with session_scope(engine) as session:
        logged = session.scalars(
            select(AccessLog).where(AccessLog.patient_id == pid, AccessLog.view == "patient")
        ).all()
    assert any(row.staff_id == reader.id for row in logged)

    admin = staff_with(demo_url, Role.ADMIN)
    app = run_page("views/adgangslog.py", som=admin.initials)
    app.text_input[0].set_value(cpr)
    next(b for b in app.button if b.label == "Søg").click().run()
    assert not app.exception
    found = app.dataframe[0].value
    assert reader.name in set(found["Medarbejder"])
    assert set(found["Visning"]) >= {"patient"}
    engine.dispose()


@pytest.fixture
def login_db(tmp_path):
    """A database that is not the demo: the app asks for a local login."""
    url = f"sqlite:///{tmp_path / 'real.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        person = f.staff(session, "Lene Læge", roles=(Role.BEHANDLER,), initials="LL")
        set_password(session, f.staff(session, "Admin"), person.initials, "korrekt hest batteri")
    yield url, engine
    engine.dispose()


def test_local_login_refuses_a_wrong_password_and_admits_the_right_one(login_db, monkeypatch):
    url, engine = login_db
    monkeypatch.setenv("DATABASE_URL", url)
    context.engine.clear()
    context.demo_mode.clear()
    context.staff_options.clear()
    try:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert app.text_input[0].label == "Initialer eller e-mail"
        assert not any("DEMO" in w.value for w in app.sidebar.warning)
        app.text_input[0].set_value("LL")
        app.text_input[1].set_value("forkert")
        app.button[0].click().run()
        assert app.error[0].value == "Forkert brugernavn eller adgangskode."
        app.text_input[1].set_value("korrekt hest batteri")
        app.button[0].click().run()
        assert not app.exception
        assert app.title[0].value == "Patienter"
        with session_scope(engine) as session:
            events = session.scalars(select(SecurityEvent).order_by(SecurityEvent.id))
            kinds = [e.kind for e in events]
        assert kinds[-2:] == ["login_failed", "login_ok"]

        next(b for b in app.sidebar.button if b.label == "Log ud").click().run()
        assert app.text_input[0].label == "Initialer eller e-mail"  # the login form again
        with session_scope(engine) as session:
            last = session.scalars(select(SecurityEvent).order_by(SecurityEvent.id.desc())).first()
            assert (last.kind, last.staff_id) == ("logout", session.scalars(
                select(Staff.id).where(Staff.initials == "LL")).one())
    finally:
        context.engine.clear()
        context.demo_mode.clear()
        context.staff_options.clear()
