"""Command line for local accounts and staff members.

    uv run python -m conference.accounts create-staff AA --name "Anne Andersen" \\
        --profession læge --role admin
    uv run python -m conference.accounts create-staff LL --name "Lene Læge" \\
        --profession læge --role behandler --role mødeleder --as AA
    uv run python -m conference.accounts set-password LL

create-staff: the very first staff member of an empty database is created without --as and
must be an administrator (the audit row names them as the one who acted); after that an
administrator creates staff members with --as INITIALS. Exit status 0 created, 2 refused (a
duplicate, an unknown profession or role, no or a wrong administrator): nothing is written
except, for a refused administrator, the security log's note of the refusal.
set-password: exit status 0 set, 1 refused.
The database is DATABASE_URL (default: the embedded SQLite file), migrated first.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from conference.labels import PROFESSION
from conference.services.access import PermissionDenied, log_denial
from conference.services.accounts import ROLE_WORDS, create_staff, set_password
from conference.services.errors import ServiceError
from db.migrate import upgrade
from db.models import Staff
from db.session import default_engine, session_scope

REFUSED = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conference.accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    setpw = sub.add_parser("set-password", help="giv en medarbejder en lokal adgangskode")
    setpw.add_argument("initials")
    setpw.add_argument("--password-stdin", action="store_true",
                       help="læs adgangskoden fra standard input")
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


def _set_password(args: argparse.Namespace) -> int:
    password = (
        sys.stdin.readline().rstrip("\n") if args.password_stdin
        else getpass.getpass("Ny adgangskode: ")
    )
    engine = default_engine()
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            staff = set_password(session, args.initials, password)
            print(f"Adgangskode sat for {staff.name} ({staff.initials}).")
    except ServiceError as error:
        print(str(error), file=sys.stderr)
        return 1
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
            print(f"Giv en adgangskode med: python -m conference.accounts set-password "
                  f"{staff.initials}")
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
    return _set_password(args)


if __name__ == "__main__":
    raise SystemExit(main())
