"""Command line for local accounts and staff members.

    uv run python -m conference.accounts create-staff AA --name "Anne Andersen" \\
        --profession læge --role admin
    uv run python -m conference.accounts create-staff LL --name "Lene Læge" \\
        --profession læge --role behandler --role mødeleder --as AA
    uv run python -m conference.accounts set-password LL --as AA
    uv run python -m conference.accounts set-password LL
    uv run python -m conference.accounts unlock LL --as AA

create-staff: the very first staff member of an empty database is created without --as and
must be an administrator (the audit row names them as the one who acted); after that an
administrator creates staff members with --as INITIALS. Exit status 0 created, 2 refused (a
duplicate, an unknown profession or role, no or a wrong administrator): nothing is written
except, for a refused administrator, the security log's note of the refusal.
set-password: an administrator gives a password with --as INITIALS and their own password;
without --as the account's owner changes it with the current one (the first administrator of an
installation, while no administrator has a password, sets theirs without). The audit row and the
security event name who did it; a refusal is a security event too.
unlock: an administrator (--as, with their own password) lifts a lock on a staff member's login.
set-password and unlock: exit status 0 done, 2 refused. Passwords are asked for without echo;
--password-stdin reads them from standard input instead, one a line, in the order asked.
The database is DATABASE_URL (default: the embedded SQLite file), migrated first.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conference.labels import PROFESSION
from conference.services.access import PermissionDenied, log_denial
from conference.services.accounts import (
    ROLE_WORDS,
    create_staff,
    log_password_refusal,
    login,
    set_password,
    staff_by_initials,
    unlock_account,
)
from conference.services.errors import ServiceError
from db.migrate import upgrade
from db.models import Staff, utcnow
from db.session import default_engine, session_scope

REFUSED = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conference.accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    setpw = sub.add_parser(
        "set-password", help="giv en medarbejder en lokal adgangskode",
        description="En administrator giver en adgangskode med --as INITIALER (og sin egen "
                    "adgangskode); uden --as skifter medarbejderen selv sin adgangskode med den "
                    "nuværende. Den første administrator i en ny installation sætter sin egen "
                    "uden --as, så længe ingen administrator har en adgangskode.",
    )
    setpw.add_argument("initials", metavar="INITIALER")
    setpw.add_argument("--as", dest="actor", metavar="INITIALER",
                       help="den administrator, der sætter adgangskoden")
    setpw.add_argument("--password-stdin", action="store_true",
                       help="læs adgangskoderne fra standard input, én pr. linje, i den "
                            "rækkefølge de ellers spørges om")
    unlock = sub.add_parser(
        "unlock", help="ophæv spærringen af en medarbejders login",
        description="En administrator (--as, med sin egen adgangskode) ophæver spærringen "
                    "efter for mange mislykkede login og nulstiller de mislykkede forsøg.",
    )
    unlock.add_argument("initials", metavar="INITIALER")
    unlock.add_argument("--as", dest="actor", metavar="INITIALER", required=True,
                        help="den administrator, der ophæver spærringen")
    unlock.add_argument("--password-stdin", action="store_true",
                        help="læs administratorens adgangskode fra standard input")
    create = sub.add_parser(
        "create-staff", help="opret en medarbejder med faggruppe og roller",
        description="Opret en medarbejder. Den første medarbejder i en tom database oprettes "
                    "uden --as og skal være administrator; derefter opretter en administrator "
                    "nye medarbejdere med --as INITIALER. Giv dem derefter en adgangskode med "
                    "set-password (eller log ind med single sign-on via e-mailadressen).",
    )
    create.add_argument("initials", metavar="INITIALER",
                        help="den nye medarbejders initialer, fx LL")
    create.add_argument("--name", required=True, metavar="NAVN", help="fulde navn")
    create.add_argument(
        "--profession", required=True, metavar="FAGGRUPPE",
        help="faggruppe: " + ", ".join(label.lower() for label in PROFESSION.values()),
    )
    create.add_argument(
        "--role", dest="roles", action="append", required=True, metavar="ROLLE",
        help=f"rolle: {', '.join(ROLE_WORDS.values())}; gentag (eller adskil med komma) for "
             "flere roller",
    )
    create.add_argument("--email", help="e-mailadresse (bruges ved single sign-on)")
    create.add_argument(
        "--as", dest="actor", metavar="INITIALER",
        help="den administrator, der opretter medarbejderen (udelades kun for den første "
             "medarbejder i en tom database)",
    )
    return parser


CLI = "kommandolinje"


def _reader(from_stdin: bool) -> Callable[[str], str]:
    def read(prompt: str) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\n")
        return getpass.getpass(prompt)

    return read


def _check_administrator(
    session: Session, initials: str, read: Callable[[str], str]
) -> tuple[int | None, str | None, str]:
    """(the id of) the administrator named by --as once their own password is right, else the
    refusal; and the password typed. The check is a login: throttled and logged like one, so
    the caller commits it whatever the answer."""
    password = read(f"Adgangskode for {initials} (din egen): ")
    result = login(session, initials, password, detail=CLI)
    if result.staff is None:
        return None, f"--as {initials}: {result.message}", password
    return result.staff.id, None, password


def _refuse(engine: Engine, initials: str, message: str, actor_id: int | None) -> int:
    with session_scope(engine) as session:
        log_password_refusal(session, actor_id, initials, message)
    print(message, file=sys.stderr)
    return REFUSED


def _set_password(args: argparse.Namespace) -> int:
    engine = default_engine()
    upgrade(engine)
    read = _reader(args.password_stdin)
    actor_id, old, refusal = None, None, None
    with session_scope(engine) as session:  # who is acting: committed whatever the answer
        staff = staff_by_initials(session, args.initials)
        if staff is None:
            refusal = f"Ingen medarbejder med initialerne {args.initials}."
        elif args.actor is not None:
            actor_id, refusal, typed = _check_administrator(session, args.actor, read)
            if actor_id == staff.id:  # an administrator's own password: the one just checked
                old = typed
        elif staff.password_hash:  # the owner, with the current password
            old = read(f"Nuværende adgangskode for {staff.initials}: ")
            checked = login(session, staff.initials, old, detail=CLI)
            actor_id = staff.id
            if checked.staff is None:
                refusal = f"Den nuværende adgangskode blev ikke godtaget: {checked.message}"
        # else: no --as and no password yet: only the first administrator of an installation
        initials = staff.initials if staff is not None else args.initials
    if refusal is not None:
        return _refuse(engine, initials, refusal, actor_id)
    password = read(f"Ny adgangskode for {initials}: ")
    if not args.password_stdin and read("Gentag den nye adgangskode: ") != password:
        return _refuse(engine, initials, "De to adgangskoder er ikke ens. Adgangskoden er "
                       "ikke ændret.", actor_id)
    try:
        with session_scope(engine) as session:
            actor = session.get(Staff, actor_id) if actor_id is not None else None
            staff = set_password(session, actor, initials, password, old_password=old)
            by = "" if actor is None or actor.id == staff.id else f" af {actor.initials}"
            print(f"Adgangskode sat for {staff.name} ({staff.initials}){by}.")
    except ServiceError as error:
        if isinstance(error, PermissionDenied):
            actor_id = error.actor_id
        return _refuse(engine, initials, str(error), actor_id)
    return 0


def _unlock(args: argparse.Namespace) -> int:
    engine = default_engine()
    upgrade(engine)
    with session_scope(engine) as session:  # the administrator's login: committed either way
        actor_id, refusal, _ = _check_administrator(
            session, args.actor, _reader(args.password_stdin)
        )
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return REFUSED
    try:
        with session_scope(engine) as session:
            actor = session.get(Staff, actor_id)
            lifted = unlock_account(session, actor, args.initials, now=utcnow())
            staff = staff_by_initials(session, args.initials)
            who = f"{staff.name} ({staff.initials})" if staff else args.initials
            if lifted:
                print(f"Spærringen af {who} er ophævet, og de mislykkede forsøg er nulstillet.")
            else:
                print(f"{who} er ikke spærret; der var intet at ophæve.")
    except PermissionDenied as denied:
        log_denial(engine, denied)
        print(str(denied), file=sys.stderr)
        return REFUSED
    except ServiceError as error:
        print(str(error), file=sys.stderr)
        return REFUSED
    return 0


def _create_staff(args: argparse.Namespace) -> int:
    engine = default_engine()
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            actor = None
            if args.actor is not None:
                actor = session.scalar(
                    select(Staff).where(func.upper(Staff.initials) == args.actor.strip().upper())
                )
                if actor is None:
                    print(f"Ukendt medarbejder: {args.actor}", file=sys.stderr)
                    return REFUSED
            staff = create_staff(
                session, actor, args.initials, args.name, args.profession, args.roles,
                email=args.email,
            )
            roles = ", ".join(ROLE_WORDS[r.role] for r in staff.roles)
            print(f"Medarbejderen {staff.name} ({staff.initials}, "
                  f"{PROFESSION[staff.profession].lower()}) er oprettet med rollerne: {roles}.")
            how = "" if actor is None else f" --as {actor.initials}"
            print(f"Giv en adgangskode med: python -m conference.accounts set-password "
                  f"{staff.initials}{how}")
    except PermissionDenied as denied:
        log_denial(engine, denied)
        print(str(denied), file=sys.stderr)
        return REFUSED
    except ServiceError as error:
        print(str(error), file=sys.stderr)
        return REFUSED
    except IntegrityError:  # created meanwhile by someone else (a unique column)
        print(f"Der findes allerede en medarbejder med initialerne {args.initials} eller "
              "e-mailadressen. Intet er gemt.", file=sys.stderr)
        return REFUSED
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "create-staff":
        return _create_staff(args)
    if args.command == "unlock":
        return _unlock(args)
    return _set_password(args)


if __name__ == "__main__":
    raise SystemExit(main())
