"""The evaluation as tables in Danish, and the yearly report (seed 2.4) as PDF and XLSX.

One set of tables serves the screen, the PDF and the workbook: :class:`ReportTable` holds the
values (numbers, or the texts "<5" and "–" where small counts are suppressed) and the kind of
each column; :meth:`ReportTable.frame` formats them in Danish (decimal comma, "42 %") for the
screen and the PDF, :func:`to_xlsx` writes the numbers as numbers. Small counts are suppressed
here, in one place (conference.evaluation: "<5", and the shares they would reveal), so what
leaves the screen is what the screen shows.

Every report states the period, the cohort and its definition, the extraction time (Danish
clock, conference.formatting) and the app version, and ends with the definitions.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

from conference import evaluation as ev
from conference import pro
from conference.formatting import date_numeric, local_datetime, number, to_local
from conference.version import app_version

HIDDEN = "–"
PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "Evaluering af standardforløbet"
CENTRE = "Smertecenter Syd"
SUPPRESSION_NOTE = (f"»{ev.SUPPRESSED}«: antal fra 1 til 4; »{HIDDEN}«: skjult, fordi det ville "
                    "afsløre et lille antal.")


@dataclass(frozen=True)
class ReportMeta:
    period_start: dt.date
    period_end: dt.date
    cohort: str
    cohort_label: str
    cohort_definition: str
    extracted_at: dt.datetime  # aware (UTC)
    produced_by: str = ""
    version: str = field(default_factory=app_version)

    @property
    def period_text(self) -> str:
        start, end = self.period_start, self.period_end
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) \
                and start.year == end.year:
            return f"år {start.year} ({date_numeric(start)}–{date_numeric(end)})"
        return f"{date_numeric(start)}–{date_numeric(end)}"

    @property
    def title(self) -> str:
        start, end = self.period_start, self.period_end
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) \
                and start.year == end.year:
            return f"{TITLE} – årsrapport {start.year}"
        return f"{TITLE} – {self.period_text}"

    @property
    def file_stem(self) -> str:
        return (f"evaluering_{self.period_start.isoformat()}_{self.period_end.isoformat()}_"
                f"{self.cohort}")

    def lines(self) -> list[tuple[str, str]]:
        rows = [
            ("Periode", self.period_text),
            ("Kohorte", f"{self.cohort_label}. {self.cohort_definition}"),
            ("Udtrukket", local_datetime(self.extracted_at)),
            ("Appversion", f"Konferencetavlen {self.version}"),
        ]
        if self.produced_by:
            rows.append(("Udarbejdet af", self.produced_by))
        return rows


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def count_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return number(float(value), 0)


def percent_text(value: Any, digits: int = 0) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{number(float(value) * 100, digits)} %"


def interval_text(low: Any, high: Any) -> str:
    if isinstance(low, str):
        return low
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"{number(float(low) * 100, 0)}–{number(float(high) * 100, 0)} %"


def decimal_text(value: Any, digits: int = 1) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = number(float(value), digits)
    return text.replace("-", "−")


def signed_text(value: Any, digits: int = 1) -> str:
    if isinstance(value, str) or value is None or pd.isna(value):
        return decimal_text(value, digits)
    text = number(abs(float(value)), digits)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def shown_count(value: Any) -> Any:
    """A count as it may be shown: "<5" for 1–4, else the number."""
    return ev.SUPPRESSED if ev.is_small(value) else int(value)


#: Column kinds: text, count (int or "<5"), pct (0–1 or "–"), ci ((low, high) or "–"),
#: dec (a number with one decimal), signed (a change with its sign), days (whole days).
FORMAT = {
    "text": lambda v: "" if v is None else str(v),
    "count": count_text,
    "pct": percent_text,
    "ci": lambda v: v if isinstance(v, str) else interval_text(*v) if v else "",
    "dec": decimal_text,
    "signed": lambda v: signed_text(*v) if isinstance(v, tuple) else signed_text(v),
    "days": lambda v: decimal_text(v, 0),
}


@dataclass
class ReportTable:
    key: str  # worksheet name (at most 31 characters)
    title: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: list[list[Any]]
    note: str = ""

    @property
    def headers(self) -> list[str]:
        return [h for h, _ in self.columns]

    def frame(self) -> pd.DataFrame:
        """The table as Danish text, for the screen and the PDF."""
        kinds = [k for _, k in self.columns]
        data = [[FORMAT[k](v) for k, v in zip(kinds, row, strict=True)] for row in self.rows]
        return pd.DataFrame(data, columns=self.headers, dtype=object)


def _share_cells(row: Any, hidden: bool) -> list[Any]:
    if hidden or pd.isna(row["share"]):
        return [HIDDEN, HIDDEN]
    return [float(row["share"]), (float(row["low"]), float(row["high"]))]


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------


def response_table(result: ev.Evaluation) -> ReportTable:
    rows = []
    for _, r in result.response.iterrows():
        rows.append([r["label"], shown_count(r["n"]), shown_count(r["k"]),
                     *_share_cells(r, bool(r["hidden"]))])
    return ReportTable(
        "Svarprocent", "Svarprocent pr. tidspunkt",
        [("Tidspunkt", "text"), ("Skulle svare", "count"), ("Svarede", "count"),
         ("Svarprocent", "pct"), ("95 % KI", "ci")],
        rows,
        "Skulle svare: baseline alle; midtvejs dem, der har nået Anden opfølgning; afslutning og "
        "opfølgning dem, hvis forløb er slut (og altid dem, der har svaret).",
    )


def completion_table(result: ev.Evaluation) -> ReportTable:
    c = result.completion
    outcomes = [c.completed, c.dropped_out, c.ended_otherwise]
    hidden_cells = ev.suppress_breakdown(outcomes)
    shown = [HIDDEN if hide and not ev.is_small(v) else shown_count(v)
             for v, hide in zip(outcomes, hidden_cells, strict=True)]
    share = c.share
    if not c.ended:
        text = "ingen afsluttede forløb"
    elif bool(share["hidden"]) or any(hidden_cells):
        text = HIDDEN
    else:
        text = (f"{percent_text(share['share'])} (95 % KI "
                f"{interval_text(share['low'], share['high'])}) af {count_text(c.ended)}")
    rows = [
        ["Patienter i kohorten", shown_count(c.cohort)],
        ["Gennemført standardforløb (afsluttende samtale)", shown[0]],
        ["Udgået undervejs", shown[1]],
        ["Afsluttet undervejs på anden vis", shown[2]],
        ["Stadig i forløb", shown_count(c.in_course)],
        ["Andel gennemført af afsluttede forløb", text],
    ]
    return ReportTable("Gennemførelse", "Gennemførelse af standardforløbet",
                       [("Mål", "text"), ("Antal", "count")], rows)


def funnel_table(result: ev.Evaluation) -> ReportTable:
    rows = []
    for _, r in result.funnel.iterrows():
        if r["wait_n"] >= ev.SUPPRESS_BELOW:
            wait = (f"{decimal_text(r['wait_median'], 0)} "
                    f"({decimal_text(r['wait_q1'], 0)}–{decimal_text(r['wait_q3'], 0)})")
        else:
            wait = HIDDEN if r["wait_n"] else ""
        rows.append([r["label"], shown_count(r["reached"]), shown_count(r["completed"]),
                     shown_count(r["dropped_out"]), shown_count(r["stopped_after"]),
                     shown_count(r["in_progress"]), wait])
    return ReportTable(
        "Forløbstrin", "Gennem standardforløbet, trin for trin",
        [("Trin", "text"), ("Nået", "count"), ("Gennemført", "count"), ("Udgået", "count"),
         ("Afsluttet efter trinnet", "count"), ("I gang / venter på næste", "count"),
         ("Dage fra henvisning, median (IQR)", "text")],
        rows,
        "Nået: trinnet er gennemført, i gang, eller patienten udgik undervejs i det. Afsluttet "
        "efter trinnet: forløbet sluttede her uden registreret udgang (fx besluttet på "
        "konferencen).",
    )


def reasons_table(result: ev.Evaluation) -> ReportTable:
    rows = [[r["label"], r["reason"], shown_count(r["count"])]
            for _, r in result.dropout_reasons.iterrows()]
    return ReportTable(
        "Udgået – årsager", "Årsager til at udgå, hvor de er registreret",
        [("Trin", "text"), ("Årsag", "text"), ("Patienter", "count")], rows,
        "Årsager registreret for færre end 5 patienter står under »Anden eller ingen "
        "registreret årsag«.",
    )


def addons_table(result: ev.Evaluation) -> ReportTable:
    rows = [[r["label"], shown_count(r["k"]), *_share_cells(r, bool(r["hidden"]))[:1]]
            for _, r in result.addons.iterrows()]
    return ReportTable("Tilvalg", "Tilvalg til standardforløbet",
                       [("Tilvalg", "text"), ("Patienter", "count"),
                        ("Andel af kohorten", "pct")], rows)


def effect_table(result: ev.Evaluation, timepoint: str = "afslutning") -> ReportTable:
    frame = result.effect[result.effect["timepoint"] == timepoint]
    rows = []
    for _, r in frame.iterrows():
        breakdown = r["hidden_breakdown"]
        small_total = ev.is_small(r["both"])
        cells = []
        for value, hide in zip((r["improved"], r["unchanged"], r["worsened"]), breakdown,
                               strict=True):
            cells.append(ev.SUPPRESSED if ev.is_small(value) else HIDDEN
                         if (hide or small_total) else int(value))
        share = _share_cells(r, bool(r["hidden"]))
        mean = HIDDEN if small_total or r["both"] == 0 else r["mean_change"]
        name = r["instrument"] + (" (meget/en hel del bedre)" if not ev.has_baseline(r["code"])
                                  else "")
        digits = max(1, pro.INSTRUMENTS[r["code"]].decimals)
        mean = mean if isinstance(mean, str) or pd.isna(mean) else (float(mean), digits)
        rows.append([r["domain"], name, shown_count(r["eligible"]), shown_count(r["both"]),
                     shown_count(r["missing"]), *cells, *share,
                     "" if not isinstance(mean, str | tuple) else mean, r["better"]])
    label = pro.TIMEPOINTS.get(timepoint, timepoint).lower()
    return ReportTable(
        f"Effekt {label}"[:31], f"Ændring fra baseline til {label}",
        [("Domæne", "text"), ("Instrument", "text"), ("Skulle svare", "count"),
         ("Begge svar", "count"), ("Ikke svaret", "count"), ("Forbedret", "count"),
         ("Uændret", "count"), ("Forværret", "count"), ("Andel forbedret", "pct"),
         ("95 % KI", "ci"), ("Gns. ændring", "signed"), ("Retning", "text")],
        rows,
        "Andele af patienterne med begge svar; ikke-besvarere regnes aldrig som uændrede. "
        "Forbedret/forværret: mindst instrumentets mindste betydende ændring. PGIC: svar ved "
        "tidspunktet (ingen baseline).",
    )


def factors_table(result: ev.Evaluation) -> ReportTable:
    rows = []
    for _, r in result.factors.iterrows():
        rows.append([r["factor_name"], r["effect_name"], r["factor_improved"],
                     shown_count(r["n"]), shown_count(r["k"]),
                     *_share_cells(r, bool(r["hidden"]))])
    return ReportTable(
        "Vedligeholdende faktorer", "Forbedring i vedligeholdende faktorer og effekt",
        [("Faktor", "text"), ("Effektmål", "text"), ("Faktoren", "text"),
         ("Patienter med begge kendt", "count"), ("Forbedret på effektmålet", "count"),
         ("Andel", "pct"), ("95 % KI", "ci")],
        rows,
        "Blandt patienter med både faktor og effektmål kendt ved afslutning: hvor mange "
        "forbedrede sig på effektmålet, efter om faktoren blev forbedret.",
    )


def subgroup_table(result: ev.Evaluation, code: str = "pdi",
                   frame: pd.DataFrame | None = None) -> ReportTable:
    frame = result.subgroups(code) if frame is None else frame
    rows = []
    for _, r in frame.iterrows():
        rows.append([r["variable"], r["level"], shown_count(r["patients"]), shown_count(r["n"]),
                     shown_count(r["k"]), *_share_cells(r, bool(r["hidden"]))])
    inst = pro.INSTRUMENTS[code]
    what = "meget/en hel del bedre" if not ev.has_baseline(code) else "forbedret"
    severity = pro.INSTRUMENTS[ev.severity_code(code)].short_name
    return ReportTable(
        f"Hvem har gavn {inst.short_name}"[:31],
        f"Andel {what} på {inst.short_name} ved afslutning, pr. undergruppe",
        [("Opdeling", "text"), ("Gruppe", "text"), ("Patienter", "count"),
         ("Med svar", "count"), (what.capitalize(), "count"), ("Andel", "pct"),
         ("95 % KI", "ci")],
        rows,
        f"Sværhed ved baseline: båndet på {severity} ved baseline. Tilvalg: én række pr. "
        "tilvalg (en patient kan have flere).",
    )


def characteristics_table(result: ev.Evaluation) -> ReportTable:
    rows = []
    for _, r in result.characteristics.iterrows():
        if r["kind"] == "count":
            k = shown_count(r["k"])
            share = HIDDEN if isinstance(k, str) else r["share"]
            if r["section"] == "Patienter":
                share = None
            rows.append([r["section"], r["label"], k, share, ""])
        else:
            if r["n"] < ev.SUPPRESS_BELOW:
                value = HIDDEN if r["n"] else ""
            else:
                value = (f"{decimal_text(r['mean'])} ({decimal_text(r['sd'])}); "
                         f"{decimal_text(r['median'])} "
                         f"({decimal_text(r['q1'])}–{decimal_text(r['q3'])})")
            rows.append([r["section"], r["label"], shown_count(r["n"]), "", value])
    return ReportTable(
        "Patientkarakteristika", "Patientkarakteristika (tabel 1)",
        [("Egenskab", "text"), ("Kategori", "text"), ("Antal", "count"), ("Andel", "pct"),
         ("Gennemsnit (SD); median (IQR)", "text")],
        rows,
        "Alder og smertevarighed ved henvisning; PRO-scorer ved baseline (WHO-5 i %). "
        "Kontinuerte rækker: antal med en værdi.",
    )


def conference_table(result: ev.Evaluation) -> ReportTable:
    rows = []
    for _, r in result.conference.iterrows():
        if pd.notna(r.get("n")):
            k, n = r["k"], r["n"]
            hidden = bool(r["hidden"]) or not n
            rows.append([r["label"], "", shown_count(k), shown_count(n),
                         *_share_cells(r, hidden)])
        else:
            value = float(r["value"])
            rows.append([r["label"], value if not math.isnan(value) else "", "", "", "", ""])
    return ReportTable(
        "Konferencen", "Konferencens egne tal",
        [("Mål", "text"), ("Værdi", "dec"), ("Antal", "count"), ("Af", "count"),
         ("Andel", "pct"), ("95 % KI", "ci")],
        rows,
        "Konferencer i perioden, der er holdt. Overført: ikke nået eller udsat til næste "
        "konference. Næste skridt med frist til og med udtrækket: udført senest på fristen.",
    )


def definitions_table(meta: ReportMeta) -> ReportTable:
    rows = [["Kohorte", f"{meta.cohort_label}: {meta.cohort_definition}"]]
    rows += [[term, text] for term, text in ev.DEFINITIONS]
    rows.append(["Mindste betydende ændring pr. instrument",
                 "; ".join(f"{inst.short_name}: {pro.mic_text(code) or 'bånd (ingen MIC)'}"
                           for code, inst in pro.INSTRUMENTS.items())])
    return ReportTable("Definitioner", "Definitioner", [("Begreb", "text"),
                                                       ("Definition", "text")], rows)


def report_tables(result: ev.Evaluation, meta: ReportMeta) -> list[ReportTable]:
    """The yearly report's tables, in the report's order."""
    return [
        response_table(result),
        characteristics_table(result),
        effect_table(result, "afslutning"),
        effect_table(result, "midtvejs"),
        completion_table(result),
        funnel_table(result),
        reasons_table(result),
        addons_table(result),
        factors_table(result),
        subgroup_table(result, "pdi"),
        subgroup_table(result, "pgic"),
        conference_table(result),
        definitions_table(meta),
    ]


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def to_xlsx(result: ev.Evaluation, meta: ReportMeta) -> bytes:
    """One worksheet per table after a front sheet (title, period, cohort, extraction time,
    version); numbers as numbers (shares as percentages), suppressed cells as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from conference.exporting import neutralise

    book = Workbook()
    bold = Font(bold=True)
    front = book.active
    front.title = "Rapport"
    front.append([meta.title])
    front["A1"].font = Font(bold=True, size=14)
    front.append([CENTRE])
    front.append([])
    for label, text in meta.lines():
        front.append([label, neutralise(text)])
        front.cell(front.max_row, 1).font = bold
    front.append(["Små tal", SUPPRESSION_NOTE])
    front.cell(front.max_row, 1).font = bold
    front.append([])
    front.append(["Ark", "Indhold"])
    front.cell(front.max_row, 1).font = bold
    front.cell(front.max_row, 2).font = bold
    tables = report_tables(result, meta)
    for table in tables:
        front.append([table.key[:31], table.title])
    front.column_dimensions["A"].width = 28
    front.column_dimensions["B"].width = 110
    for row in front.iter_rows(min_row=4, max_col=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    for table in tables:
        sheet = book.create_sheet(title=table.key[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([f"{meta.cohort_label}, {meta.period_text}. Udtrukket "
                      f"{local_datetime(meta.extracted_at)}. Konferencetavlen {meta.version}."])
        if table.note:
            sheet.append([table.note])
        sheet.append([])
        headers: list[str] = []
        for header, kind in table.columns:
            headers += [f"{header}, nedre", f"{header}, øvre"] if kind == "ci" else [header]
        sheet.append(headers)
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = bold
        for row in table.rows:
            values: list[Any] = []
            formats: list[str | None] = []
            for (_, kind), value in zip(table.columns, row, strict=True):
                if kind == "ci":
                    pair = (value, value) if isinstance(value, str) else value or ("", "")
                    values += list(pair)
                    formats += ["0%", "0%"]
                elif kind == "pct":
                    values.append(value)
                    formats.append("0%")
                elif kind in ("dec", "signed"):
                    digits = 1
                    if isinstance(value, tuple):
                        value, digits = value
                    values.append(round(float(value), digits) if isinstance(value, float | int)
                                  and not pd.isna(value) else value)
                    formats.append("0." + "0" * digits)
                else:
                    values.append(neutralise(value) if isinstance(value, str) else value)
                    formats.append(None)
            sheet.append(values)
            for cell, fmt in zip(sheet[sheet.max_row], formats, strict=False):
                if fmt and isinstance(cell.value, float | int):
                    cell.number_format = fmt
                elif isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(
                max(len(header) + 2, 12), 60)
        sheet.append([])
        sheet.append([SUPPRESSION_NOTE])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


def _png(chart: Any, scale: float = 1.6) -> bytes | None:
    """An Altair chart as PNG (vl-convert); None if it cannot be drawn here."""
    try:
        import vl_convert

        return vl_convert.vegalite_to_png(chart.to_dict(validate=False), scale=scale)
    except Exception:  # noqa: BLE001 - a report without a chart beats no report
        return None


def _image(png: bytes | None, width: float, height: float = 660.0):  # noqa: ANN202
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    if png is None:
        return None
    reader = ImageReader(io.BytesIO(png))
    w, h = reader.getSize()
    scale = min(1.0, width / w, height / h)  # fits the page
    return Image(io.BytesIO(png), width=w * scale, height=h * scale)


def _pdf_table(table: ReportTable, styles: dict, width: float,
               widths: Sequence[float] | None = None) -> list:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    frame = table.frame()
    rows = [[Paragraph(escape(h), styles["cellbold"]) for h in frame.columns]]
    for values in frame.itertuples(index=False):
        rows.append([Paragraph(escape(str(v)).replace("\n", "<br/>"), styles["cell"])
                     for v in values])
    n = len(frame.columns)
    fractions = widths or [1 / n] * n
    pdf = Table(rows, colWidths=[width * f for f in fractions], repeatRows=1)
    pdf.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8d3df")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
    ]))
    result: list = [Paragraph(escape(table.title), styles["h3"]), pdf]
    if table.note:
        result.append(Paragraph(escape(table.note), styles["note"]))
    result.append(Spacer(1, 6))
    return result


EFFECT_WIDTHS = (0.1, 0.12, 0.065, 0.065, 0.07, 0.08, 0.075, 0.08, 0.07, 0.095, 0.075, 0.105)


def to_pdf(result: ev.Evaluation, meta: ReportMeta, *, with_charts: bool = True) -> bytes:
    """The yearly report as an A4 PDF: the meta block, the response rates, table 1, the effect
    (chart and tables), completion (funnel chart and tables), perpetuating factors, who
    benefits (chart and tables), the conference's own figures and the definitions."""
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    from conference import evaluation_charts as charts
    from conference.minutes_export import _fonts, _styles

    styles = dict(_styles())
    regular, _ = _fonts()
    styles["cell"] = ParagraphStyle("EvCell", parent=styles["cell"], fontSize=7.5, leading=9.5)
    styles["cellbold"] = ParagraphStyle("EvCellBold", parent=styles["cellbold"], fontSize=7,
                                        leading=8.5)
    styles["note"] = ParagraphStyle("EvNote", parent=styles["body"], fontSize=7.5, leading=9.5,
                                    textColor=colors.HexColor("#444444"))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=1.8 * cm, rightMargin=1.8 * cm, topMargin=1.8 * cm,
        bottomMargin=1.8 * cm, title=meta.title, author=CENTRE, lang="da-DK",
        subject=f"{meta.cohort_label}, {meta.period_text}",
    )
    width = document.width
    footer_lines = (f"{CENTRE} · {meta.title} · {meta.cohort_label}",
                    f"Udtrukket {local_datetime(meta.extracted_at)} · Konferencetavlen "
                    f"{meta.version}")

    def footer(canvas, doc) -> None:  # noqa: ANN001
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin, 1.15 * cm, footer_lines[0])
        canvas.drawString(doc.leftMargin, 0.8 * cm, footer_lines[1])
        canvas.drawRightString(doc.leftMargin + doc.width, 0.8 * cm, f"Side {doc.page}")
        canvas.restoreState()

    def heading(text: str) -> Any:
        return Paragraph(escape(text), styles["h2"])

    def chart(built: Any) -> list:
        if not charts_on:
            return []
        image = _image(_png(built), width)
        return [image, Spacer(1, 4)] if image is not None else []

    charts_on = with_charts
    rl_config.useA85 = 0  # binary image streams: the pure-Python ASCII85 step is slow
    tables = {t.key: t for t in report_tables(result, meta)}
    meta_rows = [[Paragraph(escape(k), styles["cellbold"]), Paragraph(escape(v), styles["cell"])]
                 for k, v in [*meta.lines(), ("Små tal", SUPPRESSION_NOTE)]]
    meta_table = PdfTable(meta_rows, colWidths=[width * 0.2, width * 0.8])
    story: list = [
        Paragraph(escape(meta.title), styles["title"]),
        Paragraph(escape(f"{CENTRE} · {meta.cohort_label} · {meta.period_text} · "
                         f"{count_text(result.size)} patienter"), styles["subtitle"]),
        meta_table, Spacer(1, 8),
        heading("1. Svarprocent og patienterne"),
        *_pdf_table(tables["Svarprocent"], styles, width, [0.28, 0.16, 0.16, 0.18, 0.22]),
        *_pdf_table(tables["Patientkarakteristika"], styles, width,
                    [0.2, 0.3, 0.1, 0.1, 0.3]),
        PageBreak(),
        heading("2. Effekt"),
        *chart(charts.effect_chart(result.effect, width=430)),
        *_pdf_table(tables["Effekt afslutning"], styles, width,
                    EFFECT_WIDTHS),
        *_pdf_table(tables["Effekt midtvejs"], styles, width, EFFECT_WIDTHS),
        PageBreak(),
        heading("3. Gennemførelse"),
        *chart(charts.funnel_chart(result.funnel, width=430)),
        KeepTogether(_pdf_table(tables["Gennemførelse"], styles, width, [0.6, 0.4])),
        *_pdf_table(tables["Forløbstrin"], styles, width,
                    [0.22, 0.09, 0.11, 0.09, 0.13, 0.14, 0.22]),
        *_pdf_table(tables["Udgået – årsager"], styles, width, [0.3, 0.55, 0.15]),
        *_pdf_table(tables["Tilvalg"], styles, width, [0.6, 0.2, 0.2]),
        PageBreak(),
        heading("4. Vedligeholdende faktorer"),
        *chart(charts.factor_chart(result.factors, width=430)),
        *_pdf_table(tables["Vedligeholdende faktorer"], styles, width,
                    [0.12, 0.12, 0.16, 0.16, 0.16, 0.12, 0.16]),
        PageBreak(),
        heading("5. Hvem har gavn"),
    ]
    pdi = result.subgroups("pdi")
    story += chart(charts.subgroup_chart(pdi, "PDI", width=330, step=13))
    story += _pdf_table(subgroup_table(result, "pdi", pdi), styles, width,
                        [0.2, 0.3, 0.1, 0.1, 0.1, 0.08, 0.12])
    story += _pdf_table(tables["Hvem har gavn PGIC"], styles, width,
                        [0.2, 0.3, 0.1, 0.1, 0.1, 0.08, 0.12])
    story += [
        heading("6. Konferencens egne tal"),
        *_pdf_table(tables["Konferencen"], styles, width, [0.4, 0.1, 0.1, 0.1, 0.12, 0.18]),
        heading("Definitioner"),
        *_pdf_table(tables["Definitioner"], styles, width, [0.25, 0.75]),
    ]
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def local_stamp(moment: dt.datetime) -> str:
    """The extraction moment for a file name, on the Danish clock (yyyy-mm-dd)."""
    return to_local(moment).date().isoformat()
