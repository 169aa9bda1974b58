"""The Patienter list and the patient page, run as AppTests on the demo centre."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conference.services.patients import list_patients
from conference.ui.text import escape_md
from db.models import AccessLog, Patient, PatientStatus
from db.session import make_engine, session_scope


@pytest.fixture(scope="module")
def demo_patients(demo_url: str):
    """The demo's active patients as the service sees them (to compare the page against)."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        rows = list_patients(session, dt.date.today()).rows
        discharged = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.DISCHARGED).limit(1)
        ).one()
        discharged_name = discharged.full_name
    engine.dispose()
    return rows, discharged_name


def table(app):
    return app.dataframe[0].value


def test_list_shows_every_active_patient_with_the_columns_clinicians_need(run_page, demo_patients):
    rows, discharged = demo_patients
    app = run_page("views/patienter.py")
    frame = table(app)
    assert len(frame) == len(rows) > 20
    for column in ("Navn", "CPR", "Alder", "Forløbstrin", "PAL-læge", "Kontaktsygeplejerske",
                   "Næste skridt", "Konference", "Begrundelse"):
        assert column in frame.columns
    assert discharged not in set(frame["Navn"])
    assert app.metric[0].value == str(len(rows))
    # the demo label is on screen
    assert any("DEMO" in w.value for w in app.sidebar.warning)


def test_search_by_name_and_by_cpr(run_page, demo_patients, demo_url):
    rows, _ = demo_patients
    target = rows[len(rows) // 2]
    app = run_page("views/patienter.py")
    app.text_input(key="search").set_value(target.name.split()[-1]).run()
    assert target.name in set(table(app)["Navn"])
    app.text_input(key="search").set_value(target.cpr.replace("-", "")).run()
    assert list(table(app)["Navn"]) == [target.name]
    # the search found one patient: a look-up of that patient, in the access log
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        logged = session.scalars(select(AccessLog.patient_id).where(
            AccessLog.view == "patientsoegning")).all()
    engine.dispose()
    assert target.id in logged
    app.text_input(key="search").set_value("zzzz ingen").run()
    assert not app.dataframe
    assert "Ingen patienter matcher" in app.info[0].value


def test_due_filter_shows_only_patients_due_with_their_reason(run_page, demo_patients):
    rows, _ = demo_patients
    due = [r for r in rows if r.due or r.on_agenda]
    assert due, "the demo centre must have patients due at the next conference"
    app = run_page("views/patienter.py")
    app.toggle(key="due_only").set_value(True).run()
    frame = table(app)
    assert set(frame["Navn"]) == {r.name for r in due}
    reasons = {r.name: "; ".join(d.text for d in r.due) for r in due}
    for name, reason in zip(frame["Navn"], frame["Begrundelse"], strict=True):
        assert reason == reasons[name]


def test_stage_filter(run_page, demo_patients):
    rows, _ = demo_patients
    app = run_page("views/patienter.py")
    app.multiselect(key="stages").set_value(["Livet med smerter"]).run()
    frame = table(app)
    expected = {r.name for r in rows if r.stage.label == "Livet med smerter"}
    assert expected and set(frame["Navn"]) == expected
    assert all(s.startswith("Livet med smerter") for s in frame["Forløbstrin"])


def test_patient_page_shows_course_attendance_and_pro(run_page, demo_patients):
    rows, _ = demo_patients
    target = next(r for r in rows if r.stage.label == "Anden opfølgning")
    app = run_page("views/patient.py", id=str(target.id))
    assert app.title[0].value == target.name
    assert target.cpr in app.caption[0].value
    shown = [m.value for m in app.markdown]
    assert f"**{escape_md(target.stage.text)}**" in shown
    assert f"**{escape_md(target.pal_laege)}**" in shown
    course = app.tabs[0].dataframe[0].value
    assert "Livet med smerter" in set(course["Indsats"])
    assert course["Fremmøde"].str.contains("mødt").any()
    pro = app.tabs[1].dataframe[0].value
    assert "Baseline" in " ".join(pro.columns)
    if target.due:
        assert "Aktuel til tværfaglig konference" in app.warning[0].value


def test_patient_page_without_or_with_unknown_id_says_so(run_page):
    app = run_page("views/patient.py")
    assert "Vælg en patient" in app.info[0].value
    app = run_page("views/patient.py", id="999999")
    assert app.error[0].value == "Patienten findes ikke."


def test_raising_a_concern_makes_the_patient_due(run_page, demo_patients):
    rows, _ = demo_patients
    target = next(r for r in rows if not r.due and not r.on_agenda)
    app = run_page("views/patient.py", id=str(target.id))
    app.text_area[0].set_value("Patienten er i tvivl om at fortsætte")
    app.button[0].click().run()
    assert not app.exception
    assert "Problemstilling rejst af personale" in app.warning[0].value
    history = app.tabs[4].dataframe[0].value
    assert "Oprettet: Problemstilling" in set(history["Hvad"])
    assert history["Ændringer"].str.contains("Patienten er i tvivl om at fortsætte").any()


def test_raising_an_empty_concern_is_refused_in_danish(run_page, demo_patients):
    rows, _ = demo_patients
    app = run_page("views/patient.py", id=str(rows[0].id))
    app.button[0].click().run()
    assert app.error[0].value == "Skriv kort, hvad problemstillingen er."
