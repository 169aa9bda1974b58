"""Forbered sag against a real database (SQLite and PostgreSQL): my cases, readiness, putting a
patient on a conference, autosave with conflicts, "Klar til konference", template versions,
team notes, and two concurrent saves that cannot both win."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conference.services import cases
from conference.services.cases import Conflict, Saved
from conference.services.errors import InvalidInput, NotFound
from conference.template import CaseState, default_fields
from db.models import (
    AgendaItem,
    AgendaSource,
    AgendaStatus,
    AttendanceStatus,
    AuditLog,
    CasePresentation,
    Conference,
    ConferenceStatus,
    CourseStatus,
    MicroteamMember,
    Patient,
    PresentationTemplate,
    Profession,
    Staff,
    TeamFunction,
    TeamNote,
)
from db.statements import count_statements
from tests import factories as f

TODAY = dt.date(2026, 11, 25)  # a Wednesday, the default conference weekday
NEXT = dt.date(2026, 12, 2)
LATER = dt.date(2026, 12, 9)

FILLED = {"tre_p": "Grundlæggende: ...", "maal_udbytte": "Mål: gå ture",
          "vurdering": "Fortsæt standardforløb"}


def on_agenda(db: Session, who: Patient, meeting: Conference, question: str | None = None,
              status: AgendaStatus = AgendaStatus.PLANNED) -> AgendaItem:
    row = AgendaItem(conference_id=meeting.id, patient_id=who.id, source=AgendaSource.MANUAL,
                     reason="manuel", reason_text="Status efter anden opfølgning",
                     question=question, status=status)
    db.add(row)
    db.flush()
    return row


@dataclass
class Case:
    nurse: Staff
    doctor: Staff
    patient: Patient
    conference: Conference
    item: AgendaItem


@pytest.fixture
def case(db) -> Case:
    doctor = f.staff(db, "Lise Læge")
    nurse = f.staff(db, "Sara Sygeplejerske", Profession.SYGEPLEJERSKE)
    team = f.microteam(db, ((doctor, "pal_laege"), (nurse, "kontaktsygeplejerske")))
    who = f.patient(db, "Anna", pal=doctor, nurse=nurse, microteam=team)
    meeting = f.conference(db, NEXT, ConferenceStatus.PLANNED)
    item = on_agenda(db, who, meeting, question="Skal hun tilbydes CFT?")
    return Case(nurse, doctor, who, meeting, item)


def audit_rows(db: Session, entity: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.entity == entity)
                           .order_by(AuditLog.id)))


# --------------------------------------------------------------------------- my cases


def test_my_cases_are_my_patients_on_coming_conferences_with_readiness(db, case) -> None:
    member = f.staff(db, "Pia Psykolog", Profession.PSYKOLOG)  # joins the case's microteam
    db.add(MicroteamMember(microteam_id=case.patient.microteam_id, staff_id=member.id,
                           function=TeamFunction.MEMBER))
    stranger = f.patient(db, "Bo")
    on_agenda(db, stranger, case.conference)
    past = f.conference(db, dt.date(2026, 11, 18), ConferenceStatus.CLOSED)
    on_agenda(db, case.patient, past)
    later = f.conference(db, LATER, ConferenceStatus.PLANNED)
    on_agenda(db, case.patient, later, status=AgendaStatus.REMOVED)
    db.flush()

    for who in (member, case.nurse, case.doctor):
        rows = cases.my_cases(db, who.id, TODAY)
        assert [r.agenda_item_id for r in rows] == [case.item.id], who.name
    (row,) = cases.my_cases(db, member.id, TODAY)
    assert row.conference_date == NEXT and row.patient_name == case.patient.full_name
    assert row.reason == "Status efter anden opfølgning"
    assert row.question == "Skal hun tilbydes CFT?"
    assert row.readiness.state == CaseState.NOT_STARTED
    # Anledning starts from the agenda's reason and question, so it is not missing
    assert row.readiness.missing == ("3P", "Patientens mål og udbytte",
                                     "Mikroteamets vurdering og forslag")
    everyone = {r.patient_id for r in cases.my_cases(db, None, TODAY)}
    assert {case.patient.id, stranger.id} <= everyone


def test_readiness_states_and_statement_count_do_not_grow_with_cases(db, case) -> None:
    conference_id = case.conference.id

    def statements() -> int:
        db.flush()
        with count_statements() as counter:
            cases.case_readiness(db, conference_id)
        return counter.count

    few = statements()
    others = []
    for _ in range(15):
        others.append(on_agenda(db, f.patient(db), case.conference))
    cases.save_draft(db, case.nurse, others[0].id, {"tre_p": "Søvn"}, {}, None)
    cases.save_draft(db, case.nurse, others[1].id, FILLED, {}, None)
    cases.mark_ready(db, case.doctor, others[1].id)
    assert statements() == few == 2

    info = cases.case_readiness(db, case.conference.id)
    assert info[case.item.id].state == CaseState.NOT_STARTED
    assert info[others[0].id].state == CaseState.DRAFT
    assert info[others[0].id].missing == ("Patientens mål og udbytte",
                                          "Mikroteamets vurdering og forslag")
    ready = info[others[1].id]
    assert ready.ready and ready.ready_by == case.doctor.name and ready.missing == ()
    assert ready.updated_by == case.nurse.name and ready.template_version == 1


# --------------------------------------------------------------------------- put on conference


def test_put_on_conference_creates_the_conference_and_audits_both(db, case) -> None:
    item = cases.put_on_conference(db, case.nurse, case.patient.id, LATER, " Søvnproblemer ",
                                   "Skal hun have søvnsamtale?", TODAY)
    meeting = db.scalars(select(Conference).where(Conference.date == LATER)).one()
    assert item.conference_id == meeting.id and meeting.status == ConferenceStatus.PLANNED
    assert (item.reason_text, item.question, item.source) == (
        "Søvnproblemer", "Skal hun have søvnsamtale?", AgendaSource.MANUAL)
    assert item.added_by_id == case.nurse.id
    assert [a.actor_id for a in audit_rows(db, "conference")] == [case.nurse.id]
    assert [a.entity_id for a in audit_rows(db, "agenda_item")] == [item.id]
    # a second patient goes on the same (now existing) conference
    other = f.patient(db)
    again = cases.put_on_conference(db, case.nurse, other.id, LATER, "Ny problemstilling", "",
                                    TODAY)
    assert again.conference_id == meeting.id and again.question is None


@pytest.mark.parametrize(
    ("day", "reason", "message"),
    [
        (LATER, "   ", "hvorfor"),
        (dt.date(2026, 12, 10), "Søvn", "ikke tværfaglig konference"),  # a Thursday
        (dt.date(2026, 11, 18), "Søvn", "kommende"),
        (NEXT, "Søvn", "allerede på dagsordenen"),
    ],
)
def test_put_on_conference_refuses_and_writes_nothing(db, case, day, reason, message) -> None:
    conferences = db.scalar(select(func.count(Conference.id)))
    audits = db.scalar(select(func.count(AuditLog.id)))
    with pytest.raises(InvalidInput, match=message):
        cases.put_on_conference(db, case.nurse, case.patient.id, day, reason, "", TODAY)
    assert db.scalar(select(func.count(Conference.id))) == conferences
    assert db.scalar(select(func.count(AuditLog.id))) == audits


def test_coming_dates_are_the_weekday_and_planned_conferences(db) -> None:
    f.conference(db, dt.date(2026, 12, 4), ConferenceStatus.PLANNED)  # an extra Friday
    f.conference(db, NEXT, ConferenceStatus.CLOSED)  # already held (moved?): not offered
    dates = cases.coming_conference_dates(db, TODAY, weeks=3)
    assert dates == [TODAY, dt.date(2026, 12, 4), LATER]


# --------------------------------------------------------------------------- autosave


def test_first_save_creates_the_case_on_template_version_1_with_audit(db, case) -> None:
    assert db.scalar(select(func.count(PresentationTemplate.id))) == 0
    view = cases.case_detail(db, case.item.id, TODAY)
    assert view.version is None and view.template.version_no == 1
    assert view.values["anledning"] == (
        "Status efter anden opfølgning\n\nSpørgsmål til konferencen: Skal hun tilbydes CFT?"
    )
    result = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "Søvn og stress"},
                              view.values, view.version)
    assert isinstance(result, Saved) and result.version == 1
    stored = db.scalars(select(CasePresentation)).one()
    assert stored.fields["tre_p"] == "Søvn og stress"
    assert stored.fields["anledning"] == view.values["anledning"]
    assert stored.updated_by_id == case.nurse.id
    template = db.scalars(select(PresentationTemplate)).one()
    assert template.version_no == 1 and template.fields == default_fields()
    assert stored.template_id == template.id
    (row,) = audit_rows(db, "case_presentation")
    assert (row.action, row.actor_id, row.patient_id) == ("create", case.nurse.id,
                                                          case.patient.id)
    again = cases.case_detail(db, case.item.id, TODAY)  # a reload finds the text
    assert again.values["tre_p"] == "Søvn og stress" and again.version == 1


def test_save_merges_fields_nobody_else_changed(db, case) -> None:
    first = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "A"}, {}, None)
    # two people start from version 1
    doctor = cases.save_draft(db, case.doctor, case.item.id, {"vurdering": "CFT"},
                              {"vurdering": ""}, first.version)
    nurse = cases.save_draft(db, case.nurse, case.item.id, {"maal_udbytte": "Gå ture"},
                             {"maal_udbytte": ""}, first.version)
    assert isinstance(doctor, Saved) and isinstance(nurse, Saved)
    assert nurse.version == 3
    stored = cases.case_detail(db, case.item.id, TODAY).values
    assert (stored["tre_p"], stored["vurdering"], stored["maal_udbytte"]) == ("A", "CFT",
                                                                             "Gå ture")


def test_second_save_of_the_same_field_returns_both_texts_and_writes_nothing(db, case) -> None:
    first = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "Start"}, {}, None)
    cases.save_draft(db, case.doctor, case.item.id, {"tre_p": "Lægens tekst"},
                     {"tre_p": "Start"}, first.version)
    audits = len(audit_rows(db, "case_presentation"))

    result = cases.save_draft(db, case.nurse, case.item.id,
                              {"tre_p": "Sygeplejerskens tekst", "barrierer": "Søvn"},
                              {"tre_p": "Start", "barrierer": ""}, first.version)

    assert isinstance(result, Conflict)
    (conflict,) = result.fields
    assert (conflict.key, conflict.label) == ("tre_p", "3P")
    assert (conflict.mine, conflict.theirs) == ("Sygeplejerskens tekst", "Lægens tekst")
    assert result.saved_by == case.doctor.name and result.version == 2
    stored = cases.case_detail(db, case.item.id, TODAY)
    assert stored.values["tre_p"] == "Lægens tekst" and "barrierer" not in stored.values
    assert stored.version == 2
    # nothing written but the conflict's own audit row (who, what they tried, the other text)
    (*_, row) = rows = audit_rows(db, "case_presentation")
    assert len(rows) == audits + 1 and row.action == "conflict" and row.actor_id == case.nurse.id
    assert row.after["fields"] == {"tre_p": "Sygeplejerskens tekst"}
    assert row.before["fields"] == {"tre_p": "Lægens tekst"}
    # the person chose their own text after seeing both: saving from the stored version wins
    keep = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "Sygeplejerskens tekst"},
                            {"tre_p": "Lægens tekst"}, result.version)
    assert isinstance(keep, Saved)
    assert cases.case_detail(db, case.item.id, TODAY).values["tre_p"] == "Sygeplejerskens tekst"


def test_a_field_changed_since_its_base_conflicts_even_with_the_current_version(db, case) -> None:
    first = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "Start"}, {}, None)
    second = cases.save_draft(db, case.doctor, case.item.id, {"tre_p": "Lægens"},
                              {"tre_p": "Start"}, first.version)
    # the page's version moved on (e.g. after saving another field), its 3P text did not
    result = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "Min"},
                              {"tre_p": "Start"}, second.version)
    assert isinstance(result, Conflict) and result.fields[0].theirs == "Lægens"


def test_saving_the_same_text_as_someone_else_is_no_conflict(db, case) -> None:
    first = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "Start"}, {}, None)
    cases.save_draft(db, case.doctor, case.item.id, {"tre_p": "Ens"}, {"tre_p": "Start"}, 1)
    result = cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "Ens"},
                              {"tre_p": "Start"}, first.version)
    assert isinstance(result, Saved)


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"ukendt": "x"}, "har ikke feltet"), ({"tre_p": "x" * 20_001}, "for lang")],
)
def test_invalid_draft_is_refused(db, case, changes, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        cases.save_draft(db, case.nurse, case.item.id, changes, {}, None)
    assert db.scalars(select(CasePresentation)).all() == []


def test_a_held_conference_case_cannot_be_changed(db, case) -> None:
    case.conference.status = ConferenceStatus.CLOSED
    db.flush()
    with pytest.raises(InvalidInput, match="afholdt"):
        cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "x"}, {}, None)
    assert cases.case_detail(db, case.item.id, TODAY).editable is False


# --------------------------------------------------------------------------- Klar til konference


def test_ready_is_refused_naming_missing_fields_and_lost_when_one_is_emptied(db, case) -> None:
    with pytest.raises(InvalidInput) as refused:
        cases.mark_ready(db, case.nurse, case.item.id)
    assert str(refused.value) == (
        "Sagen kan ikke markeres klar til konference. Udfyld først felterne »3P«, "
        "»Patientens mål og udbytte« og »Mikroteamets vurdering og forslag«."
    )
    saved = cases.save_draft(db, case.nurse, case.item.id, FILLED, {}, None)
    cases.mark_ready(db, case.doctor, case.item.id)
    info = cases.case_readiness(db, case.conference.id)[case.item.id]
    assert info.ready and info.ready_by == case.doctor.name

    emptied = cases.save_draft(db, case.nurse, case.item.id, {"vurdering": "  "},
                               {"vurdering": FILLED["vurdering"]}, saved.version + 1)
    assert isinstance(emptied, Saved) and emptied.unready
    assert cases.case_readiness(db, case.conference.id)[case.item.id].state == CaseState.DRAFT

    cases.save_draft(db, case.nurse, case.item.id, {"vurdering": "CFT"}, {"vurdering": "  "},
                     emptied.version)
    cases.mark_ready(db, case.nurse, case.item.id)
    cases.mark_unready(db, case.doctor, case.item.id)
    assert not cases.case_readiness(db, case.conference.id)[case.item.id].ready
    updates = [a for a in audit_rows(db, "case_presentation") if a.action == "update"]
    assert [a.after["ready_by_id"] for a in updates[-2:]] == [case.nurse.id, None]
    assert updates[-1].actor_id == case.doctor.id


# --------------------------------------------------------------------------- template versions


def test_a_case_keeps_its_template_version_and_new_cases_use_the_newest(db, case) -> None:
    cases.save_draft(db, case.nurse, case.item.id, {"tre_p": "x"}, {}, None)
    admin = f.staff(db, "Ada Admin")
    fields = [*default_fields(), {"key": "medicin", "label": "Medicin", "help": "Aktuel",
                                  "required": True, "system": False}]
    new = cases.new_template_version(db, admin, fields)
    assert new.version_no == 2 and new.fields[-1].label == "Medicin"

    old = cases.case_detail(db, case.item.id, TODAY)
    assert old.template.version_no == 1 and old.newest_template == 2
    assert "Medicin" not in old.readiness.missing
    fresh = on_agenda(db, f.patient(db), case.conference)
    view = cases.case_detail(db, fresh.id, TODAY)
    assert view.template.version_no == 2 and "Medicin" in view.readiness.missing
    with pytest.raises(InvalidInput, match="har ikke feltet"):
        cases.save_draft(db, case.nurse, case.item.id, {"medicin": "x"}, {}, 1)
    assert [v.version_no for v in cases.template_versions(db)] == [2, 1]
    assert cases.template_versions(db)[0].created_by == admin.name


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (default_fields(), "uændret"),
        ([{"key": "a", "label": ""}], "overskrift"),
        ([{"key": "x", "label": "X", "system": True}], "systemet kan kun"),
    ],
)
def test_invalid_or_unchanged_template_is_refused(db, fields, message) -> None:
    admin = f.staff(db)
    before = db.scalar(select(func.count(PresentationTemplate.id)))
    with pytest.raises(InvalidInput, match=message):
        cases.new_template_version(db, admin, fields)
    assert db.scalar(select(func.count(PresentationTemplate.id))) in (before, 1)
    assert db.scalar(select(func.max(PresentationTemplate.version_no))) in (None, 1)


# --------------------------------------------------------------------------- team notes


def test_team_notes_newest_first_editable_by_author_with_history(db, case) -> None:
    first = cases.add_team_note(db, case.nurse, case.patient.id, "Sover dårligt")
    first.created_at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    second = cases.add_team_note(db, case.doctor, case.patient.id, "Ønsker medicinsamtale")
    db.flush()
    notes = cases.team_notes(db, case.patient.id)
    assert [(n.author, n.text) for n in notes] == [
        (case.doctor.name, "Ønsker medicinsamtale"), (case.nurse.name, "Sover dårligt"),
    ]
    with pytest.raises(InvalidInput, match="Kun den, der har skrevet noten"):
        cases.edit_team_note(db, case.doctor, first.id, "Ændret", first.version)
    cases.edit_team_note(db, case.nurse, first.id, "Sover dårligt; bedre med afspænding",
                         first.version)
    edited = next(n for n in cases.team_notes(db, case.patient.id) if n.id == first.id)
    assert edited.text == "Sover dårligt; bedre med afspænding" and edited.edited
    assert [h.text for h in edited.history] == ["Sover dårligt"]
    with pytest.raises(InvalidInput, match="»Sover dårligt; bedre med afspænding«"):
        cases.edit_team_note(db, case.nurse, first.id, "Gammel fane", 1)  # stale version
    actions = [(a.action, a.actor_id) for a in audit_rows(db, "team_note")]
    assert actions == [("create", case.nurse.id), ("create", case.doctor.id),
                       ("update", case.nurse.id)]
    assert second.id != first.id


@pytest.mark.parametrize("text", ["", "  ", "x" * 4001])
def test_empty_or_long_team_note_is_refused(db, case, text) -> None:
    with pytest.raises(InvalidInput):
        cases.add_team_note(db, case.nurse, case.patient.id, text)
    assert db.scalars(select(TeamNote)).all() == []


# --------------------------------------------------------------------------- the case page


def test_case_detail_has_the_system_texts_and_notes(db, case) -> None:
    dates = [dt.date(2026, 10, 7) + dt.timedelta(weeks=i) for i in range(4)]
    team = f.group(db, "livet_med_smerter", dates, name="Livet med smerter – hold 41")
    f.enrol(db, team, case.patient, [AttendanceStatus.PRESENT, AttendanceStatus.NO_SHOW,
                                     AttendanceStatus.PRESENT, AttendanceStatus.PRESENT])
    f.event(db, case.patient, "livet_med_smerter", CourseStatus.DONE, dates[0],
            group_id=team.id)
    cases.add_team_note(db, case.doctor, case.patient.id, "Husk søvn")

    def statements() -> tuple[int, cases.CaseView]:
        with count_statements() as counter:
            view = cases.case_detail(db, case.item.id, TODAY)
        return counter.count, view

    few, view = statements()
    assert "udeblevet 14. okt. 2026" in view.system["forloeb"]
    assert "Fremmøde på hold i alt: 3 af 4 holdgange (1 udeblivelse)." in view.system["forloeb"]
    assert view.system["baggrund"].startswith("56-årig kvinde")
    assert view.system["pro"] == "Patienten har ikke besvaret spørgeskemaer endnu."
    assert [n.text for n in view.notes] == ["Husk søvn"]
    for _ in range(5):
        cases.add_team_note(db, case.nurse, case.patient.id, "Endnu en note")
    assert statements()[0] == few


def test_unknown_case_is_not_found(db) -> None:
    with pytest.raises(NotFound, match="Sagen findes ikke"):
        cases.case_detail(db, 999_999, TODAY)


# --------------------------------------------------------------------------- concurrency


@pytest.fixture
def committed(own_engine):
    """A case committed to a database of the test's own (concurrent sessions must see it; what
    the saves log cannot be deleted again, the logs are append-only)."""
    with Session(own_engine) as session:
        nurse = f.staff(session, "Sara Samtidig", Profession.SYGEPLEJERSKE)
        doctor = f.staff(session, "Lars Samtidig")
        who = f.patient(session, "Samtidig", pal=doctor, nurse=nurse)
        meeting = f.conference(session, dt.date(2031, 1, 1), ConferenceStatus.PLANNED)
        item = on_agenda(session, who, meeting)
        session.commit()
        return dict(staff=[nurse.id, doctor.id], patient=who.id, conference=meeting.id,
                    item=item.id)


def _race(engine, ids, changes_per_writer, version):
    """Every writer loads the case, waits for the others, then saves at the same moment."""
    barrier = threading.Barrier(len(changes_per_writer))
    results: list[object] = [None] * len(changes_per_writer)

    def writer(k: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                actor = session.get(Staff, ids["staff"][k % 2])
                base = cases.case_detail(session, ids["item"], TODAY).values
                session.commit()  # end the read: no snapshot held while waiting
                barrier.wait(timeout=30)
                result = cases.save_draft(session, actor, ids["item"], changes_per_writer[k],
                                          base, version)
                session.commit()
                results[k] = result
        except Exception as error:  # noqa: BLE001 - reported by the test
            results[k] = error

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(len(changes_per_writer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("existing", [False, True], ids=["first-save", "later-save"])
def test_two_concurrent_saves_of_one_field_cannot_both_win(own_engine, committed,
                                                           existing) -> None:
    version = None
    if existing:
        with Session(own_engine, expire_on_commit=False) as session:
            actor = session.get(Staff, committed["staff"][0])
            version = cases.save_draft(session, actor, committed["item"], {"barrierer": "-"},
                                       {}, None).version
            session.commit()
    texts = [{"tre_p": f"Tekst fra skriver {k}"} for k in range(4)]

    results = _race(own_engine, committed, texts, version)

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    winners = [k for k, r in enumerate(results) if isinstance(r, Saved)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 3
    with Session(own_engine) as session:
        stored = cases.case_detail(session, committed["item"], TODAY).values
    assert stored["tre_p"] == texts[winners[0]]["tre_p"]
    for loser in losers:  # each loser sees its own text and the stored one
        (conflict,) = loser.fields
        assert conflict.theirs == stored["tre_p"] and conflict.mine != stored["tre_p"]
