"""Column mappings for PRO exports: which column of a source's file is which answer.

A mapping is data, saved per source (table ``pro_mapping``), so a centre maps its own
questionnaire system's export without code::

    {
      "columns": {"Personnummer": "cpr", "Måling": "timepoint", "Dato": "answered_on",
                  "PCS01": "pcs.1", ..., "NRS_gns": "nrs_avg", "PDI_total": "pdi"},
      "timepoint_values": {"Før": "baseline", "Efter": "afslutning"},
      "fixed_timepoint": null
    }

Targets: ``cpr``, ``timepoint``, ``answered_on``; ``<instrument>.<n>`` for item n of an
instrument; ``<instrument>`` for a scale score given directly (or the single answer of a
one-item scale). Instruments and item counts come from the registry (conference/pro.py).
``timepoint_values`` adds spellings of the time points; the codes and Danish labels
(baseline, Midtvejs, …) are always understood. ``fixed_timepoint`` is for exports with one
file per time point and no time point column.

The built-in ``standard`` mapping reads the column names Konferencetavlen itself writes
(CPR, Tidspunkt, Besvaret, the instruments' codes and short names, and ``<code>_<n>`` for items),
so an exported PRO table can be imported again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from conference import pro
from conference.importing.values import header_key

__all__ = [
    "ANSWERED_ON",
    "CPR",
    "IGNORE_LABEL",
    "Mapping",
    "MappingProblem",
    "STANDARD",
    "TIMEPOINT",
    "editor_rows",
    "mapping_from_editor",
    "parse_mapping",
    "standard_mapping",
    "target_labels",
]

CPR = "cpr"
TIMEPOINT = "timepoint"
ANSWERED_ON = "answered_on"
STANDARD = "standard"
IGNORE_LABEL = "(bruges ikke)"


class MappingProblem(ValueError):
    """A mapping that cannot be used; the message is Danish."""


def target_labels() -> dict[str, str]:
    """Every target with its Danish label, in questionnaire order (for the mapping editor)."""
    labels = {CPR: "CPR-nummer", TIMEPOINT: "Tidspunkt", ANSWERED_ON: "Besvarelsesdato"}
    for code, inst in pro.INSTRUMENTS.items():
        if inst.items == 1:
            labels[code] = f"{inst.short_name} – svar"
            continue
        labels[code] = f"{inst.short_name} – score"
        for n in range(1, inst.items + 1):
            labels[f"{code}.{n}"] = f"{inst.short_name} – spørgsmål {n}"
    return labels


@dataclass
class Mapping:
    columns: dict[str, str]  # header as written -> target
    timepoint_values: dict[str, str] = field(default_factory=dict)
    fixed_timepoint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": dict(self.columns),
            "timepoint_values": dict(self.timepoint_values),
            "fixed_timepoint": self.fixed_timepoint,
        }

    def target_for(self, header: str) -> str | None:
        return self._keys.get(header_key(header))

    @cached_property
    def _keys(self) -> dict[str, str]:
        return {header_key(h): t for h, t in self.columns.items()}

    @cached_property
    def _timepoints(self) -> dict[str, str]:
        lookup = {}
        for code, label in pro.TIMEPOINTS.items():
            lookup[header_key(code)] = code
            lookup[header_key(label)] = code
        lookup.update({header_key(k): v for k, v in self.timepoint_values.items()})
        return lookup

    def timepoint_for(self, value: str) -> str | None:
        return self._timepoints.get(header_key(value))


def _check_target(target: str) -> None:
    if target in (CPR, TIMEPOINT, ANSWERED_ON):
        return
    code, _, item = target.partition(".")
    inst = pro.INSTRUMENTS.get(code)
    if inst is None:
        raise MappingProblem(f"ukendt mål »{target}« i kortlægningen (ukendt instrument)")
    if item and not (item.isdigit() and 1 <= int(item) <= inst.items):
        raise MappingProblem(
            f"»{target}«: {inst.short_name} har spørgsmål 1–{inst.items}"
        )
    if item and inst.items == 1:
        raise MappingProblem(f"»{target}«: {inst.short_name} har kun ét svar; brug »{code}«")


def parse_mapping(raw: dict[str, Any]) -> Mapping:
    """Check a mapping (e.g. from JSON or the editor); raises :class:`MappingProblem`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise MappingProblem("kortlægningen skal have en tabel »columns« (kolonne → mål)")
    columns: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, target in raw["columns"].items():
        if target in (None, ""):
            continue
        header, target = str(header).strip(), str(target).strip()
        _check_target(target)
        if target in used:
            raise MappingProblem(
                f"»{target_labels()[target]}« er valgt for både »{used[target]}« og »{header}«"
            )
        used[target] = header
        columns[header] = target
    fixed = raw.get("fixed_timepoint") or None
    if fixed is not None and fixed not in pro.TIMEPOINTS:
        raise MappingProblem(f"ukendt fast tidspunkt »{fixed}«")
    values = {}
    for text, tp in (raw.get("timepoint_values") or {}).items():
        if tp not in pro.TIMEPOINTS:
            raise MappingProblem(f"»{text}« er kortlagt til et ukendt tidspunkt »{tp}«")
        values[str(text)] = tp
    targets = set(columns.values())
    missing = [label for key, label in ((CPR, "CPR-nummer"), (ANSWERED_ON, "Besvarelsesdato"))
               if key not in targets]
    if TIMEPOINT not in targets and fixed is None:
        missing.append("Tidspunkt (eller et fast tidspunkt)")
    if missing:
        raise MappingProblem("kortlægningen mangler: " + ", ".join(missing))
    for code, inst in pro.INSTRUMENTS.items():
        if inst.items > 1 and code in targets and any(t.startswith(f"{code}.") for t in targets):
            raise MappingProblem(
                f"{inst.short_name}: vælg enten spørgsmålene eller scoren, ikke begge"
            )
    if not any(t not in (CPR, TIMEPOINT, ANSWERED_ON) for t in targets):
        raise MappingProblem("kortlægningen har ingen kolonner med svar eller scorer")
    return Mapping(columns, values, fixed)


def standard_mapping(headers: list[str] | None = None) -> Mapping:
    """Konferencetavlen's own column names. With ``headers``: only the columns in that file."""
    names: dict[str, str] = {"CPR": CPR, "Tidspunkt": TIMEPOINT, "Besvaret": ANSWERED_ON}
    for code, inst in pro.INSTRUMENTS.items():
        names[code] = code
        names[inst.short_name] = code
        if inst.items > 1:
            for n in range(1, inst.items + 1):
                names[f"{code}_{n}"] = f"{code}.{n}"
    if headers is None:
        return Mapping(names)
    by_key = {header_key(k): v for k, v in names.items()}
    columns = {h: by_key[header_key(h)] for h in headers if header_key(h) in by_key}
    # A file with both items and the total of an instrument: the items win (score from them).
    for header, target in list(columns.items()):
        if "." not in target and any(t.startswith(f"{target}.") for t in columns.values()):
            del columns[header]
    return Mapping(columns)


# --------------------------------------------------------------------------- the editor


def editor_rows(headers: list[str], sample: tuple, mapping: Mapping) -> list[dict[str, str]]:
    """One row per file column: its header, an example value and what it means (a label)."""
    labels = target_labels()
    rows = []
    for position, header in enumerate(headers):
        if not header:
            continue
        target = mapping.target_for(header)
        example = sample[position] if position < len(sample) else None
        rows.append({
            "Kolonne i filen": header,
            "Eksempel": "" if example is None else str(example),
            "Betyder": labels.get(target, IGNORE_LABEL) if target else IGNORE_LABEL,
        })
    return rows


def mapping_from_editor(
    rows: list[dict[str, str]],
    timepoint_values: dict[str, str],
    fixed_timepoint: str | None,
) -> dict[str, Any]:
    """The raw mapping (for :func:`parse_mapping` / saving) from the editor's rows."""
    by_label = {label: target for target, label in target_labels().items()}
    columns = {
        row["Kolonne i filen"]: by_label[row["Betyder"]]
        for row in rows
        if row.get("Betyder") and row["Betyder"] != IGNORE_LABEL and row["Betyder"] in by_label
    }
    return {
        "columns": columns,
        "timepoint_values": {k: v for k, v in timepoint_values.items() if v},
        "fixed_timepoint": fixed_timepoint,
    }
