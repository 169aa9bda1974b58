"""Evaluering as AppTests on the demo centre: the period and cohort pickers, the cohort stated on
screen, the four parts, who may fetch the report, and the access log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conference.services import evaluation as service
from db.models import AccessLog, Role, Staff, StaffRole
from db.session import make_engine, session_scope

PAGE = "views/evaluering.py"
PARTS = ["Gennemførelse", "Effekt", "Vedligeholdende faktorer", "Hvem har gavn"]


def initials_with(demo_url: str, role: Role, without: tuple[Role, ...] = ()) -> str:
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        people = session.scalars(
            select(Staff).join(StaffRole).where(StaffRole.role == role).order_by(Staff.id)
        ).all()
        found = next(p.initials for p in people if not (p.role_set & set(without)))
    engine.dispose()
    return found


def service_size(demo_url: str, start: dt.date, end: dt.date, cohort: str, day: dt.date) -> int:
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        actor = session.scalars(select(Staff).order_by(Staff.id)).first()
        size = service.evaluate(session, actor, service.Period(start, end), cohort, day).size
    engine.dispose()
    return size


def chosen_year(app) -> int:
    return app.selectbox(key="aar").value


def test_the_page_states_the_cohort_and_draws_the_four_parts(run_page, demo_url) -> None:
    leader = initials_with(demo_url, Role.MOEDELEDER)
    app = run_page(PAGE, som=leader)
    assert app.title[0].value == "Evaluering"
    year = chosen_year(app)
    statement = app.info[0].value
    assert statement.startswith(f"**Kohorte: Henvist i perioden, år {year}**")
    assert "Alle patienter med henvisningsdato i perioden" in statement
    # the number of patients is the service's own for the same year (the demo's "today" is the
    # app's: the last day of that year is well before it)
    size = service_size(demo_url, dt.date(year, 1, 1), dt.date(year, 12, 31),
                        service.REFERRED, dt.date(year + 1, 12, 31))
    assert f"– {size:,} patienter".replace(",", ".") in statement
    assert size > 20
    assert [t.label for t in app.tabs] == PARTS
    assert [m.label for m in app.metric] == [
        "Gennemført standardforløb", "Andel af afsluttede forløb", "Udgået undervejs",
        "Stadig i forløb"]
    titles = [m.value for m in app.markdown if m.value.startswith("**")]
    for title in ("Gennemførelse af standardforløbet", "Gennem standardforløbet, trin for trin",
                  "Svarprocent pr. tidspunkt", "Ændring fra baseline til afslutning",
                  "Forbedring i vedligeholdende faktorer og effekt"):
        assert f"**{title}**" in titles
    # charts: funnel, effect, breakdown, factors, subgroups
    assert len(app.get("vega_lite_chart")) == 5
    # the leader may fetch the report: two downloads
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Hent årsrapport (PDF)", "Hent tabeller (Excel)"]
    # tables show Danish text; small counts as "<5", never 1-4
    effect = next(d.value for d in app.dataframe if "Andel forbedret" in d.value.columns)
    assert set(effect["Instrument"]) >= {"PDI", "PGIC (meget/en hel del bedre)"}
    for frame in (d.value for d in app.dataframe):
        for column in frame.columns:
            assert not frame[column].isin(["1", "2", "3", "4"]).any() or column in (
                "Dage fra henvisning, median (IQR)",), (column, list(frame[column]))


def test_the_cohort_and_period_can_be_changed(run_page, demo_url) -> None:
    app = run_page(PAGE, som=initials_with(demo_url, Role.MOEDELEDER))
    year = chosen_year(app)
    app.segmented_control(key="kohorte").set_value(service.ENDED).run()
    assert app.info[0].value.startswith(f"**Kohorte: Forløbet afsluttet i perioden, år {year}**")
    app.segmented_control(key="periodetype").set_value("periode").run()
    start, end = dt.date(year, 3, 1), dt.date(year, 5, 31)
    app.date_input(key="interval").set_value((start, end)).run()
    assert not app.exception
    assert app.info[0].value.startswith(
        f"**Kohorte: Forløbet afsluttet i perioden, 01.03.{year}–31.05.{year}**")


def test_who_benefits_follows_the_chosen_outcome(run_page, demo_url) -> None:
    app = run_page(PAGE, som=initials_with(demo_url, Role.MOEDELEDER))
    app.selectbox(key="effektmaal").set_value("pgic").run()
    assert not app.exception
    titles = [m.value for m in app.markdown if m.value.startswith("**")]
    assert "**Andel meget/en hel del bedre på PGIC ved afslutning, pr. undergruppe**" in titles
    groups = next(d.value for d in app.dataframe if "Opdeling" in d.value.columns)
    assert list(dict.fromkeys(groups["Opdeling"])) == [
        "Køn", "Alder", "Smertevarighed", "Arbejde og forsørgelse", "Sværhed ved baseline",
        "Tilvalg", "Mikroteam"]


@pytest.mark.parametrize("role", [Role.LAESER, Role.REFERENT])
def test_other_roles_read_but_do_not_fetch_the_report(run_page, demo_url, role) -> None:
    who = initials_with(demo_url, role, without=(Role.ADMIN, Role.MOEDELEDER))
    app = run_page(PAGE, som=who)
    assert [t.label for t in app.tabs] == PARTS
    assert not app.get("download_button")
    assert any("kan hentes af mødeledere og administratorer" in c.value for c in app.caption)


def test_opening_the_page_is_logged(run_page, demo_url) -> None:
    who = initials_with(demo_url, Role.LAESER, without=(Role.ADMIN, Role.MOEDELEDER))
    run_page(PAGE, som=who)
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.initials == who))
        logged = session.execute(
            select(AccessLog.view, AccessLog.patient_count, AccessLog.patient_id)
            .where(AccessLog.staff_id == staff_id, AccessLog.view == "evaluering")
        ).all()
    engine.dispose()
    assert logged and all(count > 0 and pid is None for _, count, pid in logged)


def test_the_projected_case_shows_how_comparable_patients_fared(run_page, demo_url) -> None:
    """At the conference, beside the patient's own change: the share of patients in the same
    baseline band who improved, with n (Part 4 of issue 15)."""
    from conference.evaluation import comparable
    from conference.services import agenda
    from conference.services.evaluation import comparison_reference
    from conference.services.patients import pro_points
    from db.models import Patient, PatientStatus, ProResponse
    from tests.factories import in_db

    day = dt.date(2031, 6, 4)  # a Wednesday far from the demo's own conferences

    def build(session):
        leader = session.scalars(select(Staff).join(StaffRole)
                                 .where(StaffRole.role == Role.MOEDELEDER)).first()
        patient_id = session.scalars(
            select(Patient.id).join(ProResponse, ProResponse.patient_id == Patient.id)
            .where(Patient.status == PatientStatus.ACTIVE, ProResponse.timepoint == "baseline")
            .order_by(Patient.id)
        ).first()
        conference = agenda.ensure_conference(session, leader, day)
        item = agenda.add_case(session, leader, conference.id, patient_id, "Status")
        session.flush()
        agenda.go_to(session, leader, conference.id, item.id)
        base = next(p for p in pro_points(session, patient_id) if p.timepoint == "baseline")
        row = comparable(comparison_reference(session), "pdi", base.scores)
        return leader.initials, row

    leader, row = in_db(demo_url, build)
    app = run_page("views/konference.py", dato=day.isoformat(), visning="projektion",
                   som=leader)
    table = next(d.value for d in app.dataframe
                 if "Sammenlignelige patienter" in d.value.columns)
    pdi = table.set_index("Instrument").loc["PDI", "Sammenlignelige patienter"]
    assert row is not None and row["n"] > 0
    assert f"({row['band'].lower()}, NRS gennemsnit)" in pdi
    if not row["hidden"]:
        share = round(row["share"] * 100)
        assert pdi.startswith(f"{share} % forbedret af {row['n']} ")
