"""Evaluation of the standard course (seed Efterord, issue 15): who completes it, who benefits,
which perpetuating factors change, and the figures of the yearly report (seed 2.4).

Pure statistics: pandas in, DataFrames and dataclasses out; no database, no streamlit, no
clock. The service (conference.services.evaluation) loads a cohort with whole-column queries
and hands it here as three frames:

* ``patients``: one row per patient of the cohort, indexed by patient id, with the columns
  ``sex`` ("K"/"M"), ``age`` (years at referral), ``pain_years``, ``work`` (the stored work
  situation value), ``microteam`` (name), ``active`` (bool), ``referral_date`` and
  ``discharged_on`` (dates; None while the course runs);
* ``events``: the course events that count, one row per patient, intervention code and
  status, with ``patient_id``, ``code``, ``status`` (CourseStatus values), ``standard``
  (bool: a standard-course intervention), ``first_date`` (the earliest date of those events)
  and ``note`` (a recorded reason for a drop-out, else None);
* ``scores``: one row per patient (index: patient id), a column ``"{instrument}@{timepoint}"``
  per score (NaN: not answered or not computable) and ``"svar@{timepoint}"`` (bool: the
  patient answered a questionnaire at that time point).

Rules, each stated again in :data:`DEFINITIONS` for the screen and the report:

* A change is classified with the registry's own rule, :func:`conference.pro.change`
  (improved = a clinically relevant change for the better, worsened = for the worse, anything
  else unchanged); PGIC, asked only after treatment, by its registry band (green: "meget eller
  en hel del bedre"). The rule is applied once per distinct pair of scores, never per patient.
* Non-responders are counted and shown, never imputed: a share is of the patients with both
  answers, and beside it stands how many were eligible and did not answer.
* Wilson 95 % intervals (:func:`wilson`).
* Small counts: a count from 1 to 4 is shown as "<5" and the shares it would reveal are
  suppressed; when one cell of a breakdown is hidden, the next smallest is hidden too, so it
  cannot be worked out from the total (:func:`suppress_breakdown`).

:func:`comparison_table` / :func:`comparable` give the conference board, beside a patient's own
change, how patients in the same baseline severity band fared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from conference import pro
from conference.pathway import STANDARD_STEPS, STEP_OF_CODE, STEP_ORDER

Z95 = 1.959963984540054
SUPPRESS_BELOW = 5
SUPPRESSED = "<5"

IMPROVED, UNCHANGED, WORSENED = "Forbedret", "Uændret", "Forværret"
CLASSES = (IMPROVED, UNCHANGED, WORSENED)

DONE, IN_PROGRESS, DROPPED_OUT = "gennemfoert", "i_gang", "udgaaet"
#: An event at a step with one of these statuses means the patient reached the step.
REACHED = (DONE, IN_PROGRESS, DROPPED_OUT)
LAST_STEP = STANDARD_STEPS[-1][0]  # afsluttende_samtale: the course is completed

#: The outcome domains the centre evaluates (Efterord: knowledge, coping, function, quality of
#: life), per instrument code; an instrument added to the registry and not named here is
#: evaluated under "Andet".
DOMAINS: dict[str, str] = {
    "nrs_avg": "Smerte",
    "nrs_peak": "Smerte",
    "pdi": "Funktion",
    "pseq": "Mestring",
    "pcs": "Katastrofetænkning",
    "hads_a": "Angst",
    "hads_d": "Depression",
    "isi": "Søvn",
    "who5": "Trivsel",
    "eq5d_index": "Livskvalitet",
    "eq_vas": "Livskvalitet",
    "pgic": "Global vurdering",
}
#: Perpetuating factors (3P) whose change is set against the effect (Efterord 3).
FACTORS = ("pcs", "hads_a", "hads_d", "isi", "pseq")
#: The effects they are set against: function and the patient's global impression.
EFFECTS = ("pdi", "pgic")
#: The severity a patient is compared by when an instrument has no cut-off bands of its own.
SEVERITY_FALLBACK = "nrs_avg"

AGE_BANDS = ((0, 29, "Under 30 år"), (30, 44, "30–44 år"), (45, 59, "45–59 år"),
             (60, 74, "60–74 år"), (75, 200, "75 år og derover"))
#: PainData's pain duration bands (PRO.md), in years.
DURATION_BANDS = ((0, 1, "Under 1 år"), (1, 3, "1–3 år"), (3, 5, "3–5 år"), (5, 10, "5–10 år"),
                  (10, math.inf, "Over 10 år"))
NO_VALUE = "Ikke oplyst"
NO_ADDON = "Intet tilvalg"

SEX_LABEL = {"K": "Kvinde", "M": "Mand"}
WORK_LABEL = {
    "fuld_tid": "Arbejder, normal tid",
    "nedsat_tid": "Arbejder, nedsat tid",
    "sygemeldt": "Sygemeldt",
    "pension": "Pension",
    "studerende": "Studerende",
    "ledig": "Ledig",
    "anden_offentlig_ydelse": "Anden offentlig forsørgelse",
}

DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("Gennemført standardforløb", "Afsluttende samtale gennemført. Andelen regnes af de "
     "patienter, hvis forløb er slut (gennemført, udgået eller afsluttet på anden vis); "
     "patienter, der stadig er i forløb, tælles for sig."),
    ("Nået et trin", "Trinnet er gennemført, i gang eller patienten er udgået undervejs i "
     "det. Afspænding, Teleafspænding og Mindfulness er ét trin."),
    ("Udgået", "Registreret som udgået på trinnet; årsagen, hvor den er skrevet."),
    ("Ventetid", "Dage fra henvisning til første dato på trinnet: median og interkvartilbredde "
     "(25.–75. percentil)."),
    ("Svarprocent", "Besvarede spørgeskemaer af dem, der skulle have svaret: baseline alle, "
     "midtvejs dem der har nået Anden opfølgning, afslutning og opfølgning dem hvis forløb er "
     "slut (og altid dem, der har svaret)."),
    ("Forbedret / uændret / forværret", "Ændring fra baseline efter instrumentregistrets regel "
     "for mindste betydende ændring (klinisk relevant forbedring eller forværring; alt andet er "
     "uændret). PGIC efter sit bånd: »meget eller en hel del bedre« er forbedret."),
    ("Ikke-besvarere", "Patienter, der skulle have svaret, men mangler baseline eller "
     "opfølgningssvar (eller scoren kan ikke beregnes). De tælles og vises, og andelene regnes "
     "af dem med begge svar; de regnes aldrig som uændrede."),
    ("Konfidensinterval", "95 % Wilson-interval for andelen."),
    ("Små tal", "Antal fra 1 til 4 vises som »<5«, og de andele, de ville afsløre, vises ikke. "
     "Skjules ét tal i en opdeling, skjules det næstmindste også, så det ikke kan regnes ud "
     "fra totalen."),
)


# --------------------------------------------------------------------------------------------
# Intervals and small counts
# --------------------------------------------------------------------------------------------


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes of n (NaN, NaN for n = 0)."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if k <= 0 else max(0.0, centre - half)  # exact at the ends (no 1e-19)
    high = 1.0 if k >= n else min(1.0, centre + half)
    return (low, high)


def wilson_columns(k: pd.Series, n: pd.Series, z: float = Z95) -> tuple[pd.Series, pd.Series]:
    """:func:`wilson` on whole columns (NaN where n is 0)."""
    kk = np.asarray(k, dtype=float)
    nn = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        nn = np.where(nn > 0, nn, np.nan)
        p = kk / nn
        denominator = 1 + z * z / nn
        centre = (p + z * z / (2 * nn)) / denominator
        half = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denominator
        low = np.where(kk <= 0, 0.0, np.clip(centre - half, 0.0, None))
        high = np.where(kk >= nn, 1.0, np.clip(centre + half, None, 1.0))
    missing = np.isnan(nn)
    low[missing] = np.nan
    high[missing] = np.nan
    return pd.Series(low, index=k.index), pd.Series(high, index=k.index)


def is_small(count: float | None) -> bool:
    """A count from 1 to 4: shown as "<5" (0 and unknown are not small)."""
    return count is not None and not pd.isna(count) and 0 < count < SUPPRESS_BELOW


def suppress_breakdown(counts: Sequence[float], keep: int | None = None) -> list[bool]:
    """Which cells of one breakdown (cells adding up to a shown total) to hide.

    Primary: every small count (1–4). Secondary: when exactly one cell is hidden, it could be
    worked out as the total minus the rest, so the smallest other non-zero cell is hidden too
    -- not the cell `keep` (the breakdown's main figure, e.g. "improved") while another can be.
    """
    hidden = [is_small(c) for c in counts]
    if sum(hidden) == 1:
        others = [(c, i) for i, c in enumerate(counts)
                  if not hidden[i] and c is not None and not pd.isna(c) and c > 0]
        preferred = [o for o in others if o[1] != keep] or others
        if preferred:
            hidden[min(preferred)[1]] = True
    return hidden


def share_frame(k: pd.Series, n: pd.Series) -> pd.DataFrame:
    """Columns k, n, share, low, high (Wilson) and hidden (a small k or n: not to be shown)."""
    k = k.fillna(0).astype(int)
    n = n.fillna(0).astype(int)
    low, high = wilson_columns(k, n)
    share = (k / n.where(n > 0)).astype(float)
    hidden = k.map(is_small) | n.map(is_small) | ((n - k).map(is_small) & (n > 0))
    return pd.DataFrame({"k": k, "n": n, "share": share, "low": low, "high": high,
                         "hidden": hidden.astype(bool)})


# --------------------------------------------------------------------------------------------
# Bands of patient characteristics
# --------------------------------------------------------------------------------------------


def _band(values: pd.Series, bands: Iterable[tuple[float, float, str]], *, upper_open: bool
          ) -> pd.Series:
    result = pd.Series(NO_VALUE, index=values.index, dtype=object)
    numbers = pd.to_numeric(values, errors="coerce")
    for lower, upper, label in bands:
        inside = (numbers >= lower) & ((numbers < upper) if upper_open else (numbers <= upper))
        result = result.mask(inside, label)
    return result


def age_band(age: pd.Series) -> pd.Series:
    return _band(age, AGE_BANDS, upper_open=False)


def duration_band(years: pd.Series) -> pd.Series:
    """PainData's bands: under 1, 1–3, 3–5, 5–10, over 10 years (lower limit inclusive)."""
    return _band(years, DURATION_BANDS, upper_open=True)


def _labels(values: pd.Series, labels: Mapping[str, str]) -> pd.Series:
    """Danish labels for stored values (an unknown value as itself, none as NO_VALUE)."""
    values = values.astype(object)
    mapped = values.map(dict(labels)).astype(object)
    fallback = values.where(values.notna(), NO_VALUE).astype(object)
    return mapped.where(mapped.notna(), fallback)


def severity_code(code: str) -> str:
    """The instrument whose baseline band says how severe a patient is, for `code`: its own
    cut-off bands when it has any and is asked at baseline, else pain intensity (average)."""
    inst = pro.INSTRUMENTS[code]
    return code if inst.bands and has_baseline(code) else SEVERITY_FALLBACK


def severity_band(scores: pd.Series, code: str) -> pd.Series:
    """The registry band label of each baseline score on `code` (NO_VALUE without a score).
    :func:`conference.pro.band_for` is asked once per distinct score."""
    labels = {v: (pro.band_for(code, v).label if pro.band_for(code, v) else NO_VALUE)
              for v in pd.unique(scores.dropna())}
    mapped = scores.map(labels).astype(object)
    return mapped.where(mapped.notna(), NO_VALUE)


# --------------------------------------------------------------------------------------------
# Change against the minimal important change
# --------------------------------------------------------------------------------------------


@cache
def _class_of_pair(code: str, baseline: float, current: float) -> str:
    change = pro.change(code, baseline, current)
    if change is not None and change.clinically_relevant:
        return IMPROVED if change.direction == "bedre" else WORSENED
    return UNCHANGED


@cache
def _class_of_global(code: str, score: float) -> str:
    band = pro.band_for(code, score)
    level = band.level if band is not None else None
    return {"green": IMPROVED, "red": WORSENED}.get(level, UNCHANGED)


def change_class(code: str, baseline: pd.Series, current: pd.Series) -> pd.Series:
    """Forbedret / Uændret / Forværret per patient by the registry's rule (pro.change); None
    where either score is missing. The rule is asked once per distinct pair of scores."""
    pairs = pd.DataFrame({"b": baseline.astype(float), "c": current.astype(float)})
    known = pairs.dropna()
    distinct = known.drop_duplicates()
    table = distinct.assign(
        cls=[_class_of_pair(code, b, c) for b, c in zip(distinct["b"], distinct["c"],
                                                          strict=True)]
    )
    merged = known.merge(table, on=["b", "c"], how="left")
    result = pd.Series(None, index=pairs.index, dtype=object)
    result.loc[known.index] = merged["cls"].to_numpy()
    return result.where(result.notna(), None)


def global_class(code: str, current: pd.Series) -> pd.Series:
    """A global impression of change (PGIC) classified by its band: green improved, red
    worsened, the rest unchanged; None where not answered."""
    values = current.astype(float)
    labels = {v: _class_of_global(code, v) for v in pd.unique(values.dropna())}
    return values.map(labels).astype(object).where(values.notna(), None)


def has_baseline(code: str) -> bool:
    return "baseline" in pro.INSTRUMENTS[code].timepoints


def outcome(scores: pd.DataFrame, code: str, timepoint: str = "afslutning") -> pd.Series:
    """Each patient's class on `code` at `timepoint` (None: not known)."""
    current = _column(scores, code, timepoint)
    if has_baseline(code):
        return change_class(code, _column(scores, code, "baseline"), current)
    return global_class(code, current)


def outcomes(scores: pd.DataFrame, timepoint: str = "afslutning") -> pd.DataFrame:
    """Every instrument's class at `timepoint` (columns: instrument codes asked then)."""
    return pd.DataFrame(
        {code: outcome(scores, code, timepoint) for code, inst in pro.INSTRUMENTS.items()
         if timepoint in inst.timepoints},
        index=scores.index,
    )


def _column(scores: pd.DataFrame, code: str, timepoint: str) -> pd.Series:
    name = f"{code}@{timepoint}"
    if name in scores.columns:
        return scores[name].astype(float)
    return pd.Series(np.nan, index=scores.index, dtype=float)


# --------------------------------------------------------------------------------------------
# Who was due to answer, and who did
# --------------------------------------------------------------------------------------------


def answered(scores: pd.DataFrame, timepoint: str) -> pd.Series:
    name = f"svar@{timepoint}"
    if name in scores.columns:
        return scores[name].fillna(False).astype(bool)
    return pd.Series(False, index=scores.index)


def reached_steps(events: pd.DataFrame) -> pd.DataFrame:
    """Per patient and standard step: reached (bool), done (bool), dropped (bool) and the first
    date at the step. Afspænding, Teleafspænding and Mindfulness are one step."""
    frame = events[events["code"].isin(STEP_OF_CODE.keys()) & events["status"].isin(REACHED)]
    frame = frame.assign(
        step=frame["code"].map(STEP_OF_CODE),
        done=frame["status"] == DONE,
        dropped=frame["status"] == DROPPED_OUT,
        first_date=pd.to_datetime(frame["first_date"]),
    )
    grouped = frame.groupby(["patient_id", "step"], sort=False).agg(
        done=("done", "any"), dropped=("dropped", "any"), first_date=("first_date", "min")
    )
    return grouped.reset_index()


def eligibility(patients: pd.DataFrame, events: pd.DataFrame, scores: pd.DataFrame
                ) -> dict[str, pd.Series]:
    """Who should have answered at each time point (see DEFINITIONS, "Svarprocent")."""
    index = patients.index
    steps = reached_steps(events)
    midway_ids = steps.loc[steps["step"] == "anden_opfoelgning", "patient_id"]
    ended = patients["discharged_on"].notna() | ~patients["active"].astype(bool)
    scores = scores.reindex(index)
    result = {
        "baseline": pd.Series(True, index=index),
        "midtvejs": pd.Series(index.isin(midway_ids), index=index),
        "afslutning": ended.copy(),
        "opfoelgning": ended.copy(),
    }
    return {
        tp: (due | answered(scores, tp)).astype(bool)
        for tp, due in result.items() if tp in pro.TIMEPOINTS
    }


def response_rates(scores: pd.DataFrame, eligible: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Per time point: eligible, answered, share with its Wilson interval."""
    rows = []
    for timepoint, due in eligible.items():
        given = answered(scores.reindex(due.index), timepoint) & due
        rows.append({"timepoint": timepoint, "label": pro.TIMEPOINTS[timepoint],
                     "k": int(given.sum()), "n": int(due.sum())})
    frame = pd.DataFrame(rows, columns=["timepoint", "label", "k", "n"])
    shares = share_frame(frame["k"], frame["n"])
    return pd.concat([frame[["timepoint", "label"]], shares], axis=1)


# --------------------------------------------------------------------------------------------
# 1. Completion
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    cohort: int
    completed: int
    dropped_out: int  # recorded as udgået on a standard step, not completed
    ended_otherwise: int  # the course ended without completion or a recorded drop-out
    in_course: int  # still in the course
    share: pd.Series  # one row of share_frame: completed of those whose course has ended

    @property
    def ended(self) -> int:
        return self.completed + self.dropped_out + self.ended_otherwise


def completion(patients: pd.DataFrame, events: pd.DataFrame) -> Completion:
    steps = reached_steps(events)
    index = patients.index
    completed_ids = steps.loc[(steps["step"] == LAST_STEP) & steps["done"], "patient_id"]
    dropped_ids = steps.loc[steps["dropped"] & ~steps["done"], "patient_id"]
    completed = pd.Series(index.isin(completed_ids), index=index)
    dropped = pd.Series(index.isin(dropped_ids), index=index) & ~completed
    ended = patients["discharged_on"].notna() | ~patients["active"].astype(bool)
    otherwise = ended & ~completed & ~dropped
    in_course = ~completed & ~dropped & ~otherwise
    n_ended = int((completed | dropped | otherwise).sum())
    share = share_frame(pd.Series([int(completed.sum())]), pd.Series([n_ended])).iloc[0]
    return Completion(
        cohort=len(index),
        completed=int(completed.sum()),
        dropped_out=int(dropped.sum()),
        ended_otherwise=int(otherwise.sum()),
        in_course=int(in_course.sum()),
        share=share,
    )


def funnel(patients: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per standard step in order: reached, completed, dropped out there, stopped after it
    (the course ended there without a drop-out: e.g. ended at a conference), still there,
    and the waiting time from referral (median, 25th and 75th percentile, days)."""
    steps = reached_steps(events)
    steps = steps[steps["patient_id"].isin(patients.index)]
    order = steps["step"].map(STEP_ORDER)
    furthest = steps.assign(order=order).groupby("patient_id")["order"].max()
    ended = patients["discharged_on"].notna() | ~patients["active"].astype(bool)
    referral = pd.to_datetime(patients["referral_date"])
    waits = (pd.to_datetime(steps["first_date"]) - steps["patient_id"].map(referral)).dt.days
    steps = steps.assign(wait=waits, order=order,
                         furthest=steps["patient_id"].map(furthest),
                         ended=steps["patient_id"].map(ended).fillna(False).astype(bool))
    rows = []
    for code, label in STANDARD_STEPS:
        at = steps[steps["step"] == code]
        last_here = at["furthest"] == at["order"]
        wait = at["wait"].dropna()
        rows.append({
            "step": code,
            "label": label,
            "reached": len(at),
            "completed": int(at["done"].sum()),
            "dropped_out": int((at["dropped"] & ~at["done"]).sum()),
            "stopped_after": int((last_here & at["ended"] & at["done"]
                                  & (code != LAST_STEP)).sum()),
            "in_progress": int((last_here & ~at["ended"]).sum()),
            "wait_n": len(wait),
            "wait_median": float(wait.median()) if len(wait) else math.nan,
            "wait_q1": float(wait.quantile(0.25)) if len(wait) else math.nan,
            "wait_q3": float(wait.quantile(0.75)) if len(wait) else math.nan,
        })
    return pd.DataFrame(rows)


def dropout_reasons(events: pd.DataFrame, *, other: str = "Anden eller ingen registreret "
                    "årsag") -> pd.DataFrame:
    """Why patients dropped out, where recorded: per step and reason, the number of patients.
    A reason given for fewer than 5 is put with the unrecorded ones (no rare free text leaves
    the screen)."""
    frame = events[events["status"] == DROPPED_OUT]
    frame = frame[frame["code"].isin(STEP_OF_CODE.keys())]
    frame = frame.assign(
        step=frame["code"].map(STEP_OF_CODE),
        reason=frame["note"].fillna("").astype(str).str.strip(),
    )
    frame = frame.drop_duplicates(["patient_id", "step", "reason"])
    counts = frame.groupby(["step", "reason"]).size().rename("count").reset_index()
    rare = (counts["count"] < SUPPRESS_BELOW) | (counts["reason"] == "")
    counts.loc[rare, "reason"] = other
    counts = counts.groupby(["step", "reason"], sort=False)["count"].sum().reset_index()
    counts["order"] = counts["step"].map(STEP_ORDER)
    counts["label"] = counts["step"].map(dict(STANDARD_STEPS))
    counts = counts.sort_values(["order", "count"], ascending=[True, False])
    return counts[["step", "label", "reason", "count"]].reset_index(drop=True)


def addons_taken(patients: pd.DataFrame, events: pd.DataFrame,
                 names: Mapping[str, str]) -> pd.DataFrame:
    """Per add-on (not a standard-course intervention): the patients who took it (reached it),
    and their share of the cohort, most taken first."""
    frame = events[~events["standard"].astype(bool) & events["status"].isin(REACHED)]
    frame = frame[frame["patient_id"].isin(patients.index)]
    counts = frame.drop_duplicates(["patient_id", "code"]).groupby("code").size()
    table = pd.DataFrame({"code": counts.index, "k": counts.to_numpy()})
    table["label"] = table["code"].map(lambda c: names.get(c, c))
    table["n"] = len(patients)
    shares = share_frame(table["k"], table["n"])
    result = pd.concat([table[["code", "label"]], shares], axis=1)
    return result.sort_values(["k", "label"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# 2. Effect
# --------------------------------------------------------------------------------------------


EFFECT_COLUMNS = [
    "code", "instrument", "domain", "timepoint", "label", "eligible", "both", "missing",
    "improved", "unchanged", "worsened", "share", "low", "high", "hidden",
    "share_unchanged", "share_worsened", "hidden_breakdown", "mean_change", "better",
]


def effect(scores: pd.DataFrame, eligible: Mapping[str, pd.Series],
           timepoints: Sequence[str] = ("afslutning", "midtvejs"),
           classes: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Per instrument (registry order) and follow-up time point: the patients eligible, those
    with both answers, the non-responders, and how many improved, were unchanged, worsened;
    the share improved with its Wilson interval, and the mean change (display scale) among
    those with both answers. PGIC (no baseline): its band at the time point."""
    rows = []
    for timepoint in timepoints:
        due = eligible.get(timepoint)
        if due is None:
            continue
        frame = scores.reindex(due.index)[due.to_numpy()]
        known = (classes or {}).get(timepoint)
        known = outcomes(frame, timepoint) if known is None else known.reindex(frame.index)
        for code, inst in pro.INSTRUMENTS.items():
            if timepoint not in inst.timepoints:
                continue
            cls = known[code]
            if has_baseline(code):
                base, current = _column(frame, code, "baseline"), _column(frame, code, timepoint)
                delta = ((current - base) * inst.display_factor)[cls.notna()]
                mean_change = float(delta.mean()) if len(delta) else math.nan
            else:
                mean_change = math.nan
            counts = cls.value_counts()
            row = {
                "code": code, "instrument": inst.short_name,
                "domain": DOMAINS.get(code, "Andet"), "timepoint": timepoint,
                "label": pro.TIMEPOINTS[timepoint], "eligible": len(frame),
                "both": int(cls.notna().sum()),
                "improved": int(counts.get(IMPROVED, 0)),
                "unchanged": int(counts.get(UNCHANGED, 0)),
                "worsened": int(counts.get(WORSENED, 0)),
                "mean_change": mean_change, "better": inst.better,
            }
            row["missing"] = row["eligible"] - row["both"]
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    shares = share_frame(table["improved"], table["both"])
    table = pd.concat([table, shares[["share", "low", "high"]]], axis=1)
    both = table["both"].where(table["both"] > 0)
    table["share_unchanged"] = table["unchanged"] / both
    table["share_worsened"] = table["worsened"] / both
    table["hidden_breakdown"] = [
        suppress_breakdown([i, u, w], keep=0)
        for i, u, w in zip(table["improved"], table["unchanged"], table["worsened"],
                           strict=True)
    ]
    table["hidden"] = table["hidden_breakdown"].map(lambda h: h[0]) | table["both"].map(is_small)
    return table[EFFECT_COLUMNS]


# --------------------------------------------------------------------------------------------
# 3. Perpetuating factors
# --------------------------------------------------------------------------------------------


def factor_crosstab(scores: pd.DataFrame, factors: Sequence[str] = FACTORS,
                    effects: Sequence[str] = EFFECTS, timepoint: str = "afslutning",
                    known: pd.DataFrame | None = None) -> pd.DataFrame:
    """Whether improvement in each perpetuating factor goes with improvement in function and
    in the global impression: for each factor and effect, among the patients with both known,
    those whose factor improved and those whose did not, and how many of each improved on the
    effect (count, share, Wilson interval)."""
    known = outcomes(scores, timepoint) if known is None else known
    classes = {c: known[c] for c in {*factors, *effects} if c in known.columns}
    rows = []
    for factor in factors:
        if factor not in classes:
            continue
        for eff in effects:
            if eff not in classes:
                continue
            known = classes[factor].notna() & classes[eff].notna()
            factor_better = classes[factor][known] == IMPROVED
            effect_better = classes[eff][known] == IMPROVED
            for value, label in ((True, "Forbedret"), (False, "Ikke forbedret")):
                group = factor_better == value
                rows.append({
                    "factor": factor, "factor_name": pro.INSTRUMENTS[factor].short_name,
                    "effect": eff, "effect_name": pro.INSTRUMENTS[eff].short_name,
                    "factor_improved": label, "k": int((effect_better & group).sum()),
                    "n": int(group.sum()),
                })
    table = pd.DataFrame(rows, columns=["factor", "factor_name", "effect", "effect_name",
                                        "factor_improved", "k", "n"])
    shares = share_frame(table["k"], table["n"])
    return pd.concat([table.drop(columns=["k", "n"]), shares], axis=1)


# --------------------------------------------------------------------------------------------
# 4. Who benefits
# --------------------------------------------------------------------------------------------

SUBGROUPS = ("Køn", "Alder", "Smertevarighed", "Arbejde og forsørgelse", "Sværhed ved baseline",
             "Tilvalg", "Mikroteam")


def subgroup_labels(patients: pd.DataFrame, scores: pd.DataFrame, code: str
                    ) -> dict[str, pd.Series]:
    """Each patient's level of every subgroup variable but the add-ons (several per patient)."""
    severity = severity_code(code)
    base = _column(scores.reindex(patients.index), severity, "baseline")
    return {
        "Køn": _labels(patients["sex"], SEX_LABEL),
        "Alder": age_band(patients["age"]),
        "Smertevarighed": duration_band(patients["pain_years"]),
        "Arbejde og forsørgelse": _labels(patients["work"], WORK_LABEL),
        "Sværhed ved baseline": severity_band(base, severity),
        "Mikroteam": patients["microteam"].where(patients["microteam"].notna(), NO_VALUE)
        .astype(object),
    }


def subgroups(patients: pd.DataFrame, scores: pd.DataFrame, events: pd.DataFrame,
              code: str, names: Mapping[str, str], timepoint: str = "afslutning",
              known: pd.DataFrame | None = None) -> pd.DataFrame:
    """The share improved on `code` per level of each subgroup variable: the patients in the
    cell, those with the outcome known (both answers), the improved, share and interval. The
    add-ons are one row per add-on taken (a patient can be in several) and "Intet tilvalg"."""
    if known is not None and code in known.columns:
        classes = known[code].reindex(patients.index)
    else:
        classes = outcome(scores.reindex(patients.index), code, timepoint)
    frame = pd.DataFrame({"known": classes.notna(), "improved": classes == IMPROVED},
                         index=patients.index)
    rows = []
    order = {}
    for variable, levels in subgroup_labels(patients, scores, code).items():
        grouped = frame.groupby(levels.to_numpy()).agg(
            patients=("known", "size"), n=("known", "sum"), k=("improved", "sum"))
        for level, values in grouped.iterrows():
            rows.append({"variable": variable, "level": level, **values.to_dict()})
        order[variable] = _level_order(variable, list(grouped.index))
    addons = events[~events["standard"].astype(bool) & events["status"].isin(REACHED)]
    addons = addons[addons["patient_id"].isin(patients.index)].drop_duplicates(
        ["patient_id", "code"])
    taken = addons.join(frame, on="patient_id")
    grouped = taken.groupby("code").agg(patients=("known", "size"), n=("known", "sum"),
                                        k=("improved", "sum"))
    for addon, values in grouped.iterrows():
        rows.append({"variable": "Tilvalg", "level": names.get(addon, addon), **values.to_dict()})
    without = frame[~frame.index.isin(addons["patient_id"])]
    rows.append({"variable": "Tilvalg", "level": NO_ADDON, "patients": len(without),
                 "n": int(without["known"].sum()), "k": int(without["improved"].sum())})
    table = pd.DataFrame(rows, columns=["variable", "level", "patients", "n", "k"])
    shares = share_frame(table["k"], table["n"])
    table = pd.concat([table[["variable", "level", "patients"]], shares], axis=1)
    table["hidden"] = table["hidden"] | table["patients"].map(is_small)
    rank = {v: i for i, v in enumerate(SUBGROUPS)}
    table["_v"] = table["variable"].map(rank)
    table["_l"] = [
        order.get(v, []).index(lv) if lv in order.get(v, []) else (999 if lv == NO_ADDON else 0)
        for v, lv in zip(table["variable"], table["level"], strict=True)
    ]
    table = table.sort_values(["_v", "_l", "k"], ascending=[True, True, False], kind="stable")
    return table.drop(columns=["_v", "_l"]).reset_index(drop=True)


def _level_order(variable: str, levels: list) -> list:
    """Bands in their natural order, "Ikke oplyst" last; the rest alphabetically."""
    natural = {
        "Alder": [b[2] for b in AGE_BANDS],
        "Smertevarighed": [b[2] for b in DURATION_BANDS],
        "Arbejde og forsørgelse": list(WORK_LABEL.values()),
        "Køn": list(SEX_LABEL.values()),
    }.get(variable)
    if variable == "Sværhed ved baseline":
        bands = [b.label for inst in pro.INSTRUMENTS.values() for b in inst.bands]
        natural = list(dict.fromkeys(bands))
    key = (lambda lv: (lv == NO_VALUE, natural.index(lv) if lv in natural else 99, str(lv))) \
        if natural else (lambda lv: (lv == NO_VALUE, 0, str(lv)))
    return sorted(levels, key=key)


def comparison_table(scores: pd.DataFrame, timepoint: str = "afslutning") -> pd.DataFrame:
    """For every instrument asked at `timepoint` and every baseline severity band (the band on
    :func:`severity_code` of the instrument): the patients with the outcome known (n), those
    improved (k), the share and its interval, and whether it must be hidden (small counts)."""
    rows = []
    for code, inst in pro.INSTRUMENTS.items():
        if timepoint not in inst.timepoints:
            continue
        severity = severity_code(code)
        bands = severity_band(_column(scores, severity, "baseline"), severity)
        classes = outcome(scores, code, timepoint)
        frame = pd.DataFrame({"band": bands, "known": classes.notna(),
                              "improved": classes == IMPROVED})
        frame = frame[frame["band"] != NO_VALUE]
        grouped = frame.groupby("band").agg(n=("known", "sum"), k=("improved", "sum"))
        for band, values in grouped.iterrows():
            rows.append({"code": code, "severity": severity, "band": band,
                         "k": int(values["k"]), "n": int(values["n"])})
    table = pd.DataFrame(rows, columns=["code", "severity", "band", "k", "n"])
    shares = share_frame(table["k"], table["n"])
    return pd.concat([table[["code", "severity", "band"]], shares], axis=1)


def comparable(table: pd.DataFrame, code: str, baselines: Mapping[str, float | None]
               ) -> pd.Series | None:
    """The row of :func:`comparison_table` for a patient whose baseline scores are
    `baselines` (instrument code -> score): the band of their baseline on the severity
    instrument of `code`. None when that baseline or its band is unknown."""
    severity = severity_code(code)
    score = baselines.get(severity)
    if score is None or pd.isna(score):
        return None
    band = pro.band_for(severity, score)
    if band is None:
        return None
    found = table[(table["code"] == code) & (table["band"] == band.label)]
    if found.empty:
        return pd.Series({"code": code, "severity": severity, "band": band.label, "k": 0,
                          "n": 0, "share": math.nan, "low": math.nan, "high": math.nan,
                          "hidden": False})
    return found.iloc[0]


# --------------------------------------------------------------------------------------------
# The yearly report's other tables
# --------------------------------------------------------------------------------------------


def characteristics(patients: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Table 1: the cohort at referral. Categorical rows (kind "count": k of n), continuous
    rows (kind "continuous": n answered, mean, SD, median, 25th and 75th percentile)."""
    n = len(patients)
    rows: list[dict] = [{"section": "Patienter", "label": "Antal", "kind": "count",
                         "k": n, "n": n}]

    def counts(section: str, labels: pd.Series, order: Sequence[str]) -> None:
        found = labels.value_counts()
        for level in [*order, *sorted(set(found.index) - set(order))]:
            if level in found.index:
                rows.append({"section": section, "label": level, "kind": "count",
                             "k": int(found[level]), "n": n})

    def continuous(section: str, label: str, values: pd.Series) -> None:
        values = pd.to_numeric(values, errors="coerce").dropna().astype(float)
        rows.append({
            "section": section, "label": label, "kind": "continuous", "n": len(values),
            "mean": float(values.mean()) if len(values) else math.nan,
            "sd": float(values.std()) if len(values) > 1 else math.nan,
            "median": float(values.median()) if len(values) else math.nan,
            "q1": float(values.quantile(0.25)) if len(values) else math.nan,
            "q3": float(values.quantile(0.75)) if len(values) else math.nan,
        })

    counts("Køn", _labels(patients["sex"], SEX_LABEL), list(SEX_LABEL.values()))
    continuous("Alder", "Alder ved henvisning, år", patients["age"])
    counts("Alder", age_band(patients["age"]), [b[2] for b in AGE_BANDS])
    continuous("Smertevarighed", "Smertevarighed, år", patients["pain_years"])
    counts("Smertevarighed", duration_band(patients["pain_years"]),
           [b[2] for b in DURATION_BANDS] + [NO_VALUE])
    counts("Arbejde og forsørgelse", _labels(patients["work"], WORK_LABEL),
           list(WORK_LABEL.values()) + [NO_VALUE])
    frame = scores.reindex(patients.index)
    for code, inst in pro.INSTRUMENTS.items():
        if has_baseline(code):
            label = f"{inst.short_name}" + (f" ({inst.unit})" if inst.unit else "")
            continuous("Baseline", label, _column(frame, code, "baseline") * inst.display_factor)
    table = pd.DataFrame(rows, columns=["section", "label", "kind", "k", "n", "mean", "sd",
                                        "median", "q1", "q3"])
    table["share"] = table["k"] / table["n"].where(table["n"] > 0)
    return table


def conference_figures(meetings: pd.DataFrame) -> pd.DataFrame:
    """The conference's own figures over the period, from one row per meeting (the columns of
    conference.minutes.MeetingStats): meetings held, cases per meeting, minutes per case,
    share carried over, next steps done by their due date."""
    m = meetings
    rows: list[dict] = []
    if m.empty:
        return pd.DataFrame([{"label": "Konferencer afholdt", "value": 0.0, "k": math.nan,
                              "n": math.nan}])
    cases = m["cases_on_agenda"].astype(float)
    timed = float(m["timed_cases"].sum())
    rows.append({"label": "Konferencer afholdt", "value": float(len(m))})
    rows.append({"label": "Sager til drøftelse pr. konference (gennemsnit)",
                 "value": float(cases.mean())})
    rows.append({"label": "Sager til orientering pr. konference (gennemsnit)",
                 "value": float(m["information"].astype(float).mean())})
    rows.append({"label": "Minutter pr. drøftet sag (brugt)",
                 "value": float(m["seconds_used"].sum()) / 60 / timed if timed else math.nan})
    rows.append({"label": "Minutter pr. drøftet sag (afsat)",
                 "value": float(m["budget_seconds"].sum()) / 60 / timed if timed else math.nan})
    rows.append({"label": "Sager over den afsatte tid", "k": float(m["over_budget"].sum()),
                 "n": timed})
    rows.append({"label": "Sager overført til næste konference",
                 "k": float(m["carried_over"].sum()), "n": float(cases.sum())})
    rows.append({"label": "Næste skridt besluttet", "value": float(m["actions"].sum())})
    rows.append({"label": "Næste skridt udført senest på fristen",
                 "k": float(m["done_on_time"].sum()), "n": float(m["actions_due"].sum())})
    table = pd.DataFrame(rows, columns=["label", "value", "k", "n"])
    has_share = table["n"].notna()
    shares = share_frame(table.loc[has_share, "k"], table.loc[has_share, "n"])
    table = table.join(shares[["share", "low", "high", "hidden"]])
    table["hidden"] = table["hidden"].fillna(False).astype(bool)
    return table


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """The evaluation of one cohort: the four parts and the yearly report's tables."""

    patients: pd.DataFrame
    events: pd.DataFrame
    scores: pd.DataFrame
    names: Mapping[str, str]  # intervention code -> Danish name
    completion: Completion
    funnel: pd.DataFrame
    dropout_reasons: pd.DataFrame
    addons: pd.DataFrame
    response: pd.DataFrame
    effect: pd.DataFrame
    factors: pd.DataFrame
    characteristics: pd.DataFrame
    conference: pd.DataFrame
    classes: Mapping[str, pd.DataFrame]  # time point -> each patient's class per instrument
    _subgroups: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.patients)

    def subgroups(self, code: str = "pdi", timepoint: str = "afslutning") -> pd.DataFrame:
        """Who benefits on `code` (made once per instrument and time point)."""
        key = (code, timepoint)
        if key not in self._subgroups:
            self._subgroups[key] = subgroups(self.patients, self.scores, self.events, code,
                                             self.names, timepoint, self.classes.get(timepoint))
        return self._subgroups[key]


def evaluate(patients: pd.DataFrame, events: pd.DataFrame, scores: pd.DataFrame,
             meetings: pd.DataFrame, names: Mapping[str, str]) -> Evaluation:
    scores = scores.reindex(patients.index)
    eligible = eligibility(patients, events, scores)
    classes = {tp: outcomes(scores, tp) for tp in ("afslutning", "midtvejs")}
    return Evaluation(
        patients=patients,
        events=events,
        scores=scores,
        names=names,
        completion=completion(patients, events),
        funnel=funnel(patients, events),
        dropout_reasons=dropout_reasons(events),
        addons=addons_taken(patients, events, names),
        response=response_rates(scores, eligible),
        effect=effect(scores, eligible, classes=classes),
        factors=factor_crosstab(scores, known=classes["afslutning"]),
        characteristics=characteristics(patients, scores),
        conference=conference_figures(meetings),
        classes=classes,
    )
