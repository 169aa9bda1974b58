"""The Referat as files: PDF (reportlab) and DOCX (python-docx), from conference.minutes.Minutes.

Both renderers walk the same blocks; every text is the user's own or already Danish-formatted.
User text goes into reportlab Paragraphs escaped (they parse a small markup language).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Paragraph as PdfParagraph
from reportlab.platypus import Table as PdfTable

from conference.minutes import Block, Bullets, Heading, Minutes, Paragraph, Table

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACCENT = colors.HexColor("#1f4e79")

# A TrueType font with the Danish letters, dashes and ½; reportlab's own Vera as the fallback.
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@cache
def _fonts() -> tuple[str, str]:
    """Register and return (regular, bold) font names."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("KT-Regular", str(regular)))
            pdfmetrics.registerFont(TTFont("KT-Bold", str(bold)))
            return "KT-Regular", "KT-Bold"
    pdfmetrics.registerFont(TTFont("KT-Regular", "Vera.ttf"))
    pdfmetrics.registerFont(TTFont("KT-Bold", "VeraBd.ttf"))
    return "KT-Regular", "KT-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "KTBody", parent=base["BodyText"], fontName=regular, fontSize=10, leading=13.5,
        alignment=TA_LEFT, spaceAfter=4,
    )
    return {
        "title": ParagraphStyle(
            "KTTitle", parent=body, fontName=bold, fontSize=18, leading=22, textColor=ACCENT,
            spaceAfter=2,
        ),
        "subtitle": ParagraphStyle("KTSub", parent=body, fontSize=11, spaceAfter=10),
        "h2": ParagraphStyle(
            "KTH2", parent=body, fontName=bold, fontSize=13.5, leading=17, textColor=ACCENT,
            spaceBefore=12, spaceAfter=5,
        ),
        "h3": ParagraphStyle(
            "KTH3", parent=body, fontName=bold, fontSize=11, leading=14, spaceBefore=9,
            spaceAfter=3,
        ),
        "body": body,
        "cell": ParagraphStyle("KTCell", parent=body, fontSize=9, leading=11.5, spaceAfter=0),
        "cellbold": ParagraphStyle(
            "KTCellBold", parent=body, fontName=bold, fontSize=9, leading=11.5, spaceAfter=0
        ),
    }


def _text(value: str) -> str:
    """User text for a reportlab Paragraph: escaped, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


def _pdf_block(block: Block, styles: dict[str, ParagraphStyle], width: float) -> list:
    bold = _fonts()[1]
    if isinstance(block, Heading):
        return [PdfParagraph(_text(block.text), styles["h2" if block.level <= 2 else "h3"])]
    if isinstance(block, Paragraph):
        text = _text(block.text)
        if block.label:
            text = f'<font name="{bold}">{escape(block.label)}:</font> {text}'
        return [PdfParagraph(text, styles["body"])]
    if isinstance(block, Bullets):
        items = [ListItem(PdfParagraph(_text(i), styles["body"]), leftIndent=12)
                 for i in block.items]
        return [ListFlowable(items, bulletType="bullet", start="•", leftIndent=12)]
    has_header = any(block.header)
    key_value = not has_header and len(block.header) == 2
    rows = []
    if has_header:
        rows.append([PdfParagraph(_text(h), styles["cellbold"]) for h in block.header])
    for row in block.rows:
        rows.append([
            PdfParagraph(_text(cell), styles["cellbold" if key_value and i == 0 else "cell"])
            for i, cell in enumerate(row)
        ])
    fractions = block.widths or tuple(1 / len(block.header) for _ in block.header)
    table = PdfTable(rows, colWidths=[width * f for f in fractions], repeatRows=int(has_header))
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8d3df")),
    ]
    if has_header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
    table.setStyle(TableStyle(style))
    return [table, Spacer(1, 6)]


def _only_headings(flowables: list) -> bool:
    return all(
        isinstance(f, PdfParagraph) and f.style.name in ("KTH2", "KTH3") for f in flowables
    )


def to_pdf(minutes: Minutes) -> bytes:
    """The minutes as an A4 PDF with page numbers."""
    styles = _styles()
    regular, _ = _fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2.2 * cm, rightMargin=2.2 * cm, topMargin=2 * cm,
        bottomMargin=2 * cm, title=minutes.title, subject=minutes.subtitle,
        author="Smertecenter Syd", lang="da-DK",
    )
    width = document.width

    def footer(canvas, doc) -> None:  # noqa: ANN001
        canvas.saveState()
        canvas.setFont(regular, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin, 1.2 * cm, minutes.footer)
        canvas.drawRightString(doc.leftMargin + doc.width, 1.2 * cm, f"Side {doc.page}")
        canvas.restoreState()

    story: list = [
        PdfParagraph(_text(minutes.title), styles["title"]),
        PdfParagraph(_text(minutes.subtitle), styles["subtitle"]),
    ]
    # A heading and everything up to the next heading stay on one page when they fit (a case
    # is not split from its plan); a part's heading goes with its first section.
    section: list = []
    for block in minutes.blocks:
        if isinstance(block, Heading) and section and not _only_headings(section):
            story.append(KeepTogether(section))
            section = []
        section += _pdf_block(block, styles, width)
    if section:
        story.append(KeepTogether(section))
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- DOCX


def _set_language(document: docx.document.Document, tag: str = "da-DK") -> None:
    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults"))
    if rpr_default is None:
        return
    rpr = rpr_default.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr is None:
        return
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), tag)


def _docx_table(document: docx.document.Document, block: Table) -> None:
    has_header = any(block.header)
    rows = ([block.header] if has_header else []) + list(block.rows)
    table = document.add_table(rows=len(rows), cols=len(block.header))
    table.style = "Table Grid" if has_header else "Light List"
    total = 16.6  # cm of text width on A4 with our margins
    fractions = block.widths or tuple(1 / len(block.header) for _ in block.header)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.width = Cm(total * fractions[c])
            cell.text = value
            bold = (has_header and r == 0) or (not has_header and c == 0)
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(9.5)
                run.bold = bold
    document.add_paragraph()


def to_docx(minutes: Minutes) -> bytes:
    """The minutes as a Word document (A4, Danish proofing language)."""
    document = docx.Document()
    _set_language(document)
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.0)
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10.5)
    document.core_properties.title = minutes.title
    document.core_properties.subject = minutes.subtitle
    document.core_properties.author = "Smertecenter Syd"
    document.core_properties.language = "da-DK"

    title = document.add_heading(minutes.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.LEFT
    subtitle = document.add_paragraph(minutes.subtitle)
    subtitle.runs[0].font.size = Pt(12)
    for block in minutes.blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=min(block.level, 3))
        elif isinstance(block, Paragraph):
            paragraph = document.add_paragraph()
            if block.label:
                paragraph.add_run(f"{block.label}: ").bold = True
            lines = block.text.split("\n")
            for i, line in enumerate(lines):
                run = paragraph.add_run(line)
                if i < len(lines) - 1:
                    run.add_break()
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        else:
            _docx_table(document, block)
    footer = section.footer.paragraphs[0]
    footer.text = minutes.footer
    footer.runs[0].font.size = Pt(8)
    footer.runs[0].font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
