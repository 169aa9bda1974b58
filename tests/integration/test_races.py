"""Issue 18, in the services: two people at the same moment, each in a thread and a session of
their own, on SQLite and PostgreSQL. Attendance, the speaking order and a case's first next
steps: each person's change is kept, or refused with a message; none is lost in silence, none is
applied twice, nothing crashes.

Where a test needs the two to overlap inside the transaction (not just start together), the
first one is held between its read and its write until the second has committed (PostgreSQL)
or for a moment while the second waits for the first's lock (SQLite, one writer at a time).
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from conference.services import actions, agenda, minutes
from conference.services.actions import Conflict
from conference.services.errors import InvalidInput
from db.migrate import upgrade
from db.models import (
    ActionItem,
    AgendaList,
    AgendaStatus,
    AuditLog,
    Conclusion,
    Profession,
    Role,
    Staff,
)
from db.session import make_engine, session_scope
from tests import factories as f
from tests.conftest import database_url, drop_database

_days = itertools.count()
HOLD = 1.0  # seconds the first writer waits, at most, for the second inside its transaction


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of this module's own: the races commit, and nothing is cleaned up after."""
    url = database_url("races", Path(tmp_path_factory.mktemp("races")))
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
    drop_database(url)


@dataclass(frozen=True)
class Meeting:
    conference: int
    cases: list[int]  # the discussion list, in speaking order
    leaders: tuple[int, int]
    referents: tuple[int, int]
    staff: list[int]  # others who may attend


@pytest.fixture
def meeting(engine: Engine) -> Meeting:
    """A conference of its own (a Wednesday far ahead): six cases to discuss, with cases til
    orientering between them (so the positions of the discussion list have gaps, as on a real
    agenda), two mødeledere, two referents and four others."""
    day = dt.date(2036, 1, 2) + dt.timedelta(weeks=next(_days))
    with session_scope(engine) as session:
        leaders = [f.staff(session, "Mødeleder", roles=(Role.MOEDELEDER,)) for _ in range(2)]
        referents = [f.staff(session, "Referent", Profession.SEKRETAER, roles=(Role.REFERENT,))
                     for _ in range(2)]
        others = [f.staff(session, "Kollega", roles=(Role.BEHANDLER,)) for _ in range(4)]
        conference = agenda.ensure_conference(session, leaders[0], day)
        session.flush()
        cases = []
        for k in range(6):
            who = f.patient(session, pal=others[0])
            cases.append(agenda.add_case(session, leaders[0], conference.id, who.id, "Status").id)
            if k % 2:
                agenda.add_case(session, leaders[0], conference.id, f.patient(session).id,
                                "Til orientering", which=AgendaList.INFORMATION)
        return Meeting(conference.id, cases, tuple(s.id for s in leaders),
                       tuple(s.id for s in referents), [s.id for s in others])


def at_once(engine: Engine, *calls: Callable[[Session, Staff], object],
            actors: tuple[int, ...]) -> list[object]:
    """Each call in a thread and session of its own, as `actors[k]`, all released together;
    each commits. The result of each, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(k: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                actor = session.get(Staff, actors[k])
                session.commit()  # the read ends: no snapshot held while waiting
                barrier.wait(timeout=30)
                results[k] = calls[k](session, actor)
                session.commit()
        except Exception as error:  # noqa: BLE001 - reported by the test
            results[k] = error

    threads = [threading.Thread(target=run, args=(k,), name=f"race-{k}")
               for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


class Held:
    """Wrap `owner.name`: the first call made by the first racer (thread race-0) returns its
    result only when the second racer has committed, or after HOLD seconds (on SQLite the
    second waits for the first's lock and cannot commit first). `calls` counts every call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.holding = threading.Event()  # the first racer is held
        self.committed = threading.Event()  # the second racer has committed
        self.calls = 0
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            result = original(*args, **kwargs)
            self.calls += 1
            if threading.current_thread().name == "race-0" and not self.holding.is_set():
                self.holding.set()
                self.committed.wait(HOLD)
            return result

        monkeypatch.setattr(owner, name, wrapper)

    def second(self, call: Callable[[Session, Staff], object]) -> Callable[[Session, Staff],
                                                                            object]:
        """`call` made once the first racer is held; the first is released at its commit."""
        def run(session: Session, actor: Staff) -> object:
            self.holding.wait(30)
            try:
                result = call(session, actor)
                session.commit()
                return result
            finally:
                self.committed.set()
        return run


def sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def order(engine: Engine, meeting: Meeting) -> list[int]:
    with session_scope(engine) as session:
        return [c.item_id for c in agenda.board(session, meeting.conference).discussion]


def audit(engine: Engine, entity: str, ids: list[int] | None = None) -> list[AuditLog]:
    with session_scope(engine) as session:
        query = select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)
        if ids is not None:
            query = query.where(AuditLog.entity_id.in_(ids))
        return list(session.scalars(query))


# --------------------------------------------------------------------------- attendance


def test_two_leaders_saving_attendance_at_once_both_keep_their_changes(engine, meeting) -> None:
    p, q, x, y = meeting.staff
    with session_scope(engine) as session:
        agenda.set_attendance(session, session.get(Staff, meeting.leaders[0]),
                              meeting.conference, {p, q})
    seen = {p, q}  # both screens show P and Q
    results = at_once(
        engine,
        lambda s, me: agenda.set_attendance(s, me, meeting.conference, {q, x}, seen),  # -P +X
        lambda s, me: agenda.set_attendance(s, me, meeting.conference, {p, q, y}, seen),  # +Y
        actors=meeting.leaders,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    with session_scope(engine) as session:
        assert agenda.board(session, meeting.conference).present_staff == {q, x, y}
    rows = audit(engine, "conference_attendance", [meeting.conference])[1:]
    assert len(rows) == 2 and {r.actor_id for r in rows} == set(meeting.leaders)
    # applied one after the other: the second names the list the first left
    assert rows[1].before == rows[0].after
    assert rows[1].after == {"staff_ids": sorted({q, x, y})}


def test_attendance_read_and_written_under_the_conference_lock(
    engine, meeting, monkeypatch
) -> None:
    """The first save is held with the list read and not yet written; the second cannot read
    it until the first has committed, so it applies its change to the first one's list."""
    p, q, x, _ = meeting.staff
    held = Held(monkeypatch, agenda, "_present")
    results = at_once(
        engine,
        lambda s, me: agenda.set_attendance(s, me, meeting.conference, {p}, set()),
        held.second(lambda s, me: agenda.set_attendance(s, me, meeting.conference, {q, x},
                                                        set())),
        actors=meeting.leaders,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    with session_scope(engine) as session:
        assert agenda.board(session, meeting.conference).present_staff == {p, q, x}
    first, second = audit(engine, "conference_attendance", [meeting.conference])
    assert first.before == {"staff_ids": []} and second.before == first.after


# --------------------------------------------------------------------------- speaking order


def test_two_leaders_moving_two_cases_up_at_once_both_moves_land(engine, meeting) -> None:
    a, b, c, d, e, g = seen = order(engine, meeting)
    results = at_once(
        engine,
        lambda s, me: agenda.reorder(s, me, c, -1, seen),
        lambda s, me: agenda.reorder(s, me, g, -1, seen),
        actors=meeting.leaders,
    )
    assert results == [True, True]
    assert order(engine, meeting) == [a, c, b, d, g, e]
    changed = {r.entity_id for r in audit(engine, "agenda_item", meeting.cases)
               if r.action == "update"}
    assert {b, c, e, g} <= changed


def test_a_move_held_between_read_and_write_while_another_lands_elsewhere_both_land(
    engine, meeting, monkeypatch
) -> None:
    """The first move is held between reading the order and writing it; the second, elsewhere
    in the list, commits meanwhile (PostgreSQL) or waits for the first (SQLite)."""
    a, b, c, d, e, g = seen = order(engine, meeting)
    held = Held(monkeypatch, agenda.rules, "move")
    results = at_once(
        engine,
        lambda s, me: agenda.reorder(s, me, b, -1, seen),
        held.second(lambda s, me: agenda.reorder(s, me, g, -1, seen)),
        actors=meeting.leaders,
    )
    assert results == [True, True], results
    assert order(engine, meeting) == [b, a, c, d, g, e]


def test_a_move_whose_cases_changed_between_read_and_write_is_read_again_and_refused(
    engine, meeting, monkeypatch
) -> None:
    """The first (C above B) is held with the order read; the second moves B above A. On
    PostgreSQL the second commits first: the first's write fails the version check, the order
    is read again, and C no longer sits under B: refused. On SQLite the second waits, then finds
    B under C: refused. Either way one move, one message, and the audit holds the one move."""
    a, b, c, d, e, g = seen = order(engine, meeting)
    before = len(audit(engine, "agenda_item", meeting.cases))
    held = Held(monkeypatch, agenda.rules, "move")
    results = at_once(
        engine,
        lambda s, me: agenda.reorder(s, me, c, -1, seen),
        held.second(lambda s, me: agenda.reorder(s, me, b, -1, seen)),
        actors=meeting.leaders,
    )
    if sqlite(engine):
        assert results[0] is True and isinstance(results[1], InvalidInput), results
        assert order(engine, meeting) == [a, c, b, d, e, g]
    else:
        assert isinstance(results[0], InvalidInput) and results[1] is True, results
        assert held.calls == 2  # the first read the order twice; refused before moving again
        assert order(engine, meeting) == [b, a, c, d, e, g]
    assert "Talerækken er netop ændret af en anden" in str(
        next(r for r in results if isinstance(r, InvalidInput)))
    assert len(audit(engine, "agenda_item", meeting.cases)) == before + 2


def test_moving_two_neighbours_at_once_moves_one_and_refuses_the_other(engine, meeting) -> None:
    a, b, c, d, e, g = seen = order(engine, meeting)
    before = len(audit(engine, "agenda_item", meeting.cases))
    results = at_once(
        engine,
        lambda s, me: agenda.reorder(s, me, c, -1, seen),  # C above B
        lambda s, me: agenda.reorder(s, me, d, -1, seen),  # D above C
        actors=meeting.leaders,
    )
    applied = [r for r in results if r is True]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(applied) == 1 and len(refused) == 1, results
    assert "Talerækken er netop ændret af en anden" in str(refused[0])
    now = order(engine, meeting)
    assert now in ([a, c, b, d, e, g], [a, b, d, c, e, g])
    assert len(audit(engine, "agenda_item", meeting.cases)) == before + 2  # one swap's rows


@pytest.mark.parametrize("steps", [-1, 1], ids=["up", "down"])
def test_one_click_delivered_twice_is_one_move(engine, meeting, steps) -> None:
    seen = order(engine, meeting)
    moved = seen[2]
    results = at_once(
        engine,
        lambda s, me: agenda.reorder(s, me, moved, steps, seen),
        lambda s, me: agenda.reorder(s, me, moved, steps, seen),
        actors=(meeting.leaders[0], meeting.leaders[0]),
    )
    assert sorted(results, key=str) == [False, True]
    now = order(engine, meeting)
    assert now.index(moved) == 2 + steps
    # and once more, later, from the same (old) screen: still one move
    with session_scope(engine) as session:
        leader = session.get(Staff, meeting.leaders[0])
        assert agenda.reorder(session, leader, moved, steps, seen) is False
    assert order(engine, meeting) == now


def test_a_move_of_a_case_set_aside_meanwhile_is_refused(engine, meeting) -> None:
    seen = order(engine, meeting)
    with session_scope(engine) as session:
        agenda.set_aside(session, session.get(Staff, meeting.leaders[1]), seen[3],
                         AgendaStatus.POSTPONED, "Afventer scanning")
    with pytest.raises(InvalidInput, match="ikke længere i talerækken"), \
            session_scope(engine) as session:
        agenda.reorder(session, session.get(Staff, meeting.leaders[0]), seen[3], -1, seen)
    # a set-aside case keeps its place: moving its neighbours past it changes nothing of it
    with session_scope(engine) as session:
        assert agenda.reorder(session, session.get(Staff, meeting.leaders[0]), seen[4], -1,
                              order(engine, meeting))
    assert order(engine, meeting) == [seen[0], seen[1], seen[4], seen[2], seen[5]]


# --------------------------------------------------------------------------- first next steps


def _step(item_id: int, text: str, day: dt.date):  # noqa: ANN202 - a call for at_once
    return lambda s, me: actions.add_action(
        s, me, item_id, description=text, owner_role="pal_laege", due_date=day
    ).id


def _stored(engine: Engine, item_id: int) -> tuple[list[Conclusion], list[ActionItem]]:
    with session_scope(engine) as session:
        conclusions = list(session.scalars(
            select(Conclusion).where(Conclusion.agenda_item_id == item_id)))
        steps = list(session.scalars(
            select(ActionItem).where(ActionItem.conclusion_id.in_([c.id for c in conclusions]))
            .order_by(ActionItem.id)))
        return conclusions, steps


def _meeting_day(engine: Engine, meeting: Meeting) -> dt.date:
    with session_scope(engine) as session:
        return agenda.board(session, meeting.conference).date


def test_two_first_steps_at_once_both_land_on_one_conclusion(engine, meeting,
                                                             monkeypatch) -> None:
    """Both read "no conclusion yet" before either creates it (held together at that point):
    one creates it, the other finds theirs; both steps are stored, no error."""
    item = meeting.cases[0]
    due = _meeting_day(engine, meeting) + dt.timedelta(days=14)
    both_read = threading.Barrier(2)
    original = actions.utcnow

    def together():  # noqa: ANN202 - called right after the read that found nothing
        both_read.wait(timeout=30)
        return original()

    if not sqlite(engine):  # SQLite: one writer at a time, the second reads after the first
        monkeypatch.setattr(actions, "utcnow", together)
    results = at_once(engine, _step(item, "Medicinsamtale", due), _step(item, "CFT", due),
                      actors=meeting.referents)
    assert not [r for r in results if isinstance(r, Exception)], results
    (conclusion,), steps = _stored(engine, item)
    assert {s.description for s in steps} == {"Medicinsamtale", "CFT"}
    assert conclusion.decision == ""  # the empty draft the first step needs
    creates = [r for r in audit(engine, "conclusion", [conclusion.id]) if r.action == "create"]
    assert len(creates) == 1
    assert len(audit(engine, "action_item", [s.id for s in steps])) == 2


def test_first_text_and_first_step_at_once_both_land(engine, meeting) -> None:
    item = meeting.cases[1]
    due = _meeting_day(engine, meeting) + dt.timedelta(days=14)
    results = at_once(
        engine,
        lambda s, me: minutes.save_conclusion(
            s, me, item, history_sketch=None, decision="cft",
            decision_text="Start efter Mindfulness.", version=None).id,
        _step(item, "Medicinsamtale", due),
        actors=meeting.referents,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    (conclusion,), (step,) = _stored(engine, item)
    assert conclusion.decision == "cft" and conclusion.decision_text == "Start efter Mindfulness."
    assert step.description == "Medicinsamtale"


def test_two_first_texts_at_once_one_saved_and_the_other_shown_the_conflict(
    engine, meeting
) -> None:
    item = meeting.cases[2]

    def save(text: str):  # noqa: ANN202
        return lambda s, me: minutes.save_conclusion(
            s, me, item, history_sketch=None, decision="", decision_text=text, version=None)

    results = at_once(engine, save("Den ene"), save("Den anden"), actors=meeting.referents)
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1, results
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    (conclusion,), _ = _stored(engine, item)
    assert conflicts[0].theirs["decision_text"] == conclusion.decision_text
    assert conflicts[0].mine["decision_text"] != conclusion.decision_text
