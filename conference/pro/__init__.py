"""PRO (patient-reported outcome) instruments: registry, scoring, cut-off bands, change, flags.

The instruments are data, not code: ``conference/data/instruments.toml``. The package is split
by concern, and every public name is re-exported here (``from conference import pro``;
``pro.score``, ``pro.INSTRUMENTS``, …):

* :mod:`conference.pro.registry` — loading and checking the registry file
  (:data:`INSTRUMENTS`, :data:`TIMEPOINTS`, :class:`Instrument`, :class:`RegistryError`);
* :mod:`conference.pro.scoring` — scale scores, cut-off bands, how a score is shown;
* :mod:`conference.pro.changes` — change against baseline, the minimal important change, and
  the flags for the board (named ``changes``: a module ``change`` would be shadowed by the
  function :func:`change` re-exported here).

Synthetic answers for the demo centre live in ``demo/pro_answers.py``, above the domain.
"""

from __future__ import annotations

from conference.pro.changes import (
    ATTENTION,
    NO_MIC,
    RELEVANT_CHANGE,
    Change,
    Flag,
    change,
    change_rule_text,
    flags,
    mic_text,
)
from conference.pro.registry import (
    DEFAULT_PATH,
    DIRECTIONS,
    INSTRUMENTS,
    LEVELS,
    TIMEPOINTS,
    Band,
    Instrument,
    ProValueError,
    RegistryError,
    Subscale,
    instruments_for_timepoint,
    load_instruments,
    load_timepoints,
)
from conference.pro.scoring import (
    NOT_ANSWERED,
    NOT_COMPUTABLE,
    band_for,
    display_bands,
    display_value,
    eq5d_index,
    format_score,
    missing_text,
    pcs_subscales,
    score,
    subscale_scores,
)

__all__ = [
    "ATTENTION",
    "Band",
    "Change",
    "DEFAULT_PATH",
    "DIRECTIONS",
    "Flag",
    "INSTRUMENTS",
    "Instrument",
    "LEVELS",
    "NOT_ANSWERED",
    "NOT_COMPUTABLE",
    "NO_MIC",
    "ProValueError",
    "RELEVANT_CHANGE",
    "RegistryError",
    "Subscale",
    "TIMEPOINTS",
    "band_for",
    "change",
    "change_rule_text",
    "display_bands",
    "display_value",
    "eq5d_index",
    "flags",
    "format_score",
    "instruments_for_timepoint",
    "load_instruments",
    "load_timepoints",
    "mic_text",
    "missing_text",
    "pcs_subscales",
    "score",
    "subscale_scores",
]
