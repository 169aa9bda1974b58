"""The intervention catalogue as data: conference/data/interventions.toml -> `intervention`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Intervention, InterventionKind, Profession

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_FILE = ROOT / "conference" / "data" / "interventions.toml"


def load_catalogue(path: Path = CATALOGUE_FILE) -> list[dict[str, Any]]:
    with path.open("rb") as fh:
        return tomllib.load(fh)["intervention"]


def sync_catalogue(session: Session) -> int:
    """Insert or update every catalogue entry by code; returns how many rows changed."""
    existing = {i.code: i for i in session.scalars(select(Intervention))}
    changed = 0
    for entry in load_catalogue():
        values = dict(entry)
        values["kind"] = InterventionKind(values["kind"])
        if values.get("profession"):
            values["profession"] = Profession(values["profession"])
        row = existing.get(values["code"])
        if row is None:
            session.add(Intervention(**values))
            changed += 1
            continue
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed += 1
    session.flush()
    return changed
