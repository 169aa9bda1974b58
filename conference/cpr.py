"""Danish CPR numbers (personnummer) following the rules of the CPR office (CPR-kontoret).

A CPR number is ``DDMMYY-SSSS``: the birth date, then a four-digit serial. The first serial
digit (digit 7 of the number) together with ``YY`` gives the century of birth:

=============  ================  ======================
digit 7        YY 00-36          YY 37-57    YY 58-99
=============  ================  ======================
0, 1, 2, 3     1900-1936         1937-1957   1958-1999
4, 9           2000-2036         1937-1957   1958-1999
5, 6, 7, 8     2000-2036         2037-2057   1858-1899
=============  ================  ======================

The last digit gives the sex: odd for men (``"M"``), even for women (``"K"``).

Modulus 11 (weights 4, 3, 2, 7, 6, 5, 4, 3, 2, 1; the weighted sum must be divisible by 11) was
a hard rule until 2007. Since 1 October 2007 the CPR office also issues numbers that do not
satisfy it, so a failing check is only a warning here, never a rejection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "CprError",
    "CprInfo",
    "MAX_PLAUSIBLE_AGE",
    "MOD11_WARNING",
    "age_on",
    "century_for",
    "format_cpr",
    "make_cpr",
    "modulus11_ok",
    "normalise_cpr",
    "parse_cpr",
    "plausibility_warnings",
]

MOD11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
MOD11_WARNING = (
    "CPR-nummeret opfylder ikke modulus 11-kontrollen (tilladt for numre udstedt efter 2007)"
)
FUTURE_WARNING = "Fødselsdatoen i CPR-nummeret ligger efter dags dato"
#: An age above this (in whole years) at the referral date or today is most likely a wrong CPR
#: number (e.g. a serial whose first digit puts the birth in the 1800s): a warning, not an error.
MAX_PLAUSIBLE_AGE = 110

# Separators accepted between DDMMYY and SSSS: hyphen-minus, non-breaking hyphen, en dash.
_SEPARATORS = "\u2011\u2013-"  # hyphen last: literal inside [...]
_PATTERN = re.compile(rf"([0-9]{{6}})[{_SEPARATORS}]?([0-9]{{4}})")


class CprError(ValueError):
    """An invalid CPR number; the message is Danish and can be shown to the user."""


@dataclass(frozen=True)
class CprInfo:
    """What a CPR number tells: normalised digits, birth date, sex and check results."""

    cpr: str
    birth_date: date
    sex: str  # "K" (kvinde) | "M" (mand)
    modulus11_ok: bool
    warnings: list[str] = field(default_factory=list, hash=False)

    @property
    def formatted(self) -> str:
        return format_cpr(self.cpr)


def _digits(text: str) -> str:
    """Validate the shape of ``text`` and return its 10 digits (no date check)."""
    if not isinstance(text, str):
        raise CprError(
            f"Ugyldigt CPR-nummer: {text!r} skal angives som tekst (DDMMÅÅ-SSSS), "
            "ellers forsvinder foranstillede nuller."
        )
    compact = "".join(text.split())  # drops spaces, tabs, non-breaking spaces
    match = _PATTERN.fullmatch(compact)
    if match is not None:
        return match.group(1) + match.group(2)
    shown = text.strip() or "(tomt)"
    bare = re.sub(rf"[\s{_SEPARATORS}]", "", text)
    if not bare:
        raise CprError("Ugyldigt CPR-nummer: feltet er tomt.")
    if not (bare.isascii() and bare.isdigit()):
        raise CprError(
            f"Ugyldigt CPR-nummer: {shown!r} må kun indeholde cifre, "
            "evt. med bindestreg efter de første 6 (DDMMÅÅ-SSSS)."
        )
    if len(bare) != 10:
        raise CprError(
            f"Ugyldigt CPR-nummer: {shown!r} har {len(bare)} cifre; der skal være 10 (DDMMÅÅ-SSSS)."
        )
    raise CprError(
        f"Ugyldigt CPR-nummer: {shown!r} – bindestregen skal stå efter de første 6 cifre "
        "(DDMMÅÅ-SSSS)."
    )


def century_for(yy: int, digit7: int) -> int:
    """The century (1800, 1900 or 2000) for two-digit year ``yy`` and serial digit ``digit7``."""
    if not (0 <= yy <= 99 and 0 <= digit7 <= 9):
        raise ValueError(f"yy must be 0-99 and digit7 0-9, got {yy}, {digit7}")
    if digit7 <= 3:
        return 1900
    if digit7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800  # 5, 6, 7, 8


def _birth_date(digits: str) -> date:
    day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    year = century_for(yy, int(digits[6])) + yy
    try:
        return date(year, month, day)
    except ValueError:
        raise CprError(
            f"Ugyldigt CPR-nummer: {format_digits(digits)} – {digits[0:2]}.{digits[2:4]}.{year} "
            "er ikke en gyldig dato."
        ) from None


def modulus11_ok(cpr: str) -> bool:
    """True when the 10 digits satisfy the modulus 11 check."""
    digits = _digits(cpr)
    return sum(w * int(d) for w, d in zip(MOD11_WEIGHTS, digits, strict=True)) % 11 == 0


def format_digits(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


def normalise_cpr(text: str) -> str:
    """Return the 10 digits of a CPR number written as DDMMYY-SSSS or DDMMYYSSSS (spaces allowed).

    Raises :class:`CprError` for a wrong length, other characters than digits, or a birth date
    that does not exist (e.g. 31 February, or 29 February 1900).
    """
    digits = _digits(text)
    _birth_date(digits)
    return digits


def parse_cpr(text: str, *, today: date | None = None) -> CprInfo:
    """Parse and check a CPR number; see the module docstring for the rules.

    ``today`` (default: the current date) is only used to warn about a birth date in the future.
    """
    digits = _digits(text)
    birth = _birth_date(digits)
    mod_ok = modulus11_ok(digits)
    warnings: list[str] = []
    if not mod_ok:
        warnings.append(MOD11_WARNING)
    if birth > (today or date.today()):
        warnings.append(FUTURE_WARNING)
    sex = "M" if int(digits[9]) % 2 else "K"
    return CprInfo(cpr=digits, birth_date=birth, sex=sex, modulus11_ok=mod_ok, warnings=warnings)


def format_cpr(cpr: str) -> str:
    """Format any accepted spelling of a CPR number as ``DDMMYY-SSSS``."""
    return format_digits(normalise_cpr(cpr))


def age_on(birth_date: date, on_date: date) -> int:
    """Age in whole years on ``on_date``.

    Someone born on 29 February has their birthday on 1 March in non-leap years.
    """
    if on_date < birth_date:
        raise ValueError(f"on_date {on_date} is before birth_date {birth_date}")
    before_birthday = (on_date.month, on_date.day) < (birth_date.month, birth_date.day)
    return on_date.year - birth_date.year - int(before_birthday)


def _numeric(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def plausibility_warnings(
    birth_date: date, *, today: date, referral_date: date | None = None
) -> list[str]:
    """Danish warnings about a birth date (from a CPR number) that is hardly possible.

    An age over :data:`MAX_PLAUSIBLE_AGE` on the referral date or on ``today`` (the oldest of
    the two is named), and a birth date after the referral date. ``today`` is always passed in:
    this never reads the clock. An empty list when nothing looks wrong.
    """
    warnings: list[str] = []
    ages = [
        (age_on(birth_date, on), what)
        for on, what in (
            (referral_date, f"ved henvisningen {_numeric(referral_date)}" if referral_date else ""),
            (today, f"i dag ({_numeric(today)})"),
        )
        if on is not None and on >= birth_date
    ]
    if ages:
        age, when = max(ages, key=lambda a: a[0])
        if age > MAX_PLAUSIBLE_AGE:
            warnings.append(
                f"fødselsdatoen {_numeric(birth_date)} giver en alder på {age} år {when} – over "
                f"{MAX_PLAUSIBLE_AGE} år. Kontrollér CPR-nummeret (7. ciffer afgør århundredet)."
            )
    if referral_date is not None and birth_date > referral_date:
        warnings.append(
            f"fødselsdatoen {_numeric(birth_date)} ligger efter henvisningsdatoen "
            f"{_numeric(referral_date)}. Kontrollér CPR-nummeret og henvisningsdatoen."
        )
    return warnings


def _century_digits(year: int) -> tuple[int, ...]:
    """Serial first digits that give ``year`` together with its two-digit year."""
    yy = year % 100
    digits = tuple(d for d in range(10) if century_for(yy, d) + yy == year)
    if not digits:
        raise CprError(f"Fødselsåret {year} kan ikke udtrykkes i et CPR-nummer (kun 1858–2057).")
    return digits


def make_cpr(birth_date: date, sex: str, serial_seed: int) -> str:
    """A synthetic but valid CPR number (10 digits) for demo data.

    The serial has a first digit that gives the right century, the last digit has the right
    parity for ``sex`` ("K" or "M"), and the number satisfies modulus 11 (always possible: every
    date and sex has several hundred such serials). The same arguments always give the same
    number; different seeds give different numbers for the same date and sex until the
    candidates run out (then they wrap around). Note: the numbers cannot be told apart from
    real ones.

    Raises :class:`CprError` for birth years outside 1858–2057 and ``ValueError`` for an
    unknown sex.
    """
    if sex not in ("K", "M"):
        raise ValueError(f"sex must be 'K' or 'M', got {sex!r}")
    parity = 1 if sex == "M" else 0
    date_part = birth_date.strftime("%d%m") + f"{birth_date.year % 100:02d}"
    base = sum(w * int(d) for w, d in zip(MOD11_WEIGHTS, date_part, strict=False))
    candidates: list[str] = []
    for first in _century_digits(birth_date.year):
        for middle in range(100):
            partial = base + 4 * first + 3 * (middle // 10) + 2 * (middle % 10)
            last = -partial % 11
            if last <= 9 and last % 2 == parity:
                candidates.append(f"{first}{middle:02d}{last}")
    if not candidates:  # pragma: no cover - cannot happen for any real date, kept as a guard
        for first in _century_digits(birth_date.year):
            candidates.extend(f"{first}{m:02d}{parity}" for m in range(100))
    return date_part + candidates[serial_seed % len(candidates)]
