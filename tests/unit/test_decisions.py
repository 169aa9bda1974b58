"""The conclusion the pathway proposes for a case til orientering (seed 3.9, 3.11)."""

import datetime as dt

from conference.decisions import propose
from conference.pathway import DONE, IN_PROGRESS, PLANNED, Event

CONFERENCE = dt.date(2027, 3, 3)


def done(code: str, name: str, day: dt.date) -> Event:
    return Event(code, name, DONE, day, day, day)


SECOND = done("anden_opfoelgning", "Anden opfølgning", dt.date(2027, 2, 24))


def test_after_anden_opfoelgning_the_standard_plan_is_afsluttende_samtale_in_four_weeks():
    """3.9: the status is presented; 3.11: Afsluttende samtale ends the standard course."""
    proposal = propose([SECOND], CONFERENCE)
    assert proposal.decision == "afsluttende_samtale"
    assert "Anden opfølgning" in proposal.text
    assert proposal.follow_up is not None
    assert proposal.follow_up.intervention == "afsluttende_samtale"
    assert proposal.follow_up.owner_role == "pal_laege"
    assert proposal.due == CONFERENCE + dt.timedelta(days=28)
    assert proposal.step_text == "Afsluttende samtale inden 31.03.2027"


def test_afsluttende_samtale_waits_for_add_ons_still_running_or_planned():
    """3.11: 'a few weeks after the last intervention' -- two weeks after a planned CFT."""
    cft = Event("cft", "Kognitiv funktionel terapi (CFT)", PLANNED, dt.date(2027, 5, 5))
    medicine = Event("medicinjustering", "Medicinjustering", IN_PROGRESS, None,
                     dt.date(2027, 2, 1))
    proposal = propose([SECOND, cft, medicine], CONFERENCE)
    assert proposal.decision == "afsluttende_samtale"
    assert proposal.due == dt.date(2027, 5, 19)
    assert "Kognitiv funktionel terapi (CFT) (05.05.2027)" in proposal.text
    assert "Medicinjustering" in proposal.text


def test_a_planned_afsluttende_samtale_is_kept_and_no_new_step_is_proposed():
    talk = Event("afsluttende_samtale", "Afsluttende samtale", PLANNED, dt.date(2027, 3, 20))
    proposal = propose([SECOND, talk], CONFERENCE)
    assert proposal.decision == "fortsaet_standardforloeb"
    assert proposal.follow_up is None and proposal.due is None and proposal.step_text == ""
    assert "allerede planlagt (20.03.2027)" in proposal.text


def test_earlier_in_the_course_the_standard_course_continues_with_its_next_step():
    nxt = Event("mindfulness", "Mindfulness", PLANNED, dt.date(2027, 3, 10))
    proposal = propose([done("foerste_opfoelgning", "Første opfølgning", CONFERENCE), nxt],
                       CONFERENCE)
    assert proposal.decision == "fortsaet_standardforloeb"
    assert proposal.follow_up is None
    assert proposal.text.endswith("med Mindfulness (10.03.2027).")
