"""Script and image payloads stored in every free-text field, for the XSS tests.

`seed_payloads` writes them through the services (as a staff member whose own name is a
payload) into a database that already holds the demo centre, and returns where they are, so
the tests can open every page on them. `markdown_leaks` finds a payload that reached a
markdown-rendered string unescaped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conference.services import actions, agenda, cases, groups, minutes
from conference.services.patients import raise_concern
from conference.services.settings import next_conference_date
from db.models import (
    AgendaItem,
    AgendaStatus,
    Conclusion,
    Conference,
    Enrolment,
    GroupSession,
    GroupTherapist,
    Patient,
    PatientStatus,
    Role,
    Staff,
    TherapyGroup,
)
from tests import factories

#: what an attacker would type: HTML that runs script, links and images in markdown
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "![x](http://evil/x.png)",
    '<a href="javascript:alert(1)">klik</a>',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<javascript:alert(1)>",
)
#: what must never reach markdown unescaped: an HTML tag, a javascript: URL, the image's URL
#: (escape_md puts a backslash before "<" and turns ":" and "." into "\\:" and "\\.")
_MARKER = re.compile(r"(?<!\\)<(?:script|img|svg|iframe|a\s)|javascript:alert|evil/x\.png",
                     re.IGNORECASE)


def payload_text(tag: str) -> str:
    """Every payload, after a tag that tells which field it was stored in."""
    return f"{tag}: " + " ".join(PAYLOADS)


# short fields (names) get a tag and two or three payloads each
NAME_FIRST = "XssFornavn <img src=x onerror=alert(1)>"
NAME_LAST = "XssEfternavn ![x](http://evil/x.png) [x](javascript:alert(1))"
STAFF_NAME = "XssMedarbejder <script>alert(1)</script> ![x](http://evil/x.png)"
TEAM_NAME = "XssMikroteam <img src=x onerror=alert(1)> [x](javascript:alert(1))"
GROUP_NAME = "XssHold <script>alert(1)</script> [x](javascript:alert(1)) ![x](http://evil/x.png)"
EXERCISE = "XssOevelse <img src=x onerror=alert(1)> ![x](http://evil/x.png)"
LABEL = "XssOverskrift <img src=x onerror=alert(1)>"


def markdown_leaks(text: str) -> list[str]:
    """The payloads that stand unescaped in `text` (to be rendered as markdown)."""
    return [m.group(0) for m in _MARKER.finditer(text or "")]


@dataclass(frozen=True)
class Stored:
    """Where the payloads are: ids to open pages on."""

    staff_initials: str
    patient_id: int
    handover_patient_id: int
    conference_day: dt.date
    development_day: dt.date  # a conference at its faglig udvikling part
    item_id: int
    past_day: dt.date
    past_item_id: int
    group_id: int
    handover_group_id: int
    fields: dict[str, str]  # each free-text field that holds a payload -> its tag


def seed_payloads(session: Session, today: dt.date) -> Stored:
    """Payloads in every free-text field, written through the services; the caller commits."""
    fields: dict[str, str] = {
        "staff.name": "XssMedarbejder", "microteam.name": "XssMikroteam",
        "patient.first_name": "XssFornavn", "patient.last_name": "XssEfternavn",
    }

    def text(field: str, tag: str) -> str:
        fields[field] = tag
        return payload_text(tag)

    author = factories.staff(
        session, STAFF_NAME, roles=(Role.ADMIN, Role.MOEDELEDER, Role.REFERENT, Role.BEHANDLER),
        initials="XSS",
    )
    colleague = session.scalars(select(Staff).where(Staff.id != author.id)).first()
    team = factories.microteam(session, ((author, "pal_laege"),), name=TEAM_NAME)
    patient = factories.patient(session, NAME_FIRST, NAME_LAST, pal=author, microteam=team)
    patient.diagnosis = text("patient.diagnosis", "XssDiagnose")[:200]
    patient.pain_distribution = text("patient.pain_distribution", "XssUdbredelse")[:200]
    factories.event(session, patient, "anden_opfoelgning", day=today - dt.timedelta(days=5))

    raise_concern(session, author, patient.id, text("concern.note", "XssProblemstilling"), today)
    cases.add_team_note(session, author, patient.id, text("team_note.text", "XssTeamnote"))

    # a template version whose labels and help texts are payloads
    template = cases.current_template(session)
    changed = [f.as_dict() for f in template.fields]
    for field in changed:
        if not field["system"]:
            field["label"] = f"{LABEL} {field['key']}"[:80]
            field["help"] = text("template.help", "XssHjaelpetekst")
    fields["template.label"] = "XssOverskrift"
    cases.new_template_version(session, author, changed)

    day = next_conference_date(session, today)
    item = cases.put_on_conference(
        session, author, patient.id, day, text("agenda_item.reason_text", "XssAnledning"),
        text("agenda_item.question", "XssSpoergsmaal"), today,
    )
    keys = [f.key for f in cases.current_template(session).fields if not f.system]
    cases.save_draft(
        session, author, item.id,
        {k: text(f"case_presentation.{k}", f"XssFremlaeggelse{k.title().replace('_', '')}")
         for k in keys},
        {k: "" for k in keys}, None,
    )

    conference = agenda.find_conference(session, day)
    agenda.set_development(
        session, author, conference.id, text("conference.development_topic", "XssFagligUdvikling"),
        EXERCISE,
    )
    fields["conference.staff_exercise"] = "XssOevelse"
    # the next conference is at its third part (faglig udvikling) on the projected board
    later = agenda.ensure_conference(session, author, day + dt.timedelta(days=7))
    agenda.set_development(session, author, later.id, payload_text("XssFagligUdvikling"),
                           EXERCISE)
    agenda.set_phase(session, author, later.id, "faglig")
    # a second patient on the agenda, set aside with a payload reason
    other = factories.patient(session, NAME_FIRST, NAME_LAST, pal=author, microteam=team)
    aside = agenda.add_case(session, author, conference.id, other.id, payload_text("XssTilfoejet"),
                            payload_text("XssSpoergsmaalTo"))
    agenda.set_aside(session, author, aside.id, AgendaStatus.POSTPONED,
                     text("agenda_item.status_reason", "XssUdsat"))

    minutes.save_conclusion(
        session, author, item.id, history_sketch=text("conclusion.history_sketch", "XssSkitse"),
        decision="andet", decision_text=text("conclusion.decision_text", "XssKonklusion"),
        version=None,
    )
    actions.add_action(session, author, item.id,
                       description=text("action_item.description", "XssNaesteSkridt"),
                       owner_id=author.id, due_date=today + dt.timedelta(days=7))
    agenda.go_to(session, author, conference.id, item.id)  # the board's current case

    # after sign-off: an amendment and an added step, with payload reasons
    past_day, past_item, past_conclusion = _signed_off_case(session, today)
    minutes.amend_conclusion(
        session, author, past_conclusion.id,
        history_sketch=payload_text("XssRettetSkitse"), decision=past_conclusion.decision,
        decision_text=payload_text("XssRettetKonklusion"),
        reason=text("conclusion_amendment.reason", "XssRettelse"),
        version=past_conclusion.version,
    )
    actions.add_action(session, author, past_item.id, description=payload_text("XssNytSkridt"),
                       owner_id=author.id, due_date=today + dt.timedelta(days=3),
                       amendment_reason=payload_text("XssEfterUnderskrift"))

    # a running group with a payload name, a flagged patient and a group note
    group = groups.create_group(
        session, author, "livet_med_smerter", today - dt.timedelta(days=8),
        [author.id, colleague.id], name=GROUP_NAME,
    )
    groups.enrol_patient(session, author, group.id, patient.id, today - dt.timedelta(days=8))
    groups.flag_patient(session, author, group.id, patient.id,
                        text("group_flag.note (patient)", "XssHoldmarkering"))
    groups.add_group_note(session, author, group.id, text("group_flag.note (hold)", "XssHoldnote"))
    fields["therapy_group.name"] = "XssHold"

    # a handover note on a group that has had its last session
    enrolment = _finished_enrolment(session, today)
    handover_group = session.get(TherapyGroup, enrolment.group_id)
    session.add(GroupTherapist(group_id=handover_group.id, staff_id=author.id))
    session.flush()
    groups.save_handover_note(session, author, enrolment.id,
                              text("enrolment.handover_note", "XssOverlevering"),
                              enrolment.version, today)
    session.flush()
    return Stored(
        staff_initials=author.initials, patient_id=patient.id,
        handover_patient_id=enrolment.patient_id, conference_day=day,
        development_day=later.date, item_id=item.id,
        past_day=past_day, past_item_id=past_item.id, group_id=group.id,
        handover_group_id=handover_group.id, fields=fields,
    )


def _signed_off_case(session: Session, today: dt.date) -> tuple[dt.date, AgendaItem, Conclusion]:
    row = session.execute(
        select(Conference.date, AgendaItem, Conclusion)
        .join(AgendaItem, AgendaItem.conference_id == Conference.id)
        .join(Conclusion, Conclusion.agenda_item_id == AgendaItem.id)
        .where(Conference.signed_off_at.is_not(None), Conference.date < today)
        .order_by(Conference.date.desc(), AgendaItem.position)
        .limit(1)
    ).one()
    return row[0], row[1], row[2]


def _finished_enrolment(session: Session, today: dt.date) -> Enrolment:
    """An active patient's place on a group whose last session was in the last weeks."""
    last = (
        select(GroupSession.group_id, func.max(GroupSession.date).label("last"))
        .group_by(GroupSession.group_id).subquery()
    )
    return session.scalars(
        select(Enrolment)
        .join(last, last.c.group_id == Enrolment.group_id)
        .join(Patient, Patient.id == Enrolment.patient_id)
        .where(last.c.last <= today, last.c.last >= today - dt.timedelta(days=60),
               Patient.status == PatientStatus.ACTIVE, Enrolment.handover_note.is_(None))
        .order_by(last.c.last.desc(), Enrolment.id)
        .limit(1)
    ).one()




def build_database(url: str, scale: float) -> Stored:
    """A migrated database with the demo centre and the payloads (committed)."""
    from db.migrate import upgrade
    from db.session import make_engine, session_scope
    from demo import build_demo

    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            build_demo(session, scale=scale)
        with session_scope(engine) as session:
            return seed_payloads(session, dt.date.today())
    finally:
        engine.dispose()
