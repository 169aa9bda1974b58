"""Reading files and cells as clinics write them; mappings; the export writers."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from conference.exporting import ExportTable, neutralise, to_csv, to_xlsx
from conference.importing import reading
from conference.importing.mapping import (
    MappingProblem,
    editor_rows,
    mapping_from_editor,
    parse_mapping,
    standard_mapping,
)
from conference.importing.plausible import date_problem
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


# --------------------------------------------------------------------------- what no file holds
# Issue 13: every refusal Danish, with the row and column where they can be named.


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\x07", "styretegnet BEL (U+0007)"),
        ("\x1b", "styretegnet ESC (U+001B)"),
        ("\x85", "styretegnet U+0085"),
        ("\u202e", "et tegn, der vender skriveretningen (U+202E)"),
        ("\u2066", "et tegn, der vender skriveretningen (U+2066)"),
        ("\u200b", "et usynligt tegn (U+200B)"),
        ("\ufeff", "et usynligt tegn (U+FEFF)"),
    ],
)
def test_control_and_bidi_characters_are_refused_with_row_and_column(char, named) -> None:
    data = f"CPR;Navn;Henvist\n0707614285;Søren{char} Ærø;01-06-2026\n".encode()

    table = read_table(data)

    (issue,) = table.issues
    assert (issue.row, issue.column) == (2, "Navn")
    assert issue.message.startswith(f"teksten indeholder {named}, som ikke ses")
    assert table.rows[0].values[1] == "Søren Ærø"  # no later message shows the character


def test_invisible_characters_in_excel_cells_and_headers_are_refused() -> None:
    """Excel writes a control character as _x0007_: read as the character it stands for."""
    table = read_table(_xlsx([["CPR", "Na\u200bvn", "Note"],
                              ["0707614285", "Bo\u202eB", "Bel_x0007_"],
                              ["0101014320", "Åse", "to_x000D_\nlinjer"]]))

    assert [(i.row, i.column) for i in table.issues] == [(1, "kolonne 2"), (2, "Navn"),
                                                         (2, "Note")]
    assert table.headers == ["CPR", "Navn", "Note"]
    assert table.rows[1].values[2] == "to\r\nlinjer"  # a line break in a cell is fine


def test_tab_and_line_breaks_in_a_quoted_cell_are_not_control_characters() -> None:
    table = read_table('CPR;Note\n0707614285;"første\r\nanden\tlinje"\n'.encode())
    assert not table.issues and table.rows[0].values[1] == "første\r\nanden\tlinje"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"CPR;Navn\n" + b"0707614285;Bo\n" * 300 + b"0101014320;\x00\n", 302),
        (b"\xef\xbb\xbfCPR;Navn\n" + b"0707614285;Bo\n" * 300 + b"\x00", 302),
        ("CPR;Navn\n".encode("utf-16") + ("0707614285;Bo\n" * 300 + "x\x00\n").encode(
            "utf-16-le"), 302),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16"],
)
def test_a_nul_byte_late_in_a_file_is_refused_before_parsing(data, line) -> None:
    with pytest.raises(FileProblem) as refused:
        read_table(data)
    assert str(refused.value).startswith("Filen indeholder et NUL-tegn")
    assert f"på linje {line}." in str(refused.value)


def test_a_file_mixing_utf8_and_windows_1252_is_refused() -> None:
    data = ("CPR;Navn\n0707614285;Søren\n".encode() + "0101014320;Åse\n".encode("cp1252"))
    with pytest.raises(FileProblem) as refused:
        read_table(data)
    assert str(refused.value).startswith(
        "Filen blander to tegnsæt: linje 2 er skrevet som UTF-8, men linje 3 som Windows-1252")


def test_a_utf8_bom_file_with_windows_1252_letters_is_refused_as_mixed() -> None:
    data = b"\xef\xbb\xbfCPR;Navn\n0707614285;" + "Søren".encode("cp1252") + b"\n"
    with pytest.raises(FileProblem, match="blander to tegnsæt"):
        read_table(data)


@pytest.mark.parametrize("text", ["Ã\u00a0Hansen", "Lise â€“ Hansen", "Ã\u2019sa", "Hans\ufffdn"])
def test_likely_mojibake_in_a_clean_file_is_a_warning_naming_the_cell(text) -> None:
    table = read_table(f"CPR;Navn\n0707614285;{text}\n".encode())
    assert not table.issues
    (warning,) = table.warnings
    assert (warning.row, warning.column) == (2, "Navn")
    assert "ser ud til at have forkert kodede tegn" in warning.message


def test_sure_mojibake_names_the_first_cell() -> None:
    with pytest.raises(FileProblem) as refused:
        read_table(_xlsx([["CPR", "Navn"], ["0707614285", "SÃ¸ren"]]))
    assert "første gang i række 2, kolonne »Navn«" in str(refused.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ('CPR;Navn;Henvist\n0707614285;"Hansen, Søren;01-06-2026\n0101014320;Åse;02-06-2026\n',
         "Række 2: et anførselstegn (\") i rækken lukkes aldrig, så resten af filen (linje 2–3)"),
        ('CPR;Navn;Henvist\n0707614285;"Hansen;01-06-2026\n0101014320;"Åse";02-06-2026\n',
         "Række 2: et anførselstegn (\") i rækken lukkes ikke på linje 2"),
        ('CPR;Navn\n0707614285;Bo\n0101014320;"Åse" Øst\n',
         "Række 3 (linje 3): efter et afsluttende anførselstegn (\") står der mere tekst"),
    ],
    ids=["never-closed", "closed-rows-later", "text-after-closing"],
)
def test_quotes_that_do_not_close_are_reported_as_such(data, reason) -> None:
    with pytest.raises(FileProblem) as refused:
        read_table(data.encode())
    assert str(refused.value).startswith(reason)


def test_a_quote_open_to_the_end_of_a_big_file_is_a_quote_problem_not_a_field_limit() -> None:
    data = 'CPR;Navn\n0707614285;"Bo\n' + "0101014320;Åse Øst Ærøskøbing\n" * 6000
    with pytest.raises(FileProblem, match=r"Række 2: et anførselstegn .* lukkes aldrig"):
        read_table(data.encode())


@pytest.mark.parametrize("excel", [False, True])
def test_a_row_with_more_cells_than_the_header_is_refused(excel) -> None:
    rows = [["CPR", "Navn"], ["0707614285", "Bo", "", "01-06-2026"], ["0101014320", "Åse"]]
    data = _xlsx(rows) if excel else "\n".join(";".join(r) for r in rows).encode()

    table = read_table(data)

    (issue,) = table.issues
    assert (issue.row, issue.column) == (2, "kolonne 4")
    assert issue.message.startswith("rækken har 4 celler, men overskriftsrækken kun 2")


def test_data_under_a_blank_header_is_refused_once_for_the_column() -> None:
    table = read_table(b"CPR;;Navn\n0707614285;x;Bo\n0101014320;;Aase\n0202024321;y;Cy\n")
    (issue,) = table.issues
    assert (issue.row, issue.column) == (1, "kolonne 2")
    assert issue.message.startswith("kolonnen har ingen overskrift, men data i 2 rækker (fx "
                                    "række 2)")


def test_rows_are_counted_while_reading_and_reading_stops_at_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    read_table(b"CPR\n" + b"0707614285\n" * 5)  # at the limit: read
    pulled = []

    def lines():  # noqa: ANN202 - what the reader pulls from the file
        yield "CPR\n"
        for n in range(1_000_000):
            pulled.append(n)
            yield "0707614285\n"

    builder = reading._Builder("test")
    with pytest.raises(FileProblem, match="flere end 5 rækker under overskriften"):
        for row in csv.reader(lines()):
            builder.add(row)
    assert len(pulled) == 6  # stopped at the first row over the limit


def _declaring(data: bytes, dimension: str | None) -> bytes:
    """The workbook with the size its sheet declares replaced (None: no declaration)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b"<dimension")
    end = sheet.index(b"/>", start) + 2
    declared = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + declared + sheet[end:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return buffer.getvalue()


def test_an_excel_sheet_declaring_too_many_rows_is_refused_before_reading_them(
    monkeypatch
) -> None:
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    data = _xlsx([["CPR"]] + [["0707614285"]] * 6)
    with pytest.raises(FileProblem, match="Excel-arket har 6 rækker under overskriften; der kan "
                                          "højst importeres 5 rækker"):
        read_table(data)
    # a sheet declaring fewer rows than it has is read as a stream, and stopped at the limit
    with pytest.raises(FileProblem, match="Filen har flere end 5 rækker under overskriften"):
        read_table(_declaring(data, "A1:A2"))


def test_a_big_excel_sheet_that_does_not_declare_its_size_is_refused(monkeypatch) -> None:
    """openpyxl reads such a sheet whole when it opens the workbook, before any row limit."""
    import openpyxl

    def never(*_args, **_kwargs):  # noqa: ANN202
        raise AssertionError("openpyxl must not open it")

    data = _declaring(_xlsx([["CPR"]] + [[f"07076142{n:02d}"] for n in range(60)]), None)
    assert len(read_table(data).rows) == 60  # small: read as it is
    monkeypatch.setattr(reading, "MAX_UNDIMENSIONED", 1000)
    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(FileProblem) as refused:
        read_table(data)
    assert str(refused.value).startswith("Excel-filen kan ikke læses sikkert: et ark "
                                         "(xl/worksheets/sheet1.xml) fylder 0 MB udpakket uden "
                                         "at angive sin størrelse")


def test_a_line_longer_than_any_row_is_refused_while_reading(monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_LINE", 1000)
    with pytest.raises(FileProblem, match="Linje 3 er over 1.000 tegn lang"):
        read_table(b"CPR;Navn\n0707614285;Bo\n0101014320;" + b"x" * 5000 + b"\n")


def test_a_file_over_the_size_limit_is_refused_in_danish(monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(FileProblem, match=r"Filen er for stor \(2 MB; højst 1 MB\)"):
        read_table(b"CPR\n" + b"0707614285\n" * 200_000)


def _bomb(part: str, size: int) -> bytes:
    """A valid workbook with `part` replaced by `size` bytes that compress to almost nothing."""
    with zipfile.ZipFile(io.BytesIO(_xlsx([["CPR"], ["0707614285"]]))) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name, content in parts.items():
            bomb.writestr(name, content + b" " * size if name == part else content)
    return buffer.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/styles.xml"])
def test_a_zip_bomb_is_refused_from_the_zip_directory_before_unpacking(monkeypatch, part) -> None:
    import openpyxl

    def never(*_args, **_kwargs):  # noqa: ANN202
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    data = _bomb(part, 20 * 1024 * 1024)
    assert len(data) < 100_000
    with pytest.raises(FileProblem) as refused:
        read_table(data)
    assert str(refused.value).startswith(
        f"Excel-filen kan ikke åbnes sikkert: en del af den ({part}) fylder 20 MB udpakket")


def test_unpacked_sizes_are_limited_in_total_and_outside_the_worksheets(monkeypatch) -> None:
    data = _bomb("xl/styles.xml", 60_000)
    monkeypatch.setattr(reading, "MAX_PART", 50_000)
    with pytest.raises(FileProblem, match=r"delen xl/styles.xml fylder 0 MB udpakket"):
        read_table(data)
    monkeypatch.setattr(reading, "MAX_PART", 10**9)
    monkeypatch.setattr(reading, "MAX_UNPACKED", 50_000)
    with pytest.raises(FileProblem, match="Excel-filen fylder 0 MB udpakket"):
        read_table(data)


def test_a_part_bigger_than_its_declared_size_is_refused_as_a_broken_file() -> None:
    """zipfile stops at the declared size and checks the CRC: a lying zip is just broken."""
    data = bytearray(_bomb("xl/worksheets/sheet1.xml", 2_000))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = -1
        while (start := data.find(signature, start + 1)) >= 0:
            name_length = int.from_bytes(data[start + (26 if offset == 22 else 28):][:2], "little")
            header = 30 if offset == 22 else 46
            if data[start + header:start + header + name_length] == b"xl/worksheets/sheet1.xml":
                data[start + offset:start + offset + 4] = (100).to_bytes(4, "little")
    with pytest.raises(FileProblem) as refused:
        read_table(bytes(data))
    assert str(refused.value).startswith("Filen kan ikke læses som Excel-projektmappe (.xlsx): "
                                         "den er beskadiget")


def test_a_broken_excel_file_is_refused_in_danish_only() -> None:
    with pytest.raises(FileProblem) as refused:
        read_table(b"PK\x03\x04 not really a zip")
    assert "zip" not in str(refused.value).lower().replace("zip-bombe", "")
    assert str(refused.value).startswith("Filen kan ikke læses som Excel-projektmappe")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (707614285, "0707614285"),  # nine digits: the leading zero is put back
        (707614285.0, "0707614285"),
        (1705700210, "1705700210"),
    ],
)
def test_a_cpr_number_from_excel_may_be_a_whole_number_of_9_or_10_digits(value, expected) -> None:
    info, problem = read_cpr(value)
    assert problem is None and info.cpr == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (707614285.5, "gemt som et tal med decimaler (707614285,5)"),
        (1.7057002105e9, "gemt som et tal med decimaler"),
        (70761428, "gemt som tallet 70761428 i Excel; som tal skal det have 9 eller 10 cifre"),
        (17057002100, "gemt som tallet 17057002100"),
        (-707614285, "gemt som tallet -707614285"),
    ],
)
def test_a_cpr_number_from_excel_as_a_fraction_or_of_another_length_is_refused(
    value, reason
) -> None:
    info, problem = read_cpr(value)
    assert info is None and reason in problem


@pytest.mark.parametrize(
    ("day", "kwargs", "problem"),
    [
        (dt.date(1899, 12, 31), {}, "datoen 31.12.1899 ligger før år 1900"),
        (dt.date(1899, 12, 31), {"future": True}, "datoen 31.12.1899 ligger før år 1900"),
        (dt.date(2099, 1, 1), {}, "datoen 01.01.2099 ligger efter dags dato (25.11.2026)"),
        (dt.date(2026, 11, 26), {"future_hint": "kun planer"},
         "datoen 26.11.2026 ligger efter dags dato (25.11.2026); kun planer"),
        (dt.date(1970, 5, 16), {"birth": dt.date(1970, 5, 17)},
         "datoen 16.05.1970 ligger før patientens fødselsdato (17.05.1970)"),
        (dt.date(2099, 1, 1), {"future": True}, None),
        (dt.date(2026, 11, 25), {"birth": dt.date(2026, 11, 25)}, None),
        (dt.date(1900, 1, 1), {}, None),
    ],
)
def test_plausible_dates(day, kwargs, problem) -> None:
    assert date_problem(day, today=dt.date(2026, 11, 25), **kwargs) == problem


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
