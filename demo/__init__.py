"""The synthetic demo centre "Smertecenter Syd": staff, patients, courses, groups, PRO, conferences.

Deterministic from a seed and relative to `today`, so the demo always looks current: groups are
running this week, patients are found at every step of the standard course, every conference due
rule (conference/pathway.py) fires for a few active patients, and the next conference has its
agenda: 6-12 cases, about half of them prepared and most of those marked ready, with a few due
proposals still waiting for the leader.

A package above the services: it uses conference.services and db; nothing in conference/ or
db/ imports it. By concern:

    parameters.py       size, calendar, probabilities, group rhythm
    names.py            synthetic names, initials and CPR numbers
    texts.py            the Danish texts (template, diagnoses, decisions, notes, cases)
    helpers.py          the centre's calendar and random draws
    records.py          what the simulation produces per patient, before anything is written
    groups.py           group cohorts and who joins which
    pro_answers.py      PRO answers that score close to a target
    state.py            the builder's shared state, dates and rules, ids and bulk rows
    centre.py           catalogue, staff and microteams, cohort planners, the patients
    simulation.py       one simulation per patient: the standard course, step by step
    appointments.py     how a simulated course books its steps (main line, groups, add-ons)
    writing.py          writing it all with bulk inserts (courses, groups, PRO, flags)
    conferences.py      the past conferences and their minutes
    next_conference.py  preparing the next conference through the services
    builder.py          build_demo / ensure_demo: the steps in order
    refusal.py          real data is safe
    cli.py, __main__.py ``python -m demo``

Only `random.Random` instances seeded from `seed` are used, in a fixed order, so the same seed
and `today` give the same data.

Only on a database that is empty or already marked demo (the `demo` setting): on any other the
CLI stops with a Danish message and exit status 2 whatever its flags, and `build_demo` raises
DemoRefused; the flag itself is never set on a database holding patients other than the demo's
or staff with a password. `--reset` drops every table (Alembic down to base, which also drops
the triggers that keep the logs append-only, then up again): the only way log rows ever go, and
only on a demo database.
"""

from __future__ import annotations

from demo.builder import DemoStats, build_demo, ensure_demo
from demo.parameters import DEFAULT_SEED
from demo.refusal import DemoRefused, demo_refusal
from demo.texts import TEMPLATE_FIELDS

__all__ = [
    "DEFAULT_SEED",
    "DemoRefused",
    "DemoStats",
    "TEMPLATE_FIELDS",
    "build_demo",
    "demo_refusal",
    "ensure_demo",
]
