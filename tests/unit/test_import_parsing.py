"""Reading files and cells as clinics write them; mappings; the export writers."""

from __future__ import annotations

import copy
import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from conference.exporting import ExportTable, neutralise, to_csv, to_xlsx
from conference.importing.mapping import (
    MappingProblem,
    editor_rows,
    mapping_from_editor,
    parse_mapping,
    standard_mapping,
)
from conference.importing.reading import FileProblem, read_table
from conference.importing.report import CREATE, UPDATE, Change, IdentityConflict, Issue, Plan
from conference.importing.sheet import read_cpr
from conference.importing.values import ValueProblem, header_key, parse_date, parse_decimal

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))


# --------------------------------------------------------------------------- dates


@given(day=dates, pattern=st.sampled_from(["%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"]))
def test_danish_and_iso_dates_read_back(day, pattern) -> None:
    assert parse_date(day.strftime(pattern)) == day


@given(day=dates, time=st.times(), sep=st.sampled_from([" ", "T"]))
def test_a_time_after_the_date_is_ignored(day, time, sep) -> None:
    assert parse_date(f"{day.isoformat()}{sep}{time:%H:%M:%S}") == day
    assert parse_date(f"{day:%d.%m.%Y} {time:%H:%M}") == day


@given(day=dates)
def test_day_and_month_without_leading_zero(day) -> None:
    assert parse_date(f"{day.day}-{day.month}-{day.year}") == day


def test_excel_dates_are_kept() -> None:
    assert parse_date(dt.datetime(2026, 6, 1, 0, 0)) == dt.date(2026, 6, 1)
    assert parse_date(dt.date(2026, 6, 1)) == dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-02-2026", "'31-02-2026' er ikke en gyldig dato"),
        ("29.02.2027", "'29.02.2027' er ikke en gyldig dato"),
        ("2026-13-01", "'2026-13-01' er ikke en gyldig dato"),
        ("00-01-2026", "'00-01-2026' er ikke en gyldig dato"),
        ("01-06-26", "årstallet skal have fire cifre"),
        ("1. juni 2026", "kan ikke læses som en dato"),
        ("01-06.2026", "kan ikke læses som en dato"),
    ],
)
def test_impossible_or_unreadable_dates_say_why_in_danish(text, reason) -> None:
    with pytest.raises(ValueProblem, match=reason):
        parse_date(text)


def test_a_number_is_not_a_date() -> None:
    with pytest.raises(ValueProblem, match="er et tal, ikke en dato"):
        parse_date(46000)


@pytest.mark.parametrize("blank", [None, "", "  ", float("nan")])
def test_blank_cells_are_none(blank) -> None:
    assert parse_date(blank) is None and parse_decimal(blank) is None


# --------------------------------------------------------------------------- decimals


@given(cents=st.integers(min_value=-10**9, max_value=10**9))
def test_decimal_comma_and_point_read_the_same(cents) -> None:
    value = cents / 100
    text = f"{value:.2f}"
    assert parse_decimal(text) == pytest.approx(value)
    assert parse_decimal(text.replace(".", ",")) == pytest.approx(value)


@given(cents=st.integers(min_value=100_000, max_value=10**11))
def test_thousands_separators_with_decimal_comma(cents) -> None:
    whole, rest = divmod(cents, 100)
    danish = f"{whole:,}".replace(",", ".") + f",{rest:02d}"  # 1.234.567,89
    spaced = f"{whole:,}".replace(",", " ") + f",{rest:02d}"  # 1 234 567,89
    assert parse_decimal(danish) == pytest.approx(cents / 100)
    assert parse_decimal(spaced) == pytest.approx(cents / 100)


def test_minus_signs_from_word_and_numbers_from_excel() -> None:
    assert parse_decimal("\u22120,25") == -0.25
    assert parse_decimal(7) == 7.0 and parse_decimal(0.5) == 0.5


@pytest.mark.parametrize("text", ["ja", "1,2,3", "12a", "--1", "1.2.3,4,5"])
def test_not_a_number(text) -> None:
    with pytest.raises(ValueProblem, match="er ikke et tal"):
        parse_decimal(text)


def test_headers_compare_loosely() -> None:
    assert header_key("PAL-læge") == header_key("pal læge") == header_key(" PAL_LÆGE ")
    assert header_key("\ufeffCPR") == "cpr"
    assert header_key("Smertevarighed (år)") != header_key("Smertevarighed (ar)")


def test_a_cpr_number_excel_stored_as_a_number_gets_its_leading_zero_back() -> None:
    info, problem = read_cpr(707614285)  # 070761-4285 typed into an Excel number cell
    assert problem is None and info.cpr == "0707614285"
    assert read_cpr("310270-1234")[1].endswith("er ikke en gyldig dato.")
    assert read_cpr(None) == (None, "CPR-nummeret mangler")


# --------------------------------------------------------------------------- files

ROWS = [["CPR", "Navn", "Henvist"], ["070761-4285", "Søren Ærø", "01-06-2026"],
        ["", "", ""], ["0101014320", "Åse Øst", "02.06.2026"]]


def _csv(sep: str) -> str:
    return "\r\n".join(sep.join(r) for r in ROWS) + "\r\n"


@pytest.mark.parametrize(
    ("data", "described"),
    [
        (_csv(";").encode("utf-8"), "CSV, UTF-8, semikolon"),
        (b"\xef\xbb\xbf" + _csv(";").encode("utf-8"), "CSV, UTF-8 med BOM, semikolon"),
        (_csv(";").encode("cp1252"), "CSV, Windows-1252, semikolon"),
        (_csv(",").encode("utf-8"), "CSV, UTF-8, komma"),
        (_csv("\t").encode("utf-16"), "CSV, UTF-16, tabulator"),
    ],
)
def test_csv_in_every_usual_encoding_and_separator(data, described) -> None:
    table = read_table(data)
    assert table.description == described
    assert table.headers == ["CPR", "Navn", "Henvist"]
    assert [(r.number, r.values[1]) for r in table.rows] == [(2, "Søren Ærø"), (4, "Åse Øst")]


def test_a_quoted_field_may_hold_the_separator() -> None:
    table = read_table('CPR,Navn\n0707614285,"Hansen, Søren"\n'.encode())
    assert table.rows[0].values == ("0707614285", "Hansen, Søren")


def test_xlsx_keeps_types_and_row_numbers() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["CPR", "Henvist", "Smertevarighed"])
    sheet.append(["070761-4285", dt.datetime(2026, 6, 1), 7.5])
    sheet.append([None, None, None])
    sheet.append(["0101014320", dt.date(2026, 6, 2), 3])
    buffer = io.BytesIO()
    book.save(buffer)

    table = read_table(buffer.getvalue())

    assert table.description.startswith("Excel (.xlsx)")
    assert [r.number for r in table.rows] == [2, 4]
    assert table.rows[0].values == ("070761-4285", dt.date(2026, 6, 1), 7.5)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "Filen er tom."),
        ("CPR;Navn\n0707614285;SÃ¸ren\n".encode(), "forkert kodede bogstaver"),
        ("CPR;Navn\n".encode("utf-16-le"), "binære data"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "gamle Excel-format (.xls)"),
        (b"CPR;Navn\n\x81\x8d\x8f;x\n", "tegnsæt kan ikke genkendes"),
        (b"PK\x03\x04 not really a zip", "kan ikke læses som Excel"),
        (b"\n\n;;\n", "ingen overskriftsrække"),
    ],
)
def test_files_that_cannot_be_read_say_what_to_do(data, reason) -> None:
    with pytest.raises(FileProblem, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_table(data)


# --------------------------------------------------------------------------- mappings


def test_the_standard_mapping_reads_the_export_headers() -> None:
    headers = ["CPR", "Navn", "Tidspunkt", "Besvaret", "NRS gennemsnit", "PCS", "EQ-5D",
               "pcs_1"]
    mapping = standard_mapping(headers)
    assert mapping.target_for("cpr") == "cpr" and mapping.target_for("Navn") is None
    assert mapping.target_for("NRS gennemsnit") == "nrs_avg"
    assert mapping.target_for("pcs_1") == "pcs.1"
    assert mapping.target_for("PCS") is None  # items and the total: the items win
    assert mapping.timepoint_for("Midtvejs") == "midtvejs"
    assert mapping.timepoint_for("OPFØLGNING") == "opfoelgning"


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"A": "cpr", "B": "answered_on", "C": "timepoint", "D": "xyz"}, "ukendt mål »xyz«"),
        ({"A": "cpr", "B": "answered_on", "C": "timepoint", "D": "pcs.14"}, "spørgsmål 1–13"),
        ({"A": "cpr", "B": "answered_on", "C": "timepoint", "D": "pcs", "E": "pcs.1"},
         "enten spørgsmålene eller scoren"),
        ({"A": "cpr", "B": "cpr", "C": "answered_on", "D": "timepoint", "E": "pdi"},
         "valgt for både »A« og »B«"),
        ({"A": "cpr", "C": "timepoint", "D": "pdi"}, "mangler: Besvarelsesdato"),
        ({"A": "cpr", "B": "answered_on", "C": "timepoint"}, "ingen kolonner med svar"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused(columns, reason) -> None:
    with pytest.raises(MappingProblem, match=reason):
        parse_mapping({"columns": columns})


def test_the_editor_round_trips_a_mapping() -> None:
    raw = {"columns": {"Personnummer": "cpr", "Udfyldt": "answered_on", "Q1": "pcs.1",
                       "Smerte": "nrs_avg"},
           "timepoint_values": {}, "fixed_timepoint": "baseline"}
    mapping = parse_mapping(raw)
    headers = ["Personnummer", "Udfyldt", "Q1", "Smerte", "Kommentar"]
    rows = editor_rows(headers, ("0707614285", "01-06-2026", 3, 7, "ok"), mapping)
    assert rows[2] == {"Kolonne i filen": "Q1", "Eksempel": "3",
                       "Betyder": "PCS – spørgsmål 1"}
    assert rows[4]["Betyder"] == "(bruges ikke)"
    assert mapping_from_editor(rows, {}, "baseline") == raw


# --------------------------------------------------------------------------- plans


def test_the_summary_counts_in_danish_and_the_fingerprint_follows_the_changes() -> None:
    plan = Plan("patienter", "f.csv", "0" * 64, rows=3, unchanged=1)
    plan.changes = [Change("patient", CREATE, 2, "A", {"cpr": "1"}),
                    Change("microteam", CREATE, 2, "Nord", {"name": "Nord"}),
                    Change("patient", UPDATE, 3, "B", {"first_name": "Bo"}, 7)]
    assert plan.summary() == ("Patienter og mikroteams: nye: 1 mikroteam og 1 patient; "
                              "ændres: 1 patient. Uændrede rækker: 1.")
    same = Plan("patienter", "other-name.csv", "1" * 64, changes=copy.deepcopy(plan.changes))
    assert same.fingerprint() == plan.fingerprint()  # the same changes, whatever the file
    same.changes[2].payload["first_name"] = "Bent"
    assert same.fingerprint() != plan.fingerprint()
    plan.issues.append(Issue(4, "CPR", "x"))
    assert plan.summary().endswith("1 fejl i 1 række. Intet er gemt.")


def test_the_preview_names_stored_patients_of_the_rows_it_shows() -> None:
    """The access log gets the stored patients the preview table (or the bad rows) names."""
    plan = Plan("forloeb", "f.csv", "0" * 64)
    plan.changes = [Change("course_event", UPDATE, 4, "CFT, B", {}, 11, patient_id=8),
                    Change("patient", CREATE, 2, "Ny", {"cpr": "1"}),
                    Change("course_event", CREATE, 3, "CFT, A", {}, patient_id=7),
                    Change("course_event", CREATE, 5, "Mindfulness, A", {}, patient_id=7)]
    assert plan.shown_patient_ids() == [7, 8]  # in the table's order, each once
    assert plan.shown_patient_ids(limit=2) == [7]  # only the rows drawn
    plan.issues.append(Issue(6, "Tidspunkt", "B står også i række 4 (dublet)", 8))
    assert plan.shown_patient_ids() == [8]  # a rejected file shows its bad rows instead


def test_the_preview_always_names_the_patients_of_identity_conflicts() -> None:
    """The checkboxes name the stored patient (before → after) even when the file is refused."""
    conflict = IdentityConflict(3, "1705700210", 9, "Anne Sørensen (født 17.05.1970)",
                                "Anna Hansen (født 17.05.1970)",
                                (("Navn", "Anne Sørensen", "Anna Hansen"),), approved=True)
    plan = Plan("patienter", "f.csv", "0" * 64, conflicts=[conflict])
    plan.issues.append(Issue(4, "CPR", "x", 8))
    assert plan.shown_patient_ids() == [8, 9]
    assert conflict.formatted_cpr == "170570-0210"


# --------------------------------------------------------------------------- exports

@given(first=st.sampled_from(["=", "+", "-", "@", "\t", "\r"]), rest=st.text(max_size=20))
def test_text_a_spreadsheet_would_run_is_neutralised(first, rest) -> None:
    assert neutralise(first + rest) == "'" + first + rest


@given(text=st.text(max_size=20).filter(lambda t: not t.startswith(("=", "+", "-", "@", "\t",
                                                                     "\r"))))
def test_other_text_is_left_alone(text) -> None:
    assert neutralise(text) == text


def test_csv_export_is_danish_excel_friendly() -> None:
    table = ExportTable("T", ["Navn", "Dato", "Score", "Antal"],
                        [["=cmd|' /C calc'!A0", dt.date(2026, 6, 1), 12.5, 3],
                         ["Åse", None, -0.25, 0]])
    data = to_csv(table)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == ["Navn;Dato;Score;Antal", "'=cmd|' /C calc'!A0;01-06-2026;12,5;3",
                     "Åse;;-0,25;0"]


def test_xlsx_export_keeps_numbers_and_dates_and_never_writes_formulas() -> None:
    table = ExportTable("PRO", ["Navn", "Dato", "Score"],
                        [["=1+1", dt.date(2026, 6, 1), -0.25], ["+45 1234", None, 3]])
    sheet = load_workbook(io.BytesIO(to_xlsx([table]))).active
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "'+45 1234"
    assert sheet["B2"].value.date() == dt.date(2026, 6, 1)
    assert sheet["C2"].value == -0.25 and sheet["C3"].value == 3
    assert sheet.freeze_panes == "A2"
