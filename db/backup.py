"""Back up and restore the database (GDPR art. 32: availability, restore, regular testing).

    uv run python -m db.backup backup <file>            # the database in DATABASE_URL
    uv run python -m db.backup restore <file> [--force] # into DATABASE_URL (--force: replace)
    uv run python -m db.backup check <file>             # is <file> a sound backup? row counts
    (--url URL instead of DATABASE_URL; --print: show the PostgreSQL commands, run nothing)

SQLite: SQLite's online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot
in one step while the app keeps writing (WAL: writers are not blocked). The copy is written next
to the target, checked with `PRAGMA integrity_check`, synced to disk and then renamed into place,
so a half-written backup never carries the backup's name. Restore uses the same API the other
way: the live database's content is replaced in one transaction.

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot, also during writes) and
`pg_restore --single-transaction`; see deploy/BACKUP.md. The password goes to the tools in
PGPASSWORD, never on the command line.

A backup holds every patient: it is created 0600 (readable by the app's user only), under a
umask of 077 that pg_dump inherits too (db.session.private_files), and so is a database restore
creates.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.engine import URL, make_url

from db.session import database_url, private_files

#: the table every database of this app has (Alembic's); a file without it is not ours
MARKER_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup or restore that was refused or failed; str() says why (Danish)."""


@dataclass
class Result:
    """What a backup, restore or check did: the file, and rows per table in the copy."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --------------------------------------------------------------------------- shared


def _normalise(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Ukendt databasetype: {name}.")
    return name


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per table in the database: (row count, SHA-256 of its rows in primary-key order).

    Two databases with equal fingerprints hold the same committed rows. Rows are read as the
    driver returns them (no type processing), so any table is covered, Alembic's too."""
    inspector = inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    result: dict[str, tuple[int, str]] = {}
    with engine.connect() as connection:
        for name in sorted(inspector.get_table_names()):
            keys = inspector.get_pk_constraint(name).get("constrained_columns") or [
                c["name"] for c in inspector.get_columns(name)
            ]
            order = ", ".join(quote(k) for k in keys)
            digest = hashlib.sha256()
            count = 0
            rows = connection.exec_driver_sql(f"SELECT * FROM {quote(name)} ORDER BY {order}")
            for row in rows:
                digest.update(json.dumps(list(row), default=str, sort_keys=True).encode())
                digest.update(b"\n")
                count += 1
            result[name] = (count, digest.hexdigest())
    return result


def _counts(engine: Engine) -> dict[str, int]:
    return {name: count for name, (count, _) in fingerprint(engine).items()}


# --------------------------------------------------------------------------- SQLite


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("En database i hukommelsen kan ikke sikkerhedskopieres.")
    return Path(database)


def _connect_existing(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a database file that must exist (sqlite3 would otherwise create an empty one)."""
    if not path.is_file():
        raise BackupError(f"Filen findes ikke: {path}")
    mode = "ro" if readonly else "rw"
    connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode={mode}", uri=True,
                                 timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _integrity(connection: sqlite3.Connection) -> str:
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(r[0]) for r in rows)


def _has_marker(connection: sqlite3.Connection) -> bool:
    return connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
    ).fetchone() is not None


def _private(path: Path) -> None:
    """`path` readable and writable by the app's user only."""
    os.chmod(path, 0o600)


def _new_private_file(path: Path) -> None:
    """Create `path` empty, 0600 from the first moment (whatever writes into it next)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    with contextlib.suppress(OSError):  # directories cannot be opened on every platform
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


@contextlib.contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _sqlite_url(path: Path) -> str:
    return URL.create("sqlite", database=str(path)).render_as_string()


def check_sqlite(path: Path) -> Result:
    """`path` is a sound SQLite database of this app (integrity_check ok); its row counts."""
    connection = _connect_existing(path, readonly=True)
    try:
        verdict = _integrity(connection)
        ours = _has_marker(connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} er ikke en brugbar SQLite-database: {error}") from error
    finally:
        connection.close()
    if verdict != "ok":
        raise BackupError(f"{path} er beskadiget (integrity_check: {verdict}).")
    if not ours:
        raise BackupError(f"{path} er ikke en database fra Konferencetavlen.")
    with _engine(_sqlite_url(path)) as engine:
        return Result(path, _counts(engine))


def backup_sqlite(source: Path, target: Path) -> Result:
    """Copy the live database `source` to `target` with the online backup API."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    private_files()
    src = _connect_existing(source)
    try:
        _new_private_file(partial)  # an empty file is an empty SQLite database
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: the whole database in one step, i.e. one consistent snapshot. In WAL
            # mode this does not block the app's writers; stepwise copying would restart after
            # every write by another connection.
            src.backup(dst, pages=-1)
            # one self-contained file (no -wal beside it)
            dst.execute("PRAGMA journal_mode=DELETE")
            verdict = _integrity(dst)
        finally:
            dst.close()
    finally:
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"Kopien er beskadiget (integrity_check: {verdict}); intet gemt.")
    _private(partial)
    _fsync(partial)
    os.replace(partial, target)
    _fsync(target)
    return check_sqlite(target)


def _has_rows(connection: sqlite3.Connection) -> bool:
    names = [
        r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        if connection.execute(f"SELECT 1 FROM {quoted} LIMIT 1").fetchone():  # noqa: S608
            return True
    return False


def restore_sqlite(source: Path, target: Path, *, force: bool = False) -> Result:
    """Replace the content of `target` (created if missing) with the backup `source`."""
    check_sqlite(source)
    private_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        dst.execute("PRAGMA busy_timeout=30000")
        if _has_rows(dst) and not force:
            raise BackupError(
                f"{target} indeholder data. Brug --force for at erstatte indholdet "
                "med sikkerhedskopien."
            )
        src = _connect_existing(source, readonly=True)
        try:
            # one transaction on the target: other connections see the old or the new content
            src.backup(dst, pages=-1)
        finally:
            src.close()
        verdict = _integrity(dst)
    finally:
        dst.close()
    if verdict != "ok":
        raise BackupError(f"Databasen er beskadiget efter genskabelsen ({verdict}).")
    with _engine(_sqlite_url(target)) as engine:
        return Result(target, _counts(engine))


# --------------------------------------------------------------------------- PostgreSQL


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} findes ikke. Installér PostgreSQL's klientprogrammer "
                          "(Debian: postgresql-client) i samme version som serveren.")
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed._replace(drivername="postgresql", password=None).render_as_string(
        hide_password=False
    )
    return uri, env


def pg_dump_command(url: str, target: Path) -> list[str]:
    uri, _ = _libpq(url)
    return ["pg_dump", "--format=custom", "--compress=6", f"--file={target}", f"--dbname={uri}"]


def pg_restore_command(source: Path, url: str) -> list[str]:
    uri, _ = _libpq(url)
    return [
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
        "--single-transaction", "--exit-on-error", f"--dbname={uri}", str(source),
    ]


def _run(command: list[str], url: str) -> None:
    _, env = _libpq(url)
    done = subprocess.run(
        [_tool(command[0]), *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} fejlede ({done.returncode}): {done.stderr.strip()}")


def _pg_has_tables(url: str) -> bool:
    with _engine(url) as engine:
        return bool(inspect(engine).get_table_names())


def check_pg_dump(path: Path) -> Result:
    """`path` is a pg_dump archive pg_restore can read; the tables it holds."""
    if not path.is_file():
        raise BackupError(f"Filen findes ikke: {path}")
    done = subprocess.run(
        [_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{path} er ikke en læsbar pg_dump-fil: {done.stderr.strip()}")
    tables = {
        parts[-2] for line in done.stdout.splitlines()
        if " TABLE DATA " in line and len(parts := line.split()) >= 2
    }
    if MARKER_TABLE not in tables:
        raise BackupError(f"{path} er ikke en database fra Konferencetavlen.")
    return Result(path, {})


def backup_pg(url: str, target: Path) -> Result:
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    command = pg_dump_command(url, partial)
    private_files()  # pg_dump inherits the umask: its file is 0600 from the start
    try:
        _new_private_file(partial)
        _run(command, url)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    _private(partial)
    _fsync(partial)
    os.replace(partial, target)
    result = check_pg_dump(target)
    with _engine(url) as engine:
        result.counts = _counts(engine)  # the live database now; the dump is a snapshot of it
    result.commands = [shlex.join(pg_dump_command(url, target))]
    return result


def restore_pg(source: Path, url: str, *, force: bool = False) -> Result:
    check_pg_dump(source)
    if _pg_has_tables(url) and not force:
        raise BackupError(
            "Databasen indeholder tabeller. Brug --force for at erstatte indholdet med "
            "sikkerhedskopien, eller genskab i en ny, tom database (createdb)."
        )
    command = pg_restore_command(source, url)
    _run(command, url)
    with _engine(url) as engine:
        return Result(Path(make_url(url).database or ""), _counts(engine),
                      [shlex.join(command)])


# --------------------------------------------------------------------------- entry points


def backup(url: str, target: Path) -> Result:
    url = _normalise(url)
    if _kind(url) == "sqlite":
        return backup_sqlite(_sqlite_file(url), target)
    return backup_pg(url, target)


def restore(source: Path, url: str, *, force: bool = False) -> Result:
    url = _normalise(url)
    if _kind(url) == "sqlite":
        return restore_sqlite(source, _sqlite_file(url), force=force)
    return restore_pg(source, url, force=force)


def check(source: Path) -> Result:
    """A backup file of either kind: SQLite database or pg_dump archive."""
    with open(source, "rb") as handle:
        head = handle.read(16)
    if head.startswith(b"SQLite format 3"):
        return check_sqlite(source)
    return check_pg_dump(source)


def _report(title: str, result: Result) -> None:
    print(title)
    for command in result.commands:
        print(f"  {command}")
    for name, count in result.counts.items():
        print(f"  {name:<26} {count:>9}")
    if result.counts:
        print(f"  {'i alt':<26} {result.total:>9} rækker")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["backup", "restore", "check"])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", help="database URL (default: DATABASE_URL / the SQLite file)")
    parser.add_argument("--force", action="store_true",
                        help="restore: replace the content of a database that has data")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="PostgreSQL: print the pg_dump/pg_restore command, run nothing")
    args = parser.parse_args(argv)
    url = _normalise(args.url or database_url())
    try:
        if args.print_only:
            if _kind(url) != "postgresql":
                raise BackupError("--print gælder kun PostgreSQL.")
            command = (pg_dump_command(url, args.file) if args.command == "backup"
                       else pg_restore_command(args.file, url))
            print(shlex.join(command))
            return 0
        if args.command == "backup":
            _report(f"Sikkerhedskopi gemt i {args.file.resolve()}:", backup(url, args.file))
        elif args.command == "restore":
            _report("Genskabt fra sikkerhedskopien:", restore(args.file, url, force=args.force))
        else:
            _report(f"{args.file} er i orden:", check(args.file))
    except BackupError as error:
        print(f"Fejl: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
