"""The synthetic demo centre "Smertecenter Syd": staff, patients, courses, groups, PRO, conferences.

Deterministic from a seed and relative to `today`, so the demo always looks current: groups are
running this week, patients are found at every step of the standard course, every conference due
rule (conference/pathway.py) fires for a few active patients, and the next conference has its
agenda: 6-12 cases, about half of them prepared and most of those marked ready, with a few due
proposals still waiting for the leader.

How it is built (fast enough for scale 10, about 16,000 patients, in a few minutes on SQLite):

1. Staff and microteams (about 30 people, the same at every scale).
2. One simulation per patient, in referral order: the standard course of shared/DOMAIN.md with
   realistic gaps, add-ons, cancellations and drop-outs, cut at `today`: past steps are done, a
   running group is in progress, the next step is planned, nothing after it exists yet. Group
   steps take a place on a real cohort (a new cohort starts at a fixed rhythm; a parallel one
   opens when a cohort is full, so no group is ever over capacity). Conference presentations,
   decisions, PRO answers and concerns are made along the way.
3. Everything is then written with bulk Core inserts (ids assigned here, in dependency order),
   and PostgreSQL sequences are moved past the ids used.
4. The next conference's agenda and case preparation go through the app's services (agenda,
   cases), as the leader and the microteams would do it the week before; the moments those
   writes are stamped with are moved to working hours before `today`.

Only `random.Random` instances seeded from `seed` are used, in a fixed order, so the same seed
and `today` give the same data.

CLI: ``uv run python -m db.demo [--scale 10] [--seed N] [--reset] [--if-empty] [--today ISO]``.

Only on a database that is empty or already marked demo (the `demo` setting): on any other the
CLI stops with a Danish message and exit status 2 whatever its flags, and `build_demo` raises
DemoRefused; the flag itself is never set on a database holding patients other than the demo's
or staff with a password. `--reset` drops every table (Alembic down to base, which also drops
the triggers that keep the logs append-only, then up again): the only way log rows ever go, and
only on a demo database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Connection, Engine, Table, func, inspect, select, text
from sqlalchemy.orm import Session

from conference import pro
from conference.cpr import make_cpr
from db import audit_chain
from db.catalogue import sync_catalogue
from db.models import (
    ActionItem,
    AgendaItem,
    AgendaList,
    AgendaSource,
    Attendance,
    AuditLog,
    CasePresentation,
    Concern,
    Conclusion,
    Conference,
    ConferenceAttendance,
    CourseEvent,
    Enrolment,
    GroupFlag,
    GroupSession,
    GroupTherapist,
    Intervention,
    Microteam,
    MicroteamMember,
    Patient,
    PresentationTemplate,
    ProResponse,
    ProScore,
    Setting,
    Staff,
    StaffRole,
    TherapyGroup,
)

__all__ = [
    "DEFAULT_SEED",
    "DemoRefused",
    "DemoStats",
    "TEMPLATE_FIELDS",
    "build_demo",
    "ensure_demo",
    "main",
]

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


# --------------------------------------------------------------------------- real data is safe


class DemoRefused(Exception):
    """The database holds data that is not the demo's; str() says what (Danish)."""


#: tables whose rows make a database "not empty", with how the refusal names them
CONTENT_TABLES = (
    ("patient", "patienter"),
    ("staff", "medarbejdere"),
    ("audit_log", "auditlog"),
    ("security_event", "sikkerhedslog"),
    ("access_log", "adgangslog"),
)


def demo_refusal(connection: Connection) -> str | None:
    """Why the demo may not be built or reset here (Danish), or None: the database is empty
    (no patients, staff or log rows; not migrated counts as empty) or marked demo."""
    tables = set(inspect(connection).get_table_names())
    if "setting" in tables and connection.execute(
        text("SELECT value FROM setting WHERE key = 'demo'")
    ).scalar() == "1":
        return None
    found = [
        label for name, label in CONTENT_TABLES
        if name in tables
        and connection.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
    ]
    if not found:
        return None
    return (
        f"Databasen er ikke en demo-database og indeholder data ({', '.join(found)}). "
        "Demo-centret indlæses og nulstilles kun i en tom database eller i en, der allerede er "
        "en demo-database. Intet er ændret."
    )


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
RESERVED_INITIALS = frozenset({"WHO", "PRO", "CPR", "EPJ", "NRS", "PCS", "PDI", "ISI", "CFT"})
STRESS_OPTIONS = (("afspaending", 45), ("teleafspaending", 15), ("mindfulness", 40))

# The presentation template (DOMAIN.md): data, not code.
TEMPLATE_FIELDS: list[dict[str, Any]] = [
    {
        "key": "anledning",
        "label": "Anledning",
        "help": "Hvorfor patienten fremlægges, og mikroteamets spørgsmål til konferencen.",
        "required": True,
        "system": False,
    },
    {
        "key": "baggrund",
        "label": "Baggrund",
        "help": "Alder, køn, smertevarighed og -udbredning, diagnose (fx komplekse kroniske "
        "smerter, DR 52.2E), arbejds- og forsørgelsesgrundlag.",
        "required": True,
        "system": True,
    },
    {
        "key": "tre_p",
        "label": "3P",
        "help": "Grundlæggende (prædisponerende), udløsende og vedligeholdende faktorer.",
        "required": True,
        "system": False,
    },
    {
        "key": "forloeb",
        "label": "Forløb indtil nu",
        "help": "Gennemførte indsatser og fremmøde.",
        "required": False,
        "system": True,
    },
    {
        "key": "pro",
        "label": "PRO",
        "help": "Baseline sammenholdt med midtvejs- og afslutningsevaluering (udfyldes af "
        "systemet).",
        "required": False,
        "system": True,
    },
    {
        "key": "maal_udbytte",
        "label": "Patientens mål og udbytte",
        "help": "Mål, hvad patienten tager med fra forløbet, ændringer i hverdagen.",
        "required": True,
        "system": False,
    },
    {
        "key": "barrierer",
        "label": "Barrierer og tematikker",
        "help": "Fx medicin, søvn, psykologisk, socialt, arbejde, kommunikation, intimitet.",
        "required": False,
        "system": False,
    },
    {
        "key": "vurdering",
        "label": "Mikroteamets vurdering og forslag",
        "help": "Vurdering og forslag til næste skridt.",
        "required": True,
        "system": False,
    },
]

# --------------------------------------------------------------------------- names and texts

FEMALE_FIRST = (
    "Anne", "Kirsten", "Mette", "Hanne", "Anna", "Helle", "Susanne", "Lene", "Maria", "Marianne",
    "Lone", "Camilla", "Pia", "Louise", "Charlotte", "Tina", "Gitte", "Bente", "Jette", "Karen",
    "Inge", "Julie", "Emma", "Ida", "Sofie", "Line", "Birgitte", "Christina", "Rikke", "Heidi",
    "Trine", "Laura", "Tanja", "Dorthe", "Ulla", "Lise", "Janne", "Maja", "Nanna", "Signe",
    "Malene", "Katrine", "Karina", "Stine", "Sanne", "Winnie", "Henriette", "Anja", "Eva", "Else",
    "Cecilie", "Mathilde", "Freja", "Caroline", "Josefine", "Sara", "Pernille", "Vibeke",
    "Grethe", "Merete", "Annette", "Jytte", "Lisbeth", "Ditte", "Mia", "Amalie",
)
MALE_FIRST = (
    "Peter", "Jens", "Michael", "Lars", "Henrik", "Thomas", "Søren", "Jan", "Christian",
    "Martin", "Niels", "Anders", "Morten", "Jesper", "Mads", "Jørgen", "Hans", "Per", "Rasmus",
    "Ole", "Kim", "Mikkel", "Frederik", "Kasper", "Jakob", "Bent", "Poul", "Brian", "Carsten",
    "Torben", "Steen", "Allan", "John", "Kenneth", "Flemming", "Erik", "Claus", "Jacob", "Simon",
    "Bo", "Kristian", "Lasse", "Nicolai", "Dennis", "Kurt", "Johannes", "Emil", "Mathias",
    "Jonas", "Tobias", "Knud", "Finn", "Leif", "René", "Karsten", "Preben", "Bjarne", "Uffe",
    "Svend", "Tommy",
)
LAST_NAMES = (
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
    "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen",
    "Jacobsen", "Mikkelsen", "Olesen", "Frederiksen", "Laursen", "Henriksen", "Lund", "Schmidt",
    "Eriksen", "Holm", "Kristiansen", "Clausen", "Simonsen", "Svendsen", "Andreasen", "Iversen",
    "Jeppesen", "Mogensen", "Jespersen", "Nissen", "Lauridsen", "Frandsen", "Østergaard",
    "Jepsen", "Kjær", "Carlsen", "Vestergaard", "Jessen", "Nørgaard", "Dahl", "Christoffersen",
    "Skov", "Søndergaard", "Bertelsen", "Bruun", "Lassen", "Bach", "Gregersen", "Friis",
    "Johnsen", "Steffensen", "Kjeldsen", "Bech", "Krogh", "Lauritsen", "Danielsen", "Mathiesen",
    "Andresen", "Brandt", "Winther", "Toft", "Ravn", "Mathiasen", "Dam", "Holst", "Lind", "Berg",
    "Schou", "Overgaard", "Kristoffersen", "Schultz", "Klausen", "Karlsen", "Paulsen",
    "Hermansen", "Thorsen", "Koch", "Thygesen", "Bak", "Kruse", "Bang", "Juhl", "Davidsen",
    "Berthelsen", "Nygaard", "Lorentzen", "Villadsen", "Damgaard", "Bjerregaard", "Lange",
    "Hedegaard", "Bendtsen", "Justesen", "Juul", "Hald", "Beck", "Kofoed", "Søgaard", "Meyer",
    "Kjærgaard", "Riis", "Bonde", "Ibsen", "Fischer", "Bundgaard", "Eskildsen", "Kirkegaard",
)
# Frequent surnames are much more common: weight ~ 1 / (rank + 4).
LAST_NAME_WEIGHTS = tuple(1.0 / (rank + 4) for rank in range(len(LAST_NAMES)))
MIDDLE_NAMES = ("Holm", "Lund", "Juul", "Bach", "Skov", "Dahl", "Krogh", "Kjær", "Toft", "Ravn")

DIAGNOSES = (
    ("Komplekse kroniske smerter (DR 52.2E)", 78),
    ("Fibromyalgi (DM 79.7)", 7),
    ("Kroniske lænderygsmerter (DM 54.5)", 5),
    ("Kroniske smerter efter whiplash (DS 13.4)", 3),
    ("Kroniske postoperative smerter (DG 89.2)", 3),
    ("Neuropatiske smerter (DG 64.9)", 2),
    ("Kronisk hovedpine (DR 51.9)", 2),
)
PAIN_DISTRIBUTIONS = (
    ("Lænd og ben", 24),
    ("Generaliserede smerter", 20),
    ("Nakke og skuldre", 15),
    ("Lænd", 10),
    ("Nakke, skuldre og arme", 8),
    ("Hoved og nakke", 5),
    ("Bækken og hofter", 5),
    ("Knæ og ben", 4),
    ("Ryg og brystkasse", 4),
    ("Mave og bækken", 3),
    ("Hænder og arme", 2),
)
# PRO.md: pension 28-31 %, sick leave 19-21 %, other public support 19-23 %, normal hours 11-13 %.
# Everyone from 67 is on pension (about 12 % of the patients), so the weights below 67 are
# the targets divided by 0.88.
WORK_WEIGHTS_UNDER_67 = (
    ("pension", 20),
    ("sygemeldt", 23),
    ("anden_offentlig_ydelse", 24),
    ("fuld_tid", 13.5),
    ("nedsat_tid", 9),
    ("ledig", 6),
    ("studerende", 0),  # set by age below
)
WORK_TEXT = {
    "fuld_tid": "arbejder på normal tid",
    "nedsat_tid": "arbejder på nedsat tid",
    "sygemeldt": "sygemeldt",
    "pension": "pensionist",
    "studerende": "studerende",
    "ledig": "ledig",
    "anden_offentlig_ydelse": "anden offentlig forsørgelse (fx ressourceforløb eller jobafklaring)",
}

DEVELOPMENT_TOPICS = (
    "Søvn og kroniske smerter",
    "Opioidnedtrapning i praksis",
    "Motiverende samtale i mikroteamet",
    "ACT i gruppeforløb",
    "Hvordan forklarer vi central sensitisering?",
    "Samarbejde med jobcentret",
    "Kulturelle perspektiver på smerte",
    "Pårørendes rolle i forløbet",
    "Traumer og kroniske smerter",
    "Gradueret eksponering og fysisk aktivitet",
    "PRO i samtalen: dialogstøtte, ikke beslutningsstøtte",
    "Etiske dilemmaer ved afslutning af forløb",
    "Medicinafstemning og polyfarmaci",
    "Kommunikation om diagnoser",
    "Intimitet og samliv ved kroniske smerter",
    "Ny viden om kognitiv funktionel terapi",
    "Epikrisen: hvad har egen læge brug for?",
    "Roller og opgaver i mikroteamet",
    "Funktionelle lidelser og smerter",
    "Stress og smerte",
    "Unge voksne med kroniske smerter",
    "PainData-årsrapporten: hvad viser vores tal?",
    "Statusattester og samarbejde med kommunen",
    "Faglig refleksion: en svær sag",
)
STAFF_EXERCISES = ("Afspændingsøvelse", "Mindfulnessøvelse")

PREDISPOSING = (
    "Opvækst med omsorgssvigt",
    "Depression i ungdommen",
    "Mor med fibromyalgi",
    "Mange års fysisk hårdt arbejde",
    "Angst siden ungdommen",
    "Hypermobilitet",
    "Tidligere trafikulykke",
    "Høje krav til sig selv (perfektionisme)",
    "Ingen kendte prædisponerende faktorer",
)
PRECIPITATING = (
    "Arbejdsskade ved løft",
    "Trafikulykke med piskesmæld",
    "Operation i lænden",
    "Fald på arbejdet",
    "Fødsel",
    "Infektion efterfulgt af udbredte smerter",
    "Ingen klar udløsende faktor",
    "Skilsmisse og stor belastning på arbejdet",
)
PERPETUATING = (
    "dårlig søvn",
    "frygt for bevægelse",
    "katastrofetanker",
    "økonomisk usikkerhed og sagsforløb i kommunen",
    "højt forbrug af opioider",
    "social isolation",
    "inaktivitet",
    "konflikter på arbejdspladsen",
    "alt-eller-intet-mønster i hverdagen",
    "bekymring for alvorlig sygdom",
)
GOALS = (
    "at kunne gå en tur på 30 minutter dagligt",
    "at vende tilbage til arbejde på nedsat tid",
    "at sove bedre",
    "at bruge mindre smertestillende medicin",
    "at kunne lege med børnebørnene",
    "at få bedre balance mellem aktivitet og hvile",
    "at genoptage svømning",
    "at kunne passe haven igen",
)
TAKEAWAYS = (
    "Bruger vejrtrækningsøvelser dagligt.",
    "Har fået bedre forståelse af smertemekanismer.",
    "Planlægger dagen med pauser.",
    "Har genoptaget korte gåture.",
    "Har talt med arbejdspladsen om skånehensyn.",
    "Oplever mere ro og mindre grublerier.",
    "Har reduceret forbruget af hovedpinepiller.",
    "Har fået en fast døgnrytme.",
)
BARRIERS = (
    "Medicin: ønsker nedtrapning af opioider, men er bekymret for flere smerter.",
    "Søvn: vågner flere gange hver nat.",
    "Psykologisk: mange bekymringer og tristhed.",
    "Socialt: sagsforløb i kommunen fylder meget.",
    "Arbejde: uafklaret tilknytning til arbejdsmarkedet.",
    "Kommunikation: konflikter i familien om smerterne.",
    "Intimitet: smerterne påvirker samlivet.",
    "Ingen særlige barrierer.",
)
CONCERN_NOTES = (
    "Patienten virker mere trist og har aflyst flere gange – ønsker drøftelse.",
    "Øget medicinforbrug ifølge patienten – er planen fortsat rigtig?",
    "Patienten giver udtryk for håbløshed; bør drøftes i teamet.",
    "Tvivl om behandlingsbehov: store sociale problemer fylder mere end smerterne.",
    "Patienten har svært ved at deltage på holdet pga. smerter efter transporten.",
    "Pårørende har henvendt sig med bekymring for patientens trivsel.",
)
MANUAL_QUESTIONS = (
    "Skal patienten tilbydes individuelle samtaler i stedet for hold?",
    "Er der behov for en medicinsk plan før Livet med smerter?",
    "Hvordan støtter vi bedst patienten i forhold til jobcentret?",
    "Skal der tages kontakt til egen læge om søvnmedicinen?",
)
MANUAL_REASONS = (
    "Tvivl om udbyttet af holdforløbet",
    "Øget medicinforbrug undervejs i forløbet",
    "Sygemeldingen er forlænget; jobcentret ønsker en udtalelse",
    "Søvnproblemer fylder mere end smerterne",
)
MANUAL_INFO_REASONS = (  # put on "til orientering" by a microteam
    "Medicinen er justeret efter aftale med egen læge",
    "Patienten er overgået til ressourceforløb i kommunen",
    "Patienten holder to ugers pause fra holdet på grund af en planlagt operation",
)

# The next conference: what the microteams ask the conference and propose (per due reason).
CASE_QUESTIONS: dict[str, tuple[str, ...]] = {
    "anden_opfoelgning": (
        "Kan forløbet afsluttes med afsluttende samtale og epikrise til egen læge?",
        "Skal patienten tilbydes Helbred og arbejdsmarked, før forløbet afsluttes?",
        "Er der behov for en medicinsamtale før afslutning?",
    ),
    "uafklaret_behandlingsbehov": (
        "Skal der lægges en medicinsk plan, før Livet med smerter starter?",
        "Er standardforløbet tilstrækkeligt, eller skal fysioterapeuten visitere til CFT?",
        "Skal søvnen behandles først?",
    ),
    "svaer_psykisk_belastning": (
        "Kan patienten profitere af holdforløb nu, eller skal psykiatrien vurdere først?",
        "Skal forløbet sættes i bero, mens patienten får forberedende psykologsamtaler?",
    ),
    "socialfagligt_spoergsmaal": (
        "Er patienten i målgruppen for Helbred og arbejdsmarked med et ressourceforløb i gang?",
        "Skal statusattesten (LÆ125) besvares nu eller efter forløbet?",
    ),
    "cft_langsom_responder": (
        "Skal CFT starte nu, eller afventer vi Anden opfølgning?",
        "Er CFT fortsat relevant, når Afspænding har givet god effekt?",
    ),
    "psykologiske_barrierer": (
        "Skal patienten henvises til visitationssamtale hos psykolog?",
        "Terapihold eller individuelle samtaler hos psykolog?",
    ),
    "bekymring": (
        "Er planen fortsat den rigtige, eller skal vi stoppe op?",
        "Skal egen læge inddrages nu?",
    ),
}
CASE_PROPOSALS: dict[str, tuple[str, ...]] = {
    "anden_opfoelgning": (
        "Godt udbytte af forløbet og egne redskaber til hverdagen. Vi foreslår afsluttende "
        "samtale med PAL-læge og kontaktsygeplejerske og epikrise til egen læge.",
        "Delvist udbytte; arbejdsmarkedet er uafklaret. Vi foreslår Helbred og arbejdsmarked "
        "og derefter afsluttende samtale.",
        "Har fået mere ro, men sover fortsat dårligt. Vi foreslår en individuel samtale om "
        "søvn før afslutning.",
    ),
    "uafklaret_behandlingsbehov": (
        "Vi vurderer, at medicinforbruget skal afklares først: medicinsamtale hos PAL-læge, "
        "derefter Livet med smerter som planlagt.",
        "Standardforløbet ser ud til at passe; vi foreslår supplerende fysioterapeutisk "
        "visitation parallelt.",
    ),
    "svaer_psykisk_belastning": (
        "Vi foreslår 2–3 forberedende samtaler hos psykolog, før patienten starter på hold.",
        "Patienten er for belastet til holdforløb nu. Vi foreslår afslutning med anbefaling "
        "om psykiatrisk vurdering via egen læge.",
    ),
    "socialfagligt_spoergsmaal": (
        "Socialrådgiveren vurderer, at patienten er i målgruppen; vi foreslår tilmelding til "
        "næste hold Helbred og arbejdsmarked.",
        "Vi foreslår, at statusattesten besvares nu af PAL-læge og socialrådgiver.",
    ),
    "cft_langsom_responder": (
        "Vi foreslår opstart af CFT hos fysioterapeuten inden for tre uger.",
        "Bevægeangsten fylder fortsat; vi foreslår CFT efter Anden opfølgning.",
    ),
    "psykologiske_barrierer": (
        "Vi foreslår visitationssamtale hos psykolog med henblik på Terapihold.",
        "Vi foreslår individuelle samtaler hos psykolog frem for hold.",
    ),
    "bekymring": (
        "Vi foreslår en ekstra samtale med kontaktsygeplejersken og fortsat forløb som planlagt.",
        "Vi foreslår kontakt til egen læge og en medicinsamtale, før holdet fortsætter.",
    ),
    "manuel": (
        "Vi foreslår individuelle samtaler i en periode og derefter at genoptage holdet.",
        "Vi foreslår en medicinsamtale hos PAL-læge og kontakt til egen læge.",
    ),
}
EARLY_TAKEAWAYS = (
    "Har endnu ikke deltaget i hold; motiveret for at komme i gang.",
    "Har set introvideoen og deltaget i Forstå smerte; vil gerne lære at planlægge dagen.",
    "Forløbet er lige begyndt; ønsker redskaber til at håndtere smerterne.",
)
NEXT_CONFERENCE_CASES = (8, 11)  # cases on the next conference's agenda (6-12 in all)
NEXT_CONFERENCE_PENDING = (3, 6)  # due proposals left for "Sæt forslagene på dagsordenen"
P_CASE_QUESTION = 0.5
GROUP_FLAG_NOTES = (
    "Har haft flere fravær – kontaktsygeplejersken kontakter patienten.",
    "Virker presset på holdet og taler meget om smerterne; ønsker sparring.",
    "Har svært ved at sidde stille i 2½ time – kan vi tilpasse?",
    "Giver udtryk for, at holdet ikke passer til hende/ham.",
)
GROUP_LEVEL_NOTES = (
    "Holdet fungerer godt; flere ønsker mere om søvn.",
    "Mange afbud på holdet i denne uge (sygdom).",
    "Lokalet er for lille til holdet – obs. ved næste opstart.",
)
HANDOVER_NOTES = (
    "Deltog aktivt; god effekt af vejrtrækningsøvelser.",
    "Har brug for gentagelse af pacing-principperne ved opfølgningen.",
    "Stille på holdet; tal gerne om udbyttet ved opfølgningen.",
    "Oplever mere ro; ønsker at fortsætte med øvelserne hjemme.",
)

DECISION_TEXT = {
    "fortsaet_standardforloeb": "Fortsætter standardforløbet som planlagt.",
    "afsluttende_samtale": "Standardforløbet er gennemført. Afsluttende samtale bookes med "
    "PAL-læge og kontaktsygeplejerske; epikrise til egen læge.",
    "helbred_og_arbejdsmarked": "Tilmeldes Helbred og arbejdsmarked ved socialrådgiver.",
    "cft": "Opstart af kognitiv funktionel terapi (CFT) ved fysioterapeut.",
    "psykolog_visitation": "Henvises til visitationssamtale hos psykolog efter standardforløbet.",
    "terapihold": "Tilbydes Terapihold (ACT) ved psykolog.",
    "medicin": "Den medicinske plan justeres; medicinsamtale ved læge.",
    "nedtrapningshold": "Tilbydes Nedtrapningshold med henblik på nedtrapning af opioider.",
    "individuel_samtale": "Tilbydes individuel samtale om søvn og hverdagsliv.",
    "afslut_forloeb": "Forløbet afsluttes; patienten henvises tilbage til egen læge med "
    "anbefaling om psykiatrisk vurdering.",
}
# decision -> (action description, owner profession, owner role text, intervention code, days)
DECISION_ACTION = {
    "afsluttende_samtale": (
        "Book afsluttende samtale", "sekretaer", "sekretær", "afsluttende_samtale", 14
    ),
    "helbred_og_arbejdsmarked": (
        "Tilmeld Helbred og arbejdsmarked", "socialraadgiver", "socialrådgiver",
        "helbred_og_arbejdsmarked", 14,
    ),
    "cft": ("Book opstart af CFT", "fysioterapeut", "fysioterapeut", "cft", 14),
    "psykolog_visitation": (
        "Book visitationssamtale hos psykolog", "sekretaer", "sekretær", "psykolog_efter", 14
    ),
    "terapihold": ("Tilmeld Terapihold", "psykolog", "psykolog", "terapihold", 14),
    "medicin": ("Book medicinsamtale", "laege", "PAL-læge", "medicinsamtale", 14),
    "nedtrapningshold": (
        "Tilmeld Nedtrapningshold", "sygeplejerske", "sygeplejerske", "nedtrapningshold", 14
    ),
    "individuel_samtale": (
        "Book individuel samtale", "sekretaer", "sekretær", "individuel_samtale", 21
    ),
    "afslut_forloeb": ("Send epikrise til egen læge", "laege", "PAL-læge", None, 7),
}
REASON_TEXT = {
    "anden_opfoelgning": "Anden opfølgning gennemført: status og beslutning om videre forløb",
    "uafklaret_behandlingsbehov": "Uafklaret behandlingsbehov efter Lang primærsamtale",
    "svaer_psykisk_belastning": "Psykologvisitation: svær psykisk belastning",
    "socialfagligt_spoergsmaal": "Socialrådgiver ønsker sagen vendt / tvivl om inklusion",
    "cft_langsom_responder": "CFT, langsom responder: tidspunkt for CFT aftales",
    "psykologiske_barrierer": "Mistanke om psykologiske barrierer efter standardforløb",
    "bekymring": "Problemstilling rejst af personale",
    "manuel": "Tilføjet manuelt",
}
OCCASION_TEXT = {
    "anden_opfoelgning": "Status efter anden opfølgning. Mikroteamet ønsker konferencens "
    "drøftelse af det videre forløb.",
    "uafklaret_behandlingsbehov": "Uafklaret behandlingsbehov efter lang primærsamtale: er der "
    "behov for tillægsindsatser ud over standardforløbet?",
    "svaer_psykisk_belastning": "Psykologen fandt svær psykisk belastning ved visitationen: "
    "skal forløbet fortsætte, eller skal patienten henvises andetsteds?",
    "socialfagligt_spoergsmaal": "Socialrådgiveren ønsker sagen vendt: tvivl om inklusion i "
    "Helbred og arbejdsmarked.",
    "cft_langsom_responder": "Langsom responder ved fysioterapeutisk visitation: hvornår skal "
    "CFT starte nu, hvor Afspænding/Mindfulness er gennemført?",
    "psykologiske_barrierer": "Mistanke om psykologiske barrierer efter standardforløbet: "
    "skal patienten henvises til psykologvisitation?",
    "bekymring": "En medarbejder har rejst en bekymring: ",
    "manuel": "",
}
ASSESSMENT_TEXT = {
    "fortsaet_standardforloeb": "Mikroteamet foreslår, at standardforløbet fortsætter.",
    "afsluttende_samtale": "Mikroteamet vurderer, at patienten har fået udbytte og foreslår "
    "afsluttende samtale.",
    "helbred_og_arbejdsmarked": "Mikroteamet foreslår Helbred og arbejdsmarked.",
    "cft": "Mikroteamet foreslår opstart af CFT nu.",
    "psykolog_visitation": "Mikroteamet foreslår visitation hos psykolog.",
    "terapihold": "Mikroteamet foreslår Terapihold.",
    "medicin": "Mikroteamet foreslår en medicinsamtale med justering af planen.",
    "nedtrapningshold": "Mikroteamet foreslår Nedtrapningshold.",
    "individuel_samtale": "Mikroteamet foreslår en individuel samtale om søvn og hverdagsliv.",
    "afslut_forloeb": "Mikroteamet er i tvivl om, at forløbet er det rette nu, og foreslår "
    "afslutning med anbefalinger til egen læge.",
}

# PRO model: baseline mean and SD (raw scale) and how strongly the instrument responds.
PRO_MODEL: dict[str, tuple[float, float, float]] = {
    "nrs_avg": (6.5, 1.8, 0.9),
    "nrs_peak": (7.8, 1.6, 1.3),
    "pdi": (40.0, 13.0, 0.8),
    "pcs": (28.0, 11.0, 1.1),
    "hads_a": (9.2, 5.0, 0.6),
    "hads_d": (8.7, 4.7, 0.7),
    "isi": (16.0, 6.0, 0.6),
    "pseq": (22.0, 12.0, 1.0),
    "who5": (9.0, 5.0, 0.8),
    "eq5d_index": (0.50, 0.22, 0.7),
    "eq_vas": (45.0, 20.0, 0.7),
}
TIMEPOINT_EFFECT = {"baseline": 0.0, "midtvejs": 0.5, "afslutning": 1.0, "opfoelgning": 0.9}


# --------------------------------------------------------------------------- results


@dataclass
class DemoStats:
    """What `build_demo` wrote: rows per table, and how long it took."""

    counts: dict[str, int]
    seconds: float
    scale: float
    seed: int
    today: dt.date

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def format(self) -> str:
        def number(n: int) -> str:
            return f"{n:,}".replace(",", ".")

        width = max(len(name) for name in self.counts) if self.counts else 10
        scale = f"{self.scale:g}".replace(".", ",")
        lines = [
            f"Demo-centret {CENTRE_NAME} (skala {scale}, seed {self.seed}, "
            f"dato {self.today.isoformat()}):"
        ]
        lines += [f"  {name:<{width}}  {number(count):>9}" for name, count in self.counts.items()]
        seconds = f"{self.seconds:.1f}".replace(".", ",")
        lines.append(
            f"  {'i alt':<{width}}  {number(self.total_rows):>9} rækker på {seconds} s"
        )
        return "\n".join(lines)


# --------------------------------------------------------------------------- small helpers


def _closed(day: dt.date) -> bool:
    """The centre is closed between Christmas and New Year (24 December – 1 January)."""
    return (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    """The first `weekday` on or after `day` when the centre is open."""
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    while _closed(day):
        day += dt.timedelta(days=7)
    return day


def _workday(day: dt.date) -> dt.date:
    """The day itself, or the next weekday when the centre is open."""
    while day.weekday() >= 5 or _closed(day):
        day += DAY
    return day


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    total = sum(w for _, w in options)
    x = rng.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def _clip(value: float, lo: float, hi: float) -> float:
    return lo if value < lo else hi if value > hi else value


def _ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Copenhagen wall-clock time as an aware UTC datetime (SQLite keeps the wall clock of
    the value it is given and drops the offset, so store UTC there as everywhere else)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(dt.UTC)


class _Halt(Exception):  # noqa: N818 - control flow, not an error
    """The simulated main course stops here: a step is planned in the future, or it ended."""

    def __init__(self, kind: str, day: dt.date | None = None) -> None:
        super().__init__(kind)
        self.kind = kind  # "planned" | "dropout" | "ended" | "completed"
        self.day = day


# --------------------------------------------------------------------------- simulation records


@dataclass(eq=False)
class _Group:
    code: str
    intervention_id: int
    name: str
    dates: list[dt.date]
    minutes: list[int | None]
    labels: list[str | None]
    starts_at: list[dt.time]
    capacity: int
    online: bool
    therapists: tuple[int, int]
    slot: int
    parallel: int
    enrolled: int = 0
    id: int = 0
    session_ids: list[int] = field(default_factory=list)

    @property
    def start(self) -> dt.date:
        return self.dates[0]

    @property
    def end(self) -> dt.date:
        return self.dates[-1]


@dataclass(eq=False)
class _Event:
    code: str
    status: str
    planned: dt.date | None
    start: dt.date | None = None
    end: dt.date | None = None
    group: _Group | None = None
    staff: int | None = None
    finding: str | None = None
    note: str | None = None
    main: bool = True

    @property
    def day(self) -> dt.date | None:
        return self.end or self.start or self.planned


@dataclass(eq=False)
class _Enrolment:
    group: _Group
    status: str
    enrolled_on: dt.date
    attendance: list[str]
    handover_note: str | None = None
    id: int = 0


@dataclass(eq=False)
class _Presentation:
    conf: dt.date
    reason: str
    source: str = "regel"
    list: str = "droeftelse"
    status: str = "droeftet"
    question: str | None = None
    reason_detail: str | None = None
    decision: str | None = None
    carried_from: _Presentation | None = None
    added_by: int | None = None
    id: int = 0


@dataclass(eq=False)
class _Patient:
    idx: int
    id: int
    rng: random.Random
    rng_addon: random.Random
    rng_pro: random.Random
    first_name: str
    last_name: str
    sex: str
    birth_date: dt.date
    referral: dt.date
    cpr: str
    team: int
    pal: int
    nurse: int
    diagnosis: str
    pain_years: float
    distribution: str
    work: str
    status: str = "aktiv"
    discharged_on: dt.date | None = None
    events: list[_Event] = field(default_factory=list)
    enrolments: list[_Enrolment] = field(default_factory=list)
    pro: list[tuple[str, dt.date, list[tuple[str, list, float | None]]]] = field(
        default_factory=list
    )
    presentations: list[_Presentation] = field(default_factory=list)
    concerns: list[tuple[int, dt.date, str, dt.date | None]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # due reasons not yet presented
    dropped_on: dt.date | None = None
    severity: float = 0.0
    response: float = 0.0
    uniques: dict[str, float] = field(default_factory=dict)

    @property
    def age(self) -> int:
        return _age(self.birth_date, self.referral)


#: Who benefits (issue 15): the mean response to treatment shifts with the work situation and
#: the pain duration, so the evaluation's subgroups differ as clinics see (those in work and
#: with shorter pain benefit more; pension and long-standing pain less).
RESPONSE_BY_WORK = {
    "fuld_tid": 0.35, "nedsat_tid": 0.25, "studerende": 0.2, "sygemeldt": 0.0, "ledig": -0.05,
    "anden_offentlig_ydelse": -0.15, "pension": -0.25,
}


def _response_mean(work: str, pain_years: float) -> float:
    duration = 0.3 if pain_years < 1 else 0.15 if pain_years < 3 else -0.2 if pain_years > 10 \
        else 0.0
    return 0.45 + RESPONSE_BY_WORK.get(work, 0.0) + duration


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - int((on.month, on.day) < (birth.month, birth.day))


def _reason_codes(reason_text: str | None) -> list[str]:
    """The due reasons an agenda item's reason text names (the rules' own wording)."""
    from conference.pathway import REASON_TEXTS

    return [code for code, text in REASON_TEXTS.items()
            if code != "manuel" and text in (reason_text or "")]


def _topic(codes: Sequence[str], fallback: str) -> str:
    """What a case is mainly about: the first reason beyond the routine Anden opfølgning."""
    specific = [code for code in codes if code != "anden_opfoelgning"]
    return specific[0] if specific else codes[0] if codes else fallback


# --------------------------------------------------------------------------- group cohorts


class _GroupPlanner:
    """Cohorts of one group intervention: a new one starts every `cadence` days on a weekday;
    a parallel cohort opens when one is full, so capacity is never exceeded."""

    def __init__(
        self,
        intervention: dict[str, Any],
        cadence: int,
        weekday: int,
        starts_at: dt.time,
        horizon_start: dt.date,
        therapists: Callable[[int], tuple[int, int]],
    ) -> None:
        self.intervention = intervention
        self.code = intervention["code"]
        self.cadence = cadence
        self.anchor = _weekday_on_or_after(horizon_start, weekday)
        self.starts_at = starts_at
        self.therapists = therapists
        self.slots: dict[int, list[_Group]] = {}
        self.groups: list[_Group] = []

    def _slot(self, earliest: dt.date) -> int:
        return max(0, math.ceil((earliest - self.anchor).days / self.cadence))

    def enrol(self, earliest: dt.date) -> _Group:
        slot = self._slot(earliest)
        cohorts = self.slots.setdefault(slot, [])
        if not cohorts or cohorts[-1].enrolled >= cohorts[-1].capacity:
            cohorts.append(self._new_group(slot, len(cohorts) + 1))
        group = cohorts[-1]
        group.enrolled += 1
        return group

    def _new_group(self, slot: int, parallel: int) -> _Group:
        iv = self.intervention
        start = self.anchor + dt.timedelta(days=slot * self.cadence)
        n = iv["sessions"] or 1
        interval = dt.timedelta(days=iv["interval_days"] or 7)
        dates: list[dt.date] = []
        day = start
        for _ in range(n):
            while _closed(day):  # no sessions between Christmas and New Year
                day += dt.timedelta(days=7)
            dates.append(day)
            day += interval
        minutes: list[int | None] = [iv["session_minutes"]] * n
        labels: list[str | None] = [None] * n
        starts: list[dt.time] = [self.starts_at] * n
        if self.code == "mindfulness" and n >= 2:
            # MBSR: 9 weekly sessions and a 6-hour day of silence as the last one.
            minutes[-1] = 360
            labels[-1] = "Stilhedsdag"
            starts[-1] = dt.time(9, 0)
        year, week, _ = start.isocalendar()
        name = f"{iv['name']} – hold {year}-{week:02d}"
        if parallel > 1:
            name += f" ({parallel})"
        group = _Group(
            code=self.code,
            intervention_id=iv["id"],
            name=name,
            dates=dates,
            minutes=minutes,
            labels=labels,
            starts_at=starts,
            capacity=int(iv["capacity"] or 10),
            online=self.code == "teleafspaending",
            therapists=self.therapists(len(self.groups)),
            slot=slot,
            parallel=parallel,
        )
        self.groups.append(group)
        return group


# --------------------------------------------------------------------------- the builder


class _DemoBuilder:
    def __init__(self, session: Session, scale: float, seed: int, today: dt.date) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.session = session
        self.scale = scale
        self.seed = seed
        self.today = today
        self.rng = random.Random(seed)
        self.text_rng = random.Random(seed * 7919 + 17)
        self.upcoming = _weekday_on_or_after(today, CONFERENCE_WEEKDAY)
        last = self.upcoming - dt.timedelta(days=7)
        while _closed(last):
            last -= dt.timedelta(days=7)
        self.last_past = last
        self.first_conference = _weekday_on_or_after(
            today - dt.timedelta(days=HISTORY_DAYS), CONFERENCE_WEEKDAY
        )
        if self.first_conference >= today:  # pragma: no cover - HISTORY_DAYS is two years
            self.first_conference = self.upcoming
        # How many active patients each due reason should at least have around today (few: the
        # next conference's agenda is made from them, with a few left over).
        self.quota = max(2, round(2 * math.sqrt(scale)))
        self.quota_a2 = max(5, round(10 * math.sqrt(scale)))
        self.due: dict[str, int] = defaultdict(int)
        self.planned_count: dict[str, int] = defaultdict(int)
        self.next_ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.instruments = [pro.INSTRUMENTS[code] for code in sorted(pro.INSTRUMENTS)]

    # ------------------------------------------------------------------ dates and rules

    def conf_after(self, day: dt.date) -> dt.date:
        """The conference where an event on `day` is presented (after time to prepare)."""
        return _weekday_on_or_after(day + dt.timedelta(days=PREP_DAYS), CONFERENCE_WEEKDAY)

    def unpresented(self, day: dt.date) -> bool:
        """An event on `day` (before today) has not been presented at a past conference yet."""
        return self.conf_after(day) >= self.today

    def need(self, reason: str) -> bool:
        quota = self.quota_a2 if reason == "anden_opfoelgning" else self.quota
        return self.due[reason] < quota

    def _recent_workday(self, earliest: dt.date, rng: random.Random) -> dt.date | None:
        """A random workday before today, not before `earliest`, not yet presented."""
        lo = max(earliest, self.last_past - dt.timedelta(days=PREP_DAYS - 1))
        days = [
            lo + dt.timedelta(days=k)
            for k in range((self.today - lo).days)
            if (lo + dt.timedelta(days=k)).weekday() < 5 and not _closed(lo + dt.timedelta(days=k))
        ]
        return days[rng.randrange(len(days))] if days else None

    # ------------------------------------------------------------------ ids and writing

    def _next_id(self, table: Table) -> int:
        name = table.name
        if name not in self.next_ids:
            current = self.session.scalar(select(func.max(table.c.id))) or 0
            self.next_ids[name] = int(current) + 1
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def _ids(self, table: Table, n: int) -> range:
        first = self._next_id(table)
        self.next_ids[table.name] = first + n
        return range(first, first + n)

    def _write(self, model: Any, rows: list[dict[str, Any]]) -> None:
        table: Table = model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        if not rows:
            return
        if self.session.get_bind().dialect.driver == "psycopg" and len(rows) > 100:
            self._copy(table, rows)
            return
        for start in range(0, len(rows), CHUNK):
            self.session.execute(table.insert(), rows[start : start + CHUNK])

    def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL (psycopg 3): COPY ... FROM STDIN, several times faster than inserts."""
        columns = list(rows[0])
        as_json = [isinstance(table.c[name].type, JSON) for name in columns]
        names = ", ".join(f'"{name}"' for name in columns)
        raw = self.session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
            f'COPY "{table.name}" ({names}) FROM STDIN'
        ) as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[name]) if is_json and row[name] is not None else row[name]
                        for name, is_json in zip(columns, as_json, strict=True)
                    ]
                )

    # ------------------------------------------------------------------ build

    def build(self) -> None:
        sync_catalogue(self.session)
        self.session.flush()
        self._load_catalogue()
        self._build_staff()
        self._build_planners()
        self._build_patients()
        self._simulate_all()
        self._write_staff()
        self._write_patients()
        self._write_groups()
        self._write_courses()
        self._write_pro()
        self._write_conferences()
        self._write_group_flags()
        self._write_settings_and_audit()
        self._fix_sequences()
        self._prepare_next_conference()

    def _load_catalogue(self) -> None:
        rows = self.session.execute(
            select(
                Intervention.id,
                Intervention.code,
                Intervention.name,
                Intervention.sessions,
                Intervention.session_minutes,
                Intervention.interval_days,
                Intervention.capacity,
                Intervention.standard_course,
            )
        ).all()
        self.iv: dict[str, dict[str, Any]] = {r.code: dict(r._mapping) for r in rows}
        missing = set(GROUP_RHYTHM) - set(self.iv)
        if missing:
            raise RuntimeError(f"intervention catalogue lacks {sorted(missing)}")

    # ------------------------------------------------------------------ staff

    def _build_staff(self) -> None:
        rng = random.Random(self.seed * 31 + 1)
        plan = [
            ("laege", ["Ledende overlæge", "Overlæge", "Overlæge", "Afdelingslæge",
                       "Afdelingslæge", "Speciallæge", "Læge"]),
            ("sygeplejerske", ["Klinisk sygeplejespecialist"] + ["Sygeplejerske"] * 7
             + ["Afdelingssygeplejerske"]),
            ("psykolog", ["Specialpsykolog", "Psykolog", "Psykolog", "Psykolog"]),
            ("fysioterapeut", ["Fysioterapeut"] * 4),
            ("socialraadgiver", ["Socialrådgiver"] * 3),
            ("sekretaer", ["Lægesekretær"] * 3),
        ]
        used_initials: set[str] = set()
        used_names: set[str] = set()
        staff: list[dict[str, Any]] = []
        ids = iter(self._ids(Staff.__table__, sum(len(t) for _, t in plan)))
        for profession, titles in plan:
            for title in titles:
                while True:
                    female = rng.random() < (0.45 if profession == "laege" else 0.8)
                    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
                    last = rng.choices(LAST_NAMES, LAST_NAME_WEIGHTS)[0]
                    name = f"{first} {last}"
                    if name not in used_names:
                        break
                initials = self._initials(first, last, used_initials)
                used_names.add(name)
                used_initials.add(initials)
                staff.append(
                    {
                        "id": next(ids),
                        "initials": initials,
                        "name": name,
                        "profession": profession,
                        "title": title,
                        "email": f"{initials.lower()}@{EMAIL_DOMAIN}",
                        "password_hash": None,
                        "active": True,
                    }
                )
        self.staff_rows = staff
        by: dict[str, list[int]] = defaultdict(list)
        for s in staff:
            by[s["profession"]].append(s["id"])
        self.by_prof = by
        laeger, nurses, sekr = by["laege"], by["sygeplejerske"], by["sekretaer"]
        self.leaders = laeger[:3]
        self.referents = sekr + nurses[7:9]
        self.clinicians = [s["id"] for s in staff if s["profession"] != "sekretaer"]
        roles: list[dict[str, Any]] = []
        for s in staff:
            sid, prof = s["id"], s["profession"]
            wanted = []
            if sid in (laeger[0], sekr[0]):
                wanted.append("admin")
            if sid in self.leaders:
                wanted.append("moedeleder")
            if sid in self.referents:
                wanted.append("referent")
            if prof != "sekretaer":
                wanted.append("behandler")
            else:
                wanted.append("laeser")
            roles += [{"staff_id": sid, "role": r} for r in wanted]
        self.role_rows = roles

        # Microteams: a PAL-læge, a kontaktsygeplejerske and one or two of psykolog/fysioterapeut.
        psyk, fysio = by["psykolog"], by["fysioterapeut"]
        team_ids = list(self._ids(Microteam.__table__, 7))
        self.teams: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        for i, tid in enumerate(team_ids):
            pal, nurse = laeger[i], nurses[i]
            others = [psyk[i % 4], fysio[i % 4]] if i < 4 else [fysio[i % 4]]
            self.teams.append(
                {"id": tid, "name": f"Mikroteam {i + 1}", "pal": pal, "nurse": nurse,
                 "others": others}
            )
            members.append({"microteam_id": tid, "staff_id": pal, "function": "pal_laege"})
            members.append(
                {"microteam_id": tid, "staff_id": nurse, "function": "kontaktsygeplejerske"}
            )
            members += [{"microteam_id": tid, "staff_id": o, "function": "medlem"} for o in others]
        self.member_rows = members

    @staticmethod
    def _initials(first: str, last: str, used: set[str]) -> str:
        def plain(s: str) -> str:
            return s.upper().replace("Æ", "AE").replace("Ø", "OE").replace("Å", "AA")

        f, la = plain(first), plain(last)
        candidates = [f[0] + la[:2], f[:2] + la[0], f[0] + la[0] + la[-1], f[:2] + la[:2]]
        for c in candidates:
            if c not in used and c not in RESERVED_INITIALS:
                return c
        n = 2
        while f"{f[0]}{la[0]}{n}" in used:
            n += 1
        return f"{f[0]}{la[0]}{n}"

    # ------------------------------------------------------------------ groups

    def _build_planners(self) -> None:
        horizon = self.today - dt.timedelta(days=HISTORY_DAYS + 10)
        self.planners: dict[str, _GroupPlanner] = {}
        for code, (cadence, weekday, starts_at) in GROUP_RHYTHM.items():
            if self.scale >= 3:  # a big centre starts cohorts more often (and in parallel)
                cadence = max(7, cadence // 2)
            pa, pb = GROUP_THERAPISTS[code]
            pool_a, pool_b = self.by_prof[pa], self.by_prof[pb]

            def pick(n: int, a: list[int] = pool_a, b: list[int] = pool_b) -> tuple[int, int]:
                first = a[n % len(a)]
                second = b[(n * 3 + 1) % len(b)]
                if second == first:
                    second = b[(n * 3 + 2) % len(b)]
                return first, second

            self.planners[code] = _GroupPlanner(
                self.iv[code], cadence, weekday, starts_at, horizon, pick
            )

    # ------------------------------------------------------------------ patients

    def _build_patients(self) -> None:
        rng = random.Random(self.seed * 31 + 2)
        n = max(1, round(REFERRALS_PER_YEAR * 2 * self.scale))
        span = HISTORY_DAYS
        start = self.today - dt.timedelta(days=span)
        # A jittered grid: referrals spread evenly (every week has some), not clumped.
        offsets = sorted(min(span, int((k + rng.random()) * span / n)) for k in range(n))
        offsets[-1] = span  # the newest referral arrived today
        ids = self._ids(Patient.__table__, n)
        used_cpr: set[str] = set()
        patients: list[_Patient] = []
        for idx in range(n):
            referral = start + dt.timedelta(days=offsets[idx])
            female = rng.random() < 0.68
            sex = "K" if female else "M"
            mean, sd = (49, 15) if female else (52, 14)
            age_years = _clip(rng.gauss(mean, sd), 18, 90)
            birth = referral - dt.timedelta(days=int(age_years * 365.25))
            first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
            last = rng.choices(LAST_NAMES, LAST_NAME_WEIGHTS)[0]
            if rng.random() < 0.12:
                last = f"{rng.choice(MIDDLE_NAMES)} {last}"
            serial = rng.randrange(1_000_000)
            cpr = make_cpr(birth, sex, serial)
            while cpr in used_cpr:
                serial += 1
                cpr = make_cpr(birth, sex, serial)
                if serial % 400 == 0:  # candidates for this date ran out: nudge the date
                    birth -= DAY
            used_cpr.add(cpr)
            age = _age(birth, referral)
            years = _clip(rng.gauss(10, 10), 0.5, max(0.5, age - 12))
            years = round(years * 2) / 2
            if age >= 67:
                work = "pension"
            else:  # students are young: more of them under 36, none above
                weights = [
                    (w, (15 if age <= 35 else 0) if w == "studerende" else weight)
                    for w, weight in WORK_WEIGHTS_UNDER_67
                ]
                work = _weighted(rng, weights)
            team = self.teams[rng.randrange(len(self.teams))]
            base = (self.seed * 1_000_003 + idx) * 3
            patients.append(
                _Patient(
                    idx=idx,
                    id=ids[idx],
                    rng=random.Random(base),
                    rng_addon=random.Random(base + 1),
                    rng_pro=random.Random(base + 2),
                    first_name=first,
                    last_name=last,
                    sex=sex,
                    birth_date=birth,
                    referral=referral,
                    cpr=cpr,
                    team=team["id"],
                    pal=team["pal"],
                    nurse=team["nurse"],
                    diagnosis=_weighted(rng, DIAGNOSES),
                    pain_years=years,
                    distribution=_weighted(rng, PAIN_DISTRIBUTIONS),
                    work=work,
                )
            )
        self.patients = patients
        self.team_by_id = {t["id"]: t for t in self.teams}

    # ------------------------------------------------------------------ the course

    def _simulate_all(self) -> None:
        for p in self.patients:
            self._simulate(p)
            if p.status == "aktiv":
                for reason in sorted(set(p.pending)):
                    self.due[reason] += 1
            for ev in p.events:
                if ev.status == "planlagt":
                    self.planned_count[ev.code] += 1

    def _team_member(self, p: _Patient, profession: str, rng: random.Random) -> int:
        team = self.team_by_id[p.team]
        for sid in team["others"]:
            if sid in self.by_prof[profession]:
                return sid
        pool = self.by_prof[profession]
        return pool[rng.randrange(len(pool))]

    def _simulate(self, p: _Patient) -> None:  # noqa: C901 - one course, step by step
        r, ra, today = p.rng, p.rng_addon, self.today
        p.severity = r.gauss(0, 1)
        p.response = r.gauss(_response_mean(p.work, p.pain_years), 0.6)
        laeger = self.by_prof["laege"]
        state: dict[str, Any] = {"hoa": False, "slow": False, "vf": False, "cft": False}
        parallel: list[_Event] = []

        def add_parallel(
            code: str,
            start: dt.date,
            end: dt.date | None = None,
            staff: int | None = None,
            finding: str | None = None,
            note: str | None = None,
        ) -> _Event:
            end = end or start
            if start >= today:
                ev = _Event(code, "planlagt", start, staff=staff, main=False)
            elif end >= today:
                ev = _Event(code, "i_gang", start, start, None, staff=staff, main=False)
            else:
                ev = _Event(code, "gennemfoert", start, start, end, staff=staff,
                            finding=finding, note=note, main=False)
            parallel.append(ev)
            return ev

        def appt(
            code: str,
            day: dt.date,
            staff: int | None,
            *,
            drop_p: float = 0.0,
            cancellable: bool = True,
        ) -> _Event:
            """An individual appointment on the main line: done, or planned (and halt)."""
            day = _workday(day)
            while cancellable and day < today and r.random() < P_CANCEL:
                p.events.append(
                    _Event(code, "aflyst", day, staff=staff,
                           note="Aflyst af patienten – ny tid er booket.")
                )
                day = _workday(day + dt.timedelta(days=r.randint(7, 21)))
            if day >= today:
                p.events.append(_Event(code, "planlagt", day, staff=staff))
                raise _Halt("planned")
            if drop_p and r.random() < drop_p:
                p.events.append(
                    _Event(code, "udgaaet", day, staff=staff,
                           note="Mødte ikke op og ønsker ikke at fortsætte forløbet.")
                )
                raise _Halt("dropout", day)
            ev = _Event(code, "gennemfoert", day, day, day, staff=staff)
            p.events.append(ev)
            return ev

        def multi(code: str, start: dt.date, end: dt.date, staff: int | None) -> _Event:
            """A multi-session individual course on the main line."""
            start = _workday(start)
            if start >= today:
                p.events.append(_Event(code, "planlagt", start, staff=staff))
                raise _Halt("planned")
            if end >= today:
                ev = _Event(code, "i_gang", start, start, None, staff=staff)
            else:
                ev = _Event(code, "gennemfoert", start, start, end, staff=staff)
            p.events.append(ev)
            return ev

        def group(code: str, earliest: dt.date, enrolled_on: dt.date, drop_p: float) -> _Group:
            g = self.planners[code].enrol(earliest)
            if g.start >= today:
                p.events.append(_Event(code, "planlagt", g.start, g.start, g.end, group=g))
                p.enrolments.append(_Enrolment(g, "tilmeldt", enrolled_on, []))
                raise _Halt("planned")
            n_past = sum(1 for d in g.dates if d < today)
            drop_at = None
            if len(g.dates) > 1 and r.random() < drop_p:
                drop_at = r.randint(1, len(g.dates) - 1)
                if g.dates[drop_at] >= today:
                    drop_at = None  # would drop out later: not yet
            attendance = []
            for k in range(n_past):
                if drop_at is not None and k >= drop_at:
                    attendance.append("udeblevet" if k == drop_at else "afbud")
                    continue
                x = r.random()
                if len(g.dates) == 1:  # a one-off session (Forstå smerte) is rebooked if missed
                    x = 0.0
                attendance.append("moedt" if x < 0.88 else "afbud" if x < 0.95 else "udeblevet")
            if drop_at is not None:
                last = g.dates[drop_at - 1]
                p.events.append(
                    _Event(code, "udgaaet", g.start, g.start, last, group=g,
                           note="Udgået af holdet – ønsker ikke at fortsætte.")
                )
                p.enrolments.append(_Enrolment(g, "udgaaet", enrolled_on, attendance))
                raise _Halt("dropout", g.dates[drop_at])
            done = g.end < today
            status = "gennemfoert" if done else "i_gang"
            p.events.append(_Event(code, status, g.start, g.start, g.end, group=g))
            note = None
            if done and code != "forstaa_smerte" and r.random() < 0.2:
                note = HANDOVER_NOTES[r.randrange(len(HANDOVER_NOTES))]
            p.enrolments.append(
                _Enrolment(g, "gennemfoert" if done else "tilmeldt", enrolled_on, attendance,
                           note)
            )
            return g

        def present(day: dt.date, reason: str, **kw: Any) -> _Presentation | None:
            """Present at the first conference after `day`; None if that is still to come."""
            conf = self.conf_after(day)
            if conf >= today:
                p.pending.append(reason)
                return None
            pres = _Presentation(conf, reason, **kw)
            p.presentations.append(pres)
            if (
                pres.list == "droeftelse"
                and conf + dt.timedelta(days=7) < today
                and ra.random() < P_CARRY_OVER
            ):
                pres.status = "ikke_naaet"
                carried = _Presentation(
                    conf + dt.timedelta(days=7), reason, source="overfoert", list=pres.list,
                    question=pres.question, reason_detail=pres.reason_detail, carried_from=pres,
                )
                p.presentations.append(carried)
                return carried
            return pres

        R = p.referral
        baseline_day: dt.date | None = None
        lp_day: dt.date | None = None
        end_kind = "planned"
        end_day: dt.date | None = None
        try:
            # 3.1 Visitation within 48 hours.
            appt("visitation", R + dt.timedelta(days=r.randint(0, 2)),
                 laeger[r.randrange(len(laeger))], cancellable=False)
            kp_day = _workday(R + dt.timedelta(days=r.randint(21, 42)))
            invite = _workday(max(R + dt.timedelta(days=r.randint(1, 3)),
                                  kp_day - dt.timedelta(days=r.randint(14, 21))))
            # 3.2 Introvideo, sent with the invitation (and the baseline questionnaire).
            appt("introvideo", invite, None, cancellable=False)
            if p.rng_pro.random() < P_BASELINE:
                gap = max(1, (kp_day - invite).days - 1)
                answered = invite + dt.timedelta(days=p.rng_pro.randint(1, gap))
                if answered < today and answered < kp_day:
                    baseline_day = answered
                    self._pro(p, "baseline", answered)
            # 3.3 Kort primærsamtale.
            kp = appt("kort_primaersamtale", kp_day, p.pal, drop_p=0.03).day
            assert kp is not None
            fs_earliest = kp + dt.timedelta(days=14)

            # 4.3.1 Psychologist before the standard course.
            p_day = _workday(kp + dt.timedelta(days=ra.randint(7, 21)))
            natural = ra.random() < P_PSYKOLOG_FOER
            heavy_natural = ra.random() < P_HEAVY_LOAD
            force = (
                not natural
                and self.need("svaer_psykisk_belastning")
                and p_day < today
                and self.unpresented(p_day)
            )
            if natural or force:
                psyk = self._team_member(p, "psykolog", ra)
                ev = appt("psykolog_foer", p_day, psyk)
                fs_earliest = ev.day + dt.timedelta(days=7)
                if heavy_natural or force:
                    ev.finding = "svaer_psykisk_belastning"
                    ev.note = "Svær psykisk belastning – drøftes på tværfaglig konference."
                    pres = present(ev.day, "svaer_psykisk_belastning")
                    if pres is None:
                        fs_earliest = max(fs_earliest, self.upcoming + dt.timedelta(days=7))
                    else:
                        decided = pres.conf
                        if ra.random() < P_END_AFTER_HEAVY_LOAD:
                            pres.decision = "afslut_forloeb"
                            raise _Halt("ended", decided)
                        pres.decision = "fortsaet_standardforloeb"
                        fs_earliest = decided + dt.timedelta(days=7)

            # 3.4 Forstå smerte, 1-2 weeks before 3.5 Lang primærsamtale.
            fs = group("forstaa_smerte", fs_earliest, kp, 0.0)
            lp = appt("lang_primaersamtale", fs.start + dt.timedelta(days=r.randint(7, 14)),
                      p.pal, drop_p=0.02)
            lp_day = lp.day
            assert lp_day is not None
            if ra.random() < P_UNCERTAIN_NEED or (
                self.need("uafklaret_behandlingsbehov") and self.unpresented(lp_day)
            ):
                lp.finding = "uafklaret_behandlingsbehov"
                lp.note = "Uafklaret behandlingsbehov – ønskes drøftet på konferencen."
                pres = present(lp_day, "uafklaret_behandlingsbehov")
                if pres is not None:
                    pres.decision = _weighted(
                        ra, (("fortsaet_standardforloeb", 55), ("medicin", 25),
                             ("individuel_samtale", 20))
                    )
                    if pres.decision == "medicin":
                        add_parallel("medicinsamtale",
                                     _workday(pres.conf + dt.timedelta(days=ra.randint(7, 21))),
                                     staff=p.pal)
                    elif pres.decision == "individuel_samtale":
                        add_parallel("individuel_samtale",
                                     _workday(pres.conf + dt.timedelta(days=ra.randint(14, 28))),
                                     staff=p.nurse)

            # Add-ons decided at Lang primærsamtale (run alongside the standard course).
            s_day = _workday(lp_day + dt.timedelta(days=ra.randint(7, 28)))
            natural = ra.random() < P_SOCIALRAADGIVER
            social_natural = ra.random() < P_SOCIAL_QUESTION
            state["hoa"] = ra.random() < P_HOA
            force = (
                not natural
                and self.need("socialfagligt_spoergsmaal")
                and s_day < today
                and self.unpresented(s_day)
            )
            if natural or force:
                sr_pool = self.by_prof["socialraadgiver"]
                ev = add_parallel("visitation_socialraadgiver", s_day,
                                  staff=sr_pool[ra.randrange(len(sr_pool))])
                if ev.status == "gennemfoert" and (social_natural or force):
                    ev.finding = "socialfagligt_spoergsmaal"
                    ev.note = (
                        "Tvivl om inklusion i Helbred og arbejdsmarked – vendes på konferencen."
                    )
                    pres = present(s_day, "socialfagligt_spoergsmaal")
                    if pres is not None:
                        pres.decision = (
                            "helbred_og_arbejdsmarked" if state["hoa"]
                            else "fortsaet_standardforloeb"
                        )
            else:
                state["hoa"] = False

            f_day = _workday(lp_day + dt.timedelta(days=ra.randint(7, 21)))
            slow_natural = ra.random() < P_SLOW_RESPONDER
            cft_gap, cft_n = ra.randint(7, 14), ra.randint(6, 8)
            if ra.random() < P_FYSIOTERAPEUT:
                state["vf"] = True
                fys = self._team_member(p, "fysioterapeut", ra)
                ev = add_parallel("visitation_fysioterapeut", f_day,
                                  f_day + dt.timedelta(days=7), staff=fys)
                if ev.status == "gennemfoert":
                    if slow_natural:
                        state["slow"] = True
                        ev.finding = "cft_langsom_responder"
                        ev.note = "Langsom responder – CFT aftales på konferencen efter " \
                                  "Afspænding/Mindfulness."
                    else:
                        cs = _workday(f_day + dt.timedelta(days=7 + cft_gap))
                        add_parallel("cft", cs, cs + dt.timedelta(days=7 * (cft_n - 1)),
                                     staff=fys)
                        state["cft"] = True
            if ra.random() < P_MEDICINSAMTALE:
                add_parallel("medicinsamtale",
                             _workday(lp_day + dt.timedelta(days=ra.randint(14, 42))),
                             staff=p.pal if ra.random() < 0.6 else p.nurse)

            # 3.6 Livet med smerter, 3.7 Første opfølgning.
            lms = group("livet_med_smerter", lp_day + dt.timedelta(days=7), lp_day, 0.05)
            f1 = appt("foerste_opfoelgning", lms.end + dt.timedelta(days=r.randint(7, 14)),
                      p.nurse, drop_p=0.02).day
            assert f1 is not None

            # 3.8 Afspænding, Teleafspænding or Mindfulness, by the patient's choice.
            choice, earliest = self._choose_stress(f1, r)
            st = group(choice, earliest, f1, 0.06)

            # Midtvejsevaluering, reviewed at 3.9 Anden opfølgning.
            a2_day = _workday(st.end + dt.timedelta(days=r.randint(7, 14)))
            if (
                a2_day >= today
                and st.end + dt.timedelta(days=7) < today
                and self.need("anden_opfoelgning")
            ):
                # Cohorts end together; keep some Anden opfølgning in the last week or two.
                a2_day = self._recent_workday(st.end + dt.timedelta(days=7), ra) or a2_day
            if p.rng_pro.random() < P_MIDTVEJS:
                answered = a2_day - dt.timedelta(days=p.rng_pro.randint(2, 10))
                if answered < today:
                    self._pro(p, "midtvejs", answered)

            # 4.2.2 slow responders are due once the stress-reduction group is done.
            if (
                not state["vf"]
                and st.end < today
                and self.conf_after(a2_day) >= today
                and self.need("cft_langsom_responder")
            ):
                state["vf"] = state["slow"] = True
                fys = self._team_member(p, "fysioterapeut", ra)
                add_parallel("visitation_fysioterapeut", f_day, f_day + dt.timedelta(days=7),
                             staff=fys, finding="cft_langsom_responder",
                             note="Langsom responder – CFT aftales på konferencen efter "
                                  "Afspænding/Mindfulness.")
            slow_waiting = state["slow"] and not state["cft"]
            if slow_waiting and st.end < today and self.conf_after(a2_day) >= today:
                p.pending.append("cft_langsom_responder")

            a2 = appt("anden_opfoelgning", a2_day, p.nurse, drop_p=0.01)
            a2_day = a2.day
            assert a2_day is not None
            barriers = ra.random() < P_PSYCH_BARRIERS or (
                self.need("psykologiske_barrierer") and self.unpresented(a2_day)
            )
            if barriers:
                a2.finding = "psykologiske_barrierer"
                a2.note = "Mistanke om psykologiske barrierer – henvisning til psykolog drøftes."

            # 3.10 Tværfaglig konference.
            conf = self.conf_after(a2_day)
            if conf >= today:
                p.pending.append("anden_opfoelgning")
                if barriers:
                    p.pending.append("psykologiske_barrierer")
                p.events.append(_Event("tvaerfaglig_konference", "planlagt", self.upcoming))
                raise _Halt("planned")
            if barriers:
                reason = "psykologiske_barrierer"
            elif slow_waiting:
                reason = "cft_langsom_responder"
            else:
                reason = "anden_opfoelgning"
            if barriers:
                decision = "psykolog_visitation"
            elif slow_waiting:
                decision = "cft"
            elif state["hoa"]:
                decision = "helbred_og_arbejdsmarked"
            else:
                options: list[tuple[str, float]] = [
                    ("afsluttende_samtale", 72), ("medicin", 6), ("individuel_samtale", 5),
                    ("terapihold", 4), ("psykolog_visitation", 4), ("nedtrapningshold", 3),
                    ("helbred_og_arbejdsmarked", 2),
                ]
                if not state["cft"]:
                    options.append(("cft", 2))
                decision = _weighted(ra, options)
            plain = decision == "afsluttende_samtale" and reason == "anden_opfoelgning"
            listing = "orientering" if plain and ra.random() < 0.3 else "droeftelse"
            pres = present(a2_day, reason, list=listing)
            assert pres is not None
            pres.decision = decision
            decided = pres.conf
            p.events.append(
                _Event("tvaerfaglig_konference", "gennemfoert", decided, decided, decided)
            )

            # The conference's next steps, then 3.11 Afsluttende samtale.
            last = decided
            if decision == "psykolog_visitation":
                pe = appt("psykolog_efter", decided + dt.timedelta(days=r.randint(14, 35)),
                          self._team_member(p, "psykolog", ra)).day
                assert pe is not None
                last = pe
                if ra.random() < 0.4:
                    last = group("terapihold", pe + dt.timedelta(days=14), pe, 0.08).end
            elif decision in ("terapihold", "nedtrapningshold", "helbred_og_arbejdsmarked"):
                last = group(decision, decided + dt.timedelta(days=14), decided, 0.06).end
            elif decision == "cft":
                start = decided + dt.timedelta(days=r.randint(14, 28))
                n = r.randint(6, 8)
                multi("cft", start, start + dt.timedelta(days=7 * (n - 1)),
                      self._team_member(p, "fysioterapeut", ra))
                last = start + dt.timedelta(days=7 * (n - 1))
            elif decision == "medicin":
                start = decided + dt.timedelta(days=r.randint(7, 21))
                end = start + dt.timedelta(days=r.randint(28, 56))
                multi("medicinjustering", start, end, p.pal)
                last = end
            elif decision == "individuel_samtale":
                last = appt("individuel_samtale", decided + dt.timedelta(days=r.randint(14, 28)),
                            p.nurse).day or decided
            as_ = appt("afsluttende_samtale", last + dt.timedelta(days=r.randint(14, 35)),
                       p.pal).day
            raise _Halt("completed", as_)
        except _Halt as halt:
            end_kind, end_day = halt.kind, halt.day

        # How the course ended (if it has).
        if end_kind == "completed" and end_day is not None:
            p.status, p.discharged_on = "afsluttet", end_day
        elif end_kind in ("dropout", "ended") and end_day is not None:
            p.dropped_on = end_day
            discharge = _workday(end_day + dt.timedelta(days=r.randint(7, 14)))
            if discharge < today:
                p.status, p.discharged_on = "afsluttet", discharge
        stop = p.discharged_on or p.dropped_on
        for ev in parallel:
            start = ev.start or ev.planned
            if stop is not None and start is not None and start > stop:
                continue
            if stop is not None and ev.status in ("i_gang", "planlagt"):
                if ev.status == "planlagt":
                    continue
                ev.status, ev.end, ev.note = "udgaaet", stop, "Afbrudt, da forløbet sluttede."
            p.events.append(ev)

        # Concerns and manual additions raised during the course.
        if lp_day is not None and ra.random() < P_CONCERN:
            day = _workday(lp_day + dt.timedelta(days=ra.randint(0, 60)))
            if day < today and (stop is None or self.conf_after(day) <= stop):
                self._concern(p, day, ra)
        if p.status == "aktiv" and p.dropped_on is None and self.need("bekymring"):
            current = [e for e in p.events if e.status == "i_gang"]
            if current and "bekymring" not in p.pending:
                day = self._recent_workday(max(p.referral, today - dt.timedelta(days=6)), ra)
                if day is not None:
                    self._concern(p, day, ra)
        if lp_day is not None and ra.random() < P_MANUAL:
            day = _workday(lp_day + dt.timedelta(days=ra.randint(0, 50)))
            if day < today and (stop is None or self.conf_after(day) <= stop):
                question = MANUAL_QUESTIONS[ra.randrange(len(MANUAL_QUESTIONS))]
                pres = present(day, "manuel", source="manuel", question=question,
                               added_by=p.nurse)
                if pres is not None:
                    pres.decision = "fortsaet_standardforloeb"
                elif "manuel" in p.pending:
                    p.pending.remove("manuel")  # a manual item is not a due rule

        # PRO after the course.
        if p.status == "afsluttet" and p.discharged_on is not None:
            finished = p.discharged_on
            completed = end_kind == "completed"
            if p.rng_pro.random() < (P_AFSLUTNING if completed else P_AFSLUTNING_DROPOUT):
                answered = finished + dt.timedelta(days=p.rng_pro.randint(0, 21))
                if answered < today:
                    self._pro(p, "afslutning", answered)
            if completed and p.rng_pro.random() < P_OPFOELGNING:
                base = baseline_day or p.referral + dt.timedelta(days=30)
                later = base + dt.timedelta(days=int(_clip(p.rng_pro.gauss(200, 150), 60, 600)))
                answered = max(later, finished + dt.timedelta(days=p.rng_pro.randint(30, 90)))
                if answered < today:
                    self._pro(p, "opfoelgning", answered)

    def _choose_stress(self, f1: dt.date, r: random.Random) -> tuple[str, dt.date]:
        """The patient's choice and the earliest start. Near today an option nobody is waiting
        for is preferred (joining its next cohort), so every option has someone waiting."""
        pick = _weighted(r, STRESS_OPTIONS)
        earliest = f1 + dt.timedelta(days=7)
        if self.today - dt.timedelta(days=21) <= f1 < self.today:
            uncovered = [code for code, _ in STRESS_OPTIONS if self.planned_count[code] == 0]
            if uncovered:
                if pick not in uncovered:
                    pick = uncovered[0]
                self.planned_count[pick] += 1  # counted now so the next patient picks another
                earliest = max(earliest, self.today)
        return pick, earliest

    def _concern(self, p: _Patient, day: dt.date, ra: random.Random) -> None:
        team = self.team_by_id[p.team]
        raisers = [p.nurse, p.pal, *team["others"]]
        for enr in p.enrolments:
            raisers.extend(enr.group.therapists)
        raised_by = raisers[ra.randrange(len(raisers))]
        note = CONCERN_NOTES[ra.randrange(len(CONCERN_NOTES))]
        conf = self.conf_after(day)
        resolved = None
        if conf < self.today:
            pres = _Presentation(conf, "bekymring", reason_detail=note, added_by=raised_by)
            pres.decision = "fortsaet_standardforloeb"
            p.presentations.append(pres)
            resolved = conf
        elif p.status == "aktiv":
            p.pending.append("bekymring")
        p.concerns.append((raised_by, day, note, resolved))

    # ------------------------------------------------------------------ PRO

    def _pro(self, p: _Patient, timepoint: str, answered: dt.date) -> None:
        rng = p.rng_pro
        effect = TIMEPOINT_EFFECT.get(timepoint, 1.0)
        response = p.response - (0.3 if p.dropped_on else 0.0)
        scores: list[tuple[str, list, float | None]] = []
        for inst in self.instruments:
            if timepoint not in inst.timepoints:
                continue
            code = inst.code
            lo, hi = inst.score_min, inst.score_max
            worse = -1.0 if inst.direction == "higher_better" else 1.0
            if "baseline" not in inst.timepoints:
                # A global impression of change (PGIC): lower = better for "lower_better".
                mid, unit = (lo + hi) / 2, (hi - lo) / 6
                eff = response * effect + rng.gauss(0, 0.35)
                target = mid - worse * unit * 2.2 * eff
            else:
                mean, sd, mult = PRO_MODEL.get(code, ((lo + hi) / 2, (hi - lo) / 6, 0.7))
                if code not in p.uniques:
                    if code == "nrs_peak" and "nrs_avg" in p.uniques:
                        p.uniques[code] = 0.8 * p.uniques["nrs_avg"] + 0.6 * rng.gauss(0, 1)
                    else:
                        p.uniques[code] = rng.gauss(0, 1)
                base = mean + worse * sd * (0.6 * p.severity + 0.8 * p.uniques[code])
                if effect:
                    target = base - worse * sd * (mult * response * effect + rng.gauss(0, 0.35))
                else:
                    target = base
            target = _clip(target, lo, hi)
            items = pro.generate_items(code, target, rng)
            if rng.random() < P_SCORE_MISSING:
                n = len(items)
                blank = n - inst.min_answered + 1 if n > 1 else 1
                for k in rng.sample(range(n), min(n, blank)):
                    items[k] = None
            scores.append((code, items, pro.score(code, items)))
        p.pro.append((timepoint, answered, scores))

    # ------------------------------------------------------------------ writing: staff, patients

    def _write_staff(self) -> None:
        self._write(Staff, self.staff_rows)
        self._write(StaffRole, self.role_rows)
        self._write(Microteam, [{"id": t["id"], "name": t["name"]} for t in self.teams])
        self._write(MicroteamMember, self.member_rows)

    def _write_patients(self) -> None:
        rows = [
            {
                "id": p.id,
                "cpr": p.cpr,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "sex": p.sex,
                "birth_date": p.birth_date,
                "referral_date": p.referral,
                "status": p.status,
                "discharged_on": p.discharged_on,
                "microteam_id": p.team,
                "pal_laege_id": p.pal,
                "kontaktsygeplejerske_id": p.nurse,
                "diagnosis": p.diagnosis,
                "pain_duration_years": p.pain_years,
                "pain_distribution": p.distribution,
                "work_situation": p.work,
                "version": 1,
            }
            for p in self.patients
        ]
        self._write(Patient, rows)

    def _write_groups(self) -> None:
        groups = [g for code in GROUP_RHYTHM for g in self.planners[code].groups]
        groups.sort(key=lambda g: (g.start, g.code, g.parallel))
        self.groups = groups
        group_ids = self._ids(TherapyGroup.__table__, len(groups))
        g_rows, s_rows, t_rows = [], [], []
        session_ids = iter(self._ids(GroupSession.__table__, sum(len(g.dates) for g in groups)))
        for g, gid in zip(groups, group_ids, strict=True):
            g.id = gid
            g_rows.append(
                {
                    "id": gid,
                    "intervention_id": g.intervention_id,
                    "name": g.name,
                    "start_date": g.start,
                    "end_date": g.end,
                    "capacity": g.capacity,
                    "online": g.online,
                    "version": 1,
                }
            )
            for k, day in enumerate(g.dates):
                sid = next(session_ids)
                g.session_ids.append(sid)
                s_rows.append(
                    {
                        "id": sid,
                        "group_id": gid,
                        "number": k + 1,
                        "date": day,
                        "starts_at": g.starts_at[k],
                        "minutes": g.minutes[k],
                        "label": g.labels[k],
                    }
                )
            t_rows += [{"group_id": gid, "staff_id": sid} for sid in sorted(set(g.therapists))]
        self._write(TherapyGroup, g_rows)
        self._write(GroupSession, s_rows)
        self._write(GroupTherapist, t_rows)

        e_rows, a_rows = [], []
        enrolments = [e for p in self.patients for e in p.enrolments]
        e_ids = iter(self._ids(Enrolment.__table__, len(enrolments)))
        a_ids = iter(self._ids(Attendance.__table__, sum(len(e.attendance) for e in enrolments)))
        for p in self.patients:
            for e in p.enrolments:
                e.id = next(e_ids)
                e_rows.append(
                    {
                        "id": e.id,
                        "group_id": e.group.id,
                        "patient_id": p.id,
                        "status": e.status,
                        "enrolled_on": e.enrolled_on,
                        "handover_note": e.handover_note,
                        "version": 1,
                    }
                )
                for k, status in enumerate(e.attendance):
                    a_rows.append(
                        {
                            "id": next(a_ids),
                            "session_id": e.group.session_ids[k],
                            "enrolment_id": e.id,
                            "status": status,
                            "recorded_by_id": e.group.therapists[0],
                            "version": 1,
                        }
                    )
        self._write(Enrolment, e_rows)
        self._write(Attendance, a_rows)

    def _write_courses(self) -> None:
        iv = self.iv
        events = [(p, e) for p in self.patients for e in self._ordered_events(p)]
        ids = iter(self._ids(CourseEvent.__table__, len(events)))
        rows = [
            {
                "id": next(ids),
                "patient_id": p.id,
                "intervention_id": iv[e.code]["id"],
                "status": e.status,
                "planned_date": e.planned,
                "start_date": e.start,
                "end_date": e.end,
                "group_id": e.group.id if e.group else None,
                "staff_id": e.staff,
                "finding": e.finding,
                "note": e.note,
                "version": 1,
                # written up the afternoon it happened (a planned step: booked by today)
                "recorded_at": _at(min(e.day or self.today, self.today), 16),
            }
            for p, e in events
        ]
        self._write(CourseEvent, rows)

        concerns = [(p, c) for p in self.patients for c in p.concerns]
        c_ids = iter(self._ids(Concern.__table__, len(concerns)))
        self._write(
            Concern,
            [
                {
                    "id": next(c_ids),
                    "patient_id": p.id,
                    "raised_by_id": by,
                    "raised_on": day,
                    "note": note,
                    "resolved_on": resolved,
                    "recorded_at": _at(day, 14),
                }
                for p, (by, day, note, resolved) in concerns
            ],
        )

    @staticmethod
    def _ordered_events(p: _Patient) -> list[_Event]:
        def key(e: _Event) -> tuple[dt.date, int]:
            return (e.start or e.planned or dt.date.max, 0 if e.main else 1)

        return sorted(p.events, key=key)

    def _write_pro(self) -> None:
        responses = [(p, r) for p in self.patients for r in p.pro]
        r_ids = iter(self._ids(ProResponse.__table__, len(responses)))
        n_scores = sum(len(r[2]) for _, r in responses)
        s_ids = iter(self._ids(ProScore.__table__, n_scores))
        r_rows, s_rows = [], []
        for p, (timepoint, answered, scores) in responses:
            rid = next(r_ids)
            r_rows.append(
                {
                    "id": rid,
                    "patient_id": p.id,
                    "timepoint": timepoint,
                    "answered_on": answered,
                    "source": "PainData",
                }
            )
            for code, items, value in scores:
                s_rows.append(
                    {
                        "id": next(s_ids),
                        "response_id": rid,
                        "instrument": code,
                        "items": items,
                        "score": value,
                    }
                )
        self._write(ProResponse, r_rows)
        self._write(ProScore, s_rows)

    # ------------------------------------------------------------------ writing: conferences

    def _template_id(self) -> int:
        existing = self.session.scalar(
            select(PresentationTemplate.id).where(PresentationTemplate.version_no == 1)
        )
        if existing is not None:
            return int(existing)
        tid = self._next_id(PresentationTemplate.__table__)
        self._write(
            PresentationTemplate,
            [
                {
                    "id": tid,
                    "version_no": 1,
                    "fields": TEMPLATE_FIELDS,
                    "created_at": _at(self.first_conference - dt.timedelta(days=14), 10),
                    "created_by_id": self.leaders[0],
                }
            ],
        )
        return tid

    def _write_conferences(self) -> None:  # noqa: C901 - one pass over every conference
        rng = self.text_rng
        template_id = self._template_id()
        dates: list[dt.date] = []
        day = self.first_conference
        while day < self.today:
            if not _closed(day):
                dates.append(day)
            day += dt.timedelta(days=7)
        all_dates = [*dates, self.upcoming]
        conf_ids = dict(zip(all_dates, self._ids(Conference.__table__, len(all_dates)),
                            strict=True))

        by_conf: dict[dt.date, list[tuple[_Patient, _Presentation]]] = defaultdict(list)
        for p in self.patients:
            for pres in p.presentations:
                by_conf[pres.conf].append((p, pres))

        conf_rows, att_rows = [], []
        items: list[dict[str, Any]] = []
        cases: list[dict[str, Any]] = []
        conclusions: list[dict[str, Any]] = []
        actions: list[dict[str, Any]] = []
        next_agenda = self._next_id(AgendaItem.__table__)  # ids counted on below
        conclusion_id = self._next_id(Conclusion.__table__)
        action_id = self._next_id(ActionItem.__table__)
        case_id = self._next_id(CasePresentation.__table__)
        staff_ids = [s["id"] for s in self.staff_rows]

        for week, day in enumerate(all_dates):
            past = day < self.today
            leader = self.leaders[week % len(self.leaders)]
            referent = self.referents[week % len(self.referents)]
            start = _at(day, CONFERENCE_START.hour, CONFERENCE_START.minute)
            conf_rows.append(
                {
                    "id": conf_ids[day],
                    "date": day,
                    "starts_at": CONFERENCE_START,
                    "duration_minutes": CONFERENCE_MINUTES,
                    "status": "afsluttet" if past else "planlagt",
                    "leader_id": leader,
                    "referent_id": referent,
                    "development_topic": DEVELOPMENT_TOPICS[
                        (day.toordinal() // 7) % len(DEVELOPMENT_TOPICS)
                    ],
                    "staff_exercise": STAFF_EXERCISES[(day.toordinal() // 7) % 2],
                    "started_at": start if past else None,
                    "signed_off_at": start + dt.timedelta(minutes=CONFERENCE_MINUTES + 10)
                    if past else None,
                    "signed_off_by_id": leader if past else None,
                    "version": 1,
                }
            )
            if not past:
                continue
            present = set(rng.sample(staff_ids, rng.randint(20, min(28, len(staff_ids)))))
            present |= {leader, referent}
            att_rows += [{"conference_id": conf_ids[day], "staff_id": s} for s in sorted(present)]

            entries = sorted(
                by_conf.get(day, []),
                key=lambda e: (e[1].list != "droeftelse", e[0].id, e[1].reason),
            )
            seen: dict[int, _Presentation] = {}
            clock = start + dt.timedelta(minutes=45)  # after the holdkonference
            position = 0
            for p, pres in entries:
                if p.id in seen:  # one item per patient and conference: merge the reasons
                    first = seen[p.id]
                    extra = REASON_TEXT.get(pres.reason, pres.reason)
                    first.reason_detail = "; ".join(x for x in (first.reason_detail, extra) if x)
                    pres.id = first.id
                    continue
                seen[p.id] = pres
                position += 1
                pres.id = next_agenda
                next_agenda += 1
                budget = 600 if pres.list == "droeftelse" else 180
                discussed = pres.status == "droeftet"
                used = int(budget * _clip(rng.gauss(1.0, 0.3), 0.3, 2.0)) if discussed else None
                reason_text = REASON_TEXT.get(pres.reason, pres.reason)
                if pres.reason_detail:
                    reason_text += f" ({pres.reason_detail})"
                items.append(
                    {
                        "id": pres.id,
                        "conference_id": conf_ids[day],
                        "patient_id": p.id,
                        "list": pres.list,
                        "source": pres.source,
                        "reason": pres.reason,
                        "reason_text": reason_text,
                        "question": pres.question,
                        "position": position,
                        "status": pres.status,
                        "status_reason": None if discussed
                        else "Ikke nået – overført til næste konference.",
                        "time_budget_seconds": budget,
                        "started_at": clock if discussed else None,
                        "seconds_used": used,
                        "carried_from_id": pres.carried_from.id if pres.carried_from else None,
                        "added_by_id": pres.added_by if pres.source == "manuel" else None,
                        "version": 1,
                    }
                )
                ready = _at(day - dt.timedelta(days=1), 15, rng.randint(0, 59))
                cases.append(
                    {
                        "id": case_id,
                        "agenda_item_id": pres.id,
                        "template_id": template_id,
                        "fields": self._case_fields(p, pres, day, rng),
                        "presented_by_id": p.nurse,
                        "ready_at": ready,
                        "ready_by_id": p.nurse,
                        "updated_at": ready,
                        "updated_by_id": p.nurse,
                        "version": 1,
                    }
                )
                case_id += 1
                if not discussed:
                    continue
                decision = pres.decision or "fortsaet_standardforloeb"
                recorded = clock + dt.timedelta(seconds=used or budget)
                clock = recorded
                conclusions.append(
                    {
                        "id": conclusion_id,
                        "agenda_item_id": pres.id,
                        "history_sketch": self._history(p, day),
                        "decision": decision,
                        "decision_text": DECISION_TEXT[decision],
                        "recorded_by_id": referent,
                        "recorded_at": recorded,
                        "version": 1,
                    }
                )
                for description, owner, owner_role, code, days in self._actions(p, decision):
                    due = day + dt.timedelta(days=days)
                    actions.append(
                        {
                            "id": action_id,
                            "conclusion_id": conclusion_id,
                            "patient_id": p.id,
                            "intervention_id": self.iv[code]["id"] if code else None,
                            "description": description,
                            "owner_id": owner,
                            "owner_role": owner_role,
                            "due_date": due,
                            "status": self._action_status(p, code, day, due, rng),
                            "created_by_id": referent,
                            "created_at": recorded,
                            "version": 1,
                        }
                    )
                    action_id += 1
                conclusion_id += 1

        # The upcoming conference's agenda is set up through the services afterwards
        # (_prepare_next_conference), once every row it reads is written.
        self.next_ids["agenda_item"] = next_agenda
        self.next_ids["conclusion"] = conclusion_id
        self.next_ids["action_item"] = action_id
        self.next_ids["case_presentation"] = case_id
        self.conf_ids = conf_ids

        self._write(Conference, conf_rows)
        self._write(ConferenceAttendance, att_rows)
        # carried_from points to earlier items: insert in id order.
        items.sort(key=lambda row: row["id"])
        self._write(AgendaItem, items)
        self._write(CasePresentation, cases)
        self._write(Conclusion, conclusions)
        self._write(ActionItem, actions)

    # ------------------------------------------------------------------ the next conference

    def _prepare_next_conference(self) -> None:
        """The next conference as the microteams leave it the week before: part of what the due
        rules propose on the agenda (a few proposals left for the leader's button), one to three
        cases put on by hand, about half the cases prepared from the template and most of those
        marked "Klar til konference", one half-written, the rest not begun.

        Written through the services (agenda, cases), so the rows, versions and audit trail are
        the app's own; each write is then dated on the days before `today` (`_dated`).
        """
        from conference.permissions import Action
        from conference.services import agenda as agenda_service
        from conference.services import cases as case_service
        from conference.services.access import authorize

        session = self.session
        session.flush()
        rng = random.Random(self.seed * 31 + 7)
        conference_id = self.conf_ids[self.upcoming]
        conference = session.get(Conference, conference_id)
        assert conference is not None and conference.leader_id is not None
        leader = session.get(Staff, conference.leader_id)
        assert leader is not None
        first_item = self.next_ids["agenda_item"]
        first_case = self.next_ids["case_presentation"]
        first_audit = (session.scalar(select(func.max(AuditLog.id))) or 0) + 1

        proposals = agenda_service.pending_proposals(session, conference_id, self.today)
        proposed = {p.patient_id for p in proposals}
        candidates = [
            p for p in self.patients
            if p.status == "aktiv" and p.id not in proposed
            and any(e.status == "i_gang" for e in p.events)
        ]
        # No routine status among the proposals: a microteam puts one patient on for information.
        routine = any(not p.carried_from_id and not p.for_discussion for p in proposals)
        n_manual = min(rng.randint(1, 2) + (0 if routine else 1), len(candidates))
        manual = sorted(rng.sample(candidates, n_manual), key=lambda p: p.id)
        chosen = self._choose_proposals(proposals, len(manual), rng)

        moments = self._prep_moments(rng)
        added_at = moments.pop(0)
        items: list[AgendaItem] = []

        def put_on() -> None:  # the leader puts the chosen proposals on
            authorize(session, leader, Action.MANAGE_AGENDA)
            top = session.scalar(select(func.max(AgendaItem.position))
                                 .where(AgendaItem.conference_id == conference_id))
            for offset, proposal in enumerate(chosen):
                question = None
                if proposal.for_discussion and rng.random() < P_CASE_QUESTION:
                    topic = _topic(_reason_codes(proposal.reason_text), proposal.reason)
                    options = CASE_QUESTIONS.get(topic, MANUAL_QUESTIONS)
                    question = options[rng.randrange(len(options))]
                items.append(agenda_service.add_proposal(
                    self.session, leader, conference_id, proposal, (top or 0) + 1 + offset,
                    question,
                ))

        self._dated(added_at, put_on)
        texts_at = rng.sample(range(len(MANUAL_REASONS)), len(manual))
        for k, p in enumerate(manual):  # a microteam puts its own patient on, with a question
            nurse = session.get(Staff, p.nurse)
            assert nurse is not None
            which = AgendaList.DISCUSSION
            reason = MANUAL_REASONS[texts_at[k]]
            question = MANUAL_QUESTIONS[texts_at[k] % len(MANUAL_QUESTIONS)]
            if not routine and k == len(manual) - 1:
                which = AgendaList.INFORMATION
                reason = MANUAL_INFO_REASONS[texts_at[k] % len(MANUAL_INFO_REASONS)]
                question = ""
            items.append(self._dated(
                added_at + dt.timedelta(minutes=20 + 15 * k),
                lambda nurse=nurse, p=p, reason=reason, question=question, which=which:
                    agenda_service.add_case(session, nurse, conference_id, p.id, reason,
                                            question, which),
            ))

        # Preparation, discussion cases first in an order of their own: about half prepared
        # (all but one of them marked ready), one half-written, the rest not begun.
        order = [i for i in items if i.list == AgendaList.DISCUSSION]
        rng.shuffle(order)
        order += [i for i in items if i.list != AgendaList.DISCUSSION]
        n = len(order)
        prepared = min(max(2, round(n / 2)), max(n - 2, 0))
        ready = prepared - 1 if prepared >= 3 else prepared
        earliest = added_at + dt.timedelta(minutes=45)
        for k, item in enumerate(order[: prepared + 1]):
            p = self.patients[item.patient_id - self.patients[0].id]
            writer = session.get(Staff, p.nurse if rng.random() < 0.7 else p.pal)
            assert writer is not None
            texts = self._next_case_texts(p, item, rng)
            if k == prepared:  # half-written: Anledning and 3P only
                texts = {key: texts[key] for key in ("anledning", "tre_p")}
            saved_at = max(moments[k % len(moments)], earliest + dt.timedelta(minutes=7 * k))
            self._dated(saved_at, lambda item=item, writer=writer, texts=texts:
                        case_service.save_draft(session, writer, item.id, texts,
                                                dict.fromkeys(texts, ""), None))
            if k < ready:
                marker = session.get(Staff, p.nurse if k % 2 == 0 else p.pal)
                assert marker is not None
                self._dated(saved_at + dt.timedelta(minutes=rng.randint(5, 40)),
                            lambda item=item, marker=marker:
                                case_service.mark_ready(session, marker, item.id))
        session.flush()
        self.counts["agenda_item"] += self._count_from(AgendaItem, first_item)
        self.counts["case_presentation"] += self._count_from(CasePresentation, first_case)
        self.counts["audit_log"] += self._count_from(AuditLog, first_audit)

    def _count_from(self, model: Any, first_id: int) -> int:
        table: Table = model.__table__
        return int(self.session.scalar(
            select(func.count()).select_from(table).where(table.c.id >= first_id)
        ) or 0)

    def _choose_proposals(
        self, proposals: Sequence[Any], n_manual: int, rng: random.Random
    ) -> list[Any]:
        """Which of the rules' proposals the leader has put on: carried-over cases first, one or
        two routine ones for information, the rest a mix of reasons; a few are left pending
        (fewer when the rules propose too few for a full agenda). In proposal order."""
        target = rng.randint(*NEXT_CONFERENCE_CASES) - n_manual
        leave = rng.randint(*NEXT_CONFERENCE_PENDING)
        n = min(target, len(proposals))
        n = max(min(n, len(proposals) - leave), min(len(proposals), 6 - n_manual))
        carried = [p for p in proposals if p.carried_from_id]
        routine = [p for p in proposals if not p.carried_from_id and not p.for_discussion]
        by_reason: dict[str, list[Any]] = defaultdict(list)
        for p in proposals:
            if not p.carried_from_id and p.for_discussion:
                by_reason[p.reason].append(p)
        picked = carried[:n]
        picked += rng.sample(routine, min(len(routine), rng.randint(1, 2), n - len(picked)))
        queues = [by_reason[reason] for reason in sorted(by_reason)]
        for queue in queues:
            rng.shuffle(queue)
        while len(picked) < n and any(queues):
            for queue in queues:
                if queue and len(picked) < n:
                    picked.append(queue.pop())
        rest = [p for p in proposals if p not in picked]
        picked += rest[: n - len(picked)]  # too few for a discussion mix: routine ones too
        wanted = {id(p) for p in picked}
        return [p for p in proposals if id(p) in wanted]

    def _prep_moments(self, rng: random.Random) -> list[dt.datetime]:
        """When the agenda was set up (the first) and cases were written: working hours on the
        days since the last conference (after it ended), all before `today`."""
        days = [
            self.last_past + dt.timedelta(days=k)
            for k in range((self.today - self.last_past).days)
            if (self.last_past + dt.timedelta(days=k)).weekday() < 5
            and not _closed(self.last_past + dt.timedelta(days=k))
        ][-5:] or [self.last_past]

        def first_hour(day: dt.date) -> int:  # the last conference ends before noon
            return 12 if day == self.last_past else 8

        moments = [_at(days[0], first_hour(days[0]), 30)]
        for _ in range(16):
            day = days[rng.randrange(len(days))]
            moments.append(_at(day, rng.randint(first_hour(day) + 1, 15), rng.randint(0, 59)))
        return moments

    def _dated(self, moment: dt.datetime, call: Callable[[], Any]) -> Any:
        """Run one service write, dating what it stamped with the clock (the case's
        updated_at / ready_at, and its audit rows, before/after included) at `moment`.

        The audit rows are dated as the service writes them (conference.services.audit's
        REWRITE_KEY): the log is append-only, a row is never changed once written."""
        from conference.services import audit

        session = self.session
        session.flush()
        iso = moment.isoformat()
        stamps: set[Any] = set()  # the clock's values the call wrote
        cases: dict[int, set[str]] = defaultdict(set)  # case id -> columns to date

        def redate(values: dict[str, Any] | None) -> dict[str, Any] | None:
            if values is None:
                return None
            return {k: iso if isinstance(v, str) and v in stamps else v
                    for k, v in values.items()}

        def rewrite(row: dict[str, Any]) -> dict[str, Any]:
            before, after = row.get("before") or {}, row.get("after") or {}
            stamps.update(
                after[key] for key in ("updated_at", "ready_at")
                if after.get(key) is not None and after.get(key) != before.get(key)
            )
            if row.get("entity") == "case_presentation" and row.get("entity_id") is not None:
                cases[row["entity_id"]].update(
                    key for key in ("updated_at", "ready_at") if after.get(key) in stamps
                )
            return {**row, "at": moment, "before": redate(row.get("before")),
                    "after": redate(row.get("after"))}

        session.info[audit.REWRITE_KEY] = rewrite
        try:
            result = call()
            session.flush()
        finally:
            del session.info[audit.REWRITE_KEY]
        table = CasePresentation.__table__
        for case_id, columns in cases.items():
            if columns:  # a plain UPDATE: the case keeps the version the service gave it
                session.execute(table.update().where(table.c.id == case_id)
                                .values(dict.fromkeys(columns, moment)))
        session.flush()
        return result

    def _next_case_texts(
        self, p: _Patient, item: AgendaItem, rng: random.Random
    ) -> dict[str, str]:
        """The microteam's texts for a case on the next conference (template field keys)."""
        codes = _reason_codes(item.reason_text)
        if item.source == AgendaSource.MANUAL:
            occasion = f"Tilføjet af mikroteamet: {item.reason_text}."
            topic = "manuel"
        else:
            open_notes = [note for _, _, note, resolved in p.concerns if resolved is None]
            named = codes or [item.reason]
            parts = [OCCASION_TEXT.get(code, "") for code in named]
            if "bekymring" in named and open_notes:  # "En medarbejder har rejst …: <note>"
                parts[named.index("bekymring")] += open_notes[-1]
            occasion = " ".join(parts)
            topic = _topic(codes, item.reason)
        if item.question:
            occasion += f"\n\nSpørgsmål til konferencen: {item.question}"
        grouped = any(e.code == "livet_med_smerter" and e.status == "gennemfoert"
                      for e in p.events)
        takeaways = (" ".join(rng.sample(TAKEAWAYS, 2)) if grouped
                     else EARLY_TAKEAWAYS[rng.randrange(len(EARLY_TAKEAWAYS))])
        perpetuating = rng.sample(PERPETUATING, 2)
        proposals = CASE_PROPOSALS.get(topic, CASE_PROPOSALS["manuel"])
        return {
            "anledning": occasion.strip(),
            "tre_p": (
                f"Grundlæggende: {PREDISPOSING[rng.randrange(len(PREDISPOSING))]}. "
                f"Udløsende: {PRECIPITATING[rng.randrange(len(PRECIPITATING))]}. "
                f"Vedligeholdende: {perpetuating[0]} og {perpetuating[1]}."
            ),
            "maal_udbytte": f"Mål: {GOALS[rng.randrange(len(GOALS))]}. {takeaways}",
            "barrierer": " ".join(rng.sample(BARRIERS[:-1], rng.randint(1, 2))),
            "vurdering": proposals[rng.randrange(len(proposals))],
        }

    def _actions(self, p: _Patient, decision: str) -> list[tuple[str, int, str, str | None, int]]:
        result = []
        spec = DECISION_ACTION.get(decision)
        if spec is not None:
            description, profession, role, code, days = spec
            if profession == "laege":
                owner = p.pal
            elif profession == "sygeplejerske":
                owner = p.nurse
            else:
                pool = self.by_prof[profession]
                owner = pool[p.idx % len(pool)]
            result.append((description, owner, role, code, days))
        if decision != "afslut_forloeb" and p.work == "sygemeldt" and p.idx % 5 == 0:
            result.append(("Besvar statusattest LÆ125", p.pal, "PAL-læge", "statusattest", 28))
        return result

    def _action_status(
        self, p: _Patient, code: str | None, day: dt.date, due: dt.date, rng: random.Random
    ) -> str:
        booked = code is None or any(
            e.code == code and (e.start or e.planned or dt.date.max) >= day for e in p.events
        )
        if due < self.today - dt.timedelta(days=21):
            return "udfoert" if rng.random() < 0.96 else "annulleret"
        if day >= self.today - dt.timedelta(days=42) and rng.random() < 0.15:
            return "aaben"  # overdue or not yet booked
        if booked:
            done = code is None or any(
                e.code == code and e.status == "gennemfoert" and (e.start or day) >= day
                for e in p.events
            )
            return "udfoert" if done else "booket"
        return "aaben"

    # ------------------------------------------------------------------ texts

    def _background(self, p: _Patient) -> str:
        sex = "kvinde" if p.sex == "K" else "mand"
        years = f"{p.pain_years:g}".replace(".", ",")
        return (
            f"{p.age}-årig {sex}. {p.distribution} gennem {years} år. "
            f"Diagnose: {p.diagnosis}. Forsørgelse: {WORK_TEXT[p.work]}."
        )

    def _course_text(self, p: _Patient, before: dt.date) -> str:
        parts = []
        by_group = {id(e.group): e for e in p.enrolments}
        for ev in self._ordered_events(p):
            when = ev.start or ev.planned
            if ev.status not in ("gennemfoert", "i_gang", "udgaaet") or when is None:
                continue
            if when >= before or ev.code == "tvaerfaglig_konference":
                continue
            name = self.iv[ev.code]["name"]
            if ev.group is not None:
                enr = by_group.get(id(ev.group))
                att = [a for k, a in enumerate(enr.attendance) if ev.group.dates[k] < before] \
                    if enr else []
                shown = sum(1 for a in att if a == "moedt")
                total = len(ev.group.dates)
                text_ = f"{name} ({shown} af {total} {'gang' if total == 1 else 'gange'}"
                text_ += ", udgået)" if ev.status == "udgaaet" else ")"
            else:
                text_ = f"{name} {_ddmmyyyy(when)}"
                if ev.status == "udgaaet":
                    text_ += " (udgået)"
            parts.append(text_)
        return "; ".join(parts) + "." if parts else "Ingen indsatser endnu."

    def _pro_text(self, p: _Patient, before: dt.date) -> str:
        answered = [r for r in p.pro if r[1] < before]
        if not answered:
            return "Ingen PRO-besvarelser."
        shown = ("nrs_avg", "pcs", "hads_a", "hads_d", "pseq", "eq5d_index")
        lines = []
        first = answered[0]
        for tp, day, scores in answered:
            values = {code: value for code, _, value in scores}
            parts = []
            for code in shown:
                if code in values and code in pro.INSTRUMENTS:
                    inst = pro.INSTRUMENTS[code]
                    parts.append(f"{inst.short_name} {pro.format_score(code, values[code])}")
            label = tp.capitalize() if tp != "opfoelgning" else "Opfølgning"
            lines.append(f"{label} ({_ddmmyyyy(day)}): " + ", ".join(parts))
        if len(answered) == 1 and first[0] == "baseline":
            lines.append("Ingen midtvejsevaluering endnu.")
        return "\n".join(lines)

    def _case_fields(
        self, p: _Patient, pres: _Presentation, day: dt.date, rng: random.Random
    ) -> dict[str, str]:
        occasion = OCCASION_TEXT.get(pres.reason, "")
        if pres.reason == "bekymring":
            occasion += pres.reason_detail or ""
        if pres.question:
            occasion = (occasion + " " + pres.question).strip()
        decision = pres.decision or "fortsaet_standardforloeb"
        goal = GOALS[rng.randrange(len(GOALS))]
        takeaways = " ".join(rng.sample(TAKEAWAYS, 2))
        barriers = " ".join(rng.sample(BARRIERS, rng.randint(1, 2)))
        return {
            "anledning": occasion,
            "baggrund": self._background(p),
            "tre_p": (
                f"Grundlæggende: {PREDISPOSING[rng.randrange(len(PREDISPOSING))]}. "
                f"Udløsende: {PRECIPITATING[rng.randrange(len(PRECIPITATING))]}. "
                f"Vedligeholdende: {PERPETUATING[rng.randrange(len(PERPETUATING))]} og "
                f"{PERPETUATING[rng.randrange(len(PERPETUATING))]}."
            ),
            "forloeb": self._course_text(p, day),
            "pro": self._pro_text(p, day),
            "maal_udbytte": f"Mål: {goal}. {takeaways}",
            "barrierer": barriers,
            "vurdering": ASSESSMENT_TEXT.get(decision, ""),
        }

    def _history(self, p: _Patient, day: dt.date) -> str:
        sex = "kvinde" if p.sex == "K" else "mand"
        years = f"{p.pain_years:g}".replace(".", ",")
        done = [
            self.iv[e.code]["name"]
            for e in self._ordered_events(p)
            if e.status == "gennemfoert" and e.end and e.end < day
            and self.iv[e.code]["standard_course"] and e.code != "tvaerfaglig_konference"
        ]
        course = f" Har gennemført: {', '.join(done)}." if done else ""
        return (
            f"{p.age}-årig {sex} med {p.distribution.lower()} gennem {years} år "
            f"({p.diagnosis}).{course}"
        )

    # ------------------------------------------------------------------ group flags

    def _write_group_flags(self) -> None:
        rng = random.Random(self.seed * 31 + 5)
        rows: list[dict[str, Any]] = []
        flag_id = self._next_id(GroupFlag.__table__)
        for p in self.patients:
            for enr in p.enrolments:
                missed = [k for k, a in enumerate(enr.attendance) if a != "moedt"]
                if len(missed) < 2 or rng.random() < 0.5:
                    continue
                g = enr.group
                day = g.dates[missed[1]]
                handled = _weekday_on_or_after(day + DAY, CONFERENCE_WEEKDAY)
                done = handled < self.today
                rows.append(
                    {
                        "id": flag_id,
                        "group_id": g.id,
                        "patient_id": p.id,
                        "note": GROUP_FLAG_NOTES[rng.randrange(len(GROUP_FLAG_NOTES))],
                        "created_by_id": g.therapists[0],
                        "created_at": _at(day, 16),
                        "handled_at": _at(handled, 10) if done else None,
                        "handled_conference_id": self.conf_ids.get(handled) if done else None,
                        "version": 1,
                    }
                )
                flag_id += 1
        for g in self.groups:
            running = g.start < self.today <= g.end
            if not running or rng.random() < 0.6:
                continue
            last = max(d for d in g.dates if d < self.today)
            rows.append(
                {
                    "id": flag_id,
                    "group_id": g.id,
                    "patient_id": None,
                    "note": GROUP_LEVEL_NOTES[rng.randrange(len(GROUP_LEVEL_NOTES))],
                    "created_by_id": g.therapists[1],
                    "created_at": _at(last, 16),
                    "handled_at": None,
                    "handled_conference_id": None,
                    "version": 1,
                }
            )
            flag_id += 1
        self.next_ids["group_flag"] = flag_id
        self._write(GroupFlag, rows)

    # ------------------------------------------------------------------ settings, audit

    def _refuse_the_flag(self) -> None:
        """The demo flag (the "who are you" picker instead of the login) is never set on a
        database holding staff with a password or patients other than the ones just written."""
        session = self.session
        if session.scalar(select(Setting.value).where(Setting.key == "demo")) == "1":
            return
        first_patient = self.patients[0].id if self.patients else None
        foreign = select(func.count()).select_from(Patient)
        if first_patient is not None:
            foreign = foreign.where(Patient.id < first_patient)
        with_password = select(func.count()).select_from(Staff).where(
            Staff.password_hash.is_not(None))
        if session.scalar(foreign) or session.scalar(with_password):
            raise DemoRefused(
                "Demo-markeringen sættes ikke: databasen har patienter, der ikke er demo-"
                "centrets, eller medarbejdere med adgangskode. Intet er ændret."
            )

    def _write_settings_and_audit(self) -> None:
        self._refuse_the_flag()
        self.session.execute(Setting.__table__.delete().where(Setting.key == "demo"))
        self._write(Setting, [{"key": "demo", "value": "1"}])
        self.counts["audit_log"] = self.counts.get("audit_log", 0) + 1
        audit_chain.append(
            self.session,
            AuditLog.__table__,
            [
                {
                    "id": self._next_id(AuditLog.__table__),
                    "at": dt.datetime.now(dt.UTC),
                    "actor_id": None,
                    "action": "create",
                    "entity": "demo",
                    "entity_id": None,
                    "patient_id": None,
                    "after": {
                        "centre": CENTRE_NAME,
                        "scale": self.scale,
                        "seed": self.seed,
                        "today": self.today.isoformat(),
                        "patients": len(self.patients),
                    },
                }
            ],
        )

    def _fix_sequences(self) -> None:
        """PostgreSQL: move each id sequence past the ids assigned here."""
        bind = self.session.get_bind()
        if bind.dialect.name != "postgresql":
            return
        for name in sorted(self.next_ids):
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                )
            )


# --------------------------------------------------------------------------- public API


def build_demo(
    session: Session,
    *,
    scale: float = 1,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
) -> DemoStats:
    """Write the demo centre into an empty (migrated) database; the caller commits.

    DemoRefused when the database is neither empty nor marked demo (nothing is written).

    About 30 staff at every scale and about 800 referrals a year × `scale` over the last two
    years, everything relative to `today` (default: the real today).
    """
    refusal = demo_refusal(session.connection())
    if refusal is not None:
        raise DemoRefused(refusal)
    started = time.perf_counter()
    day = today or dt.date.today()
    builder = _DemoBuilder(session, scale, seed, day)
    builder.build()
    session.flush()
    order = [
        "staff", "staff_role", "microteam", "microteam_member", "patient", "therapy_group",
        "group_session", "group_therapist", "enrolment", "attendance", "course_event", "concern",
        "pro_response", "pro_score", "conference", "conference_attendance", "agenda_item",
        "presentation_template", "case_presentation", "conclusion", "action_item", "group_flag",
        "setting", "audit_log",
    ]
    counts = {name: builder.counts[name] for name in order if name in builder.counts}
    return DemoStats(
        counts=counts,
        seconds=time.perf_counter() - started,
        scale=scale,
        seed=seed,
        today=day,
    )


def ensure_demo(
    engine: Engine,
    *,
    scale: float = 1,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
) -> DemoStats | None:
    """Migrate, then load the demo centre only if the database has no staff (for `make run`)."""
    from db.migrate import upgrade
    from db.session import session_scope

    upgrade(engine)
    with session_scope(engine) as session:
        if session.scalar(select(func.count()).select_from(Staff)):
            return None
        return build_demo(session, scale=scale, seed=seed, today=today)


def main(argv: Iterable[str] | None = None) -> int:
    from db.migrate import downgrade_to_base, upgrade
    from db.session import default_engine, session_scope

    parser = argparse.ArgumentParser(
        prog="python -m db.demo",
        description=f"Load the synthetic demo centre ({CENTRE_NAME}) into DATABASE_URL "
        "(default: the SQLite file).",
    )
    parser.add_argument("--scale", type=float, default=1.0,
                        help="patients × scale (1 ≈ 1,600 patients over two years)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="build as if today were this date (YYYY-MM-DD)")
    parser.add_argument("--reset", action="store_true",
                        help="drop everything first (alembic downgrade base + upgrade head); "
                        "only on a demo database")
    parser.add_argument("--if-empty", "--ensure", dest="if_empty", action="store_true",
                        help="only load when the database has no staff (as `make run` does)")
    args = parser.parse_args(list(argv) if argv is not None else None)

    started = time.perf_counter()
    engine = default_engine()
    # Whatever the flags: nothing is dropped, filled or marked demo on a database with real data.
    with engine.connect() as connection:
        refusal = demo_refusal(connection)
    if refusal is not None and args.if_empty and not args.reset:
        # `make run` on a real installation: nothing to load, nothing touched, start the app.
        print("Databasen har rigtige data – demo-centret indlæses ikke.")
        return 0
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    if args.reset:
        downgrade_to_base(engine)
    try:
        if args.if_empty and not args.reset:
            stats = ensure_demo(engine, scale=args.scale, seed=args.seed, today=args.today)
            if stats is None:
                print("Databasen har allerede medarbejdere – demo-centret indlæses ikke.")
                return 0
        else:
            upgrade(engine)
            with session_scope(engine) as session:
                if session.scalar(select(func.count()).select_from(Staff)):
                    print(
                        "Databasen indeholder allerede data. Brug --reset for at starte forfra.",
                        file=sys.stderr,
                    )
                    return 1
                stats = build_demo(session, scale=args.scale, seed=args.seed, today=args.today)
    except DemoRefused as refused:  # real data written meanwhile: nothing of the demo is kept
        print(refused, file=sys.stderr)
        return 2
    print(stats.format())
    print(f"I alt (inkl. migrering og commit): {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
