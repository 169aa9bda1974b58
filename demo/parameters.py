"""The demo centre's numbers: size, calendar, and how often each thing happens.

Probabilities are per patient reaching the step; the group rhythm says when cohorts start.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_SEED = 2026
CENTRE_NAME = "Smertecenter Syd"
EMAIL_DOMAIN = "smertecenter-syd.example"
TZ = ZoneInfo("Europe/Copenhagen")

REFERRALS_PER_YEAR = 800
HISTORY_DAYS = 730  # referrals and conferences over the last two years
CONFERENCE_WEEKDAY = 2  # Wednesday
CONFERENCE_START = dt.time(9, 0)
CONFERENCE_MINUTES = 150
PREP_DAYS = 7  # a case is presented at the first conference at least a week after the event
CHUNK = 5000

DAY = dt.timedelta(days=1)


# Standard-course and add-on probabilities (per patient reaching the step).
P_CANCEL = 0.04  # an individual appointment is cancelled and rebooked
P_BASELINE = 0.90
P_MIDTVEJS = 0.70
# After treatment about a third do not answer (issue 15: 30-40 % non-response), those who
# dropped out far more often.
P_AFSLUTNING = 0.72
P_AFSLUTNING_DROPOUT = 0.35
P_OPFOELGNING = 0.30
P_PSYKOLOG_FOER = 0.04
P_HEAVY_LOAD = 0.35
P_END_AFTER_HEAVY_LOAD = 0.30
P_UNCERTAIN_NEED = 0.05
P_SOCIALRAADGIVER = 0.08
P_SOCIAL_QUESTION = 0.40
P_HOA = 0.50
P_FYSIOTERAPEUT = 0.07
P_SLOW_RESPONDER = 0.50
P_MEDICINSAMTALE = 0.05
P_PSYCH_BARRIERS = 0.06
P_CONCERN = 0.03
P_MANUAL = 0.015
P_CARRY_OVER = 0.03
P_SCORE_MISSING = 0.02

# The group interventions: (days between new cohorts at scale 1, weekday, start time). From
# scale 3 cohorts start twice as often; a full cohort always gets a parallel one.
GROUP_RHYTHM: dict[str, tuple[int, int, dt.time]] = {
    "forstaa_smerte": (7, 1, dt.time(13, 0)),
    "livet_med_smerter": (14, 0, dt.time(9, 0)),
    "afspaending": (14, 3, dt.time(9, 0)),
    "teleafspaending": (14, 1, dt.time(9, 30)),
    "mindfulness": (28, 3, dt.time(12, 30)),
    "helbred_og_arbejdsmarked": (56, 4, dt.time(9, 0)),
    "terapihold": (56, 0, dt.time(12, 30)),
    "nedtrapningshold": (56, 4, dt.time(12, 30)),
}
# The two therapists' professions per group intervention.
GROUP_THERAPISTS: dict[str, tuple[str, str]] = {
    "forstaa_smerte": ("sygeplejerske", "fysioterapeut"),
    "livet_med_smerter": ("sygeplejerske", "psykolog"),
    "afspaending": ("fysioterapeut", "sygeplejerske"),
    "teleafspaending": ("fysioterapeut", "sygeplejerske"),
    "mindfulness": ("psykolog", "sygeplejerske"),
    "helbred_og_arbejdsmarked": ("socialraadgiver", "socialraadgiver"),
    "terapihold": ("psykolog", "psykolog"),
    "nedtrapningshold": ("sygeplejerske", "laege"),
}
# Initials that read as something else on screen.
STRESS_OPTIONS = (("afspaending", 45), ("teleafspaending", 15), ("mindfulness", 40))

NEXT_CONFERENCE_CASES = (8, 11)  # cases on the next conference's agenda (6-12 in all)
NEXT_CONFERENCE_PENDING = (3, 6)  # due proposals left for "Sæt forslagene på dagsordenen"
P_CASE_QUESTION = 0.5
