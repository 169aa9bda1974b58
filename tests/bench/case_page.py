"""How long Forbered sag takes to draw one case, through AppTest (median of several runs).

    DATABASE_URL=sqlite:////tmp/case10.db uv run python -m tests.bench.case_page [--runs 7]

Picks the coming case whose patient has the most PRO answers, runs the page once to warm up
(imports, migrations check, caches), then times `runs` draws of the case (template tab, and
PRO tab with its charts) and of the case list, and counts the SQL statements of one draw.
Never pass/fail: it prints the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from conference.services.cases import my_cases
from db.models import Patient, ProResponse, Staff
from db.session import make_engine, session_scope
from db.statements import count_statements

ROOT = Path(__file__).resolve().parents[2]


def pick_case() -> tuple[int, str]:
    engine = make_engine()
    with session_scope(engine) as session:
        rows = my_cases(session, None, dt.date.today())
        answers = dict(session.execute(
            select(ProResponse.patient_id, func.count(ProResponse.id))
            .where(ProResponse.patient_id.in_([r.patient_id for r in rows]))
            .group_by(ProResponse.patient_id)
        ).all())
        row = max(rows, key=lambda r: (answers.get(r.patient_id, 0), -r.agenda_item_id))
        nurse = session.scalar(
            select(Staff.initials).join(Patient, Patient.kontaktsygeplejerske_id == Staff.id)
            .where(Patient.id == row.patient_id)
        )
    engine.dispose()
    return row.agenda_item_id, nurse or ""


def draw(query: dict[str, str]) -> tuple[float, AppTest]:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.switch_page("views/forbered_sag.py")
    for key, value in query.items():
        app.query_params[key] = value
    start = time.perf_counter()
    app.run()
    elapsed = time.perf_counter() - start
    assert not app.exception, [e.message for e in app.exception]
    return elapsed, app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    item, nurse = pick_case()
    case = {"sag": str(item), "som": nurse}
    listing = {"som": nurse}
    first, _ = draw(case)
    with count_statements() as counter:
        draw(case)
    case_times = [draw(case)[0] for _ in range(args.runs)]
    pro_times = [draw(case | {"fane": "PRO"})[0] for _ in range(args.runs)]
    list_times = [draw(listing)[0] for _ in range(args.runs)]
    print(f"case {item} (as {nurse}): first draw {first:.2f} s; {counter.count} SQL statements")
    for name, times in (("case, template tab", case_times), ("case, PRO tab", pro_times),
                        ("my cases list", list_times)):
        print(f"{name}: median of {args.runs}: {statistics.median(times):.2f} s "
              f"(min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main()
