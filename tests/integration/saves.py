"""Real service saves for the backup and kill tests, and a writer process that loops over them.

Each save is one transaction through the services: a concern (conference.services.patients.
raise_concern) or a team note (conference.services.cases.add_team_note), each with its audit
row. `python -m tests.integration.saves URL ACTOR PATIENTS` starts writer processes on demand
(see `serve`); a writer prints ``ready PID``, then for every save ``begin N`` before and
``done KIND ID`` after the commit, until it is killed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
import traceback
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased

from conference.services.cases import add_team_note
from conference.services.patients import raise_concern
from db.models import AuditLog, Concern, Role, Staff, TeamNote
from db.session import make_engine, session_scope
from tests import factories

TODAY = dt.date(2026, 11, 25)
KINDS = {"concern": Concern, "team_note": TeamNote}


def note_text(n: int) -> str:
    return f"Gemning nr. {n}: usikkerhed om behandlingsbehovet."


def seed(engine: Engine, patients: int = 3) -> tuple[int, list[int]]:
    """A committed admin (allowed every save) and a few active patients."""
    with session_scope(engine) as session:
        actor = factories.staff(session, "Skrive Tester", roles=(Role.ADMIN,))
        ids = [factories.patient(session, pal=actor).id for _ in range(patients)]
        return actor.id, ids


def save(engine: Engine, actor_id: int, patient_id: int, n: int, pause: float = 0.0
         ) -> tuple[str, int]:
    """One save in its own transaction; returns (kind, id) after the commit.

    `pause`: wait this long with the rows written but not committed (a wider window for a
    kill to land inside the transaction)."""
    with session_scope(engine) as session:
        actor = session.get(Staff, actor_id)
        if n % 2 == 0:
            kind, row = "concern", raise_concern(session, actor, patient_id, note_text(n), TODAY)
        else:
            kind, row = "team_note", add_team_note(session, actor, patient_id, note_text(n))
        session.flush()  # the row and its audit row are written; the commit is still to come
        if pause:
            time.sleep(pause)
        ident = row.id
    return kind, ident


@dataclass
class Consistency:
    """What the database holds of the saves: ids per kind, and any half-written save."""

    ids: dict[str, set[int]] = field(default_factory=dict)
    without_audit: list[str] = field(default_factory=list)
    audit_without_row: list[str] = field(default_factory=list)
    text_mismatch: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.without_audit + self.audit_without_row + self.text_mismatch


def consistency(engine: Engine) -> Consistency:
    """Every saved row has its create audit row (with the same text), and every such audit row
    has its saved row: nothing half-written."""
    result = Consistency()
    with session_scope(engine) as session:
        for kind, model in KINDS.items():
            audit = aliased(AuditLog)
            text_column = model.note if model is Concern else model.text
            rows = session.execute(
                select(model.id, text_column, audit.after)
                .outerjoin(audit, (audit.entity == kind) & (audit.entity_id == model.id)
                           & (audit.action == "create"))
            ).all()
            result.ids[kind] = {r[0] for r in rows}
            for ident, text, after in rows:
                if after is None:
                    result.without_audit.append(f"{kind} {ident}")
                elif (after.get("note") if model is Concern else after.get("text")) != text:
                    result.text_mismatch.append(f"{kind} {ident}")
            orphans = session.scalars(
                select(AuditLog.entity_id).where(
                    AuditLog.entity == kind, AuditLog.action == "create",
                    AuditLog.entity_id.not_in(select(model.id)),
                )
            ).all()
            result.audit_without_row += [f"audit for {kind} {i}" for i in orphans]
    return result


def _warm_up(engine: Engine, actor_id: int, patient_id: int) -> None:
    """Both kinds of save once, rolled back: the writers start with SQLAlchemy's mappers
    configured and statements compiled, so they save from their first milliseconds."""
    with Session(engine) as session:
        actor = session.get(Staff, actor_id)
        raise_concern(session, actor, patient_id, note_text(0), TODAY)
        add_team_note(session, actor, patient_id, note_text(1))
        session.flush()
        session.rollback()
    engine.dispose()  # no connection is inherited by a writer


def _write_forever(engine: Engine, actor_id: int, patient_ids: list[int], start: int,
                   seed: int) -> None:
    rng = random.Random(seed)
    engine.dispose(close=False)  # a fresh pool in this process (SQLAlchemy's fork recipe)
    with engine.connect():
        pass
    print(f"ready {os.getpid()}", flush=True)
    n = start
    while True:
        print(f"begin {n}", flush=True)
        kind, ident = save(engine, actor_id, rng.choice(patient_ids), n,
                           pause=rng.uniform(0, 0.01))
        print(f"done {kind} {ident}", flush=True)
        n += 1


def serve(url: str, actor_id: int, patient_ids: list[int]) -> int:
    """For every ``go START SEED`` line on stdin: fork a writer process (imports are paid once,
    here), wait until it is killed, then print ``gone PID``."""
    engine = make_engine(url)
    _warm_up(engine, actor_id, patient_ids[0])
    for line in sys.stdin:
        _, start, seed = line.split()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the writer: never returns to this loop
            try:
                _write_forever(engine, actor_id, patient_ids, int(start), int(seed))
            except BaseException:  # noqa: BLE001 - reported to the test, then the child ends
                traceback.print_exc()
                print("crashed", flush=True)
            finally:
                os._exit(1)
        os.waitpid(pid, 0)
        print(f"gone {pid}", flush=True)
    return 0


if __name__ == "__main__":
    url_arg, actor_arg, patients_arg = sys.argv[1:4]
    sys.exit(serve(url_arg, int(actor_arg), [int(p) for p in patients_arg.split(",")]))
