"""The page benchmark: every view of app.py's navigation at two (or more) demo scales.

    uv run python -m tests.bench.run [--scales 1,10] [--runs 15] [--db POSTGRES_SERVER_URL]

For each scale a demo centre is built (db.demo, in a child process: its time and peak memory are
reported) and put in the meeting's state (the next conference's agenda filled, the meeting
started, the first case on the board). Then every view (tests/bench/views.py) is drawn through
app.py with AppTest, as a browser would ask for it:

- cold: the full script run with every st.cache_data cleared first, i.e. the rerun that follows
  any save (clear_caches() clears them all) -- the median of --runs runs after --warmup runs;
- warm: the same rerun with the caches kept (a click that saves nothing);
- statements: the SQL statements of one cold run and of one warm run (db.statements);
- peak: the Python memory one cold run allocates at its peak (tracemalloc).

The floor is tests/bench/trivial_page.py, drawn the same way. Never pass/fail: it prints figures,
marks with "!" what misses the issue's targets (scale 10 within 1.25x scale 1, within 5x the
floor, statements flat) and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from streamlit import config as streamlit_config
from streamlit import logger as streamlit_logger
from streamlit.testing.v1 import AppTest

from conference.ui import context
from db.session import make_engine, session_scope
from db.statements import count_statements
from tests.bench.centre import Centre, centres, process_peak_mb
from tests.bench.views import APP, ROOT, View, views

# AppTest outside a server: Streamlit warns on every run (a page's own error is reported below).
streamlit_config.set_option("logger.level", "error")
streamlit_logger.set_log_level("error")

TRIVIAL = ROOT / "tests" / "bench" / "trivial_page.py"
RATIO_TARGET = 1.25

FLOOR_TARGET = 5.0


@dataclass
class Figures:
    cold_ms: float = 0.0
    warm_ms: float = 0.0
    cold_p95_ms: float = 0.0
    statements: int = 0
    warm_statements: int = 0
    open_statements: int = 0  # the first run of a new browser session (what opening costs)
    peak_mb: float = 0.0
    sql: list[str] = field(default_factory=list)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _check(app: AppTest, what: str) -> None:
    if app.exception:
        raise RuntimeError(f"{what}: {[e.message for e in app.exception]}")


def _timed(app: AppTest, runs: int, *, cold: bool) -> list[float]:
    times = []
    for _ in range(runs):
        if cold:
            st.cache_data.clear()
        gc.collect()
        started = time.perf_counter()
        app.run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(app: AppTest, runs: int, warmup: int, what: str) -> Figures:
    """Warm up, then time cold and warm reruns, count statements and the memory peak."""
    for _ in range(warmup):
        st.cache_data.clear()
        app.run()
        _check(app, what)
    figures = Figures()
    cold = _timed(app, runs, cold=True)
    _check(app, what)
    warm = _timed(app, runs, cold=False)
    figures.cold_ms = statistics.median(cold)
    figures.cold_p95_ms = _quantile(cold, 0.95)
    figures.warm_ms = statistics.median(warm)
    st.cache_data.clear()
    with count_statements() as counter:
        app.run()
    figures.statements, figures.sql = counter.count, counter.statements
    with count_statements() as counter:
        app.run()
    figures.warm_statements = counter.count
    st.cache_data.clear()
    gc.collect()
    tracemalloc.start()
    try:
        app.run()
        figures.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    _check(app, what)
    return figures


def use_database(url: str) -> None:
    """Point the app (DATABASE_URL, the cached engine, the cached reads) at `url`, and make
    the engine (it checks the migrations once per process: not part of any page's figures)."""
    os.environ["DATABASE_URL"] = url
    context.engine.clear()
    st.cache_data.clear()
    context.engine()


def measure_view(view: View, centre: Centre, runs: int, warmup: int, today: dt.date) -> Figures:
    engine = make_engine(centre.url)
    with session_scope(engine) as session:
        params = view.params(session, today)
    engine.dispose()
    app = AppTest.from_file(str(APP), default_timeout=900)
    app.switch_page(view.page)
    for key, value in params.items():
        app.query_params[key] = value
    what = f"{view.name} at scale {centre.label}"
    st.cache_data.clear()
    with count_statements() as opening:  # a new session: what opening the page costs
        app.run()
    _check(app, what)
    figures = measure(app, runs, warmup, what)
    figures.open_statements = opening.count
    return figures


def measure_trivial(runs: int, warmup: int) -> Figures:
    app = AppTest.from_file(str(TRIVIAL), default_timeout=60)
    return measure(app, runs, warmup, "trivial page")


# --------------------------------------------------------------------------- output


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def table(
    rows: list[tuple[str, dict[float, Figures]]], floor: Figures, scales: list[float]
) -> str:
    low, high = scales[0], scales[-1]
    head = (
        f"{'view':<22} {'s' + f'{low:g}' + ' ms':>9} {'s' + f'{high:g}' + ' ms':>9} "
        f"{'ratio':>6} {'×floor':>7} {'stmts s' + f'{low:g}':>10} {'stmts s' + f'{high:g}':>10} "
        f"{'open st':>8} {'warm ms':>8} {'warm st':>8} {'p95 ms':>8} {'peak MB':>8}"
    )
    lines = [head, "-" * len(head)]
    for name, by_scale in rows:
        a, b = by_scale[low], by_scale[high]
        ratio = b.cold_ms / a.cold_ms if a.cold_ms else float("nan")
        floor_x = b.cold_ms / floor.cold_ms
        grew = b.statements > a.statements or b.open_statements > a.open_statements
        marks = "".join([
            "!" if ratio > RATIO_TARGET else " ",
            "!" if floor_x > FLOOR_TARGET else " ",
            "!" if grew else " ",
        ])
        opened = f"{a.open_statements}/{b.open_statements}"
        lines.append(
            f"{name:<22} {_ms(a.cold_ms):>9} {_ms(b.cold_ms):>9} {ratio:>6.2f} {floor_x:>7.1f} "
            f"{a.statements:>10} {b.statements:>10} {opened:>8} {_ms(b.warm_ms):>8} "
            f"{b.warm_statements:>8} {_ms(b.cold_p95_ms):>8} {b.peak_mb:>8.1f} {marks}"
        )
    lines.append(
        f"{'trivial page (floor)':<22} {_ms(floor.cold_ms):>9} {_ms(floor.cold_ms):>9} "
        f"{1:>6.2f} {1:>7.1f} {0:>10} {0:>10} {'0/0':>8} {_ms(floor.warm_ms):>8} {0:>8} "
        f"{_ms(floor.cold_p95_ms):>8} {floor.peak_mb:>8.1f}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10", help="demo scales, comma-separated")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per view (median)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    parser.add_argument("--db", default=None,
                        help="a PostgreSQL server URL (…/test): temporary databases are created "
                        "there and dropped; default: temporary SQLite files")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the SQLite files go (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse SQLite files already in --workdir (no generator figures)")
    parser.add_argument("--only", default="", help="only views whose name contains this")
    parser.add_argument("--show-sql", default="",
                        help="print the cold run's statements of views whose name contains this")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    today = dt.date.fromisoformat(os.environ["KT_TODAY"]) if os.environ.get("KT_TODAY") \
        else dt.date.today()
    chosen = [v for v in views() if args.only in v.name]
    print(f"Konferencetavlen page benchmark · {len(chosen)} views · scales "
          f"{', '.join(f'{s:g}' for s in scales)} · {args.runs} runs after {args.warmup} warm-up"
          f" · {'PostgreSQL' if args.db else 'SQLite'} · Python {sys.version.split()[0]}, "
          f"Streamlit {st.__version__} · {os.cpu_count()} CPUs", flush=True)

    with tempfile.TemporaryDirectory(prefix="kt-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        previous_url = os.environ.get("DATABASE_URL")
        with centres(scales, server=args.db, workdir=workdir, reuse=args.reuse, today=today,
                     log=lambda m: print(m, flush=True)) as built:
            floor = measure_trivial(args.runs, args.warmup)
            results: dict[str, dict[float, Figures]] = {v.name: {} for v in chosen}
            failed: dict[str, str] = {}
            rss: dict[float, float] = {}
            for centre in built:
                use_database(centre.url)
                for view in chosen:
                    started = time.perf_counter()
                    try:
                        figures = measure_view(view, centre, args.runs, args.warmup, today)
                    except Exception as error:  # noqa: BLE001 - a broken page is a finding
                        failed[view.name] = str(error)
                        print(f"  scale {centre.label}: {view.name}: FAILED {error}", flush=True)
                        continue
                    results[view.name][centre.scale] = figures
                    print(f"  scale {centre.label}: {view.name}: {_ms(figures.cold_ms)} ms cold, "
                          f"{figures.statements} statements "
                          f"({time.perf_counter() - started:.0f} s)", flush=True)
                rss[centre.scale] = process_peak_mb()
                context.engine.clear()
            floor_again = measure_trivial(args.runs, args.warmup)
        if previous_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous_url

    print()
    print(f"Pages (cold = caches cleared, as after any save; median of {args.runs} runs; "
          "ratio = last scale / first scale; ×floor = last scale / trivial page)")
    print(table([(n, r) for n, r in results.items() if len(r) == len(scales)], floor, scales))
    for name, error in failed.items():
        print(f"{name:<22} FAILED: {error}")
    print("columns: stmts = one rerun with the caches cleared; open st = the first run of a new "
          "session (scale 1/10); warm = a rerun with the caches kept; p95 and peak MB at the last "
          "scale")
    print("marks: ! ratio above 1.25 · ! above 5× the floor · ! more statements at the larger "
          "scale")
    print(f"Trivial page: {_ms(floor.cold_ms)} ms before the pages, "
          f"{_ms(floor_again.cold_ms)} ms after")
    print()
    print("Demo generator (python -m db.demo --reset, incl. migrations and commit):")
    for centre in built:
        if centre.build_seconds is None:
            print(f"  scale {centre.label:>4}: reused an existing database")
        else:
            print(f"  scale {centre.label:>4}: {centre.build_seconds:6.1f} s, "
                  f"peak RSS {centre.build_peak_mb:,.0f} MB")
    print("Benchmark process peak RSS after each scale: "
          + ", ".join(f"scale {s:g}: {mb:,.0f} MB" for s, mb in rss.items()))
    if args.show_sql:
        for name, by_scale in results.items():
            if args.show_sql not in name:
                continue
            for scale, figures in by_scale.items():
                print(f"\n--- {name} at scale {scale:g}: {figures.statements} statements")
                for statement in figures.sql:
                    print("  " + " ".join(statement.split())[:300])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
