"""Saves name the case they were typed for, and saves that meet someone else's are recorded
(SQLite and PostgreSQL): text typed for another case than the form's is refused with nothing
written; a refused conclusion save leaves a "conflict" audit row written after its own
transaction rolled back; a merged or refused case save leaves a "merge" / "conflict" row with the
other version in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conference.services import cases, minutes
from conference.services.actions import Conflict
from conference.services.errors import InvalidInput
from db.models import (
    AgendaItem,
    AgendaSource,
    AuditLog,
    CasePresentation,
    Conclusion,
    ConferenceStatus,
    Profession,
)
from tests import factories as f

DAY = dt.date(2026, 12, 2)


@pytest.fixture
def two_cases(db) -> dict:
    doctor = f.staff(db, "Lise Læge")
    nurse = f.staff(db, "Sara Sygeplejerske", Profession.SYGEPLEJERSKE)
    team = f.microteam(db, ((doctor, "pal_laege"), (nurse, "kontaktsygeplejerske")))
    meeting = f.conference(db, DAY, ConferenceStatus.PLANNED)
    items = []
    for name in ("Anna", "Bo"):
        who = f.patient(db, name, pal=doctor, nurse=nurse, microteam=team)
        row = AgendaItem(conference_id=meeting.id, patient_id=who.id,
                         source=AgendaSource.MANUAL, reason="manuel", reason_text="Status")
        db.add(row)
        db.flush()
        items.append(row)
    return {"doctor": doctor, "nurse": nurse, "first": items[0], "second": items[1]}


def rows(db, entity: str, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.entity == entity,
                                                  AuditLog.action == action)
                           .order_by(AuditLog.id)))


def conclude(db, actor, item_id, version, **values):
    fields = {"history_sketch": "", "decision": None, "decision_text": None} | values
    return minutes.save_conclusion(db, actor, item_id, version=version, **fields)


def test_text_typed_for_another_case_is_refused_and_nothing_is_written(db, two_cases) -> None:
    first, second, nurse = two_cases["first"], two_cases["second"], two_cases["nurse"]
    before = db.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    with pytest.raises(InvalidInput, match="anden sag"):
        conclude(db, nurse, first.id, None, decision_text="Bos tekst", typed_for=second.id)
    with pytest.raises(InvalidInput, match="anden sag"):
        cases.save_draft(db, nurse, first.id, {"tre_p": "Bos tekst"}, {"tre_p": ""}, None,
                         typed_for=second.id)
    assert db.scalar(select(Conclusion).where(Conclusion.agenda_item_id == first.id)) is None
    assert db.scalar(select(CasePresentation)
                     .where(CasePresentation.agenda_item_id == first.id)) is None
    assert db.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) == before

    # typed for the form's own case (an id as the browser sends it, or a string): saved
    assert conclude(db, nurse, first.id, None, decision_text="Annas tekst",
                    typed_for=first.id).decision_text == "Annas tekst"
    saved = cases.save_draft(db, nurse, first.id, {"tre_p": "Annas tekst"}, {"tre_p": ""},
                             None, typed_for=str(first.id))
    assert isinstance(saved, cases.Saved)


def test_a_refused_conclusion_save_is_recorded_after_its_rollback(db, two_cases) -> None:
    first, nurse, doctor = two_cases["first"], two_cases["nurse"], two_cases["doctor"]
    loaded = conclude(db, nurse, first.id, None, history_sketch="Fælles start").version
    conclude(db, doctor, first.id, loaded, history_sketch="Lægens udgave")
    with pytest.raises(Conflict) as caught, db.begin_nested():  # the refused save rolls back
        conclude(db, nurse, first.id, loaded, history_sketch="Sygeplejerskens udgave")
    assert rows(db, "conclusion", "conflict") == []

    minutes.record_conclusion_conflict(db, nurse, first.id, caught.value)  # its own transaction
    (row,) = rows(db, "conclusion", "conflict")
    assert row.actor_id == nurse.id and row.patient_id == first.patient_id
    assert row.after["history_sketch"] == "Sygeplejerskens udgave"
    assert row.before["history_sketch"] == "Lægens udgave" and row.before["by"] == doctor.name
    stored = db.scalar(select(Conclusion).where(Conclusion.agenda_item_id == first.id))
    assert stored.history_sketch == "Lægens udgave"


def test_a_merged_case_save_names_the_version_it_was_merged_with(db, two_cases) -> None:
    first, nurse, doctor = two_cases["first"], two_cases["nurse"], two_cases["doctor"]
    start = cases.save_draft(db, nurse, first.id, {"tre_p": "A"}, {"tre_p": ""}, None)
    cases.save_draft(db, doctor, first.id, {"vurdering": "CFT"}, {"vurdering": ""},
                     start.version)
    merged = cases.save_draft(db, nurse, first.id, {"maal_udbytte": "Gå ture"},
                              {"maal_udbytte": ""}, start.version)
    assert isinstance(merged, cases.Saved)
    (row,) = rows(db, "case_presentation", "merge")
    assert row.actor_id == nurse.id and row.patient_id == first.patient_id
    assert row.after == {"fields": {"maal_udbytte": "Gå ture"}, "version": start.version}
    assert row.before["version"] == start.version + 1
    assert row.before["updated_by_id"] == doctor.id
    assert rows(db, "case_presentation", "conflict") == []
