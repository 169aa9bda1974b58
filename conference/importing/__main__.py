"""Command line import: ``uv run python -m conference.importing <kind> <file> [options]``.

    uv run python -m conference.importing patienter patienter.csv --as LL
    uv run python -m conference.importing pro painData.xlsx --source PainData --as LL --dry-run
    uv run python -m conference.importing pro export.csv --source PainData \\
        --save-mapping painData.json --as LL

Prints the report (every bad row, or what is created and changed). Without --dry-run the
changes are written in one transaction, with the acting user (--as INITIALS, who must be allowed
to import data) on every audit row. A patient row whose CPR number is stored with another name
or birth date refuses the file; --opdater-eksisterende updates those patients instead (the
report shows before and after).
Exit status: 0 imported (or nothing to import), 1 rejected (nothing written), 2 wrong usage.
The database is DATABASE_URL (default: the embedded SQLite file), migrated first. Every message
is Danish; a database error is reported by its kind alone (never a traceback, whose text could
hold CPR numbers and names), and a file over the size limit is refused before it is read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from conference.importing import KINDS
from conference.importing.reading import MAX_BYTES
from conference.labels import IMPORT_KIND
from conference.services.access import PermissionDenied, log_denial
from conference.services.errors import ServiceError
from conference.services.imports import apply_plan, preview_import, save_mapping
from db.migrate import upgrade
from db.models import Staff
from db.session import default_engine, session_scope


def _parser() -> argparse.ArgumentParser:
    kinds = ", ".join(f"{k} ({IMPORT_KIND[k]})" for k in KINDS)
    parser = argparse.ArgumentParser(
        prog="python -m conference.importing",
        description=f"Importér en fil til Konferencetavlen. Slags: {kinds}.",
    )
    parser.add_argument("kind", choices=list(KINDS), help="hvad filen indeholder")
    parser.add_argument("file", type=Path, help="CSV- eller .xlsx-fil")
    parser.add_argument("--source", help="PRO: kilden, hvis gemte kolonnekortlægning bruges "
                                         "(standard: Konferencetavlens egne kolonnenavne)")
    parser.add_argument("--as", dest="actor", metavar="INITIALS", required=True,
                        help="den medarbejder, der importerer (initialer)")
    parser.add_argument("--dry-run", action="store_true", help="vis kun, hvad der ville ske")
    parser.add_argument("--opdater-eksisterende", dest="update_existing", action="store_true",
                        help="patienter: opdatér en eksisterende patient, når filen har et andet "
                             "navn eller en anden fødselsdato for samme CPR-nummer (ellers "
                             "afvises filen)")
    parser.add_argument("--save-mapping", type=Path, metavar="JSON",
                        help="PRO: gem denne kolonnekortlægning for --source før importen")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="dagens dato (ISO), til afprøvning")
    parser.add_argument("--limit", type=int, default=50, help="højst så mange ændringer vises")
    return parser


def _actor(session, initials: str) -> Staff | None:  # noqa: ANN001
    return session.scalar(
        select(Staff).where(func.lower(Staff.initials) == initials.strip().lower())
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.file.is_file():
        print(f"Filen findes ikke: {args.file}", file=sys.stderr)
        return 2
    if args.save_mapping and not args.source:
        print("--save-mapping kræver --source NAVN.", file=sys.stderr)
        return 2
    today = args.today or dt.date.today()
    try:
        size = args.file.stat().st_size
        if size > MAX_BYTES:  # refused before the file is read into memory
            print(f"Filen er for stor ({size // (1024 * 1024)} MB; højst "
                  f"{MAX_BYTES // (1024 * 1024)} MB). Del den op i flere filer.", file=sys.stderr)
            return 1
        data = args.file.read_bytes()
    except OSError:
        print(f"Filen kan ikke læses: {args.file}", file=sys.stderr)
        return 2
    try:
        engine = default_engine()
        upgrade(engine)
        with session_scope(engine) as session:
            actor = _actor(session, args.actor)
            if actor is None:
                print(f"Ukendt medarbejder: {args.actor}", file=sys.stderr)
                return 2
            if args.save_mapping:
                raw = _read_mapping(args.save_mapping)
                if raw is None:
                    return 2
                save_mapping(session, actor, args.source, raw)
                print(f"Kolonnekortlægningen for »{args.source}« er gemt.")
            plan = preview_import(session, actor, args.kind, data, args.file.name, today=today,
                                  source=args.source, update_existing=args.update_existing)
            print(plan.report_text(limit=args.limit))
            if not plan.ok:
                if any(not c.approved for c in plan.conflicts):
                    print("\nEr det de samme personer, så kør igen med --opdater-eksisterende "
                          "for at opdatere de eksisterende patienter.")
                return 1
            if args.dry_run:
                print("\nPrøvekørsel: intet er gemt.")
                session.rollback()
                return 0
            result = apply_plan(session, actor, plan)
            print(f"\n{result.message}")
    except PermissionDenied as denied:
        log_denial(engine, denied)
        print(str(denied), file=sys.stderr)
        return 1
    except ServiceError as error:
        print(str(error), file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        # the error's text names the statement (and the database's detail may name values)
        print(f"Databasefejl ({type(error).__name__}): importen kunne ikke gennemføres, og "
              "intet er gemt. Kontrollér forbindelsen til databasen (DATABASE_URL), og prøv "
              "igen.", file=sys.stderr)
        return 1
    return 0


def _read_mapping(path: Path) -> dict | None:
    """The JSON of --save-mapping, or None after a Danish message."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        print(f"Kan ikke læse kortlægningen: filen {path} kan ikke åbnes.", file=sys.stderr)
    except UnicodeDecodeError:
        print(f"Kan ikke læse kortlægningen: {path} er ikke gemt som UTF-8.", file=sys.stderr)
    except json.JSONDecodeError as error:
        print(f"Kan ikke læse kortlægningen: {path} er ikke gyldig JSON (linje {error.lineno}, "
              f"kolonne {error.colno}).", file=sys.stderr)
    return None


if __name__ == "__main__":
    sys.exit(main())
