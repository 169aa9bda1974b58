"""Imports and exports against a real database (SQLite and PostgreSQL), with tests/data/ files.

Every example imports; every broken one is rejected with the expected report and nothing
written; importing the same content again changes nothing at all; exports neutralise formulas
and a PRO export imports again without changes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import Session

from conference import exporting, pro
from conference.services.access import PermissionDenied
from conference.services.errors import InvalidInput
from conference.services.imports import (
    ImportRejected,
    apply_import,
    apply_plan,
    preview_import,
    save_mapping,
)
from conference.services.patients import list_patients, patient_detail
from db.migrate import upgrade
from db.models import (
    AccessLog,
    ActionItem,
    ActionStatus,
    Attendance,
    AuditLog,
    Base,
    Conclusion,
    CourseEvent,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Finding,
    GroupTherapist,
    ImportRun,
    Microteam,
    MicroteamMember,
    Patient,
    Profession,
    ProResponse,
    ProScore,
    Role,
    Sex,
    Staff,
    TeamFunction,
    TherapyGroup,
    Timepoint,
)
from db.session import make_engine
from tests import factories as f

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = dt.date(2026, 11, 25)
ANNE, BJORN, CAMILLA = "1705700210", "0311580221", "2802850290"
DORTHE, ERIK, FRIDA = "3007620348", "0909910325", "0101014320"


@pytest.fixture
def actor(db: Session) -> Staff:
    """The centre's staff that the example files name, and the one who imports."""
    lise = f.staff(db, "Lise Læge", initials="LL", roles=(Role.ADMIN, Role.BEHANDLER))
    f.staff(db, "Mads Madsen", initials="MM")
    f.staff(db, "Sara Sygeplejerske", Profession.SYGEPLEJERSKE, initials="SS")
    f.staff(db, "Tina Toft", Profession.SYGEPLEJERSKE, initials="TT")
    f.staff(db, "Pia Psykolog", Profession.PSYKOLOG, initials="PP")
    f.staff(db, "Frank Fysio", Profession.FYSIOTERAPEUT, initials="FF")
    return lise


def load(db: Session, actor: Staff, kind: str, name: str, source: str | None = None):
    return apply_import(db, actor, kind, (DATA / name).read_bytes(), name, today=TODAY,
                        source=source)


def counts(db: Session) -> dict[str, int]:
    db.flush()
    return {
        table.name: db.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def patient(db: Session, cpr: str) -> Patient:
    return db.scalars(select(Patient).where(Patient.cpr == cpr)).one()


def load_all(db: Session, actor: Staff) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "forloeb", "forloeb.csv")
    load(db, actor, "hold", "hold.csv")
    load(db, actor, "hold", "hold_enkelt.xlsx")
    load(db, actor, "pro", "pro_standard.csv")


# --------------------------------------------------------------------------- patients


@pytest.mark.parametrize(
    "name", ["patienter.csv", "patienter_windows1252.csv", "patienter_komma.csv",
             "patienter.xlsx"],
)
def test_patients_import_the_same_from_every_file_format(db, actor, name) -> None:
    result = load(db, actor, "patienter", name)

    assert result.run_id is not None
    anne = patient(db, ANNE)
    assert (anne.first_name, anne.last_name) == ("Anne", "Sørensen")
    assert anne.sex == Sex.FEMALE and anne.birth_date == dt.date(1970, 5, 17)
    assert anne.referral_date == dt.date(2026, 6, 1)
    assert anne.pain_duration_years == 7.5
    assert anne.diagnosis == "Komplekse kroniske smerter (DR 52.2E)"
    assert patient(db, BJORN).last_name == "Æbelø"
    assert patient(db, CAMILLA).last_name == "Ødegaard-Hansen"
    assert patient(db, DORTHE).last_name == "Ågård"
    assert patient(db, DORTHE).pain_duration_years == 3.25
    erik = patient(db, ERIK)  # fails modulus 11: accepted, with a warning in the preview
    assert erik.microteam_id is None and erik.pal_laege_id is None
    assert any("modulus 11" in w.message and w.row == 6 for w in result.plan.warnings)
    nord = db.scalars(select(Microteam).where(Microteam.name == "Mikroteam Nord")).one()
    assert anne.microteam_id == nord.id
    assert db.get(Staff, anne.pal_laege_id).initials == "LL"
    assert db.get(Staff, anne.kontaktsygeplejerske_id).initials == "SS"
    members = {
        (s.initials, m.function) for m, s in db.execute(
            select(MicroteamMember, Staff).join(Staff, Staff.id == MicroteamMember.staff_id)
            .where(MicroteamMember.microteam_id == nord.id)
        )
    }
    assert members == {("LL", TeamFunction.PAL_LAEGE), ("SS", TeamFunction.KONTAKTSYGEPLEJERSKE)}


def test_every_write_has_an_audit_row_with_the_acting_user(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    rows = db.scalars(select(AuditLog)).all()
    assert rows and {r.actor_id for r in rows} == {actor.id}
    created = [r for r in rows if r.entity == "patient"]
    assert len(created) == 6 and all(r.action == "create" for r in created)
    assert {r.patient_id for r in created} == {
        p.id for p in db.scalars(select(Patient))
    }
    assert any(r.entity == "import_run" for r in rows)
    run = db.scalars(select(ImportRun)).one()
    assert (run.kind, run.created, run.updated, run.rows, run.actor_id) == (
        "patienter", 2 + 4 + 6, 0, 6, actor.id
    )


def test_a_changed_file_updates_only_what_changed_and_keeps_blank_cells(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    anne = patient(db, ANNE)
    # the name in other case and spacing is the same name: not a change, not a conflict
    text = ("CPR;Navn;Henvist;Diagnose;Smertevarighed\n"
            f"{ANNE};anne  SØRENSEN;02-06-2026;;8\n"
            f"{BJORN};Bjørn Æbelø;03-06-2026;Kroniske lænderygsmerter;12\n")
    result = apply_import(db, actor, "patienter", text.encode(), "rettelse.csv", today=TODAY)

    assert result.plan.updated == 1 and result.plan.unchanged == 1
    (change,) = result.plan.changes
    assert change.target_id == anne.id
    assert {d[0] for d in change.details} == {"Henvist", "Smertevarighed"}
    db.refresh(anne)
    assert anne.referral_date == dt.date(2026, 6, 2) and anne.pain_duration_years == 8
    assert (anne.first_name, anne.last_name) == ("Anne", "Sørensen")  # the stored spelling
    assert anne.diagnosis == "Komplekse kroniske smerter (DR 52.2E)"  # blank cell: kept
    update = db.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
    assert update.before["referral_date"] == "2026-06-01"
    assert update.after["referral_date"] == "2026-06-02"
    assert update.patient_id == anne.id and update.actor_id == actor.id


# --------------------------------------------------------------------------- CPR and identity

GUSTAV, OLDEST = "1208490407", "0204605424"  # see tests/data/make_examples.py


def _anne_wrongly_born(db: Session) -> Patient:
    """Anne as if typed in by hand with a birth date her CPR number does not give."""
    anne = patient(db, ANNE)
    anne.birth_date = dt.date(1970, 5, 18)
    db.flush()
    return anne


def test_a_known_cpr_with_another_name_is_refused_with_the_row_named(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    before = counts(db)

    with pytest.raises(ImportRejected) as rejected:
        load(db, actor, "patienter", "patienter_anden_person.csv")

    plan = rejected.value.plan
    (issue,) = plan.issues
    assert (issue.row, issue.column, issue.patient_id) == (3, "CPR", patient(db, ANNE).id)
    assert issue.message.startswith(
        "170570-0210 tilhører Anne Sørensen (født 17.05.1970) i databasen, men rækken angiver "
        "Anna Hansen (født 17.05.1970).")
    assert issue.text().startswith("Række 3, kolonne »CPR«: 170570-0210 tilhører")
    (conflict,) = plan.conflicts
    assert (conflict.row, conflict.cpr, conflict.approved) == (3, ANNE, False)
    assert conflict.details == (("Navn", "Anne Sørensen", "Anna Hansen"),)
    assert counts(db) == before  # all or nothing: not even Gustav in row 2
    assert patient(db, ANNE).first_name == "Anne"


def test_a_known_cpr_with_another_birth_date_is_refused(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    _anne_wrongly_born(db)
    before = counts(db)
    text = f"CPR;Fornavn;Efternavn;Henvist\n{ANNE};Anne;Sørensen;01-06-2026\n"

    with pytest.raises(ImportRejected) as rejected:
        apply_import(db, actor, "patienter", text.encode(), "f.csv", today=TODAY)

    (issue,) = rejected.value.plan.issues
    assert issue.row == 2 and "Anne Sørensen (født 18.05.1970) i databasen" in issue.message
    assert rejected.value.plan.conflicts[0].details == (
        ("Fødselsdato", "18.05.1970", "17.05.1970"),)
    assert counts(db) == before


def test_an_explicit_update_shows_before_and_after_and_is_audited(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    anne = patient(db, ANNE)
    data = (DATA / "patienter_anden_person.csv").read_bytes()

    plan = preview_import(db, actor, "patienter", data, "p.csv", today=TODAY,
                          update_existing={"170570-0210"})

    assert plan.ok and plan.conflicts[0].approved
    change = next(c for c in plan.changes if c.target_id == anne.id)
    assert change.details == [("Fornavn", "Anne", "Anna"), ("Efternavn", "Sørensen", "Hansen"),
                              ("Henvist", "01.06.2026", "01.09.2026")]
    assert "Anne Sørensen (170570-0210) (Fornavn: Anne → Anna; Efternavn: Sørensen → Hansen" \
        in plan.report_text()
    assert [(w.row, w.patient_id) for w in plan.warnings if "opdateres til" in w.message] == [
        (3, anne.id)]

    with db.begin_nested() as savepoint:  # the write and its audit row: one transaction
        result = apply_import(db, actor, "patienter", data, "p.csv", today=TODAY,
                              update_existing={ANNE}, expected_fingerprint=plan.fingerprint())
        assert result.plan.updated == 1 and result.plan.created == 1  # Gustav
        db.refresh(anne)
        assert (anne.first_name, anne.last_name) == ("Anna", "Hansen")
        update = db.scalars(select(AuditLog).where(AuditLog.action == "update",
                                                   AuditLog.entity == "patient")).one()
        assert (update.before["first_name"], update.before["last_name"]) == ("Anne", "Sørensen")
        assert (update.after["first_name"], update.after["last_name"]) == ("Anna", "Hansen")
        assert update.before["referral_date"] == "2026-06-01"
        assert update.after["referral_date"] == "2026-09-01"
        assert update.patient_id == anne.id and update.entity_id == anne.id
        assert update.actor_id == actor.id
        savepoint.rollback()
    db.refresh(anne)
    assert anne.first_name == "Anne"
    assert not db.scalars(select(AuditLog).where(AuditLog.action == "update")).all()


def test_an_explicit_update_of_the_birth_date_follows_the_cpr_number(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    anne = _anne_wrongly_born(db)
    text = f"CPR;Fornavn;Efternavn\n{ANNE};Anne;Sørensen\n"

    result = apply_import(db, actor, "patienter", text.encode(), "f.csv", today=TODAY,
                          update_existing=True)

    (change,) = result.plan.changes
    assert change.details == [("Fødselsdato", "18.05.1970", "17.05.1970")]
    db.refresh(anne)
    assert anne.birth_date == dt.date(1970, 5, 17)
    update = db.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
    assert (update.before["birth_date"], update.after["birth_date"]) == (
        "1970-05-18", "1970-05-17")
    assert update.actor_id == actor.id


def test_only_the_rows_chosen_for_update_are_let_through(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    text = ("CPR;Navn;Henvist\n"
            f"{ANNE};Anna Hansen;01-06-2026\n"
            f"{BJORN};Bent Bo;03-06-2026\n")
    before = counts(db)

    with pytest.raises(ImportRejected) as rejected:
        apply_import(db, actor, "patienter", text.encode(), "f.csv", today=TODAY,
                     update_existing={"170570-0210"})

    plan = rejected.value.plan
    assert [(c.row, c.approved) for c in plan.conflicts] == [(2, True), (3, False)]
    assert [i.row for i in plan.issues] == [3]
    assert counts(db) == before


def test_the_same_person_again_is_neither_refused_nor_changed(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    before = counts(db)
    # Navn as »Efternavn, Fornavn«, other case and spacing, a first name only: the same people
    text = ("CPR;Navn;Henvist\n"
            f"{ANNE};sørensen,   ANNE;01-06-2026\n"
            f"{CAMILLA};Camilla  Ødegaard-Hansen;10-06-2026\n"
            f"{BJORN};;03-06-2026\n")
    result = apply_import(db, actor, "patienter", text.encode(), "igen.csv", today=TODAY)
    assert result.run_id is None and not result.plan.conflicts
    assert result.plan.unchanged == 3
    first_only = f"CPR;Fornavn;Efternavn\n{ANNE};anne;\n"
    assert apply_import(db, actor, "patienter", first_only.encode(), "fornavn.csv",
                        today=TODAY).run_id is None
    assert counts(db) == before


def test_after_an_update_the_same_file_is_idempotent_without_choosing_again(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load_with = apply_import(db, actor, "patienter",
                             (DATA / "patienter_anden_person.csv").read_bytes(), "p.csv",
                             today=TODAY, update_existing=True)
    assert load_with.run_id is not None
    before = counts(db)

    again = load(db, actor, "patienter", "patienter_anden_person.csv")

    assert again.run_id is None and not again.plan.conflicts and again.plan.unchanged == 2
    assert counts(db) == before


def test_a_birth_date_before_1900_is_refused_naming_the_row(db, actor) -> None:
    """Issue 13: a CPR number whose 7th digit puts the birth in the 1800s is no patient."""
    before = counts(db)
    with pytest.raises(ImportRejected) as rejected:
        load(db, actor, "patienter", "patienter_usandsynlig_alder.csv")

    (issue,) = rejected.value.plan.issues
    assert issue.text() == (
        "Række 2, kolonne »CPR«: 020460-5424: fødselsdatoen 02.04.1860 ligger før år 1900. "
        "Kontrollér CPR-nummeret (7. ciffer afgør århundredet).")
    assert not db.scalars(select(Patient).where(Patient.cpr == OLDEST)).all()
    assert counts(db) == before


def test_a_patient_over_110_is_imported_with_a_warning_naming_the_row(db, actor) -> None:
    from conference.cpr import make_cpr

    born = make_cpr(dt.date(1905, 4, 2), "K", 19)  # 121 years old at the referral
    text = f"CPR;Navn;Henvist\n{born};Olga Oldemor;01-06-2026\n".encode()
    result = apply_import(db, actor, "patienter", text, "f.csv", today=TODAY)

    assert result.run_id is not None  # a warning does not stop the import
    assert patient(db, born).birth_date == dt.date(1905, 4, 2)
    (warning,) = result.plan.warnings
    assert (warning.row, warning.column) == (2, "CPR")
    assert warning.text() == (
        f"Række 2, kolonne »CPR«: {born[:6]}-{born[6:]}: fødselsdatoen 02.04.1905 giver en "
        "alder på 121 år ved henvisningen 01.06.2026 – over 110 år. Kontrollér CPR-nummeret "
        "(7. ciffer afgør århundredet).")
    assert "Advarsler (forhindrer ikke importen):" in result.plan.report_text()


def test_the_age_check_uses_the_import_date_passed_in(db, actor) -> None:
    from conference.cpr import make_cpr

    born = make_cpr(dt.date(1915, 9, 1), "M", 3)  # 110 at the referral, 111 on 25.11.2026
    text = f"CPR;Navn;Henvist\n{born};Ib Ældst;01-06-2026\n".encode()

    early = preview_import(db, actor, "patienter", text, "f.csv", today=dt.date(2026, 8, 31))
    late = preview_import(db, actor, "patienter", text, "f.csv", today=TODAY)

    assert early.ok and not early.warnings
    (warning,) = late.warnings
    assert "en alder på 111 år i dag (25.11.2026)" in warning.message


def test_a_birth_date_after_the_referral_date(db, actor) -> None:
    """In the row: refused. Stored (the row has no Henvist): a warning on the row."""
    load(db, actor, "patienter", "patienter.csv")
    in_row = f"CPR;Navn;Henvist\n{FRIDA};Frida Nielsen;31-12-2000\n"
    with pytest.raises(ImportRejected) as rejected:
        apply_import(db, actor, "patienter", in_row.encode(), "f.csv", today=TODAY)
    (issue,) = rejected.value.plan.issues
    assert (issue.row, issue.column) == (2, "Henvist")
    assert "henvist 31.12.2000 før fødselsdatoen 01.01.2001" in issue.message

    frida = patient(db, FRIDA)
    frida.referral_date = dt.date(2000, 12, 31)  # stored before this change
    db.flush()
    stored = f"CPR;Navn;Diagnose\n{FRIDA};Frida Nielsen;Migræne\n"
    result = apply_import(db, actor, "patienter", stored.encode(), "f.csv", today=TODAY)
    assert result.run_id is not None
    (warning,) = result.plan.warnings
    assert (warning.row, warning.column, warning.patient_id) == (2, "CPR", frida.id)
    assert warning.message == (
        "010101-4320: fødselsdatoen 01.01.2001 ligger efter henvisningsdatoen 31.12.2000. "
        "Kontrollér CPR-nummeret og henvisningsdatoen.")


# --------------------------------------------------------------------------- courses


def test_course_events_import_and_make_the_patient_due(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "forloeb", "forloeb.csv")

    anne = patient(db, ANNE)
    events = {e.intervention.code: e for e in db.scalars(
        select(CourseEvent).where(CourseEvent.patient_id == anne.id))}
    assert set(events) == {"visitation", "kort_primaersamtale", "lang_primaersamtale",
                           "livet_med_smerter"}
    long = events["lang_primaersamtale"]
    assert long.status == CourseStatus.DONE and long.finding == Finding.UNCERTAIN_NEED
    assert long.start_date == dt.date(2026, 7, 1) and long.note.startswith("Drøftes")
    assert events["livet_med_smerter"].status == CourseStatus.PLANNED
    row = next(r for r in list_patients(db, TODAY).rows if r.id == anne.id)
    assert "uafklaret_behandlingsbehov" in [d.code for d in row.due]
    camilla = patient(db, CAMILLA)
    psych = db.scalars(select(CourseEvent).where(CourseEvent.patient_id == camilla.id)).one()
    assert psych.finding == Finding.HEAVY_PSYCH_LOAD and psych.staff_id is not None


# --------------------------------------------------------------------------- groups


def test_group_roster_creates_groups_sessions_attendance_and_links_the_course(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "forloeb", "forloeb.csv")
    load(db, actor, "hold", "hold.csv")

    lms = db.scalars(select(TherapyGroup).where(
        TherapyGroup.name == "Livet med smerter – hold 41")).one()
    assert [s.date for s in lms.sessions] == [dt.date(2026, 10, d) for d in (7, 14, 21, 28)]
    assert (lms.start_date, lms.end_date) == (dt.date(2026, 10, 7), dt.date(2026, 10, 28))
    therapists = set(db.scalars(select(Staff.initials).join(
        GroupTherapist, GroupTherapist.staff_id == Staff.id).where(
        GroupTherapist.group_id == lms.id)))
    assert therapists == {"PP", "FF"}
    afs = db.scalars(select(TherapyGroup).where(TherapyGroup.name == "Afspænding – hold 7")).one()
    assert [s.date for s in afs.sessions] == [dt.date(2026, 11, 9), dt.date(2026, 11, 16)]

    frida = db.scalars(select(Enrolment).where(
        Enrolment.patient_id == patient(db, FRIDA).id)).one()
    assert frida.status == EnrolmentStatus.DROPPED_OUT
    bjorn = patient_detail(db, patient(db, BJORN).id, TODAY)
    (entry,) = [e for e in bjorn.timeline if e.code == "livet_med_smerter"]
    assert entry.group_name == lms.name and entry.status == CourseStatus.DONE.value
    assert [s.date for s in entry.missed()] == [dt.date(2026, 10, 14)]
    # Anne's planned Livet med smerter (from forloeb.csv) is linked, not duplicated
    anne = patient_detail(db, patient(db, ANNE).id, TODAY)
    lms_entries = [e for e in anne.timeline if e.code == "livet_med_smerter"]
    assert len(lms_entries) == 1 and lms_entries[0].group_name == lms.name
    assert lms_entries[0].status == CourseStatus.DONE.value
    statuses = [s.status for s in lms_entries[0].sessions]
    assert statuses == ["moedt", "moedt", "afbud", "moedt"]


def test_a_single_group_sheet_keeps_future_sessions(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "hold", "hold_enkelt.xlsx")
    group = db.scalars(select(TherapyGroup)).one()
    assert [s.date for s in group.sessions] == [
        dt.date(2026, 11, 5), dt.date(2026, 11, 12), dt.date(2026, 11, 26), dt.date(2026, 12, 3)]
    assert db.scalar(select(func.count()).select_from(Attendance)) == 4
    statuses = set(db.scalars(select(CourseEvent.status)))
    assert statuses == {CourseStatus.IN_PROGRESS}  # the group runs on 25 November


def test_a_later_roster_adds_sessions_after_the_last_and_refuses_earlier_ones(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "hold", "hold_enkelt.xlsx")
    grp, kind = "Mindfulness – hold 3", "Mindfulness"
    later = (f"Hold;Indsats;CPR;05-11-2026;12-11-2026;10-12-2026\n"
             f"{grp};{kind};{DORTHE};M;U;A\n").encode()  # afbud: the one mark given ahead
    result = apply_import(db, actor, "hold", later, "senere.csv", today=TODAY)
    assert result.plan.counts() == {("group_session", "create"): 1,
                                    ("therapy_group", "update"): 1,
                                    ("attendance", "create"): 1}
    group = db.scalars(select(TherapyGroup)).one()
    db.refresh(group)
    assert group.end_date == dt.date(2026, 12, 10) and group.sessions[-1].number == 5

    before = counts(db)
    earlier = f"Hold;Indsats;CPR;01-11-2026\n{grp};{kind};{DORTHE};M\n".encode()
    with pytest.raises(ImportRejected) as rejected:
        apply_import(db, actor, "hold", earlier, "tidligere.csv", today=TODAY)
    (issue,) = rejected.value.plan.issues
    assert issue.column == "01.11.2026" and "kun tilføjes efter den sidste" in issue.message
    assert counts(db) == before


def test_a_corrected_roster_updates_attendance_and_status_with_audit(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "hold", "hold.csv")
    grp = "Livet med smerter – hold 41"
    fixed = (f"Hold;Indsats;CPR;Status;07-10-2026;14-10-2026\n"
             f"{grp};Livet med smerter;{BJORN};gennemført;M;A\n").encode()

    result = apply_import(db, actor, "hold", fixed, "rettet.csv", today=TODAY)

    assert result.plan.counts() == {("enrolment", "update"): 1, ("attendance", "update"): 1}
    bjorn = patient(db, BJORN)
    marks = db.scalars(select(Attendance).join(Enrolment).where(
        Enrolment.patient_id == bjorn.id)).all()
    assert sorted(m.status.value for m in marks) == ["afbud", "moedt", "moedt", "moedt"]
    update = db.scalars(select(AuditLog).where(AuditLog.entity == "attendance",
                                               AuditLog.action == "update")).one()
    assert update.before["status"] == "udeblevet" and update.after["status"] == "afbud"
    assert update.patient_id == bjorn.id and update.actor_id == actor.id


# --------------------------------------------------------------------------- PRO


def test_pro_answers_are_scored_with_the_registry(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    result = load(db, actor, "pro", "pro_standard.csv")

    assert result.plan.created == 4
    assert [(w.row, w.message) for w in result.plan.warnings] == [
        (6, "ingen svar – rækken springes over")]
    scores = {
        (cpr, tp.value, code): (items, score)
        for cpr, tp, code, items, score in db.execute(
            select(Patient.cpr, ProResponse.timepoint, ProScore.instrument, ProScore.items,
                   ProScore.score)
            .join(ProResponse, ProResponse.id == ProScore.response_id)
            .join(Patient, Patient.id == ProResponse.patient_id)
        )
    }
    assert scores[(ANNE, "baseline", "pcs")] == (
        [3, 3, 2, 4, 3, 2, 3, 2, 3, 3, 2, 4, 3], 37.0)
    assert scores[(ANNE, "baseline", "eq5d_index")][1] == pro.eq5d_index([2, 1, 3, 4, 3])
    assert scores[(ANNE, "baseline", "pdi")] == (None, 41.5)  # a score given with decimal comma
    assert scores[(ANNE, "baseline", "nrs_avg")] == ([7], 7.0)
    bjorn_pcs = scores[(BJORN, "baseline", "pcs")]
    assert bjorn_pcs[0][2] is None and bjorn_pcs[1] == pro.score("pcs", bjorn_pcs[0])  # prorated
    assert (ANNE, "midtvejs", "who5") in scores and (ANNE, "midtvejs", "eq5d_index") not in scores
    answered = db.scalar(select(ProResponse.answered_on).join(Patient).where(
        Patient.cpr == BJORN))
    assert answered == dt.date(2026, 6, 6)  # '06.06.2026 09:30': the time is dropped
    audit = db.scalars(select(AuditLog).where(
        AuditLog.entity == "pro_response", AuditLog.patient_id == patient(db, ANNE).id)).all()
    baseline = next(a for a in audit if a.after["timepoint"] == "baseline")
    assert baseline.actor_id == actor.id and baseline.after["scores"]["pcs"] == 37.0


def test_changed_answers_update_the_stored_response(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "pro", "pro_standard.csv")
    changed = f"CPR;Tidspunkt;Besvaret;nrs_avg;PDI\n{ANNE};baseline;05-06-2026;4;41,5\n"

    result = apply_import(db, actor, "pro", changed.encode(), "ret.csv", today=TODAY)

    (change,) = result.plan.changes
    assert change.details == [("NRS gennemsnit", "7", "4")]
    response = db.scalars(select(ProResponse).join(Patient).where(
        Patient.cpr == ANNE, ProResponse.timepoint == Timepoint.BASELINE)).one()
    scores = {s.instrument: s.score for s in db.scalars(
        select(ProScore).where(ProScore.response_id == response.id))}
    assert scores["nrs_avg"] == 4 and scores["pcs"] == 37  # the rest is kept
    update = db.scalars(select(AuditLog).where(AuditLog.entity == "pro_response",
                                               AuditLog.action == "update")).one()
    assert update.before["scores"]["nrs_avg"] == 7 and update.after["scores"]["nrs_avg"] == 4
    assert update.actor_id == actor.id and update.patient_id == response.patient_id


def test_a_source_mapping_reads_the_questionnaire_systems_own_export(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    mapping = json.loads((DATA / "pro_paindata_kortlaegning.json").read_text(encoding="utf-8"))
    save_mapping(db, actor, "PainData", mapping)

    result = load(db, actor, "pro", "pro_paindata.csv", source="PainData")

    assert result.plan.created == 3
    assert [w.column for w in result.plan.warnings] == ["Kommentar"]
    responses = {
        (cpr, tp): r for r, cpr, tp in db.execute(
            select(ProResponse, Patient.cpr, ProResponse.timepoint).join(Patient))
    }
    end = responses[(ANNE, Timepoint.AFSLUTNING)]
    assert end.source == "PainData" and end.answered_on == dt.date(2026, 11, 20)
    by_code = {s.instrument: s for s in db.scalars(
        select(ProScore).where(ProScore.response_id == end.id))}
    assert by_code["hads_a"].score == 8 and by_code["hads_a"].items is None
    assert by_code["eq5d_index"].score == pytest.approx(0.655)
    assert by_code["pgic"].items == [2]
    assert by_code["pcs"].score == 22


def test_an_unknown_source_is_refused_in_danish(db, actor) -> None:
    with pytest.raises(InvalidInput, match="ingen gemt kolonnekortlægning for kilden »Ukendt«"):
        load(db, actor, "pro", "pro_paindata.csv", source="Ukendt")


def test_a_stale_mapping_save_is_refused_and_the_saved_one_kept(db, actor) -> None:
    mapping = json.loads((DATA / "pro_paindata_kortlaegning.json").read_text(encoding="utf-8"))
    row = save_mapping(db, actor, "PainData", mapping)
    first = row.version
    smaller = {**mapping, "columns": {k: v for k, v in list(mapping["columns"].items())[:5]}}
    save_mapping(db, actor, "PainData", smaller, expected_version=first)
    with pytest.raises(InvalidInput, match="efter du åbnede version 1"):
        save_mapping(db, actor, "PainData", mapping, expected_version=first)
    db.refresh(row)
    assert len(row.mapping["columns"]) == 5


@pytest.mark.parametrize(("saved_utc", "shown"), [
    (dt.datetime(2026, 7, 15, 8, 30, tzinfo=dt.UTC), "15. jul. 2026 kl. 10:30"),  # summer
    (dt.datetime(2026, 1, 15, 8, 30, tzinfo=dt.UTC), "15. jan. 2026 kl. 09:30"),  # winter
])
def test_the_mapping_conflict_names_the_other_save_in_danish_time(
    db, actor, saved_utc, shown
) -> None:
    mapping = json.loads((DATA / "pro_paindata_kortlaegning.json").read_text(encoding="utf-8"))
    first = save_mapping(db, actor, "PainData", mapping).version
    row = save_mapping(db, actor, "PainData", mapping, expected_version=first)
    row.updated_at = saved_utc  # the other save, at a fixed moment (stored in UTC)
    db.flush()
    db.expire(row)
    with pytest.raises(InvalidInput) as refused:
        save_mapping(db, actor, "PainData", mapping, expected_version=first)
    assert f"gemt af {actor.name} {shown} (version" in str(refused.value)


# --------------------------------------------------------------------------- broken files

BROKEN = [
    ("patienter", "patienter_forkert_cpr.csv", [
        (3, "CPR", "31.02.1970 er ikke en gyldig dato"),
        (5, "CPR", "har 5 cifre; der skal være 10"),
    ]),
    ("patienter", "patienter_dublet.csv", [(4, "CPR", "står også i række 2 (dublet)")]),
    ("patienter", "patienter_ukendt_medarbejder.csv", [
        (2, "PAL-læge", "ukendt medarbejder »XYZ«"),
        (2, "Kontaktsygeplejerske", "er læge, ikke sygeplejerske"),
    ]),
    ("patienter", "patienter_mojibake.csv", [(None, None, "forkert kodede bogstaver")]),
    ("patienter", "patienter_utf16_uden_bom.csv", [(None, None, "binære data")]),
    ("patienter", "patienter_gammel.xls", [(None, None, "gamle Excel-format (.xls)")]),
    ("forloeb", "forloeb_umulig_dato.csv", [
        (2, "Start", "'31-02-2026' er ikke en gyldig dato"),
        (3, "Planlagt", "'2026-13-01' er ikke en gyldig dato"),
        (4, "Start", "årstallet skal have fire cifre"),
        (5, "Slut", "ligger før startdatoen"),
    ]),
    ("forloeb", "forloeb_ukendt_indsats.csv", [
        (3, "Indsats", "ukendt indsats »Akupunktur«"),
        (4, "CPR", "ukendt CPR-nummer 030349-0353"),
        (5, "Status", "ukendt status »Færdig«"),
    ]),
    ("forloeb", "forloeb_mangler_kolonne.csv", [(1, "Status", "kolonnen mangler")]),
    ("hold", "hold_fejl.csv", [
        (2, "14-10-2026", "ukendt fremmøde »Q«"),
        (3, "Indsats", "er ikke et hold"),
        (4, "CPR", "står også på »Livet med smerter – hold 41« i række 2 (dublet)"),
    ]),
    ("pro", "pro_uden_for_skala.csv", [
        (2, "nrs_avg", "svaret 11 ligger uden for skalaen 0–10"),
        (2, "pcs_4", "spørgsmål 4: svaret 5 ligger uden for skalaen 0–4"),
        (3, "PDI", "scoren 75 ligger uden for skalaen 0–70"),
        (4, "nrs_avg", "svaret 6,5 skal være et helt tal"),
        (5, "CPR", "ukendt CPR-nummer 030349-0353"),
        (6, "Tidspunkt", "står også i række 2 (dublet)"),
        (7, "Tidspunkt", "ukendt tidspunkt »Før«"),
    ]),
]


@pytest.mark.parametrize(("kind", "name", "expected"), BROKEN, ids=[b[1] for b in BROKEN])
def test_a_broken_file_is_rejected_with_every_bad_row_and_writes_nothing(
    db, actor, kind, name, expected
) -> None:
    load(db, actor, "patienter", "patienter.csv")
    before = counts(db)

    with pytest.raises(ImportRejected) as rejected:
        load(db, actor, kind, name)

    issues = rejected.value.plan.issues
    assert [(i.row, i.column) for i in issues] == [(r, c) for r, c, _ in expected]
    for issue, (_row, _column, text) in zip(issues, expected, strict=True):
        assert text in issue.message
    assert "Intet er gemt" in str(rejected.value)
    assert counts(db) == before


# --------------------------------------------------------------------------- idempotence


EXAMPLES = [
    ("patienter", "patienter.csv", None),
    ("patienter", "patienter.xlsx", None),
    ("patienter", "patienter_windows1252.csv", None),
    ("patienter", "patienter_komma.csv", None),
    ("forloeb", "forloeb.csv", None),
    ("hold", "hold.csv", None),
    ("hold", "hold_enkelt.xlsx", None),
    ("pro", "pro_standard.csv", None),
    ("pro", "pro_paindata.csv", "PainData"),
]


@pytest.mark.parametrize(("kind", "name", "source"), EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    db, actor, kind, name, source
) -> None:
    if kind != "patienter":
        load(db, actor, "patienter", "patienter.csv")
    if kind == "hold":
        load(db, actor, "forloeb", "forloeb.csv")
    if source:
        save_mapping(db, actor, source, json.loads(
            (DATA / "pro_paindata_kortlaegning.json").read_text(encoding="utf-8")))
    first = load(db, actor, kind, name, source)
    assert first.run_id is not None and first.plan.changes
    before = counts(db)

    again = load(db, actor, kind, name, source)

    assert again.run_id is None and not again.plan.changes
    assert again.plan.unchanged == first.plan.rows - len(
        [w for w in first.plan.warnings if "springes over" in w.message])
    assert counts(db) == before  # not even an audit row or an import run
    assert again.plan.previous_import is not None and again.plan.previous_import.endswith("af LL")


def test_the_same_patients_in_another_format_change_nothing(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    before = counts(db)
    for name in ("patienter.xlsx", "patienter_windows1252.csv", "patienter_komma.csv"):
        assert load(db, actor, "patienter", name).run_id is None
    assert counts(db) == before


def test_a_preview_that_went_stale_is_not_applied(db, actor) -> None:
    data = (DATA / "patienter.csv").read_bytes()
    plan = preview_import(db, actor, "patienter", data, "patienter.csv", today=TODAY)
    f.patient(db, "Mellem", "Tiden")  # unrelated: the plan stays the same
    assert preview_import(db, actor, "patienter", data, "x", today=TODAY).fingerprint() == \
        plan.fingerprint()
    other = "CPR;Navn;Henvist\n" f"{ANNE};Anne Sørensen;01-06-2026\n"
    apply_import(db, actor, "patienter", other.encode(), "en.csv", today=TODAY)
    before = counts(db)
    with pytest.raises(InvalidInput, match="ændret, siden forhåndsvisningen"):
        apply_import(db, actor, "patienter", data, "patienter.csv", today=TODAY,
                     expected_fingerprint=plan.fingerprint())
    assert counts(db) == before


# --------------------------------------------------------------------------- plausibility
# Issue 13: what no clinic file holds is refused with the row and column, nothing written.


def rejected_issues(db: Session, actor: Staff, kind: str, data: str | bytes,
                    name: str = "f.csv") -> list[tuple[int | None, str | None, str]]:
    before = counts(db)
    with pytest.raises(ImportRejected) as rejected:
        apply_import(db, actor, kind, data.encode() if isinstance(data, str) else data, name,
                     today=TODAY)
    assert "Intet er gemt" in str(rejected.value)
    assert counts(db) == before
    return [(i.row, i.column, i.message) for i in rejected.value.plan.issues]


def test_birth_and_referral_dates_after_today_or_before_1900_are_refused(db, actor) -> None:
    from conference.cpr import make_cpr

    unborn = make_cpr(dt.date(2030, 1, 1), "K", 1)  # 7th digit 4-9 and year 30: 2030
    text = (f"CPR;Navn;Henvist\n{unborn};Fremtid Barn;01-06-2026\n"
            f"{ANNE};Anne Sørensen;01-01-2099\n{CAMILLA};Camilla Hansen;31-12-1899\n"
            f"{DORTHE};Dorthe Ågård;25-11-2026\n")

    assert rejected_issues(db, actor, "patienter", text) == [
        (2, "CPR", f"{unborn[:6]}-{unborn[6:]}: fødselsdatoen 01.01.2030 ligger efter dags "
                   "dato (25.11.2026). Kontrollér CPR-nummeret (7. ciffer afgør århundredet)."),
        (3, "Henvist", "henvisningsdatoen 01.01.2099 ligger efter dags dato (25.11.2026)"),
        (4, "Henvist", "henvisningsdatoen 31.12.1899 ligger før år 1900"),
    ]  # row 5, referred today, is fine


def test_course_dates_only_a_planned_step_may_lie_ahead(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    text = ("CPR;Indsats;Status;Planlagt;Start;Slut\n"
            f"{ANNE};visitation;Gennemført;;01-01-2099;01-01-2099\n"
            f"{BJORN};Kort primærsamtale;Planlagt;01-01-2099;01-02-2099;\n"
            f"{CAMILLA};visitation;Gennemført;;01-01-1980;\n"
            f"{DORTHE};visitation;Gennemført;15-06-1899;;\n"
            f"{ERIK};visitation;I gang;;01-12-2026;\n")
    ahead = "kun en planlagt indsats kan have start- og slutdato efter i dag"

    assert rejected_issues(db, actor, "forloeb", text) == [
        (2, "Start", f"startdatoen 01.01.2099 ligger efter dags dato (25.11.2026); {ahead}"),
        (2, "Slut", f"slutdatoen 01.01.2099 ligger efter dags dato (25.11.2026); {ahead}"),
        (4, "Start", "startdatoen 01.01.1980 ligger før patientens fødselsdato (28.02.1985)"),
        (5, "Planlagt", "den planlagte dato 15.06.1899 ligger før år 1900"),
        (6, "Start", f"startdatoen 01.12.2026 ligger efter dags dato (25.11.2026); {ahead}"),
    ]  # row 3, a plan for 2099, is fine


def test_pro_answered_after_today_or_before_birth_is_refused(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    text = ("CPR;Tidspunkt;Besvaret;nrs_avg\n"
            f"{ANNE};baseline;01-01-2099;5\n{BJORN};baseline;01-01-1950;5\n"
            f"{CAMILLA};baseline;12-06-2026;5\n")

    assert rejected_issues(db, actor, "pro", text) == [
        (2, "Besvaret", "besvarelsesdatoen 01.01.2099 ligger efter dags dato (25.11.2026)"),
        (3, "Besvaret", "besvarelsesdatoen 01.01.1950 ligger før patientens fødselsdato "
                        "(03.11.1958)"),
    ]


LMS = "Livet med smerter – hold 41;Livet med smerter"


@pytest.mark.parametrize(("header", "reason"), [
    ("14-13-2026", "'14-13-2026' er ikke en gyldig dato, så fremmødet i kolonnen (2 celler) "
                   "ville gå tabt"),
    ("14/10", "'14/10' kan ikke læses som en dato (brug dd-mm-åååå), så fremmødet"),
    ("Uge 43", "'Uge 43' kan ikke læses som en dato (brug dd-mm-åååå), så fremmødet"),
    ("Holdgang", "kolonnen er hverken en kendt kolonne eller en dato, men har fremmøde i 2 "
                 "celler, som ville gå tabt"),
])
def test_a_group_column_the_importer_cannot_read_is_refused_when_it_holds_marks(
    db, actor, header, reason
) -> None:
    load(db, actor, "patienter", "patienter.csv")
    text = (f"Hold;Indsats;CPR;07-10-2026;{header}\n{LMS};{ANNE};M;M\n{LMS};{BJORN};M;A\n")

    ((row, column, message),) = rejected_issues(db, actor, "hold", text)

    assert (row, column) == (1, header) and message.startswith(reason)


def test_an_unknown_group_column_without_marks_is_only_a_warning(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    text = (f"Hold;Indsats;CPR;07-10-2026;Kommentar;Uge 44\n{LMS};{ANNE};M;ringer;\n")

    result = apply_import(db, actor, "hold", text.encode(), "f.csv", today=TODAY)

    assert result.run_id is not None
    assert [(w.column, w.message) for w in result.plan.warnings] == [
        ("Kommentar", "kolonnen bruges ikke"), ("Uge 44", "kolonnen bruges ikke")]


def test_attendance_after_today_is_refused_except_afbud(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    text = ("Hold;Indsats;CPR;Status;18-11-2026;02-12-2026\n"
            f"{LMS};{ANNE};;M;M\n{LMS};{BJORN};;M;A\n{LMS};{CAMILLA};Gennemført;M;\n")

    assert rejected_issues(db, actor, "hold", text) == [
        (2, "02-12-2026", "fremmøde »M« på holdgangen 02.12.2026 ligger efter dags dato "
                          "(25.11.2026); kun afbud kan registreres på forhånd"),
        (4, "Status", "»Gennemført«, men holdets sidste holdgang (02.12.2026) ligger efter dags "
                      "dato (25.11.2026)"),
    ]  # Bjørn's afbud ahead is fine
    old = f"Hold;Indsats;CPR;01-01-1899\n{LMS};{ANNE};M\n"
    assert rejected_issues(db, actor, "hold", old) == [
        (1, "01-01-1899", "holdgangen 01.01.1899 ligger før år 1900")]


def test_control_and_bidi_characters_in_a_file_are_refused_naming_row_and_column(
    db, actor
) -> None:
    text = (f"CPR;Fornavn;Efternavn;Henvist\n{ANNE};Anne\x07;Sørensen;01-06-2026\n"
            f"{BJORN};Bjørn;\u202eølebÆ;03-06-2026\n{CAMILLA};Ca\u200bmilla;Hansen\x1b;"
            "10-06-2026\n")

    issues = rejected_issues(db, actor, "patienter", text, name="patienter\u202egsv.csv")

    assert [(row, column) for row, column, _ in issues] == [
        (2, "Fornavn"), (3, "Efternavn"), (4, "Fornavn"), (4, "Efternavn")]
    assert "styretegnet BEL (U+0007)" in issues[0][2]
    assert "et tegn, der vender skriveretningen (U+202E)" in issues[1][2]
    assert "et usynligt tegn (U+200B)" in issues[2][2]
    assert "styretegnet ESC (U+001B)" in issues[3][2]
    plan = preview_import(db, actor, "patienter", text.encode(), "patienter\u202egsv.csv",
                          today=TODAY)
    assert plan.file_name == "patientergsv.csv"
    assert not any(ch in plan.report_text() for ch in "\x07\x1b\u202e\u200b")


def test_a_nul_byte_late_in_the_file_is_refused_before_anything_is_read(db, actor) -> None:
    data = (DATA / "patienter.csv").read_bytes().replace(b"Frida", b"Fri\x00da")

    assert rejected_issues(db, actor, "patienter", data) == [
        (None, None, "Filen indeholder et NUL-tegn (byte 0) på linje 7. Det hører ikke hjemme "
                     "i en CSV-fil: filen er beskadiget eller sat sammen af flere filer. "
                     "Eksportér den igen fra kilden.")]


def test_cells_beyond_the_header_are_refused(db, actor) -> None:
    text = (f"CPR;Navn;Henvist\n{ANNE};Anne Sørensen;01-06-2026\n"
            f"{BJORN};Bjørn Æbelø;03-06-2026;Mikroteam Nord\n")
    ((row, column, message),) = rejected_issues(db, actor, "patienter", text)
    assert (row, column) == (3, "kolonne 4")
    assert message.startswith("rækken har 4 celler, men overskriftsrækken kun 3")


def test_a_cpr_number_stored_in_excel_as_a_fraction_is_refused(db, actor) -> None:
    book = Workbook()
    book.active.append(["CPR", "Navn", "Henvist"])
    book.active.append([1705700210, "Anne Sørensen", dt.date(2026, 6, 1)])
    book.active.append([311580221.5, "Bjørn Æbelø", dt.date(2026, 6, 3)])
    buffer = io.BytesIO()
    book.save(buffer)

    ((row, column, message),) = rejected_issues(db, actor, "patienter", buffer.getvalue(),
                                                name="p.xlsx")

    assert (row, column) == (3, "CPR")
    assert message.startswith("CPR-nummeret er gemt som et tal med decimaler (311580221,5)")


def test_database_errors_never_show_the_statements_parameters(clean_engine) -> None:
    """make_engine hides parameters: an error's text (every traceback, every log line made
    from it) names the statement but not the CPR number and name bound to it."""
    assert clean_engine.hide_parameters
    with clean_engine.connect() as connection, pytest.raises(DBAPIError) as failed:
        connection.execute(sql("INSERT INTO no_such_table (cpr, navn) VALUES (:cpr, :navn)"),
                           {"cpr": ANNE, "navn": "Anne Sørensen"})
    assert ANNE not in str(failed.value) and "Sørensen" not in str(failed.value)
    assert "SQL parameters hidden" in str(failed.value)


def _refused_by_the_database(db: Session, actor: Staff, plan, caplog) -> str:  # noqa: ANN001
    before = counts(db)
    with (caplog.at_level(logging.ERROR), pytest.raises(InvalidInput) as refused,
          db.begin_nested()):  # the nested transaction: the caller's rollback
        apply_plan(db, actor, plan)
    assert counts(db) == before
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    (record,) = [r for r in caplog.records if r.name == "conference.services.imports"]
    assert record.exc_info is None
    for secret in (ANNE, "170570", "Anne", "Sørensen", "Gustav", "Holm", "1208490407"):
        assert secret not in str(refused.value) and secret not in record.getMessage()
    return str(refused.value)


def test_a_database_error_while_importing_is_danish_and_names_no_patient(
    db, actor, monkeypatch, caplog
) -> None:
    from conference.services import imports as service

    plan = preview_import(db, actor, "patienter", (DATA / "patienter.csv").read_bytes(),
                          "patienter.csv", today=TODAY)
    write = service._APPLY["patienter"]

    def refused_after_writing(session, who, planned, trail) -> None:  # noqa: ANN001
        write(session, who, planned, trail)
        raise DataError("INSERT INTO patient (cpr, first_name) VALUES (%(cpr)s, %(first)s)",
                        {"cpr": ANNE, "first": "Anne"},
                        Exception(f"DETAIL: Key (cpr)=({ANNE}) Anne Sørensen"))

    monkeypatch.setitem(service._APPLY, "patienter", refused_after_writing)

    message = _refused_by_the_database(db, actor, plan, caplog)

    assert message == ("Databasen afviste importen, så intet er gemt. Filen blev godkendt ved "
                       "kontrollen, men noget i den kunne ikke gemmes; kontakt den "
                       "systemansvarlige (fejlkode Exception).")


def test_a_nul_that_reaches_postgresql_is_a_danish_refusal_not_a_traceback(
    db, actor, caplog
) -> None:
    """The reader refuses NUL bytes (above); should one reach PostgreSQL anyway (it cannot
    store them; SQLite can), the import is refused in Danish, nothing written or logged."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite stores NUL; the reader's refusal is tested on both databases")
    plan = preview_import(db, actor, "patienter",
                          f"CPR;Navn;Henvist\n{GUSTAV};Gustav Holm;01-09-2026\n".encode(),
                          "f.csv", today=TODAY)
    plan.changes[0].payload["last_name"] = "Ho\x00lm"

    message = _refused_by_the_database(db, actor, plan, caplog)

    assert message.startswith("Databasen afviste importen, så intet er gemt.")
    assert message.endswith("(fejlkode DataError).")


# --------------------------------------------------------------------------- exports


def _decided(db: Session, actor: Staff) -> int:
    meeting = f.conference(db, dt.date(2026, 11, 18))
    who = patient(db, ANNE)
    item = f.presented(db, meeting, who, "uafklaret_behandlingsbehov")
    conclusion = Conclusion(agenda_item_id=item.id, decision="cft",
                            decision_text="=HYPERLINK(\"http://x\";\"klik\")",
                            history_sketch="+45 12345678 ringede", recorded_by_id=actor.id)
    db.add(conclusion)
    db.flush()
    for text, status in (("@SUM(A1) book CFT", ActionStatus.OPEN),
                         ("-1+2 tider til fysioterapeut", ActionStatus.BOOKED),
                         ("Epikrise sendt", ActionStatus.DONE)):
        db.add(ActionItem(conclusion_id=conclusion.id, patient_id=who.id, description=text,
                          owner_role="pal_laege", due_date=dt.date(2026, 12, 1), status=status,
                          created_by_id=actor.id))
    db.flush()
    return meeting.id


def test_exports_of_a_conference_neutralise_formulas_in_csv_and_xlsx(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    conference_id = _decided(db, actor)

    conclusions, actions = exporting.conference_tables(db, actor, conference_id)

    text = exporting.to_csv(conclusions).decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("Konference;Liste;Patient;CPR")
    assert row.startswith("18-11-2026;Til drøftelse;Anne Sørensen;170570-0210")
    assert "'=HYPERLINK" in row and ";'+45 12345678 ringede;" in row
    assert "Kognitiv funktionel terapi (CFT)" in row
    csv_actions = exporting.to_csv(actions).decode("utf-8-sig")
    assert "'@SUM(A1) book CFT" in csv_actions and "'-1+2 tider" in csv_actions
    assert ";PAL-læge;01-12-2026;Åben;" in csv_actions

    book = load_workbook(io.BytesIO(exporting.to_xlsx([conclusions, actions])))
    cells = [c for sheet in book.worksheets for r in sheet.iter_rows() for c in r]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert all(not t.startswith(("=", "+", "-", "@")) for t in texts)
    assert all(c.data_type != "f" for c in cells)
    assert "'=HYPERLINK(\"http://x\";\"klik\")" in texts
    dates = book.worksheets[0]["A2"]
    assert dates.value.date() == dt.date(2026, 11, 18) and dates.number_format == "DD-MM-YYYY"


def test_open_action_items_export_lists_open_and_booked_only(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    _decided(db, actor)
    table = exporting.open_actions_table(db, actor)
    assert [r[2] for r in table.rows] == ["@SUM(A1) book CFT", "-1+2 tider til fysioterapeut"]
    assert {r[7] for r in table.rows} == {dt.date(2026, 11, 18)}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_pro_export_imports_again_without_changes(db, actor, fmt) -> None:
    load(db, actor, "patienter", "patienter.csv")
    load(db, actor, "pro", "pro_standard.csv")
    table = exporting.pro_table(db, actor)
    assert len(table.rows) == 4 and table.headers[:4] == ["CPR", "Navn", "Tidspunkt", "Besvaret"]
    data = exporting.to_csv(table) if fmt == "csv" else exporting.to_xlsx([table])
    before = counts(db)

    result = apply_import(db, actor, "pro", data, f"pro.{fmt}", today=TODAY)

    assert result.plan.ok and result.plan.unchanged == 4 and not result.plan.changes
    assert counts(db) == before


def test_two_people_importing_the_same_patients_at_once_cannot_both_win(own_engine) -> None:
    """The second confirmation finds the rows written meanwhile: refused, nothing half-done."""
    data = (DATA / "patienter.csv").read_bytes()
    with Session(own_engine, expire_on_commit=False) as setup:
        staff = [f.staff(setup, "Lise Læge", initials="LL", roles=(Role.ADMIN,)),
                 f.staff(setup, "Mads Madsen", initials="MM", roles=(Role.ADMIN,)),
                 f.staff(setup, "Sara", Profession.SYGEPLEJERSKE, initials="SS"),
                 f.staff(setup, "Tina", Profession.SYGEPLEJERSKE, initials="TT")]
        setup.commit()
    with Session(own_engine) as first, Session(own_engine) as second:
        plan = preview_import(first, staff[1], "patienter", data, "a.csv", today=TODAY)
        apply_import(second, staff[0], "patienter", data, "b.csv", today=TODAY)
        second.commit()
        with pytest.raises(InvalidInput, match="Andre har ændret de samme data"):
            apply_plan(first, staff[1], plan)
        first.rollback()
    with Session(own_engine) as check:
        assert check.scalar(select(func.count()).select_from(Patient)) == 6
        runs = check.scalars(select(ImportRun)).all()
        assert [r.actor_id for r in runs] == [staff[0].id]


# --------------------------------------------------------------------------- who may


def test_only_those_allowed_to_import_may_preview_import_or_save_a_mapping(db, actor) -> None:
    leader = f.staff(db, "Mette Mødeleder", roles=(Role.MOEDELEDER, Role.BEHANDLER))
    data = (DATA / "patienter.csv").read_bytes()
    before = counts(db)
    with pytest.raises(PermissionDenied):
        preview_import(db, leader, "patienter", data, "p.csv", today=TODAY)
    with pytest.raises(PermissionDenied):
        apply_import(db, leader, "patienter", data, "p.csv", today=TODAY)
    with pytest.raises(PermissionDenied):
        save_mapping(db, leader, "PainData", json.loads(
            (DATA / "pro_paindata_kortlaegning.json").read_text(encoding="utf-8")))
    assert counts(db) == before


def test_exports_need_the_right_to_export_and_are_access_logged(db, actor) -> None:
    load(db, actor, "patienter", "patienter.csv")
    conference_id = _decided(db, actor)
    reader = f.staff(db, "Bent Behandler", roles=(Role.BEHANDLER,))
    with pytest.raises(PermissionDenied):
        exporting.pro_table(db, reader)
    with pytest.raises(PermissionDenied):
        exporting.conference_tables(db, reader, conference_id)

    referent = f.staff(db, "Rikke Referent", roles=(Role.REFERENT,))
    exporting.conference_tables(db, referent, conference_id)
    exporting.open_actions_table(db, referent)
    logged = db.scalars(select(AccessLog).where(AccessLog.staff_id == referent.id)).all()
    assert {(a.view, a.patient_id, a.patient_count) for a in logged} == {
        ("eksport_konference", patient(db, ANNE).id, None),
        ("eksport_aabne_opgaver", None, 1),
    }


def test_the_command_line_imports_reports_and_refuses(tmp_path) -> None:
    """`python -m conference.importing` on a database of its own (the plumbing, not the DB)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        f.staff(session, "Lise Læge", initials="LL", roles=(Role.ADMIN,))
        f.staff(session, "Mads Madsen", initials="MM", roles=(Role.BEHANDLER,))
        f.staff(session, "Sara", Profession.SYGEPLEJERSKE, initials="SS")
        f.staff(session, "Tina", Profession.SYGEPLEJERSKE, initials="TT")
        session.commit()
    engine.dispose()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "conference.importing", *args], capture_output=True,
            text=True, env=os.environ | {"DATABASE_URL": url}, cwd=DATA.parents[1], timeout=120,
        )

    dry = cli("patienter", str(DATA / "patienter.csv"), "--as", "ll", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nye: 2 mikroteams, 4 mikroteammedlemmer og 6 patienter" in dry.stdout
    assert "Prøvekørsel: intet er gemt." in dry.stdout
    done = cli("patienter", str(DATA / "patienter.csv"), "--as", "LL")
    assert done.returncode == 0 and "Importeret: 12 nye" in done.stdout
    again = cli("patienter", str(DATA / "patienter.xlsx"), "--as", "LL")
    assert again.returncode == 0 and "Intet at importere" in again.stdout
    bad = cli("forloeb", str(DATA / "forloeb_umulig_dato.csv"), "--as", "LL")
    assert bad.returncode == 1
    assert "Række 2, kolonne »Start«: '31-02-2026' er ikke en gyldig dato" in bad.stdout
    refused = cli("patienter", str(DATA / "patienter.csv"), "--as", "MM")
    assert refused.returncode == 1 and "importere data" in refused.stderr
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 6
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 1
    engine.dispose()


def test_the_command_line_refuses_another_person_unless_told_to_update(tmp_path) -> None:
    """`--opdater-eksisterende`: the explicit choice on the command line, shown before/after."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        lise = f.staff(session, "Lise Læge", initials="LL", roles=(Role.ADMIN,))
        f.staff(session, "Mads Madsen", initials="MM")
        f.staff(session, "Sara", Profession.SYGEPLEJERSKE, initials="SS")
        f.staff(session, "Tina", Profession.SYGEPLEJERSKE, initials="TT")
        load(session, lise, "patienter", "patienter.csv")
        session.commit()
    engine.dispose()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "conference.importing", "patienter",
             str(DATA / "patienter_anden_person.csv"), "--as", "LL", "--today", TODAY.isoformat(),
             *args],
            capture_output=True, text=True, env=os.environ | {"DATABASE_URL": url},
            cwd=DATA.parents[1], timeout=120,
        )

    refused = cli()
    assert refused.returncode == 1, refused.stderr
    assert "Række 3, kolonne »CPR«: 170570-0210 tilhører Anne Sørensen (født 17.05.1970)" \
        in refused.stdout
    assert "--opdater-eksisterende" in refused.stdout
    done = cli("--opdater-eksisterende")
    assert done.returncode == 0, done.stderr
    assert "Fornavn: Anne → Anna; Efternavn: Sørensen → Hansen" in done.stdout
    assert "Importeret: 1 nye og 1 ændrede" in done.stdout
    engine = make_engine(url)
    with Session(engine) as session:
        anne = patient(session, ANNE)
        assert (anne.first_name, anne.last_name) == ("Anna", "Hansen")
        update = session.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
        assert update.before["first_name"] == "Anne" and update.after["first_name"] == "Anna"
        assert session.get(Staff, update.actor_id).initials == "LL"
    engine.dispose()


def test_the_command_line_refuses_in_danish_without_a_traceback(tmp_path) -> None:
    """A NUL byte, a file over the size limit (refused before it is read) and a mapping that
    is not JSON: Danish messages, no traceback, nothing written."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        f.staff(session, "Lise Læge", initials="LL", roles=(Role.ADMIN,))
        session.commit()
    engine.dispose()
    nul = tmp_path / "nul.csv"
    nul.write_bytes((DATA / "patienter.csv").read_bytes().replace(b"Frida", b"Fri\x00da"))
    huge = tmp_path / "stor.csv"
    with huge.open("wb") as sparse:  # 60 MB on paper, nothing on disk
        sparse.truncate(60 * 1024 * 1024)
    broken = tmp_path / "kortlaegning.json"
    broken.write_text("{columns: ", encoding="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "conference.importing", *args, "--as", "LL", "--today",
             TODAY.isoformat()], capture_output=True, text=True,
            env=os.environ | {"DATABASE_URL": url}, cwd=DATA.parents[1], timeout=120,
        )

    refused = cli("patienter", str(nul))
    assert refused.returncode == 1
    assert "Filen indeholder et NUL-tegn (byte 0) på linje 7." in refused.stdout
    too_big = cli("patienter", str(huge))
    assert too_big.returncode == 1
    assert too_big.stderr.startswith("Filen er for stor (60 MB; højst 50 MB)")
    not_json = cli("pro", str(DATA / "pro_paindata.csv"), "--source", "PainData",
                   "--save-mapping", str(broken))
    assert not_json.returncode == 2
    assert "er ikke gyldig JSON (linje 1, kolonne 2)" in not_json.stderr
    for done in (refused, too_big, not_json):
        assert "Traceback" not in done.stdout + done.stderr
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0
    engine.dispose()
