"""The centre's settings against a real database (SQLite and PostgreSQL): defaults, an
administrator's change with its audit row, refusals (roles, bad values, stale forms), and
conferences already created staying as they are."""

import datetime as dt

import pytest
from sqlalchemy import select

from conference.services import agenda
from conference.services import settings as service
from conference.services.access import PermissionDenied
from conference.services.errors import InvalidInput
from db.models import AuditLog, Conference, ConferenceStatus, Role, Setting
from tests import factories as f

FAR = dt.date(2031, 3, 3)  # a Monday after any conference these tests make
DEFAULTS = service.ConferenceSettings(2, dt.time(9, 0), 150, "fornavn")


@pytest.fixture
def admin(db):
    return f.staff(db, "Anne Administrator", roles=(Role.ADMIN,))


def save(db, actor, seen=None, **changes):
    values = {"weekday": 2, "start": dt.time(9, 0), "minutes": 150, "name_mode": "fornavn"}
    values.update(changes)
    return service.save_conference_settings(
        db, actor, **values, seen=seen or service.conference_settings(db)
    )


def stored(db) -> dict[str, str]:
    return {key: value for key, value in db.execute(select(Setting.key, Setting.value))}


def audit_rows(db) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.entity == "setting")
                           .order_by(AuditLog.id)))


def test_without_rows_the_defaults_apply(db):
    assert service.conference_settings(db) == DEFAULTS
    assert service.next_conference_date(db, FAR) == dt.date(2031, 3, 5)  # Wednesday


def test_an_administrator_changes_every_setting_with_one_audit_row(db, admin):
    saved = save(db, admin, weekday=4, start=dt.time(13, 30), minutes=90, name_mode="initialer")
    assert saved == service.ConferenceSettings(4, dt.time(13, 30), 90, "initialer")
    assert service.conference_settings(db) == saved
    assert stored(db) == {
        "conference_weekday": "4", "conference_start": "13:30",
        "conference_minutes": "90", "projection_name": "initialer",
    }
    assert service.conference_weekday(db) == 4
    assert service.next_conference_date(db, FAR) == dt.date(2031, 3, 7)  # Friday
    [row] = audit_rows(db)
    assert (row.actor_id, row.action, row.entity_id) == (admin.id, "update", None)
    assert row.before == {"conference_weekday": "2", "conference_start": "09:00",
                          "conference_minutes": "150", "projection_name": "fornavn"}
    assert row.after == {"conference_weekday": "4", "conference_start": "13:30",
                         "conference_minutes": "90", "projection_name": "initialer"}
    view = service.settings_view(db, admin)
    assert view.settings == saved and view.changed_by == admin.name
    assert view.changed_at is not None and not view.demo


def test_only_changed_settings_are_written_and_audited(db, admin):
    save(db, admin, name_mode="fuldt")
    save(db, admin, name_mode="fuldt", weekday=0)
    first, second = audit_rows(db)
    assert first.after == {"projection_name": "fuldt"}
    assert second.before == {"conference_weekday": "2"}
    assert second.after == {"conference_weekday": "0"}
    assert set(stored(db)) == {"projection_name", "conference_weekday"}
    assert service.next_conference_date(db, FAR) == FAR  # Monday


def test_an_unchanged_form_saves_nothing(db, admin):
    with pytest.raises(InvalidInput, match="uændrede"):
        save(db, admin)
    assert audit_rows(db) == [] and "conference_weekday" not in stored(db)


@pytest.mark.parametrize("role", [Role.MOEDELEDER, Role.REFERENT, Role.BEHANDLER, Role.LAESER])
def test_every_other_role_is_refused_and_nothing_is_written(db, role):
    someone = f.staff(db, roles=(role,))
    with pytest.raises(PermissionDenied, match="ændre centrets indstillinger"):
        save(db, someone, weekday=4)
    with pytest.raises(PermissionDenied):
        service.settings_view(db, someone)
    assert service.conference_weekday(db) == 2
    assert audit_rows(db) == []


def test_an_inactive_administrator_is_refused(db, admin):
    admin.active = False
    with pytest.raises(PermissionDenied, match="logget ind"):
        save(db, admin, weekday=4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weekday": 5}, "mandag til fredag"),
        ({"weekday": 6}, "mandag til fredag"),
        ({"weekday": -1}, "mandag til fredag"),
        ({"weekday": "onsdag"}, "mandag til fredag"),
        ({"weekday": True}, "mandag til fredag"),
        ({"start": dt.time(5, 45)}, "mellem kl. 06:00 og kl. 18:00"),
        ({"start": dt.time(18, 5)}, "mellem kl. 06:00 og kl. 18:00"),
        ({"start": "09:00"}, "klokkeslæt"),
        ({"minutes": 29}, "mellem 30 og 300"),
        ({"minutes": 301}, "mellem 30 og 300"),
        ({"minutes": 90.5}, "mellem 30 og 300"),
        ({"minutes": True}, "mellem 30 og 300"),
        ({"name_mode": "efternavn"}, "navnevisningen blandt: fulde navn, fornavn og forbogstav"),
        ({"name_mode": None}, "navnevisningen"),
    ],
)
def test_unknown_or_unreasonable_values_are_refused_in_danish(db, admin, change, message):
    with pytest.raises(InvalidInput, match=message):
        save(db, admin, **change)
    assert audit_rows(db) == [] and stored(db) == {}


def test_the_bounds_themselves_are_allowed_and_seconds_are_dropped(db, admin):
    saved = save(db, admin, weekday=0, start=dt.time(6, 0, 30), minutes=30)
    assert saved.start == dt.time(6, 0)
    saved = save(db, admin, weekday=4, start=dt.time(18, 0), minutes=300)
    assert service.conference_settings(db) == saved


def test_a_form_drawn_before_another_administrators_save_is_refused(db, admin):
    other = f.staff(db, "Bo Administrator", roles=(Role.ADMIN,))
    form = service.conference_settings(db)
    save(db, other, weekday=3)
    with pytest.raises(service.SettingsConflict, match="du så onsdag, nu torsdag") as caught:
        save(db, admin, seen=form, name_mode="initialer")
    assert caught.value.current.weekday == 3 and caught.value.changed == ["conference_weekday"]
    assert service.conference_settings(db).name_mode == "fornavn"
    assert len(audit_rows(db)) == 1
    # choosing again on what is stored now goes through
    save(db, admin, seen=caught.value.current, weekday=3, name_mode="initialer")
    assert service.conference_settings(db).name_mode == "initialer"


@pytest.mark.parametrize("existing", [True, False], ids=["row changed", "row added"])
def test_a_row_changed_between_read_and_write_saves_nothing(db, admin, monkeypatch, existing):
    """The conditional write: a row that no longer holds what was read (or that appeared) is
    not overwritten, and the rows written before it in the same save are undone."""
    if existing:
        save(db, admin, name_mode="fuldt")
    stale = service._rows(db)  # noqa: SLF001
    stale_settings = service.conference_settings(db)
    db.merge(Setting(key="projection_name", value="initialer"))  # another admin, meanwhile
    db.flush()
    real, reads = service._rows, [stale]  # noqa: SLF001
    monkeypatch.setattr(service, "_rows", lambda session: reads.pop() if reads else real(session))
    with pytest.raises(service.SettingsConflict, match="navnevisning: du så"):
        save(db, admin, seen=stale_settings, weekday=4,
             name_mode="fornavn" if existing else "fuldt")
    now = stored(db)
    assert now["projection_name"] == "initialer"
    assert "conference_weekday" not in now  # written first, undone with the rest
    assert len(audit_rows(db)) == (1 if existing else 0)


def test_existing_conferences_keep_their_day_time_and_length(db, admin):
    leader = f.staff(db, roles=(Role.MOEDELEDER,))
    wednesday = dt.date(2031, 3, 12)
    planned = agenda.ensure_conference(db, leader, wednesday)
    db.flush()
    assert (planned.starts_at, planned.duration_minutes) == (dt.time(9, 0), 150)
    save(db, admin, weekday=4, start=dt.time(12, 15), minutes=120)
    db.expire_all()
    again = db.get(Conference, planned.id)
    assert (again.date, again.starts_at, again.duration_minutes, again.status) == (
        wednesday, dt.time(9, 0), 150, ConferenceStatus.PLANNED
    )
    # the planned one is still the next; after it the new weekday applies
    assert service.next_conference_date(db, FAR) == wednesday
    assert service.next_conference_date(db, wednesday + dt.timedelta(days=1)) == dt.date(
        2031, 3, 14
    )
    # a conference created from now on takes the new start time and length
    friday = agenda.ensure_conference(db, leader, dt.date(2031, 3, 14))
    db.flush()
    assert (friday.starts_at, friday.duration_minutes) == (dt.time(12, 15), 120)
    assert agenda.next_conference_day(db, FAR) == dt.date(2031, 3, 7)


def test_unreadable_stored_values_fall_back_to_the_defaults(db):
    for key, value in [("conference_weekday", "onsdag"), ("conference_start", "ni"),
                       ("conference_minutes", "lang"), ("projection_name", "efternavn")]:
        db.add(Setting(key=key, value=value))
    db.flush()
    assert service.conference_settings(db) == DEFAULTS
    assert service.conference_weekday(db) == 2
