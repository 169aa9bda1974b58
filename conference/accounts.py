"""Command line for local accounts: `python -m conference.accounts set-password INITIALS`."""

from __future__ import annotations

import argparse
import getpass
import sys

from conference.services.accounts import set_password
from conference.services.errors import ServiceError
from db.migrate import upgrade
from db.session import default_engine, session_scope


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conference.accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    setpw = sub.add_parser("set-password", help="giv en medarbejder en lokal adgangskode")
    setpw.add_argument("initials")
    setpw.add_argument("--password-stdin", action="store_true",
                       help="læs adgangskoden fra standard input")
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    raise SystemExit(main())
