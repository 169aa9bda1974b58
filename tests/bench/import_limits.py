"""Files no clinic sends (issue 13): how fast and in how much memory the importer refuses them.

    uv run python -m tests.bench.import_limits [--workdir /tmp/kt_import_limits]
        [--no-tracemalloc]

Writes, in the work folder (default: a temporary one under /tmp, removed afterwards; a given
one is kept and its files reused):

- ``patienter_1000000.csv``: a patient file of 1,000,000 rows (47 MB, under the size limit):
  refused by the row limit while it is read;
- ``zipbomb_ark.xlsx``: a valid workbook whose worksheet unpacks to 600 MB from under 2 MB;
- ``zipbomb_styles.xlsx``: the same in xl/styles.xml (a part openpyxl reads whole);
- ``raekker_1000000*.xlsx``: workbooks of 1,000,000 rows (about 24 MB, 250 MB unpacked, inside
  the unpacking limits) whose sheet declares its size as Excel does (refused from the
  declaration), declares two rows (read as a stream to the row limit), or declares nothing
  (openpyxl would read it whole to find its size: refused before opening);

and imports each through the import service (``preview_import``, as the page and
``python -m conference.importing`` do) on a fresh SQLite database, each in a process of its own:
the time to the refusal (wall and CPU: the machine may be shared), the process's peak RSS
(resource.getrusage; the file's bytes and the interpreter included) beside its RSS just before,
and, in a second process, the Python heap's peak while refusing (tracemalloc). Figures, never
pass/fail. The refusal happens while reading, before any query of the rows, so the database
kind does not matter here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROWS = 1_000_000
BOMB_MB = 600
TODAY = dt.date(2026, 11, 25)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- the files


def big_csv(path: Path, rows: int = ROWS) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("CPR;Fornavn;Efternavn;Henvist\r\n")
        for n in range(rows):
            day = dt.date(1940, 1, 1) + dt.timedelta(days=n % 25_000)
            out.write(f"{day:%d%m%y}-{n % 4000 + 1000:04d};Test{n};Volumen{n};01-03-2026\r\n")


def _template() -> dict[str, bytes]:
    """The parts of a small valid workbook (openpyxl), to build the big ones from."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["CPR", "Fornavn", "Efternavn", "Henvist"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b"<sheetData>")
SHEET_TAIL = b"</sheetData></worksheet>"


def _workbook(path: Path, replace: str, chunks, level: int = 9) -> None:  # noqa: ANN001
    """The template with part `replace` written from `chunks` (streamed, never whole)."""
    parts = _template()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in parts.items():
            if name != replace:
                archive.writestr(name, content)
        with archive.open(replace, "w", force_zip64=True) as out:
            for chunk in chunks:
                out.write(chunk)


def _repeat(head: bytes, unit: bytes, tail: bytes, total: int):  # noqa: ANN202
    yield head
    block = unit * (1024 * 1024 // len(unit))
    for _ in range(total // len(block)):
        yield block
    yield tail


def zip_bomb_sheet(path: Path) -> None:
    row = b'<row><c t="inlineStr"><is><t>0707614285</t></is></c></row>'
    _workbook(path, "xl/worksheets/sheet1.xml",
              _repeat(SHEET_HEAD, row, SHEET_TAIL, BOMB_MB * 1024 * 1024))


def zip_bomb_styles(path: Path) -> None:
    styles = _template()["xl/styles.xml"]
    head, _, tail = styles.rpartition(b"</styleSheet>")
    _workbook(path, "xl/styles.xml",
              _repeat(head, b"<!-- -->", b"</styleSheet>" + tail, BOMB_MB * 1024 * 1024))


def _rows_xml(folder: Path, rows: int = ROWS) -> Path:
    """The <row> elements of a patient sheet of `rows` rows, written once, unpacked."""
    path = folder / f"_raekker_{rows}.xml"
    if path.exists():
        return path
    with path.open("wb") as out:
        lines = []
        for n in range(1, rows + 2):
            if n == 1:
                cells = ("CPR", "Fornavn", "Efternavn", "Henvist")
            else:
                day = dt.date(1940, 1, 1) + dt.timedelta(days=n % 25_000)
                cells = (f"{day:%d%m%y}-{n % 4000 + 1000:04d}", f"Test{n}", f"Volumen{n}",
                         "01-03-2026")
            lines.append(f'<row r="{n}">' + "".join(
                f'<c r="{col}{n}" t="inlineStr"><is><t>{value}</t></is></c>'
                for col, value in zip("ABCD", cells, strict=True)) + "</row>")
            if len(lines) == 10_000:
                out.write("".join(lines).encode())
                lines = []
        out.write("".join(lines).encode())
    return path


def big_xlsx(path: Path, dimension: str | None) -> None:
    """1,000,000 rows; `dimension`: the size the sheet declares (None: none, as Excel never)."""
    body = _rows_xml(path.parent)

    def sheet():  # noqa: ANN202
        yield SHEET_HEAD.replace(b"<sheetData>", b"") + (
            f'<dimension ref="{dimension}"/>'.encode() if dimension else b"") + b"<sheetData>"
        with body.open("rb") as rows:
            while chunk := rows.read(1024 * 1024):
                yield chunk
        yield SHEET_TAIL

    _workbook(path, "xl/worksheets/sheet1.xml", sheet(), level=6)


FILES = {
    "patienter_1000000.csv": big_csv,
    "zipbomb_ark.xlsx": zip_bomb_sheet,
    "zipbomb_styles.xlsx": zip_bomb_styles,
    # as Excel writes it: the sheet declares its size (A1:D1000001)
    "raekker_1000000.xlsx": lambda path: big_xlsx(path, f"A1:D{ROWS + 1}"),
    # declaring two rows: read as a stream until the row limit
    "raekker_1000000_falsk_stoerrelse.xlsx": lambda path: big_xlsx(path, "A1:D2"),
    # declaring nothing: openpyxl would read it whole to find its size
    "raekker_1000000_uden_stoerrelse.xlsx": lambda path: big_xlsx(path, None),
}


def unpacked_mb(path: Path) -> float:
    if path.suffix != ".xlsx":
        return path.stat().st_size / 2**20
    with zipfile.ZipFile(path) as archive:
        return sum(i.file_size for i in archive.infolist()) / 2**20


# --------------------------------------------------------------------------- one refusal


def measure(path: Path, trace: bool) -> dict:
    """In a process of its own: a fresh database, then the preview of `path`."""
    from sqlalchemy.orm import Session

    from conference.services.imports import preview_import
    from db.migrate import upgrade
    from db.models import Role
    from db.session import make_engine
    from tests import factories as f

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/limits.db")
        upgrade(engine)
        with Session(engine) as session:
            actor = f.staff(session, "Lise Læge", initials="LL", roles=(Role.ADMIN,))
            session.commit()
            before = rss_mb()
            if trace:
                tracemalloc.start()
            started, cpu = time.perf_counter(), time.process_time()
            data = path.read_bytes()
            plan = preview_import(session, actor, "patienter", data, path.name, today=TODAY)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            heap = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "rss_before": before, "rss_peak": rss_mb(),
            "heap": heap, "refused": not plan.ok,
            "message": plan.issues[0].text() if plan.issues else ""}


def _child(path: Path, trace: bool) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.import_limits", "--measure", str(path)]
        + (["--trace"] if trace else []),
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2],
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where the files go (kept)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-tracemalloc", dest="trace_too", action="store_false",
                        help="skip the second, traced process per file (slow under openpyxl)")
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.trace)))
        return 0
    with tempfile.TemporaryDirectory(dir="/tmp") as temporary:
        folder = args.workdir or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for name, make in FILES.items():
            path = folder / name
            if not path.exists():
                started = time.perf_counter()
                make(path)
                print(f"wrote {path} in {time.perf_counter() - started:.1f} s")
        print()
        (folder / f"_raekker_{ROWS}.xml").unlink(missing_ok=True)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name in FILES:
            path = folder / name
            timed = _child(path, trace=False)
            traced = _child(path, trace=True) if args.trace_too else {"heap": float("nan"),
                                                                      "seconds": float("nan")}
            print(f"{name}: {path.stat().st_size / 2**20:.1f} MB on disk, "
                  f"{unpacked_mb(path):.0f} MB unpacked")
            print(f"  refused: {timed['refused']} in {timed['seconds']:.2f} s "
                  f"({timed['cpu']:.2f} s CPU) · process peak RSS "
                  f"{timed['rss_peak']:.0f} MB (before reading: {timed['rss_before']:.0f} MB) · "
                  f"Python heap peak {traced['heap']:.0f} MB (tracemalloc, "
                  f"{traced['seconds']:.2f} s traced)")
            print(f"  {timed['message']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
