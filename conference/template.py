"""The presentation template ("skabelon til fremlæggelse ved tværfaglig konference") as data.

The seed names the template but does not print it; DOMAIN.md derives eight fields from 3.5, 3.9
and 3.10. A template is a list of fields, each ``{key, label, help, required, system}``, stored
as a numbered version (``PresentationTemplate``); an administrator changes it by saving a new
version, and a case keeps the version it was written with.

``system`` fields (Baggrund, Forløb indtil nu, PRO) are filled by the system from the patient's
data and kept current (conference.case_text); what the microteam types in such a field is an
addition to the system's text. They therefore always count as filled.

Plain Python: no database, no streamlit.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: Fields the system knows how to fill (conference.case_text); only these may be ``system``.
SYSTEM_KEYS = ("baggrund", "forloeb", "pro")

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_MAX = 80
HELP_MAX = 500
FIELDS_MAX = 30
#: The longest text one field of a case may hold (a few pages).
VALUE_MAX = 20_000


class TemplateError(ValueError):
    """An invalid template definition; the message is Danish and can be shown."""


class CaseState(enum.StrEnum):
    """How far a case presentation is: shown wherever the case is listed."""

    NOT_STARTED = "ikke_paabegyndt"
    DRAFT = "kladde"
    READY = "klar"


@dataclass(frozen=True)
class TemplateField:
    key: str
    label: str
    help: str = ""
    required: bool = False
    system: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Version 1: the eight fields of DOMAIN.md "The presentation template", in order.
DEFAULT_FIELDS: tuple[dict[str, Any], ...] = (
    {
        "key": "anledning",
        "label": "Anledning",
        "help": "Hvorfor fremlægges patienten, og hvad er mikroteamets spørgsmål til konferencen?",
        "required": True,
        "system": False,
    },
    {
        "key": "baggrund",
        "label": "Baggrund",
        "help": "Alder, køn, smertevarighed og -udbredelse, diagnose (fx komplekse kroniske "
        "smerter, DR 52.2E), arbejds- og forsørgelsesgrundlag. Udfyldes af systemet; "
        "skriv her, hvad der skal tilføjes.",
        "required": True,
        "system": True,
    },
    {
        "key": "tre_p",
        "label": "3P",
        "help": "Grundlæggende (prædisponerende), udløsende og vedligeholdende faktorer, og hvad "
        "de betyder for patientens aktuelle behandlingsbehov.",
        "required": True,
        "system": False,
    },
    {
        "key": "forloeb",
        "label": "Forløb indtil nu",
        "help": "Indsatser og fremmøde, herunder udeblivelser. Udfyldes af systemet ud fra "
        "forløbet; skriv her, hvad der skal tilføjes.",
        "required": False,
        "system": True,
    },
    {
        "key": "pro",
        "label": "PRO",
        "help": "Baseline sammenholdt med midtvejs- og slutevaluering. Udfyldes af systemet ud fra "
        "patientens besvarelser; dialogstøtte, ikke beslutningsstøtte.",
        "required": False,
        "system": True,
    },
    {
        "key": "maal_udbytte",
        "label": "Patientens mål og udbytte",
        "help": "Patientens mål, hvad patienten tager med sig fra forløbet, og hvilke ændringer "
        "patienten har lavet i hverdagen.",
        "required": True,
        "system": False,
    },
    {
        "key": "barrierer",
        "label": "Barrierer og tematikker",
        "help": "Fx medicin, søvn, psykologisk, socialt, arbejde, kommunikation, intimitet/samliv.",
        "required": False,
        "system": False,
    },
    {
        "key": "vurdering",
        "label": "Mikroteamets vurdering og forslag",
        "help": "Mikroteamets vurdering og forslag til næste skridt.",
        "required": True,
        "system": False,
    },
)


def default_fields() -> list[dict[str, Any]]:
    """A fresh copy of version 1's field list (JSON-ready, for a PresentationTemplate row)."""
    return [dict(f) for f in DEFAULT_FIELDS]


def _text(where: str, raw: Mapping[str, Any], name: str, limit: int, *, needed: bool) -> str:
    value = raw.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise TemplateError(f"{where}: {name} skal være tekst")
    value = value.strip()
    if needed and not value:
        raise TemplateError(f"{where}: feltet mangler en overskrift")
    if len(value) > limit:
        raise TemplateError(f"{where}: {name} er for lang (højst {limit} tegn)")
    return value


def parse_fields(raw_fields: Iterable[Mapping[str, Any]]) -> tuple[TemplateField, ...]:
    """Check a template definition and return its fields; raises :class:`TemplateError`."""
    if isinstance(raw_fields, str | bytes):
        raise TemplateError("Skabelonen skal være en liste af felter")
    fields: list[TemplateField] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_fields, start=1):
        if not isinstance(raw, Mapping):
            raise TemplateError(f"Felt {number}: skal have nøgle, overskrift og hjælpetekst")
        key = raw.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise TemplateError(
                f"Felt {number}: nøglen {key!r} skal være små bogstaver, tal og _ "
                "(begynde med et bogstav, højst 40 tegn)"
            )
        where = f"Felt {number} ({key})"
        if key in seen:
            raise TemplateError(f"{where}: nøglen står to gange")
        seen.add(key)
        unknown = set(raw) - {"key", "label", "help", "required", "system"}
        if unknown:
            raise TemplateError(f"{where}: ukendte egenskaber {sorted(unknown)}")
        flags = {}
        for name in ("required", "system"):
            value = raw.get(name, False)
            if not isinstance(value, bool):
                raise TemplateError(f"{where}: {name} skal være sand eller falsk")
            flags[name] = value
        if flags["system"] and key not in SYSTEM_KEYS:
            raise TemplateError(
                f"{where}: systemet kan kun udfylde {', '.join(SYSTEM_KEYS)}"
            )
        fields.append(
            TemplateField(
                key=key,
                label=_text(where, raw, "label", LABEL_MAX, needed=True),
                help=_text(where, raw, "help", HELP_MAX, needed=False),
                required=flags["required"],
                system=flags["system"],
            )
        )
    if not fields:
        raise TemplateError("Skabelonen skal have mindst ét felt")
    if len(fields) > FIELDS_MAX:
        raise TemplateError(f"Skabelonen må højst have {FIELDS_MAX} felter")
    return tuple(fields)


def is_filled(field: TemplateField, value: str | None) -> bool:
    """A system field is always filled (by the system); others need non-blank text."""
    return field.system or bool((value or "").strip())


def missing_required(
    fields: Sequence[TemplateField], values: Mapping[str, str | None]
) -> list[TemplateField]:
    """The required fields still empty, in template order."""
    return [f for f in fields if f.required and not is_filled(f, values.get(f.key))]


def join_danish(words: Sequence[str]) -> str:
    """'A', 'A og B', 'A, B og C'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " og " + words[-1]


def ready_problem(fields: Sequence[TemplateField], values: Mapping[str, str | None]) -> str | None:
    """Why the case cannot be marked "Klar til konference" (Danish), or None if it can."""
    missing = missing_required(fields, values)
    if not missing:
        return None
    names = join_danish([f"»{f.label}«" for f in missing])
    noun = "feltet" if len(missing) == 1 else "felterne"
    return f"Sagen kan ikke markeres klar til konference. Udfyld først {noun} {names}."


def state_of(values: Mapping[str, str | None] | None, ready: bool) -> CaseState:
    """Klar when marked ready; kladde when anything is written; else ikke påbegyndt."""
    if ready:
        return CaseState.READY
    if values and any((v or "").strip() for v in values.values()):
        return CaseState.DRAFT
    return CaseState.NOT_STARTED


def first_anledning(reason: str, question: str | None) -> str:
    """The starting text of Anledning: the agenda's reason and the question, if any."""
    text = reason.strip()
    if question and question.strip():
        text += f"\n\nSpørgsmål til konferencen: {question.strip()}"
    return text
