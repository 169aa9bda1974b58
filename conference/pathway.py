"""The standard course and its add-ons: where a patient is, what comes next, and who is due at
the patient conference and why (shared/DOMAIN.md "When a patient is due").

Plain data in, plain data out: the service layer loads the facts, these functions decide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Standard-course steps in order; the patient's stage is the furthest one reached.
STANDARD_STEPS: tuple[tuple[str, str], ...] = (
    ("visitation", "Visitation"),
    ("kort_primaersamtale", "Kort primærsamtale"),
    ("forstaa_smerte", "Forstå smerte"),
    ("lang_primaersamtale", "Lang primærsamtale"),
    ("livet_med_smerter", "Livet med smerter"),
    ("foerste_opfoelgning", "Første opfølgning"),
    ("stressreduktion", "Afspænding / Mindfulness"),
    ("anden_opfoelgning", "Anden opfølgning"),
    ("afsluttende_samtale", "Afsluttende samtale"),
)
STRESS_REDUCTION = frozenset({"afspaending", "teleafspaending", "mindfulness"})
STEP_OF_CODE = {code: code for code, _ in STANDARD_STEPS} | {
    code: "stressreduktion" for code in STRESS_REDUCTION
}
STEP_ORDER = {code: i for i, (code, _) in enumerate(STANDARD_STEPS)}
STEP_LABEL = dict(STANDARD_STEPS)

STAGE_REFERRED = "Henvist"
STAGE_DISCHARGED = "Afsluttet"
#: Every stage label, in pathway order (for filters and sorting).
STAGE_LABELS: tuple[str, ...] = (
    STAGE_REFERRED,
    *(label for _, label in STANDARD_STEPS),
    STAGE_DISCHARGED,
)

DONE = "gennemfoert"
IN_PROGRESS = "i_gang"
PLANNED = "planlagt"


@dataclass(frozen=True)
class Event:
    """One intervention in a patient's course, as the rules need it."""

    code: str
    name: str
    status: str
    planned_date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    finding: str | None = None

    @property
    def date(self) -> dt.date | None:
        """The date the event happened (or will): end, else start, else planned."""
        return self.end_date or self.start_date or self.planned_date


@dataclass(frozen=True)
class Concern:
    raised_on: dt.date
    note: str
    raised_by: str = ""


@dataclass(frozen=True)
class Stage:
    label: str
    order: int
    in_progress: bool = False

    @property
    def text(self) -> str:
        return f"{self.label} (i gang)" if self.in_progress else self.label


@dataclass(frozen=True)
class DueReason:
    code: str
    text: str


@dataclass
class PatientCourse:
    """Everything the rules look at for one patient."""

    active: bool
    events: Sequence[Event] = ()
    open_concerns: Sequence[Concern] = ()
    last_presented: dt.date | None = None
    extra: dict[str, object] = field(default_factory=dict)


def stage_rank(code: str, status: str) -> int | None:
    """How far an event takes the patient on the standard course: 2 × the step's number, + 1
    while it is under way (so the furthest step wins, and under way beats done on the same
    step); None when the event sets no stage. The list of patients ranks in SQL with this."""
    step = STEP_OF_CODE.get(code)
    if step is None or status not in (DONE, IN_PROGRESS):
        return None
    return 2 * (STEP_ORDER[step] + 1) + (status == IN_PROGRESS)


def stage_of_rank(rank: int | None) -> Stage:
    """The stage of an active patient whose furthest event has `rank` (None: no step yet)."""
    if rank is None:
        return Stage(STAGE_REFERRED, 0)
    order, in_progress = divmod(rank, 2)
    _, label = STANDARD_STEPS[order - 1]
    return Stage(label, order, in_progress=bool(in_progress))


def stage(course: PatientCourse) -> Stage:
    """The furthest standard-course step the patient has reached (done or under way)."""
    if not course.active:
        return Stage(STAGE_DISCHARGED, len(STAGE_LABELS) - 1)
    ranks = [stage_rank(e.code, e.status) for e in course.events]
    return stage_of_rank(max((r for r in ranks if r is not None), default=None))


def next_step(events: Iterable[Event], today: dt.date) -> Event | None:
    """The next planned intervention: the earliest planned one (undated ones last)."""
    planned = [e for e in events if e.status == PLANNED]
    if not planned:
        return None
    return min(planned, key=lambda e: (e.planned_date or dt.date.max, e.code))


REASON_TEXTS = {
    "anden_opfoelgning": "Anden opfølgning gennemført: status og beslutning om videre forløb",
    "uafklaret_behandlingsbehov": "Uafklaret behandlingsbehov efter Lang primærsamtale",
    "svaer_psykisk_belastning": "Psykologvisitation: svær psykisk belastning – afslutning "
    "eller henvisning andetsteds drøftes",
    "socialfagligt_spoergsmaal": "Socialrådgiver ønsker sagen vendt / tvivl om inklusion",
    "cft_langsom_responder": "CFT, langsom responder: tidspunkt for CFT aftales efter "
    "Afspænding/Mindfulness",
    "psykologiske_barrierer": "Mistanke om psykologiske barrierer efter standardforløb: "
    "henvisning til psykologvisitation",
    "bekymring": "Problemstilling rejst af personale",
    "manuel": "Tilføjet manuelt",
}

FINDING_RULES: dict[str, str] = {
    # finding value -> intervention code it is recorded on
    "uafklaret_behandlingsbehov": "lang_primaersamtale",
    "svaer_psykisk_belastning": "psykolog_foer",
    "socialfagligt_spoergsmaal": "visitation_socialraadgiver",
}


#: The intervention codes `due_reasons` looks for. An event with none of these codes and no
#: finding cannot change its answer, so a course may leave such events out (read_by_due_rules).
DUE_RULE_CODES: frozenset[str] = frozenset(
    {
        "anden_opfoelgning",
        *FINDING_RULES.values(),
        "visitation_fysioterapeut",
        *STRESS_REDUCTION,
        "cft",
        "psykolog_efter",
    }
)


def read_by_due_rules(event: Event) -> bool:
    """True for the events `due_reasons` can look at: the rest may be left out of a course."""
    return event.code in DUE_RULE_CODES or event.finding is not None


def due_triggers(events: Iterable[Event]) -> list[Event]:
    """The events that can make the patient due. Every reason of `due_reasons` but a concern
    needs one of these dated after the patient was last presented and not after the conference
    (`_after`): Anden opfølgning done, an event with a finding, and -- for a CFT slow responder
    -- Afspænding/Mindfulness done. A patient with none in that window and no open concern
    raised in it is not due, so the rules need to run for the others only (the service finds
    them in SQL with the same conditions)."""
    events = list(events)
    slow = any(_slow_responder(e) for e in events)
    return [
        e for e in events
        if (e.code == "anden_opfoelgning" and e.status == DONE)
        or e.finding is not None
        or (slow and e.code in STRESS_REDUCTION and e.status == DONE)
    ]


def _slow_responder(event: Event) -> bool:
    return (
        event.code == "visitation_fysioterapeut"
        and event.finding == "cft_langsom_responder"
        and event.status == DONE
    )


def _after(day: dt.date | None, since: dt.date | None, until: dt.date) -> bool:
    """True when `day` is known, not after `until`, and after `since` (if there is one)."""
    if day is None or day > until:
        return False
    return since is None or day > since


def due_reasons(course: PatientCourse, conference_date: dt.date) -> list[DueReason]:
    """Why this patient is due at the conference on `conference_date` (empty: not due)."""
    if not course.active:
        return []
    since = course.last_presented
    events = list(course.events)
    done = [e for e in events if e.status == DONE]
    reasons: list[DueReason] = []

    def add(code: str, detail: str = "") -> None:
        text = REASON_TEXTS[code] + (f" ({detail})" if detail else "")
        reasons.append(DueReason(code, text))

    # 3.9: Anden opfølgning done since the patient was last presented.
    if any(e.code == "anden_opfoelgning" and _after(e.date, since, conference_date) for e in done):
        add("anden_opfoelgning")

    # 3.5, 4.3.1, 4.1.1: a finding recorded on the intervention that raises it.
    for finding, code in FINDING_RULES.items():
        if any(
            e.code == code and e.finding == finding and _after(e.date, since, conference_date)
            for e in events
            if e.status in (DONE, IN_PROGRESS)
        ):
            add(finding)

    # 4.2.2: CFT slow responder, once Afspænding/Mindfulness is done and CFT is not yet set.
    slow = any(_slow_responder(e) for e in done)
    stress_done = [e for e in done if e.code in STRESS_REDUCTION and e.date]
    has_cft = any(e.code == "cft" and e.status in (PLANNED, IN_PROGRESS, DONE) for e in events)
    if slow and stress_done and not has_cft:
        last_stress = max(e.date for e in stress_done if e.date)
        if _after(last_stress, since, conference_date):
            add("cft_langsom_responder")

    # 4.3.2: after the standard course, suspected psychological barriers.
    course_done = any(e.code == "anden_opfoelgning" for e in done)
    referred = any(e.code == "psykolog_efter" and e.status != "aflyst" for e in events)
    if course_done and not referred and any(
        e.finding == "psykologiske_barrierer" and _after(e.date, since, conference_date)
        for e in events
    ):
        add("psykologiske_barrierer")

    # 3.10: any staff member raises a problem or uncertainty during the course.
    open_concerns = [c for c in course.open_concerns if _after(c.raised_on, since, conference_date)]
    if open_concerns:
        latest = max(open_concerns, key=lambda c: c.raised_on)
        add("bekymring", latest.note[:80])
    return reasons
