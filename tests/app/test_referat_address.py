"""Referat is named by its address (AppTests on the demo centre): the case list's buttons name
their case by id, a draft changing a case's label does not move the page, a picked conference
changes the address, and an address naming another conference wins over what the picker held."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from conference.formatting import date_long
from conference.services import agenda
from db.models import Patient, PatientStatus, Staff
from tests.factories import in_db

_weeks = itertools.count()


@pytest.fixture
def two_meetings(demo_url: str) -> dict:
    """A conference far away with three cases, and one a week later with one case."""
    day = dt.date(2035, 6, 6) + dt.timedelta(weeks=2 * next(_weeks))

    def build(session):  # noqa: ANN001, ANN202
        actor = session.scalars(select(Staff).order_by(Staff.id)).first()
        patients = session.scalars(
            select(Patient).where(Patient.status == PatientStatus.ACTIVE,
                                  Patient.pal_laege_id.is_not(None))
            .order_by(Patient.id).offset(50).limit(4)
        ).all()
        first = agenda.ensure_conference(session, actor, day)
        later = agenda.ensure_conference(session, actor, day + dt.timedelta(weeks=1))
        items = [agenda.add_case(session, actor, first.id, p.id, "Status") for p in patients[:3]]
        other = agenda.add_case(session, actor, later.id, patients[3].id, "Status")
        session.flush()
        return {"day": day, "later": day + dt.timedelta(weeks=1), "items": [i.id for i in items],
                "names": [p.full_name for p in patients], "other": other.id}

    return in_db(demo_url, build)


def test_a_case_stays_named_by_the_address_through_saves_and_picks(run_page, two_meetings):
    items, names = two_meetings["items"], two_meetings["names"]
    app = run_page("views/referat.py", dato=two_meetings["day"].isoformat(), sag=str(items[2]))
    assert app.subheader[0].value.startswith(names[2])
    assert app.button(key=f"referat_case_{items[2]}").label.startswith("○")

    # a draft changes the case's label in the list: the page stays on the case
    for text in ("Første", "Første og anden", "Første, anden og tredje"):
        app.text_area(key=f"ref{items[2]}_decision_text").input(text).run()
        assert app.query_params["sag"] == str(items[2])
        assert app.subheader[0].value.startswith(names[2])
    assert app.button(key=f"referat_case_{items[2]}").label.startswith("✎")

    # a click on another case in the list opens that case, whatever its label
    app.button(key=f"referat_case_{items[1]}").click().run()
    assert app.query_params["sag"] == str(items[1])
    assert app.subheader[0].value.startswith(names[1])

    # picking another conference (one the picker offers): the address names it, not the case
    picker = app.selectbox(key="referat_conference")
    other = next(i for i, o in enumerate(picker.options) if o != date_long(two_meetings["day"]))
    picker.select_index(other).run()
    picked = app.selectbox(key="referat_conference").value
    assert picked != two_meetings["day"]
    assert app.query_params["dato"] == picked.isoformat()
    assert app.query_params.get("sag") != str(items[1])
    assert not app.subheader or not app.subheader[0].value.startswith(names[1])

    # an address naming another conference and case (a link from elsewhere) wins over the
    # picker, also for a conference the picker does not offer by itself
    app.query_params["dato"] = two_meetings["later"].isoformat()
    app.query_params["sag"] = str(two_meetings["other"])
    app.run()
    assert app.selectbox(key="referat_conference").value == two_meetings["later"]
    assert app.subheader[0].value.startswith(names[3])
