"""What an import would do: the plan (creations and changes), the bad rows, and the preview.

A :class:`Plan` is built without writing anything. It is either rejected (``issues``: every bad
row with its column and a Danish reason) or ready (``changes``: what will be created and
changed). ``fingerprint`` identifies the planned changes, so a confirmation applies exactly what
the user saw in the preview, or nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conference.labels import IMPORT_ENTITY, IMPORT_ENTITY_PLURAL, IMPORT_KIND

if TYPE_CHECKING:  # pandas only for the page's tables: the command line starts faster
    import pandas as pd

__all__ = ["CREATE", "UPDATE", "Change", "IdentityConflict", "Issue", "Plan"]

CREATE = "create"
UPDATE = "update"
MAX_SHOWN = 2000  # rows of a preview table drawn on screen


def _lower(label: str) -> str:
    """'Patient' -> 'patient', but 'PRO-besvarelse' stays (an abbreviation leads)."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


@dataclass(frozen=True)
class Issue:
    row: int | None  # spreadsheet row (header = 1); None = the file as a whole
    column: str | None
    message: str
    patient_id: int | None = None  # a stored patient the message names (for the access log)

    def text(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Række {self.row}")
        if self.column:
            where.append(f"kolonne »{self.column}«")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class Change:
    """One row to create or change. `payload` is what the service writes (JSON-safe)."""

    entity: str  # table name: patient, microteam, course_event, ...
    action: str  # CREATE | UPDATE
    row: int | None
    label: str  # who or what, for the preview
    payload: dict[str, Any]
    target_id: int | None = None  # the existing row's id for an update
    details: list[tuple[str, str, str]] = field(default_factory=list)  # (field, before, after)
    patient_id: int | None = None  # the stored patient the row concerns (for the access log)

    def detail_text(self) -> str:
        return "; ".join(f"{name}: {old or '(tom)'} → {new or '(tom)'}"
                         for name, old, new in self.details)


@dataclass(frozen=True)
class IdentityConflict:
    """A row whose CPR number is a stored patient's, but with another name or birth date.

    Refused (an issue on the row) unless the importer chose to update that patient
    (``approved``); then the row is an ordinary update whose details show before and after.
    """

    row: int
    cpr: str  # 10 digits
    patient_id: int
    stored: str  # "Anne Sørensen (født 17.05.1970)"
    in_file: str  # "Anna Hansen (født 17.05.1970)"
    details: tuple[tuple[str, str, str], ...]  # (field, stored, in the file)
    approved: bool = False

    @property
    def formatted_cpr(self) -> str:
        return f"{self.cpr[:6]}-{self.cpr[6:]}"


@dataclass
class Plan:
    kind: str
    file_name: str
    sha256: str
    description: str = ""
    source: str | None = None
    rows: int = 0
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    conflicts: list[IdentityConflict] = field(default_factory=list)
    previous_import: str | None = None  # "25. nov. 2026 af LL", when this exact file was applied

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def bad_rows(self) -> int:
        return len({i.row for i in self.issues})

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((c.entity, c.action) for c in self.changes)

    @property
    def created(self) -> int:
        return sum(1 for c in self.changes if c.action == CREATE)

    @property
    def updated(self) -> int:
        return sum(1 for c in self.changes if c.action == UPDATE)

    def fingerprint(self) -> str:
        canonical = [
            (c.entity, c.action, c.target_id, c.row, c.payload) for c in self.changes
        ]
        text = json.dumps([self.kind, self.source, canonical], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    # ------------------------------------------------------------------ for people

    def _listing(self, action: str) -> str:
        counts = self.counts()
        parts = []
        for entity, singular in IMPORT_ENTITY.items():
            n = counts.get((entity, action), 0)
            if n:
                parts.append(f"{n} {_lower(singular) if n == 1 else IMPORT_ENTITY_PLURAL[entity]}")
        if len(parts) > 1:
            return ", ".join(parts[:-1]) + " og " + parts[-1]
        return "".join(parts)

    def summary(self) -> str:
        kind = IMPORT_KIND.get(self.kind, self.kind)
        if any(i.row is None for i in self.issues):
            return f"{kind}: filen kan ikke importeres. Intet er gemt."
        if not self.ok:
            return (
                f"{kind}: filen kan ikke importeres – {len(self.issues)} fejl i "
                f"{self.bad_rows} række{'r' if self.bad_rows != 1 else ''}. Intet er gemt."
            )
        if not self.changes:
            return f"{kind}: intet at importere – alt i filen findes allerede ({self.rows} rækker)."
        parts = []
        if self.created:
            parts.append(f"nye: {self._listing(CREATE)}")
        if self.updated:
            parts.append(f"ændres: {self._listing(UPDATE)}")
        return f"{kind}: " + "; ".join(parts) + f". Uændrede rækker: {self.unchanged}."

    def issue_frame(self, issues: list[Issue] | None = None) -> pd.DataFrame:
        import pandas as pd

        rows = issues if issues is not None else self.issues
        return pd.DataFrame(
            {
                "Række": pd.array([i.row for i in rows], dtype="Int64"),
                "Kolonne": [i.column or "" for i in rows],
                "Årsag": [i.message for i in rows],
            }
        )

    def _shown_changes(self, limit: int) -> list[Change]:
        return sorted(self.changes, key=lambda c: -1 if c.row is None else c.row)[:limit]

    def shown_patient_ids(self, limit: int = MAX_SHOWN) -> list[int]:
        """The stored patients the preview names: in the changes of `change_frame(limit)` and
        the warnings when the file can be imported, else in the bad rows' messages, and always
        the identity conflicts (the page logs them in the access log before it draws the
        preview)."""
        named = (
            [c.patient_id for c in self._shown_changes(limit)]
            + [w.patient_id for w in self.warnings]
            if self.ok else [i.patient_id for i in self.issues]
        ) + [c.patient_id for c in self.conflicts]
        return list(dict.fromkeys(pid for pid in named if pid is not None))

    def change_frame(self, limit: int = MAX_SHOWN) -> pd.DataFrame:
        import pandas as pd

        shown = self._shown_changes(limit)
        return pd.DataFrame(
            {
                "Række": pd.array([c.row for c in shown], dtype="Int64"),
                "Handling": ["Ny" if c.action == CREATE else "Ændres" for c in shown],
                "Hvad": [IMPORT_ENTITY.get(c.entity, c.entity) for c in shown],
                "Hvem/hvilket": [c.label for c in shown],
                "Ændringer": [c.detail_text() for c in shown],
            }
        )

    def report_text(self, limit: int = 50) -> str:
        """The report as plain text (for the command line): every issue, `limit` changes."""
        described = f" ({self.description})" if self.description else ""
        lines = [self.summary(), f"Fil: {self.file_name}{described}"]
        if self.previous_import:
            lines.append(f"Samme fil blev importeret {self.previous_import}.")
        if self.issues:
            lines.append("")
            lines.extend(f"  {issue.text()}" for issue in self.issues)
        if self.warnings:
            lines.append("")
            lines.append("Advarsler (forhindrer ikke importen):")
            lines.extend(f"  {w.text()}" for w in self.warnings)
        if self.ok and self.changes:
            lines.append("")
            for c in self.changes[:limit]:
                action = "Ny" if c.action == CREATE else "Ændres"
                entity = IMPORT_ENTITY.get(c.entity, c.entity)
                where = f"række {c.row}: " if c.row is not None else ""
                detail = f" ({c.detail_text()})" if c.details else ""
                lines.append(f"  {where}{action} {_lower(entity)} {c.label}{detail}")
            if len(self.changes) > limit:
                lines.append(f"  … og {len(self.changes) - limit} flere")
        return "\n".join(lines)
