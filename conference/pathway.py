"""The standard course and its add-ons: where a patient is, what comes next, and who is due at
the patient conference and why (shared/DOMAIN.md "When a patient is due").

Plain data in, plain data out: the service layer loads the facts, these functions decide.

"Since the patient was last presented" is a matter of moments, not of days (issue 12): see
`Window`. The last presentation is the day of the last conference that discussed the patient
and the moment the case was concluded there; an event or a concern dated on that day is new
only when it was recorded after that moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

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
    #: When the event was last written (aware, UTC); None: before that was kept (old rows).
    recorded_at: dt.datetime | None = None

    @property
    def date(self) -> dt.date | None:
        """The date the event happened (or will): end, else start, else planned."""
        return self.end_date or self.start_date or self.planned_date


@dataclass(frozen=True)
class Concern:
    raised_on: dt.date
    note: str
    raised_by: str = ""
    #: When the concern was raised (aware, UTC); None: before that was kept (old rows).
    recorded_at: dt.datetime | None = None


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
    #: The day of the last conference that discussed the patient (before the one prepared).
    last_presented: dt.date | None = None
    #: The moment the case was concluded there (aware, UTC); None: not known, taken as the end
    #: of that day. Never later than the end of that day (due_window).
    last_presented_at: dt.datetime | None = None
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

#: Where the clinic records each finding that brings the patient to the conference (the
#: seed's sections). Documentation only: a finding counts whichever intervention it is
#: recorded on (issue 12), and the reason then names where it was recorded.
FINDING_RULES: dict[str, str] = {
    # finding value -> intervention code it is usually recorded on
    "uafklaret_behandlingsbehov": "lang_primaersamtale",  # 3.5
    "svaer_psykisk_belastning": "psykolog_foer",  # 4.3.1
    "socialfagligt_spoergsmaal": "visitation_socialraadgiver",  # 4.1.1
}
#: The reason's text for a finding recorded elsewhere than FINDING_RULES says (REASON_TEXTS
#: name the usual intervention).
FINDING_ELSEWHERE_TEXTS: dict[str, str] = {
    "uafklaret_behandlingsbehov": "Uafklaret behandlingsbehov",
    "svaer_psykisk_belastning": "Svær psykisk belastning – afslutning eller henvisning "
    "andetsteds drøftes",
    "socialfagligt_spoergsmaal": "Socialfagligt spørgsmål / tvivl om inklusion",
}

DROPPED_OUT = "udgaaet"
#: A stress-reduction group is behind the patient when done, or ended early (dropped out).
STRESS_ENDED = frozenset({DONE, DROPPED_OUT})

#: The intervention codes `due_reasons` looks for. An event with none of these codes and no
#: finding cannot change its answer, so a course may leave such events out (read_by_due_rules).
#: (Findings are read wherever recorded, so the interventions of FINDING_RULES need no code.)
DUE_RULE_CODES: frozenset[str] = frozenset(
    {"anden_opfoelgning", *STRESS_REDUCTION, "cft", "psykolog_efter"}
)

#: The clinic's clock: a conference day ends at midnight in Denmark.
CLINIC_TZ = ZoneInfo("Europe/Copenhagen")


def end_of_day(day: dt.date) -> dt.datetime:
    """The midnight that ends `day` on the clinic's clock, as an aware UTC moment."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=CLINIC_TZ)
    return midnight.astimezone(dt.UTC)


@dataclass(frozen=True)
class Window:
    """What is new for the conference on `until`: what happened since the patient was last
    presented, and not after that conference.

    Moments, not days (issue 12): the last presentation is the day `since` and the moment
    `concluded` (aware) the case was concluded on it. A fact (an event, a concern) dated after
    `since` is new; dated on `since`, it is new only when recorded after `concluded` -- one
    without a recorded moment (rows from before it was kept) is taken as recorded before, so
    not new. Nothing dated after `until` is new. Never presented (`since` None): everything up
    to `until` is new."""

    until: dt.date
    since: dt.date | None = None
    concluded: dt.datetime | None = None

    def holds(self, day: dt.date | None, recorded_at: dt.datetime | None = None) -> bool:
        if day is None or day > self.until:
            return False
        if self.since is None or day > self.since:
            return True
        return (
            day == self.since
            and recorded_at is not None
            and self.concluded is not None
            and recorded_at > self.concluded
        )


def due_window(course: PatientCourse, conference_date: dt.date) -> Window:
    """The window of `due_reasons` for `course` at `conference_date`. The moment of the last
    presentation is `course.last_presented_at` (the service gives the earlier of the case's
    conclusion and the meeting's end), but never after the end of that day on the clinic's
    clock, which is also the moment when neither is known."""
    day = course.last_presented
    if day is None:
        return Window(conference_date)
    latest = end_of_day(day)
    at = course.last_presented_at
    return Window(conference_date, day, latest if at is None or at > latest else at)


def read_by_due_rules(event: Event) -> bool:
    """True for the events `due_reasons` can look at: the rest may be left out of a course."""
    return event.code in DUE_RULE_CODES or event.finding is not None


def due_triggers(events: Iterable[Event]) -> list[Event]:
    """The events that can make the patient due. Every reason of `due_reasons` but a concern
    needs one of these new in its `Window` (`due_window`): Anden opfølgning done, an event with
    a finding, and -- for a CFT slow responder -- Afspænding/Mindfulness done or dropped out.
    A patient with none new and no open concern new is not due, so the rules need to run for
    the others only (the service finds them in SQL with the same conditions, patients
    _may_be_due: a superset)."""
    events = list(events)
    slow = any(_slow_responder(e) for e in events)
    return [
        e for e in events
        if (e.code == "anden_opfoelgning" and e.status == DONE)
        or e.finding is not None
        or (slow and e.code in STRESS_REDUCTION and e.status in STRESS_ENDED)
    ]


def _slow_responder(event: Event) -> bool:
    """The physiotherapist found a CFT slow responder (4.2.2): usually recorded on Visitation
    ved fysioterapeut (4.2.1), counted wherever it is recorded (issue 12)."""
    return event.finding == "cft_langsom_responder" and event.status == DONE


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def due_reasons(course: PatientCourse, conference_date: dt.date) -> list[DueReason]:
    """Why this patient is due at the conference on `conference_date` (empty: not due)."""
    if not course.active:
        return []
    window = due_window(course, conference_date)
    events = list(course.events)
    done = [e for e in events if e.status == DONE]
    reasons: list[DueReason] = []

    def new(event: Event) -> bool:
        return window.holds(event.date, event.recorded_at)

    def add(code: str, detail: str = "", text: str | None = None) -> None:
        text = (text or REASON_TEXTS[code]) + (f" ({detail})" if detail else "")
        reasons.append(DueReason(code, text))

    # 3.9: Anden opfølgning done since the patient was last presented: the status is presented
    # and the further course decided.
    if any(e.code == "anden_opfoelgning" and new(e) for e in done):
        add("anden_opfoelgning")

    # 3.5 (uncertain treatment need), 4.3.1 (heavy psychological load), 4.1.1 (the social
    # worker's question, doubtful inclusion): a finding recorded since -- on whichever
    # intervention (issue 12); when not on the usual one (FINDING_RULES), the reason says where.
    for finding, usual in FINDING_RULES.items():
        found = [
            e for e in events
            if e.finding == finding and e.status in (DONE, IN_PROGRESS) and new(e)
        ]
        if any(e.code == usual for e in found):
            add(finding)
        elif found:
            where = ", ".join(sorted({e.name for e in found}))
            add(finding, f"registreret ved {where}", FINDING_ELSEWHERE_TEXTS[finding])

    # 4.2.2: CFT slow responder: the timing of CFT is agreed at the conference after
    # Afspænding/Mindfulness -- once that group is behind the patient (done, or ended early:
    # dropped out, issue 12) since last presented, and CFT is not yet set.
    slow = any(_slow_responder(e) for e in events)
    has_cft = any(e.code == "cft" and e.status in (PLANNED, IN_PROGRESS, DONE) for e in events)
    behind = [e for e in events if e.code in STRESS_REDUCTION and e.status in STRESS_ENDED
              and new(e)]
    if slow and behind and not has_cft:
        if all(e.status == DROPPED_OUT for e in behind):
            add("cft_langsom_responder", "udgået af " + ", ".join(sorted({e.name for e in behind})))
        else:
            add("cft_langsom_responder")

    # 4.3.2: after the standard course (Anden opfølgning done), suspected psychological
    # barriers recorded since, and no referral to the psychologist's visitation yet.
    course_done = any(e.code == "anden_opfoelgning" for e in done)
    referred = any(e.code == "psykolog_efter" and e.status != "aflyst" for e in events)
    if course_done and not referred and any(
        e.finding == "psykologiske_barrierer" and new(e) for e in events
    ):
        add("psykologiske_barrierer")

    # 3.10: any staff member raises a problem or uncertainty about treatment need during the
    # course: an open concern raised since.
    open_concerns = [c for c in course.open_concerns if window.holds(c.raised_on, c.recorded_at)]
    if open_concerns:
        latest = max(open_concerns, key=lambda c: (c.raised_on, c.recorded_at or _NEVER))
        add("bekymring", latest.note[:80])
    return reasons
