"""Building the demo centre: `build_demo` (into a session) and `ensure_demo` (for `make run`).

How it is built (fast enough for scale 10, about 16,000 patients, in a few minutes on SQLite):

1. Staff and microteams (about 30 people, the same at every scale), the group cohort planners
   and the referred patients (demo/centre.py).
2. One simulation per patient, in referral order (demo/simulation.py).
3. Everything is then written with bulk Core inserts, ids assigned here, in dependency order
   (demo/writing.py, demo/conferences.py), and PostgreSQL sequences are moved past the ids used.
4. The next conference's agenda and case preparation go through the app's services
   (demo/next_conference.py).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.catalogue import sync_catalogue
from db.migrate import upgrade
from db.models import Staff
from db.session import session_scope
from demo.centre import Centre
from demo.conferences import Conferences
from demo.next_conference import NextConference
from demo.parameters import CENTRE_NAME, DEFAULT_SEED
from demo.refusal import DemoRefused, demo_refusal
from demo.simulation import Simulation
from demo.writing import Writing

#: the tables `DemoStats` counts, in the order they are written
COUNTED = [
    "staff", "staff_role", "microteam", "microteam_member", "patient", "therapy_group",
    "group_session", "group_therapist", "enrolment", "attendance", "course_event", "concern",
    "pro_response", "pro_score", "conference", "conference_attendance", "agenda_item",
    "presentation_template", "case_presentation", "conclusion", "action_item", "group_flag",
    "setting", "audit_log",
]


@dataclass
class DemoStats:
    """What `build_demo` wrote: rows per table, and how long it took."""

    counts: dict[str, int]
    seconds: float
    scale: float
    seed: int
    today: dt.date

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def format(self) -> str:
        def number(n: int) -> str:
            return f"{n:,}".replace(",", ".")

        width = max(len(name) for name in self.counts) if self.counts else 10
        scale = f"{self.scale:g}".replace(".", ",")
        lines = [
            f"Demo-centret {CENTRE_NAME} (skala {scale}, seed {self.seed}, "
            f"dato {self.today.isoformat()}):"
        ]
        lines += [f"  {name:<{width}}  {number(count):>9}" for name, count in self.counts.items()]
        seconds = f"{self.seconds:.1f}".replace(".", ",")
        lines.append(
            f"  {'i alt':<{width}}  {number(self.total_rows):>9} rækker på {seconds} s"
        )
        return "\n".join(lines)



class DemoBuilder(Centre, Simulation, Writing, Conferences, NextConference):
    """The whole build, in order; each step is in the module of its concern."""

    def build(self) -> None:
        sync_catalogue(self.session)
        self.session.flush()
        self._load_catalogue()
        self._build_staff()
        self._build_planners()
        self._build_patients()
        self._simulate_all()
        self._write_staff()
        self._write_patients()
        self._write_groups()
        self._write_courses()
        self._write_pro()
        self._write_conferences()
        self._write_group_flags()
        self._write_settings_and_audit()
        self._fix_sequences()
        self._prepare_next_conference()


def build_demo(
    session: Session,
    *,
    scale: float = 1,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
) -> DemoStats:
    """Write the demo centre into an empty (migrated) database; the caller commits.

    DemoRefused when the database is neither empty nor marked demo (nothing is written).

    About 30 staff at every scale and about 800 referrals a year × `scale` over the last two
    years, everything relative to `today` (default: the real today).
    """
    refusal = demo_refusal(session.connection())
    if refusal is not None:
        raise DemoRefused(refusal)
    started = time.perf_counter()
    day = today or dt.date.today()
    builder = DemoBuilder(session, scale, seed, day)
    builder.build()
    session.flush()
    counts = {name: builder.counts[name] for name in COUNTED if name in builder.counts}
    return DemoStats(
        counts=counts,
        seconds=time.perf_counter() - started,
        scale=scale,
        seed=seed,
        today=day,
    )


def ensure_demo(
    engine: Engine,
    *,
    scale: float = 1,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
) -> DemoStats | None:
    """Migrate, then load the demo centre only if the database has no staff (for `make run`)."""
    upgrade(engine)
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Staff)):
            return None
        return build_demo(session, scale=scale, seed=seed, today=today)
