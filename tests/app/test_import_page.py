"""The "Import og eksport" page as AppTests on the demo centre: upload, preview, confirm.

On a demo centre of this module's own: what the imports write (patients, their audit and access
log rows) cannot be deleted again (the logs are append-only), so it must not land in the demo
database the other page tests read. Each test imports people with CPR numbers of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from conference.cpr import make_cpr
from conference.ui import context
from db.migrate import upgrade
from db.models import AuditLog, ImportRun, Patient, Staff
from db.session import make_engine, session_scope
from demo import build_demo
from tests.conftest import database_url, drop_database

PAGE = "views/import_eksport.py"
PEOPLE = [("Aksel", "Zappimport", dt.date(1931, 3, 4), "M"),
          ("Birthe", "Zappimport", dt.date(1932, 5, 6), "K"),
          ("Conrad", "Zappimport", dt.date(1933, 7, 8), "M")]


_batches = itertools.count()
_serial = {"first": 700}


def _cprs() -> list[str]:
    """The CPR numbers of PEOPLE in this test (`own_people` gives each test its own)."""
    first = _serial["first"]
    return [make_cpr(born, sex, first + i) for i, (_, _, born, sex) in enumerate(PEOPLE)]


def _patients_csv() -> bytes:
    lines = ["CPR;Fornavn;Efternavn;Henvist"]
    for cpr, (first, last, _, _) in zip(_cprs(), PEOPLE, strict=True):
        lines.append(f"{cpr[:6]}-{cpr[6:]};{first};{last};01-11-2026")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own small demo centre (the suite's `demo_url`, overridden): DATABASE_URL
    and the app's cached engine point at it while the module runs."""
    url = database_url("importdemo", tmp_path_factory.mktemp("importdemo"))
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        build_demo(session, scale=0.05)
    engine.dispose()
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    context.engine.clear()
    yield url
    context.engine.clear()
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    drop_database(url)


@pytest.fixture
def own_people(demo_url: str) -> None:
    """PEOPLE get CPR numbers no test has imported before (nothing is deleted after a test)."""
    _serial["first"] = 700 + 10 * next(_batches)
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        assert not session.scalars(select(Patient).where(Patient.cpr.in_(_cprs()))).all()
    engine.dispose()


def _table(app, column: str):  # noqa: ANN001, ANN202
    """The first table on the page with this column (the preview, the report, …)."""
    return next(d.value for d in app.dataframe if column in d.value.columns)


def _upload(app, name: str, data: bytes, mime: str = "text/csv"):  # noqa: ANN001, ANN202
    app.file_uploader[0].set_value((name, data, mime)).run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_the_page_offers_every_import_kind_and_the_downloads(run_page) -> None:
    app = run_page(PAGE)
    assert app.title[0].value == "Import og eksport"
    assert app.radio(key="import_kind").options == [
        "Patienter og mikroteams", "Forløb (indsatser)", "Hold og fremmøde", "PRO-besvarelser"]
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Konklusioner (CSV)", "Opgaver (CSV)", "Begge (Excel)",
                      "Åbne opgaver (CSV)", "Åbne opgaver (Excel)", "PRO (CSV)", "PRO (Excel)"]


def test_upload_preview_confirm_then_the_same_file_changes_nothing(
    run_page, demo_url, own_people
) -> None:
    app = _upload(run_page(PAGE), "nye.csv", _patients_csv())

    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Nye"] == "3" and metrics["Ændres"] == "0"
    preview = _table(app, "Hvem/hvilket")
    assert list(preview["Hvad"]) == ["Patient"] * 3
    assert "Aksel Zappimport" in preview["Hvem/hvilket"].iloc[0]

    app.button(key="confirm_import").click().run()

    assert not app.exception
    assert app.success[0].value == "Importeret: 3 nye og 0 ændrede, 0 rækker uændrede."
    assert not app.file_uploader[0].value  # ready for the next file
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        imported = session.scalars(select(Patient).where(Patient.cpr.in_(_cprs()))).all()
        assert sorted(p.first_name for p in imported) == ["Aksel", "Birthe", "Conrad"]
        actor = session.scalars(select(AuditLog.actor_id).where(
            AuditLog.entity == "patient", AuditLog.patient_id == imported[0].id)).one()
        assert session.get(Staff, actor).initials == app.query_params["som"]
    engine.dispose()

    app = _upload(app, "nye.csv", _patients_csv())
    assert app.info[-1].value == "Intet at importere: alt i filen findes allerede."
    assert not [b for b in app.button if b.key == "confirm_import"]


def test_a_known_cpr_under_another_name_is_refused_until_the_update_is_chosen(
    run_page, demo_url, own_people
) -> None:
    app = _upload(run_page(PAGE), "nye.csv", _patients_csv())
    app.button(key="confirm_import").click().run()
    cpr = _cprs()[0]  # Aksel Zappimport, born 4 March 1931
    other = f"CPR;Fornavn;Efternavn;Henvist\n{cpr[:6]}-{cpr[6:]};Axel;Zappimport;01-11-2026\n"
    data = other.encode()

    app = _upload(app, "anden.csv", data)

    assert "filen kan ikke importeres – 1 fejl i 1 række. Intet er gemt." in app.error[0].value
    report = _table(app, "Årsag")
    assert list(report["Række"]) == [2] and list(report["Kolonne"]) == ["CPR"]
    assert ("tilhører Aksel Zappimport (født 04.03.1931) i databasen, men rækken angiver "
            "Axel Zappimport (født 04.03.1931)") in report["Årsag"].iloc[0]
    assert not [b for b in app.button if b.key == "confirm_import"]
    box = app.checkbox(key=f"identity_update_{hashlib.sha256(data).hexdigest()[:8]}_{cpr}")
    assert box.value is False
    label = box.label.replace("\\", "")  # the label is escaped markdown
    assert label == (f"Række 2: opdatér patienten med CPR {cpr[:6]}-{cpr[6:]} – "
                     "Navn: Aksel Zappimport → Axel Zappimport")

    box.check().run()

    assert not app.exception, [e.message for e in app.exception]
    assert not app.error
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Nye"] == "0" and metrics["Ændres"] == "1"
    preview = _table(app, "Hvem/hvilket")
    assert list(preview["Handling"]) == ["Ændres"]
    assert preview["Ændringer"].iloc[0] == "Fornavn: Aksel → Axel"
    app.button(key="confirm_import").click().run()

    assert not app.exception, [e.message for e in app.exception]
    assert app.success[0].value == "Importeret: 0 nye og 1 ændrede, 0 rækker uændrede."
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        axel = session.scalars(select(Patient).where(Patient.cpr == cpr)).one()
        assert axel.first_name == "Axel"
        update = session.scalars(select(AuditLog).where(
            AuditLog.entity == "patient", AuditLog.action == "update",
            AuditLog.patient_id == axel.id)).one()
        assert update.before["first_name"] == "Aksel" and update.after["first_name"] == "Axel"
        assert session.get(Staff, update.actor_id).initials == app.query_params["som"]
    engine.dispose()


def test_a_broken_file_shows_every_bad_row_and_cannot_be_imported(run_page) -> None:
    data = "CPR;Navn;Henvist\n310270-1234;Bo Berg;01-06-2026\n0101701234;Al Al;31-02-2026\n"
    app = _upload(run_page(PAGE), "fejl.csv", data.encode())

    assert "filen kan ikke importeres – 2 fejl i 2 rækker. Intet er gemt." in app.error[0].value
    report = _table(app, "Årsag")
    assert list(report["Række"]) == [2, 3]
    assert list(report["Kolonne"]) == ["CPR", "Henvist"]
    assert "ikke en gyldig dato" in report["Årsag"].iloc[1]
    assert not [b for b in app.button if b.key == "confirm_import"]


def test_a_new_pro_export_is_mapped_and_saved_as_a_source(run_page, own_people) -> None:
    app = run_page(PAGE)
    app.radio(key="import_kind").set_value("pro").run()
    data = b"Personnummer;Udfyldt;Smerte nu\n0707614285;01-06-2026;5\n"
    app = _upload(app, "ny_kilde.csv", data)

    assert "kan ikke importeres" in app.error[0].value
    editor = app.data_editor[0].value
    assert list(editor["Kolonne i filen"]) == ["Personnummer", "Udfyldt", "Smerte nu"]
    assert set(editor["Betyder"]) == {"(bruges ikke)"}

    key = f"mapping_standard_{hashlib.sha256(data).hexdigest()[:8]}"
    app.session_state[key] = {"edited_rows": {0: {"Betyder": "CPR-nummer"},
                                              1: {"Betyder": "Besvarelsesdato"},
                                              2: {"Betyder": "NRS gennemsnit – svar"}},
                              "added_rows": [], "deleted_rows": []}
    app.run()
    app.selectbox(key=f"fixed_standard_{hashlib.sha256(data).hexdigest()[:8]}").set_value(
        "baseline")
    app.text_input(key=f"name_standard_{hashlib.sha256(data).hexdigest()[:8]}").set_value(
        "Apptest-kilde")
    app.button(key=f"save_standard_{hashlib.sha256(data).hexdigest()[:8]}").click().run()

    assert not app.exception, [e.message for e in app.exception]
    assert app.success[0].value == "Kolonnekortlægningen for »Apptest-kilde« er gemt."
    assert app.selectbox(key="pro_source").value == "Apptest-kilde"
    # the same file now reads with the saved mapping (its patient is not in the demo)
    assert "ukendt CPR-nummer 070761-4285" in _table(app, "Årsag")["Årsag"].iloc[0]


def _initials_with_roles(url: str, roles: set[str]) -> str:
    engine = make_engine(url)
    with session_scope(engine) as session:
        staff = session.scalars(select(Staff).order_by(Staff.id)).all()
        found = next(s.initials for s in staff if {r.value for r in s.role_set} == roles)
    engine.dispose()
    return found


def test_a_meeting_leader_may_export_but_not_import(run_page, demo_url) -> None:
    leader = _initials_with_roles(demo_url, {"moedeleder", "behandler"})
    app = run_page(PAGE, som=leader)
    assert not app.tabs and not app.radio and not app.file_uploader
    assert [b.proto.label for b in app.get("download_button")][-1] == "PRO (Excel)"
    app = run_page(PAGE, som=_initials_with_roles(demo_url, {"behandler"}))
    # a behandler's menu has no Import og eksport: the address leads to their start page
    assert app.title[0].value != "Import og eksport"
    assert not app.get("download_button") and not app.file_uploader


def test_the_import_log_shows_danish_time(run_page, demo_url, own_people) -> None:
    """Runs stored in UTC at fixed moments (far ahead, so they head the log) show local time."""
    engine = make_engine(demo_url)
    with session_scope(engine) as session:
        actor = session.scalars(select(Staff.id).order_by(Staff.id)).first()
        for name, at in [("sommer.csv", dt.datetime(2099, 7, 15, 8, 30, tzinfo=dt.UTC)),
                         ("vinter.csv", dt.datetime(2099, 1, 15, 8, 30, tzinfo=dt.UTC))]:
            session.add(ImportRun(kind="patienter", file_name=name, file_sha256="0" * 64,
                                  rows=0, created=0, updated=0, unchanged=0, actor_id=actor,
                                  at=at))
    engine.dispose()

    log = _table(run_page(PAGE), "Fil")
    shown = dict(zip(log["Fil"], log["Tidspunkt"], strict=True))
    assert shown["sommer.csv"] == "15. jul. 2099 kl. 10:30"
    assert shown["vinter.csv"] == "15. jan. 2099 kl. 09:30"
