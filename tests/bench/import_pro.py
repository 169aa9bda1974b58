"""Import of 10,000 PRO rows (issue 8): the time of the preview (parse, check, plan) and of the
write, the peak memory, and a second import of the same file (nothing may change).

    uv run python -m tests.bench.import_pro [--rows 10000] [--db postgresql+psycopg://…/test]

It builds a demo centre at scale 4 (scale 1 has too few patients without answers at every
time point for 10,000 new rows), writes a CSV in the format of tests/data/pro_standard.csv
(BOM, `;`, Danish and ISO dates, decimal comma, a missing PCS item in one row of ten) for
patients and time points with no answer yet, and imports it through the same service the page
and `python -m conference.importing pro` use. Figures, never pass/fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import func, select

from conference.services.imports import apply_plan, preview_import
from db.models import Patient, ProResponse, ProScore, Staff
from db.session import make_engine, session_scope
from tests.bench.centre import centres, process_peak_mb
from tests.bench.views import leader

TIME_POINTS = {"baseline": ("Baseline", 10), "midtvejs": ("Midtvejs", 90),
               "afslutning": ("Afslutning", 180), "opfoelgning": ("Opfølgning", 365)}
HEADER = (["CPR", "Tidspunkt", "Besvaret", "nrs_avg", "nrs_peak", "PDI"]
          + [f"pcs_{i}" for i in range(1, 14)] + [f"who5_{i}" for i in range(1, 6)]
          + [f"eq5d_index_{i}" for i in range(1, 6)] + ["EQ VAS"])
DATE_STYLES = ["%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


def pro_file(url: str, rows: int, seed: int = 8) -> bytes:
    """`rows` answers for (patient, time point) pairs that have none yet, as a clinic's export."""
    rng = random.Random(seed)
    engine = make_engine(url)
    with session_scope(engine) as session:
        patients = session.execute(
            select(Patient.id, Patient.cpr, Patient.referral_date).order_by(Patient.id)
        ).all()
        taken = {(pid, str(getattr(point, "value", point))) for pid, point in session.execute(
            select(ProResponse.patient_id, ProResponse.timepoint))}
    engine.dispose()
    free = [(cpr, referred, point) for pid, cpr, referred in patients for point in TIME_POINTS
            if (pid, point) not in taken]
    if len(free) < rows:
        raise SystemExit(f"only {len(free)} free (patient, time point) pairs; use fewer rows")
    rng.shuffle(free)
    lines = [";".join(HEADER)]
    for cpr, referred, point in free[:rows]:
        label, days = TIME_POINTS[point]
        answered = min((referred or dt.date(2025, 1, 1)) + dt.timedelta(days=days),
                       dt.date.today())
        pcs = [str(rng.randint(0, 4)) for _ in range(13)]
        if rng.random() < 0.1:
            pcs[rng.randrange(13)] = ""  # one missing item: prorated
        eq5d = ([""] * 6 if point == "midtvejs"  # not asked mid-course
                else [str(rng.randint(1, 5)) for _ in range(5)] + [str(rng.randint(0, 100))])
        lines.append(";".join([
            f"{cpr[:6]}-{cpr[6:]}", label, answered.strftime(rng.choice(DATE_STYLES)),
            str(rng.randint(0, 10)), str(rng.randint(0, 10)),
            f"{rng.randint(0, 69)},{rng.choice([0, 5])}",
            *pcs, *(str(rng.randint(0, 5)) for _ in range(5)), *eq5d,
        ]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        result = (session.scalar(select(func.count()).select_from(ProResponse)),
                  session.scalar(select(func.count()).select_from(ProScore)))
    engine.dispose()
    return result


def import_once(url: str, data: bytes, memory: bool) -> str:
    """One import; with `memory` the Python heap is traced (its peak reported; slower)."""
    engine = make_engine(url)
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    with session_scope(engine) as session:
        actor = session.get(Staff, leader(session).id)
        plan = preview_import(session, actor, "pro", data, "pro_bench.csv",
                              today=dt.date.today())
        planned = time.perf_counter()
        if not plan.ok:
            raise SystemExit(plan.report_text(limit=20))
        result = apply_plan(session, actor, plan)
        applied = time.perf_counter()
    done = time.perf_counter()
    heap = ""
    if memory:
        heap = f" · Python heap peak {tracemalloc.get_traced_memory()[1] / 1e6:.0f} MB (traced)"
        tracemalloc.stop()
    engine.dispose()
    return (f"{result.message}\n  preview {planned - started:.1f} s · write "
            f"{applied - planned:.1f} s · commit {done - applied:.2f} s · total "
            f"{done - started:.1f} s{heap}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db", help="a PostgreSQL server URL (…/test); default: SQLite")
    parser.add_argument("--workdir", type=Path, help="where the SQLite file goes")
    parser.add_argument("--memory", action="store_true",
                        help="trace the Python heap's peak (tracemalloc: times 2-3x slower)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary, centres(
        [4], server=args.db, workdir=args.workdir or Path(temporary)
    ) as (centre,):
        data = pro_file(centre.url, args.rows)
        before = counts(centre.url)
        print(f"{args.rows} PRO rows, {len(data) / 1e6:.1f} MB, "
              f"{'PostgreSQL' if args.db else 'SQLite'}")
        print(f"before importing: process peak RSS {process_peak_mb():.0f} MB")
        print("first import: " + import_once(centre.url, data, args.memory))
        print(f"after it: process peak RSS {process_peak_mb():.0f} MB")
        middle = counts(centre.url)
        print("same file again: " + import_once(centre.url, data, args.memory))
        after = counts(centre.url)
        print(f"answers {before[0]} → {middle[0]} → {after[0]}; "
              f"scores {before[1]} → {middle[1]} → {after[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
