"""A conflict box compares against the latest stored text, and conflicts are in the audit log
(AppTests on the demo centre): when the other person saves again after the conflict, the box
shows their newest text, and "Behold min tekst" / "Behold min udgave" then saves at once
instead of raising a second conflict. On Forbered sag and on Referat."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from conference.services import agenda, cases, minutes
from conference.ui.case_form import widget_key
from db.models import (
    AuditLog,
    CasePresentation,
    Conclusion,
    Patient,
    PatientStatus,
    Role,
    Staff,
    StaffRole,
)
from tests.factories import in_db

_weeks = itertools.count()


@pytest.fixture
def case(demo_url: str) -> dict:
    """A case on a far-away conference of its own; two people who may write it."""
    day = dt.date(2035, 1, 3) + dt.timedelta(weeks=next(_weeks))

    def build(session):  # noqa: ANN001, ANN202
        me, other = session.scalars(
            select(Staff).join(StaffRole)
            .where(Staff.active, StaffRole.role.in_([Role.MOEDELEDER, Role.ADMIN]))
            .order_by(Staff.id).limit(2)
        ).all()
        patient = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id).offset(40 + day.toordinal() % 20).limit(1)
        ).one()
        conference = agenda.ensure_conference(session, me, day)
        item = agenda.add_case(session, me, conference.id, patient.id, "Status")
        session.flush()
        return {"day": day.isoformat(), "item": item.id, "me": me.initials, "me_id": me.id,
                "other": other.id, "other_name": other.name}

    return in_db(demo_url, build)


def conflict_rows(demo_url: str, entity: str, item_id: int, actor_id: int) -> list[dict]:
    model = CasePresentation if entity == "case_presentation" else Conclusion

    def read(session):  # noqa: ANN001, ANN202
        entity_id = session.scalar(select(model.id).where(model.agenda_item_id == item_id))
        return [(row.before, row.after) for row in session.scalars(
            select(AuditLog).where(AuditLog.entity == entity, AuditLog.entity_id == entity_id,
                                   AuditLog.action == "conflict", AuditLog.actor_id == actor_id)
            .order_by(AuditLog.id))]

    return in_db(demo_url, read)


def test_forbered_sag_box_follows_the_newest_text_and_keeping_mine_saves_at_once(
    run_page, demo_url, case
) -> None:
    item, key = case["item"], "barrierer"

    def other_saves(text: str, base: str):  # noqa: ANN202
        def save(session):  # noqa: ANN001, ANN202
            row = session.scalar(select(CasePresentation)
                                 .where(CasePresentation.agenda_item_id == item))
            cases.save_draft(session, session.get(Staff, case["other"]), item, {key: text},
                             {key: base}, row.version if row else None)
        in_db(demo_url, save)

    app = run_page("views/forbered_sag.py", sag=str(item), som=case["me"])
    other_saves("Søvn", "")
    app.text_area(key=widget_key(item, key)).set_value("Medicin").run()
    assert "gemte en anden tekst" in app.main.warning[0].value
    assert "Søvn" in [t.value for t in app.text]
    (row,) = conflict_rows(demo_url, "case_presentation", item, case["me_id"])
    assert row[0]["fields"] == {key: "Søvn"} and row[1]["fields"] == {key: "Medicin"}

    other_saves("Søvn og smerter", "Søvn")  # they save again after the conflict
    app.run()
    shown = [t.value for t in app.text]
    assert "Søvn og smerter" in shown and "Søvn" not in shown  # the box has their newest text

    app.button(key=f"case{item}_keep_{key}").click().run()
    assert not app.main.warning, [w.value for w in app.main.warning]  # no second conflict
    stored = in_db(demo_url, lambda s: s.scalar(
        select(CasePresentation.fields).where(CasePresentation.agenda_item_id == item)))
    assert stored[key] == "Medicin"
    assert len(conflict_rows(demo_url, "case_presentation", item, case["me_id"])) == 1


def test_referat_box_follows_the_newest_version_and_keeping_mine_saves_at_once(
    run_page, demo_url, case
) -> None:
    item = case["item"]
    field = f"ref{item}_history_sketch"

    def other_saves(text: str):  # noqa: ANN202
        def save(session):  # noqa: ANN001, ANN202
            stored = session.scalar(select(Conclusion).where(Conclusion.agenda_item_id == item))
            minutes.save_conclusion(session, session.get(Staff, case["other"]), item,
                                    history_sketch=text, decision=None, decision_text=None,
                                    version=stored.version if stored else None)
        in_db(demo_url, save)

    app = run_page("views/referat.py", dato=case["day"], sag=str(item), som=case["me"])
    other_saves("Lægens første udgave")
    app.text_area(key=field).input("Referentens udgave").run()
    assert case["other_name"] in app.warning[0].value
    assert any("Lægens første udgave" in t.value for t in app.text)
    (row,) = conflict_rows(demo_url, "conclusion", item, case["me_id"])
    assert row[0]["history_sketch"] == "Lægens første udgave"
    assert row[1]["history_sketch"] == "Referentens udgave"

    other_saves("Lægens anden udgave")  # they save again after the conflict
    app.run()
    shown = " ".join(t.value for t in app.text)
    assert "Lægens anden udgave" in shown and "Lægens første udgave" not in shown

    next(b for b in app.button if b.label == "Behold min udgave").click().run()
    assert not app.main.warning, [w.value for w in app.main.warning]  # no second conflict
    stored = in_db(demo_url, lambda s: s.scalar(
        select(Conclusion.history_sketch).where(Conclusion.agenda_item_id == item)))
    assert stored == "Referentens udgave"
    assert len(conflict_rows(demo_url, "conclusion", item, case["me_id"])) == 1
