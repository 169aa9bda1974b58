"""Access control against a real database: own patients and groups, refusals logged, the
access log searchable, local logins."""

import datetime as dt

import pytest
from sqlalchemy import select

from conference.permissions import Action
from conference.services.access import (
    PermissionDenied,
    authorize,
    log_access,
    log_denial,
    search_access_log,
)
from conference.services.accounts import authenticate, set_password
from conference.services.errors import InvalidInput
from db.models import AccessLog, Microteam, MicroteamMember, Profession, Role, SecurityEvent
from db.session import session_scope
from tests import factories as f


def test_behandler_may_prepare_own_microteams_patients_only(db):
    nurse = f.staff(db, "Sara", Profession.SYGEPLEJERSKE, roles=(Role.BEHANDLER,))
    team = Microteam(name="Mikroteam X", members=[MicroteamMember(staff_id=nurse.id,
                                                                  function="medlem")])
    db.add(team)
    db.flush()
    mine = f.patient(db, microteam=team)
    theirs = f.patient(db)
    authorize(db, nurse, Action.PREPARE_CASE, patient_id=mine.id)
    with pytest.raises(PermissionDenied, match="mikroteam"):
        authorize(db, nurse, Action.PREPARE_CASE, patient_id=theirs.id)


def test_group_therapist_owns_the_groups_patients(db):
    therapist = f.staff(db, "Tina", Profession.FYSIOTERAPEUT, roles=(Role.BEHANDLER,))
    group = f.group(db, "afspaending", [dt.date(2026, 11, 2), dt.date(2026, 11, 9)])
    from db.models import GroupTherapist

    db.add(GroupTherapist(group_id=group.id, staff_id=therapist.id))
    who = f.patient(db)
    f.enrol(db, group, who, [])
    authorize(db, therapist, Action.GROUP_ATTENDANCE, group_id=group.id)
    authorize(db, therapist, Action.FLAG_FOR_CONFERENCE, patient_id=who.id)
    other = f.group(db, "mindfulness", [dt.date(2026, 11, 3)])
    with pytest.raises(PermissionDenied):
        authorize(db, therapist, Action.GROUP_ATTENDANCE, group_id=other.id)


def test_reader_is_refused_every_write(db):
    reader = f.staff(db, "Lars Læser", Profession.SEKRETAER, roles=(Role.LAESER,))
    authorize(db, reader, Action.VIEW_PATIENTS)
    for action in Action:
        if action != Action.VIEW_PATIENTS:
            with pytest.raises(PermissionDenied):
                authorize(db, reader, action, patient_id=1)


def test_inactive_staff_is_refused(db):
    gone = f.staff(db, roles=(Role.ADMIN,))
    gone.active = False
    with pytest.raises(PermissionDenied, match="logget ind"):
        authorize(db, gone, Action.VIEW_PATIENTS)


def test_a_refusal_is_logged_in_its_own_transaction(own_engine):
    with session_scope(own_engine) as session:
        reader = f.staff(session, roles=(Role.LAESER,))
        reader_id = reader.id
    with pytest.raises(PermissionDenied) as caught, session_scope(own_engine) as session:
        authorize(session, session.get(type(reader), reader_id), Action.SIGN_OFF)
    log_denial(own_engine, caught.value)
    with session_scope(own_engine) as session:
        event = session.scalars(
            select(SecurityEvent).where(SecurityEvent.staff_id == reader_id)
        ).one()
        assert event.kind == "denied" and "underskrive" in event.detail


def test_access_log_is_searchable_by_patient_and_staff_for_admins_only(db):
    admin = f.staff(db, "Ada Admin", roles=(Role.ADMIN,))
    doctor = f.staff(db, "Dorte Læge", roles=(Role.BEHANDLER,))
    a, b = f.patient(db, "Alma"), f.patient(db, "Bent")
    log_access(db, doctor, "patient", [a.id])
    log_access(db, doctor, "patient", [b.id])
    log_access(db, admin, "patientliste", count=2)
    rows = search_access_log(db, admin, patient_id=a.id)
    assert [(r.staff, r.view, r.patient) for r in rows] == [(doctor.name, "patient", a.full_name)]
    rows = search_access_log(db, admin, staff_id=doctor.id)
    assert {r.patient for r in rows} == {a.full_name, b.full_name}
    # the search itself is logged, naming every patient its rows show
    searches = db.scalars(
        select(AccessLog).where(AccessLog.view == "adgangslog", AccessLog.staff_id == admin.id)
    ).all()
    assert [r.patient_id for r in searches].count(a.id) == 2  # by CPR, then in the staff search
    assert [r.patient_id for r in searches].count(b.id) == 1
    with pytest.raises(PermissionDenied):
        search_access_log(db, doctor, patient_id=a.id)


def test_local_login_with_argon2_and_every_attempt_logged(db):
    person = f.staff(db, "Hanne")
    set_password(db, person, person.initials, "en lang nok adgangskode")
    assert person.password_hash.startswith("$argon2")
    assert authenticate(db, person.initials.lower(), "en lang nok adgangskode") is person
    assert authenticate(db, person.initials, "forkert") is None
    assert authenticate(db, "ukendt", "x") is None
    kinds = [e.kind for e in db.scalars(select(SecurityEvent).order_by(SecurityEvent.id))]
    assert kinds[-3:] == ["login_ok", "login_failed", "login_failed"]
    with pytest.raises(InvalidInput, match="mindst 12"):
        set_password(db, person, person.initials, "kort", old_password="en lang nok adgangskode")
