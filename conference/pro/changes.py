"""PRO change and flags: the minimal important change (MIC) and what the board shows.

* :func:`change` — change between two scores and whether it reaches the minimal important
  change (MIC), taking the instrument's direction into account; :func:`mic_text` /
  :func:`change_rule_text` say the rule in Danish, from the registry.
* :func:`flags` — dialogue support, never decision support: the only evaluative wording is
  "kræver opmærksomhed" (red) and "klinisk relevant ændring".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from conference.formatting import number as _danish_number
from conference.pro.registry import EPS, instrument
from conference.pro.scoring import (
    band_for,
    clean_items,
    fmt_num,
    format_number,
    format_score,
    is_missing,
    subscale_scores,
)

NO_MIC = "Ingen fastsat mindste betydende ændring"
ATTENTION = "kræver opmærksomhed"
RELEVANT_CHANGE = "klinisk relevant ændring"



@dataclass(frozen=True)
class Change:
    delta: float  # current - baseline, raw units
    direction: str  # "bedre" | "værre" | "uændret"
    clinically_relevant: bool
    label: str  # Danish, e.g. "klinisk relevant forbedring"


@dataclass(frozen=True)
class Flag:
    kind: str  # "band" | "change"
    level: str  # "red" | "yellow" | "green"
    text: str  # Danish
    # The answers the flag comes from (set by conference.pro_trend; empty from flags() alone).
    timepoint: str = ""
    answered_on: dt.date | None = None


def _amount_text(value: float) -> str:
    """A registry number in Danish ('1,5', '0,09', '10'), without trailing zeros."""
    return _danish_number(value, 3)


def mic_text(code: str, baseline: float | None = None) -> str:
    """The minimal important change in Danish on the display scale, from the registry.

    Without ``baseline`` the whole rule: "2 point eller 30 % af baseline" (NRS), "8 point (11
    point ved baseline over 30)" (PCS), "10 procentpoint" (WHO-5, raw 2.5 × 4). With a baseline
    the rule that applies from it: "11 point ved baseline over 30". ``""`` when the instrument
    has no MIC (PGIC).
    """
    inst = instrument(code)
    factor = inst.display_factor
    unit = "procentpoint" if inst.unit == "%" else "point"
    suffix = f" {inst.unit}" if inst.unit else ""

    def amount(mic: float) -> str:
        return f"{_amount_text(mic * factor)} {unit}"

    def step(above: float, mic: float) -> str:
        return f"{amount(mic)} ved baseline over {_amount_text(above * factor)}{suffix}"

    parts = []
    if is_missing(baseline):
        steps = [step(above, mic) for above, mic in inst.mic_steps]
        if inst.mic is not None:
            parts.append(amount(inst.mic) + (f" ({', '.join(steps)})" if steps else ""))
        else:
            parts += steps
    else:
        applied = [s for s in inst.mic_steps if baseline > s[0]]
        if applied:
            parts.append(step(*applied[-1]))
        elif inst.mic is not None:
            parts.append(amount(inst.mic))
    if inst.mic_pct is not None:
        parts.append(f"{_amount_text(inst.mic_pct)} % af baseline")
    return " eller ".join(parts)


def change_rule_text(code: str, baseline: float | None = None) -> str:
    """'Mindste betydende ændring: 2 point eller 30 % af baseline' (or that none is set)."""
    text = mic_text(code, baseline)
    return f"Mindste betydende ændring: {text}" if text else NO_MIC


def _format_delta(code: str, delta: float) -> str:
    inst = instrument(code)
    text = format_number(abs(delta) * inst.display_factor, inst.decimals)
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    unit = " procentpoint" if inst.unit == "%" else ""
    return f"{sign}{text}{unit}"


def change(code: str, baseline: float | None, current: float | None) -> Change | None:
    """Change from ``baseline`` to ``current`` (raw scores); ``None`` if either is missing.

    Clinically relevant when |delta| reaches the MIC (PCS: 11 instead of 8 when the baseline is
    above 30) or, where the instrument has one, the relative MIC in % of the baseline (NRS:
    2 points or 30 %). Either is enough, as PRO.md says ("2 points or 30 %"), with no floor:
    NRS 2 → 3 (+1 = 50 % of the baseline) is a clinically relevant worsening, 0 → 1 is not (no
    relative rule from a zero baseline). Direction "bedre"/"værre" follows the instrument's
    direction.
    """
    inst = instrument(code)
    if is_missing(baseline) or is_missing(current):
        return None
    delta = round(float(current) - float(baseline), 6)
    if delta == 0:
        return Change(delta=0.0, direction="uændret", clinically_relevant=False, label="uændret")
    better = (delta > 0) == inst.higher_is_better
    direction = "bedre" if better else "værre"
    size = abs(delta)
    mic = inst.mic_for(baseline)
    relevant = mic is not None and size >= mic - EPS
    if inst.mic_pct is not None and baseline > 0:
        relevant = relevant or size >= baseline * inst.mic_pct / 100 - EPS
    noun = "forbedring" if better else "forværring"
    if relevant:
        label = f"klinisk relevant {noun}"
    elif mic is None and inst.mic_pct is None:
        label = noun
    else:
        label = f"{noun}, ikke klinisk relevant"
    return Change(delta=delta, direction=direction, clinically_relevant=relevant, label=label)


def _either_or(values: Sequence[str]) -> str:
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " eller " + values[-1]


def flags(
    code: str,
    score: float | None,
    baseline: float | None = None,
    *,
    items: Sequence[float | None] | None = None,
) -> list[Flag]:
    """Flags for the conference screen (dialogue support, never a recommendation).

    * a score in a red band → red flag ending in "kræver opmærksomhed"; yellow band → yellow
      flag naming the band (green bands give no flag);
    * with ``items``: WHO-5 any item 0–1 → red flag; a PCS subscale at or above its threshold
      → yellow flag;
    * with ``baseline``: a change of at least the MIC → "klinisk relevant ændring", green when
      better, red (and "kræver opmærksomhed") when worse; the text names the change, its size
      (and % of baseline where the MIC has a relative rule) and the MIC rule that applied:
      "NRS værst: klinisk relevant ændring, værre (2 → 3, +1 = +50 %; mindste betydende
      ændring: 2 point eller 30 % af baseline) – kræver opmærksomhed".
    """
    inst = instrument(code)
    result: list[Flag] = []
    if not is_missing(score):
        band = band_for(code, score)
        if band is not None and band.level != "green":
            text = f"{inst.short_name} {format_score(code, score)}: {band.label}"
            if band.level == "red":
                text += f" – {ATTENTION}"
            result.append(Flag(kind="band", level=band.level, text=text))
    if items is not None:
        values = clean_items(inst, items)
        alert = inst.item_alert_max
        if alert is not None and any(v is not None and v <= alert for v in values):
            low = [fmt_num(v) for v in range(int(inst.item_min), int(alert) + 1)]
            result.append(
                Flag(
                    kind="band",
                    level="red",
                    text=(
                        f"{inst.short_name}: mindst ét spørgsmål besvaret med {_either_or(low)}"
                        f" – {ATTENTION}"
                    ),
                )
            )
        if inst.subscales:
            sub_scores = subscale_scores(code, items)
            for sub in inst.subscales:
                value = sub_scores[sub.code]
                if sub.threshold is not None and value is not None and value >= sub.threshold:
                    result.append(
                        Flag(
                            kind="band",
                            level="yellow",
                            text=(
                                f"{inst.short_name} {sub.name.lower()} "
                                f"{format_number(value, 1)} (grænse ≥ {fmt_num(sub.threshold)})"
                            ),
                        )
                    )
    if not is_missing(baseline) and not is_missing(score):
        ch = change(code, baseline, score)
        if ch is not None and ch.clinically_relevant:
            worse = ch.direction == "værre"
            delta = _format_delta(code, ch.delta)
            if inst.mic_pct is not None and baseline > 0:  # the relative rule: say the %
                pct = format_number(abs(ch.delta) / baseline * 100, 0)
                delta += f" = {'+' if ch.delta > 0 else '−'}{pct} %"
            text = (
                f"{inst.short_name}: {RELEVANT_CHANGE}, {ch.direction} "
                f"({format_score(code, baseline)} → {format_score(code, score)}, {delta}; "
                f"{change_rule_text(code, baseline).lower()})"
            )
            if worse:
                text += f" – {ATTENTION}"
            result.append(Flag(kind="change", level="red" if worse else "green", text=text))
    return result
