"""Forbered sag as AppTests on the demo centre: the list, the form, readiness, autosave (a fresh
AppTest after typing finds the text again), a conflict between two people, team notes, PRO."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from conference.services import cases
from conference.ui.case_form import widget_key
from db.models import Patient, PatientStatus, ProResponse, Staff
from db.session import make_engine, session_scope

PAGE = "views/forbered_sag.py"
_taken = itertools.count()


@pytest.fixture(scope="module")
def engine(demo_url: str):
    eng = make_engine(demo_url)
    yield eng
    eng.dispose()


@pytest.fixture
def fresh_case(engine):
    """A patient with PRO answers put on a conference three weeks ahead by their nurse: a case
    of this test's own (the demo's cases stay as they are)."""
    with session_scope(engine) as session:
        day = cases.coming_conference_dates(session, dt.date.today())[3]
        answered = select(ProResponse.patient_id)
        candidates = session.scalars(
            select(Patient)
            .where(Patient.status == PatientStatus.ACTIVE,
                   Patient.kontaktsygeplejerske_id.is_not(None), Patient.id.in_(answered))
            .order_by(Patient.id)
        ).all()
        on_it = {r.patient_id for r in cases.my_cases(session, None, dt.date.today())
                 if r.conference_date == day}
        who = [p for p in candidates if p.id not in on_it][next(_taken)]
        nurse = session.get(Staff, who.kontaktsygeplejerske_id)
        item = cases.put_on_conference(session, nurse, who.id, day, "Status efter anden "
                                       "opfølgning", "Skal hun tilbydes CFT?", dt.date.today())
        session.flush()
        return {"id": item.id, "patient": who.full_name, "nurse": nurse.initials,
                "nurse_name": nurse.name, "pal": session.get(Staff, who.pal_laege_id).initials}


def open_case(run_page, case, who: str | None = None, tab: str | None = None):
    query = {"sag": str(case["id"]), "som": who or case["nurse"]}
    if tab:
        query["fane"] = tab
    return run_page(PAGE, **query)


def field(app, case, key):
    return app.text_area(key=widget_key(case["id"], key))


def test_list_shows_my_cases_with_their_status(run_page, fresh_case):
    app = run_page(PAGE, som=fresh_case["nurse"])
    frame = app.dataframe[0].value
    row = frame[frame["Patient"] == fresh_case["patient"]].iloc[0]
    assert row["Status"] == "Ikke påbegyndt"
    assert row["Anledning"] == "Status efter anden opfølgning"
    assert row["Mangler"] == "3P, Patientens mål og udbytte, Mikroteamets vurdering og forslag"
    for column in ("Konference", "Patient", "CPR", "Spørgsmål", "Sidst gemt"):
        assert column in frame.columns


def test_form_has_every_template_field_and_the_system_texts(run_page, fresh_case):
    app = open_case(run_page, fresh_case)
    assert app.title[0].value == fresh_case["patient"]
    labels = [t.label for t in app.tabs[0].text_area]
    assert labels == [
        "Anledning *", "Baggrund: mikroteamets tilføjelse", "3P *",
        "Forløb indtil nu: mikroteamets tilføjelse", "PRO: mikroteamets tilføjelse",
        "Patientens mål og udbytte *", "Barrierer og tematikker",
        "Mikroteamets vurdering og forslag *",
    ]
    assert field(app, fresh_case, "anledning").value == (
        "Status efter anden opfølgning\n\nSpørgsmål til konferencen: Skal hun tilbydes CFT?"
    )
    system = [t.value for t in app.tabs[0].text]
    assert any("-årig" in t and "Diagnose:" in t for t in system)  # Baggrund
    assert any(t.startswith("- Visitation") for t in system)  # Forløb indtil nu
    assert any(t.startswith("Besvaret: Baseline") for t in system)  # PRO
    assert "Ikke påbegyndt" in app.tabs[0].markdown[0].value


def test_typed_text_is_saved_and_a_fresh_page_finds_it(run_page, fresh_case):
    app = open_case(run_page, fresh_case)
    field(app, fresh_case, "tre_p").set_value("Grundlæggende: tidlige traumer").run()
    assert not app.exception
    assert any(c.value.startswith("Gemt kl. ") for c in app.caption)
    assert "Under forberedelse" in app.tabs[0].markdown[0].value

    again = open_case(run_page, fresh_case)  # a reload: a new session, nothing in memory
    assert field(again, fresh_case, "tre_p").value == "Grundlæggende: tidlige traumer"
    # another member of the team sees it too, with who saved it
    other = open_case(run_page, fresh_case, who=fresh_case["pal"])
    assert field(other, fresh_case, "tre_p").value == "Grundlæggende: tidlige traumer"
    assert any(c.value.startswith("Gemt kl. ")
               and fresh_case["nurse_name"] in c.value.replace("\\", "")
               for c in other.caption)


def test_ready_is_refused_naming_missing_fields_then_allowed(run_page, fresh_case):
    app = open_case(run_page, fresh_case)
    app.button(key=f"case{fresh_case['id']}_ready").click().run()
    assert app.error[0].value == (
        "Sagen kan ikke markeres klar til konference. Udfyld først felterne »3P«, "
        "»Patientens mål og udbytte« og »Mikroteamets vurdering og forslag«."
    )
    for key, text in (("tre_p", "Søvn og stress"), ("maal_udbytte", "Gå ture igen"),
                      ("vurdering", "Fortsæt standardforløb")):
        field(app, fresh_case, key).set_value(text).run()
    app.button(key=f"case{fresh_case['id']}_ready").click().run()
    assert not app.error
    assert "Klar til konference · markeret af" in app.tabs[0].markdown[0].value

    listing = run_page(PAGE, som=fresh_case["nurse"])
    frame = listing.dataframe[0].value
    assert frame[frame["Patient"] == fresh_case["patient"]].iloc[0]["Status"] == (
        "Klar til konference"
    )
    # emptying a required field takes the mark away, and says so
    field(app, fresh_case, "vurdering").set_value("").run()
    assert "fjernet" in app.warning[0].value
    assert "Under forberedelse" in app.tabs[0].markdown[0].value


def test_two_people_on_the_same_field_see_both_texts_and_choose(run_page, fresh_case):
    nurse = open_case(run_page, fresh_case)
    doctor = open_case(run_page, fresh_case, who=fresh_case["pal"])
    nurse_field = field(nurse, fresh_case, "barrierer")
    doctor_field = field(doctor, fresh_case, "barrierer")
    nurse_field.set_value("Søvn").run()
    doctor_field.set_value("Medicin").run()

    warning = doctor.warning[0].value
    assert "gemte en anden tekst i »Barrierer og tematikker«" in warning
    texts = [t.value for t in doctor.text]
    assert "Medicin" in texts and "Søvn" in texts  # both texts on screen
    assert field(open_case(run_page, fresh_case), fresh_case, "barrierer").value == "Søvn"

    doctor.button(key=f"case{fresh_case['id']}_keep_barrierer").click().run()
    assert not doctor.main.warning, [w.value for w in doctor.main.warning]
    assert field(open_case(run_page, fresh_case), fresh_case, "barrierer").value == "Medicin"


def test_taking_the_stored_text_in_a_conflict_writes_nothing(run_page, fresh_case):
    nurse = open_case(run_page, fresh_case)
    doctor = open_case(run_page, fresh_case, who=fresh_case["pal"])
    field(nurse, fresh_case, "tre_p").set_value("Sygeplejerskens 3P").run()
    field(doctor, fresh_case, "tre_p").set_value("Lægens 3P").run()
    doctor.button(key=f"case{fresh_case['id']}_theirs_tre_p").click().run()
    assert field(doctor, fresh_case, "tre_p").value == "Sygeplejerskens 3P"
    assert field(open_case(run_page, fresh_case), fresh_case, "tre_p").value == (
        "Sygeplejerskens 3P"
    )


def test_team_note_is_shown_newest_first_with_author(run_page, fresh_case):
    app = open_case(run_page, fresh_case, tab="Teamnoter")
    assert not app.tabs[0].text_area  # only the open tab is drawn
    notes = app.tabs[2]
    notes.text_area[0].input("Patienten ønsker medicinsamtale")
    notes.button[0].click().run()
    assert not app.exception
    assert "Patienten ønsker medicinsamtale" in [t.value for t in app.tabs[2].text]
    assert any(c.value.startswith(fresh_case["nurse_name"]) for c in app.tabs[2].caption)
    again = open_case(run_page, fresh_case, who=fresh_case["pal"], tab="Teamnoter")
    assert "Patienten ønsker medicinsamtale" in [t.value for t in again.tabs[2].text]
    assert not again.tabs[2].expander or all(  # only the author may edit
        e.label != "Ret noten" for e in again.tabs[2].expander)


def test_pro_tab_has_trends_and_the_summary_table(run_page, fresh_case):
    app = open_case(run_page, fresh_case, tab="PRO")
    pro = app.tabs[1]
    frame = pro.dataframe[0].value
    frame = getattr(frame, "data", frame)  # a Styler shows its frame
    assert "NRS gennemsnit" in set(frame["Instrument"])
    assert {"Retning", "Ændring fra baseline", "Markering"} <= set(frame.columns)
    assert any(c.value.startswith("Dialogstøtte, ikke beslutningsstøtte") for c in pro.caption)


def test_putting_a_patient_on_a_conference_opens_the_case(run_page, engine):
    with session_scope(engine) as session:
        nurse_id = session.scalar(select(Patient.kontaktsygeplejerske_id)
                                  .where(Patient.kontaktsygeplejerske_id.is_not(None)).limit(1))
        nurse = session.get(Staff, nurse_id)
        initials = nurse.initials
        day = cases.coming_conference_dates(session, dt.date.today())[4]
        on_it = {r.patient_id for r in cases.my_cases(session, nurse_id, dt.date.today())
                 if r.conference_date == day}
        mine = [p for p in cases.my_patients(session, nurse_id) if p.id not in on_it]
    app = run_page(PAGE, som=initials)
    app.selectbox(key="put_patient").set_value(mine[0])
    app.selectbox(key="put_day").set_value(day)
    app.text_area(key="put_reason").input("Tvivl om behandlingsbehov")
    app.text_area(key="put_question").input("Skal patienten til psykolog?")
    next(b for b in app.button if b.label == "Sæt på konferencen").click().run()
    assert not app.exception and not app.error
    assert app.title[0].value == mine[0].name
    assert app.query_params["sag"]


def test_putting_on_needs_a_patient_and_a_reason(run_page, fresh_case):
    app = run_page(PAGE, som=fresh_case["nurse"])
    submit = next(b for b in app.button if b.label == "Sæt på konferencen")
    submit.click().run()
    assert app.error[0].value == "Vælg en patient."
    app.selectbox(key="put_patient").select_index(0)
    next(b for b in app.button if b.label == "Sæt på konferencen").click().run()
    assert app.error[0].value == "Skriv, hvorfor patienten skal på konferencen."


def test_unknown_case_says_so(run_page, fresh_case):
    app = run_page(PAGE, sag="999999", som=fresh_case["nurse"])
    assert app.error[0].value == "Sagen findes ikke."


def test_template_page_shows_the_fields_and_refuses_an_unchanged_version(run_page, demo_url):
    app = run_page("views/skabelon.py", som=admin_initials(demo_url))
    assert app.title[0].value == "Skabelon til fremlæggelse"
    assert app.caption[0].value.startswith("Version ")
    assert any(b.label == "Gem som ny version" for b in app.button)
    next(b for b in app.button if b.label == "Gem som ny version").click().run()
    assert app.error[0].value == "Skabelonen er uændret; der er ikke gemt en ny version."


def admin_initials(url: str) -> str:
    from sqlalchemy import select

    from db.models import Role, Staff, StaffRole

    engine = make_engine(url)
    with session_scope(engine) as session:
        initials = session.scalar(
            select(Staff.initials).join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == Role.ADMIN).order_by(Staff.id)
        )
    engine.dispose()
    return initials


def test_typing_on_during_a_conflict_saves_nothing_until_the_person_chooses(run_page, fresh_case):
    """Text is saved as it is typed: typing on must not count as choosing one's own text."""
    nurse = open_case(run_page, fresh_case)
    doctor = open_case(run_page, fresh_case, who=fresh_case["pal"])
    field(nurse, fresh_case, "barrierer").set_value("Søvn").run()
    field(doctor, fresh_case, "barrierer").set_value("Medicin").run()
    assert "gemte en anden tekst" in doctor.main.warning[0].value
    field(doctor, fresh_case, "barrierer").set_value("Medicin og søvn").run()
    assert "gemte en anden tekst" in doctor.main.warning[0].value  # still asks
    assert "Medicin og søvn" in [t.value for t in doctor.text]  # the box shows the text as now
    assert field(open_case(run_page, fresh_case), fresh_case, "barrierer").value == "Søvn"
    doctor.button(key=f"case{fresh_case['id']}_keep_barrierer").click().run()
    assert field(open_case(run_page, fresh_case), fresh_case, "barrierer").value == \
        "Medicin og søvn"
