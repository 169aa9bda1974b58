"""The pages of the app's navigation and the views of them that the benchmark and the
statement-count test draw: one list, in one place.

The pages are read from the navigation itself (every "views/….py" in conference/ui/navigation.py,
from which app.py builds the menu), so a page added there is measured and checked without
touching this file. A page that needs something in its address gets
it from QUERY (e.g. the patient page's ?id=); a page with a second screen worth measuring (a case,
a group, the projection) gets an extra view in EXTRA_VIEWS.

`prepare_meeting` puts the demo centre in the state the board is used in: the next conference
with the agenda the demo prepared for it, the meeting started and the first case on the board.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conference.services import agenda
from conference.services.settings import next_conference_date
from conference.services.staff import list_staff
from conference.ui.context import USER_PARAM
from db.models import (
    AgendaItem,
    AgendaList,
    AgendaStatus,
    Enrolment,
    EnrolmentStatus,
    Patient,
    PatientStatus,
    Staff,
    TherapyGroup,
)
from db.session import make_engine, session_scope

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"

Query = Callable[[Session, dt.date], dict[str, str]]


def app_pages() -> list[str]:
    """Every page script of the app's navigation, in order.

    app.py draws the menu from conference.ui.navigation.PAGES (filtered by the user's roles);
    every `views/….py` named there is a page of the app, visible or not.
    """
    from conference.ui import navigation

    tree = ast.parse(Path(navigation.__file__).read_text(encoding="utf-8"))
    pages = [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and node.value.startswith("views/") and node.value.endswith(".py")
    ]
    return sorted(set(pages), key=pages.index)


# --------------------------------------------------------------------------- representative data


def leader(session: Session) -> Staff:
    """Who the app acts as by default (conference.ui.context.choose_user): the first leader."""
    options = list_staff(session)
    chosen = next((o for o in options if "moedeleder" in o.roles), options[0])
    return session.get(Staff, chosen.id)


def viewer(session: Session, page: str) -> Staff:
    """Who draws the page: the default user (the first leader) if the menu offers them the
    page, else the first staff member whose roles it is offered to."""
    from conference.ui import navigation

    url = next(entry[3] for entries in navigation.PAGES.values() for entry in entries
               if entry[0] == page)
    first = leader(session)
    others = session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name))
    return next((s for s in (first, *others) if url in navigation.allowed_urls(s)), first)


def next_conference_id(session: Session, today: dt.date) -> int | None:
    found = agenda.find_conference(session, next_conference_date(session, today))
    return found.id if found else None


def current_case(session: Session, today: dt.date) -> AgendaItem | None:
    """The case on the board of the next conference (else its first discussion case)."""
    conference_id = next_conference_id(session, today)
    if conference_id is None:
        return None
    view = agenda.board(session, conference_id)
    item_id = view.current_item_id or next((c.item_id for c in view.discussion), None)
    return session.get(AgendaItem, item_id) if item_id else None


def patient_query(session: Session, today: dt.date) -> dict[str, str]:
    """The patient on the board (a full course and conference history), else the first active."""
    case = current_case(session, today)
    patient_id = case.patient_id if case else session.scalar(
        select(Patient.id).where(Patient.status == PatientStatus.ACTIVE).order_by(Patient.id)
    )
    return {"id": str(patient_id)}


def case_query(session: Session, today: dt.date) -> dict[str, str]:
    case = current_case(session, today)
    return {"sag": str(case.id)} if case else {}


def group_query(session: Session, today: dt.date) -> dict[str, str]:
    """The running group with the most participants."""
    enrolled = (
        select(Enrolment.group_id, func.count().label("n"))
        .where(Enrolment.status == EnrolmentStatus.ENROLLED)
        .group_by(Enrolment.group_id)
        .subquery()
    )
    group_id = session.scalar(
        select(TherapyGroup.id)
        .join(enrolled, enrolled.c.group_id == TherapyGroup.id)
        .where(TherapyGroup.start_date <= today, TherapyGroup.end_date >= today)
        .order_by(enrolled.c.n.desc(), TherapyGroup.id)
        .limit(1)
    )
    return {"hold": str(group_id)} if group_id else {}


def projection_query(session: Session, today: dt.date) -> dict[str, str]:  # noqa: ARG001
    return {"visning": "projektion"}


# A page that needs something in its address to draw its main screen.
QUERY: dict[str, Query] = {"views/patient.py": patient_query}

# A second screen of a page worth its own row: (page, label, query).
EXTRA_VIEWS: list[tuple[str, str, Query]] = [
    ("views/konference.py", "projektion", projection_query),
    ("views/forbered_sag.py", "én sag", case_query),
    ("views/hold.py", "ét hold", group_query),
]


@dataclass(frozen=True)
class View:
    page: str
    label: str = ""
    query: Query | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        short = self.page.removeprefix("views/").removesuffix(".py")
        return f"{short} ({self.label})" if self.label else short

    def params(self, session: Session, today: dt.date) -> dict[str, str]:
        """The page's address: its representative query and who is looking (?som=)."""
        query = self.query(session, today) if self.query else {}
        return {**query, USER_PARAM: viewer(session, self.page).initials}


def views() -> list[View]:
    """Every page of the navigation, then the extra screens, each once."""
    result = [View(page, query=QUERY.get(page)) for page in app_pages()]
    pages = set(app_pages())
    result += [View(page, label, query) for page, label, query in EXTRA_VIEWS if page in pages]
    return result


def prepare_meeting(session: Session, today: dt.date) -> int:
    """The next conference as it is during the meeting: its agenda as the demo centre prepared
    it (filled from the proposals if it has none), the meeting started, the first discussion case
    on the board. Returns the conference id.

    The demo gives the meeting the same agenda (about ten cases) at every scale: a centre ten
    times the size has more history and more proposals, not a ten times longer meeting."""
    actor = leader(session)
    day = next_conference_date(session, today)
    conference = agenda.ensure_conference(session, actor, day)
    session.flush()
    if not session.scalar(select(AgendaItem.id).where(AgendaItem.conference_id == conference.id)
                          .limit(1)):
        agenda.add_proposals(session, actor, conference.id, today)
        session.flush()
    first = session.scalar(
        select(AgendaItem.id)
        .where(
            AgendaItem.conference_id == conference.id,
            AgendaItem.list == AgendaList.DISCUSSION,
            AgendaItem.status == AgendaStatus.PLANNED,
        )
        .order_by(AgendaItem.position, AgendaItem.id)
        .limit(1)
    )
    agenda.start_meeting(session, actor, conference.id)
    if first is not None:
        agenda.go_to(session, actor, conference.id, first)
    session.flush()
    return conference.id


def rewind_at_last_case(url: str, today: dt.date) -> bool:
    """Before a timed "Næste ▶": if the meeting is at its last discussion case (or past it), make
    the first case current again, so the click moves on to a case. True if it rewound (the
    board then needs a few seconds for its fragment to show it)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        conference_id = next_conference_id(session, today)
        view = agenda.board(session, conference_id)
        order = [c.item_id for c in view.discussion]
        rewound = bool(order) and view.current_item_id in (None, order[-1])
        if rewound:
            agenda.go_to(session, leader(session), conference_id, order[0])
    engine.dispose()
    return rewound
