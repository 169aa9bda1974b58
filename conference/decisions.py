"""Every case leaves the conference with a decision (seed 3.9, 3.10).

A case "til orientering" is not discussed, but it is still decided: the status gathered at Anden
opfølgning "fremlægges på tværfaglig konference", and there the further course is settled
(3.9); the referent records the conclusion and sees that the appointments follow (3.10). This
module proposes that conclusion from the pathway, for the referent to confirm; a case on either
list that has no decision must be decided, postponed or carried over before sign-off.

Plain data in, plain data out (no database, no streamlit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from conference import pathway
from conference.formatting import date_numeric
from conference.minutes import DECISION_FOLLOW_UP, FollowUp

#: The standard course ends with Afsluttende samtale "a few weeks after the last intervention"
#: (3.11): it is planned this long after the last add-on still under way or planned.
WEEKS_AFTER_LAST_INTERVENTION = 2
FINAL_TALK = "afsluttende_samtale"
OPEN = (pathway.PLANNED, pathway.IN_PROGRESS)


@dataclass(frozen=True)
class ProposedConclusion:
    """What the pathway says the conference decides for a case it does not discuss."""

    decision: str  # a key of labels.DECISION
    text: str  # the conclusion's wording, ready for the record
    follow_up: FollowUp | None  # the next step it sets in motion (None: none needed)
    due: dt.date | None  # the step's deadline

    @property
    def step_text(self) -> str:
        if self.follow_up is None or self.due is None:
            return ""
        return f"{self.follow_up.description} inden {date_numeric(self.due)}"


def _date(event: pathway.Event) -> str:
    return f" ({date_numeric(event.date)})" if event.date else ""


def propose(events: Sequence[pathway.Event], conference_date: dt.date) -> ProposedConclusion:
    """The standard plan from the course so far (3.9, 3.11).

    - Afsluttende samtale already planned or held: the course continues as planned.
    - Anden opfølgning done: the standard course ends with Afsluttende samtale (3.11), a few
      weeks after the last add-on still under way or planned (or four weeks from now).
    - Earlier in the course: the standard course continues with its next planned step.
    """
    events = list(events)
    final = [e for e in events if e.code == FINAL_TALK and e.status in (*OPEN, pathway.DONE)]
    if final:
        talk = max(final, key=lambda e: e.date or dt.date.min)
        return ProposedConclusion(
            "fortsaet_standardforloeb",
            "Taget til efterretning. Afsluttende samtale er allerede "
            + ("holdt" if talk.status == pathway.DONE else "planlagt") + _date(talk) + ".",
            None,
            None,
        )
    follow_up = DECISION_FOLLOW_UP[FINAL_TALK]
    second_done = any(
        e.code == "anden_opfoelgning" and e.status == pathway.DONE for e in events
    )
    if second_done and follow_up is not None:
        add_ons = [
            e for e in events
            if e.status in OPEN and e.code not in pathway.STEP_OF_CODE
        ]
        due = conference_date + dt.timedelta(days=follow_up.days)
        last = max((e.date for e in add_ons if e.date), default=None)
        if last is not None:
            due = max(due, last + dt.timedelta(weeks=WEEKS_AFTER_LAST_INTERVENTION))
        wording = (
            "Status efter Anden opfølgning taget til efterretning. Standardforløbet afsluttes "
            "med Afsluttende samtale"
        )
        if add_ons:
            names = ", ".join(f"{e.name}{_date(e)}" for e in add_ons)
            wording += f" efter igangværende og planlagte tilbud: {names}"
        return ProposedConclusion(FINAL_TALK, wording + ".", follow_up, due)
    upcoming = pathway.next_step(events, conference_date)
    wording = "Taget til efterretning. Standardforløbet fortsætter"
    if upcoming is not None:
        wording += f" med {upcoming.name}{_date(upcoming)}"
    return ProposedConclusion("fortsaet_standardforloeb", wording + ".", None, None)
