"""The record note (Journalnotat) and the minutes (Referat): text, Danish dates, every decision,
and the two files made from them."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest

from conference import minutes as m
from conference.labels import DECISION
from conference.minutes_export import to_docx, to_pdf

DAY = dt.date(2026, 11, 25)  # a Wednesday


def plan(*lines: m.PlanLine) -> tuple[m.PlanLine, ...]:
    return tuple(lines)


def case(**changes: object) -> m.CaseRecord:
    values: dict[str, object] = {
        "conference_date": DAY,
        "patient_name": "Eva Svendsen",
        "cpr": "041075-0368",
        "reason_text": "Anden opfølgning gennemført: status og beslutning om videre forløb",
        "question": "Skal patienten tilbydes CFT?",
        "presented_by": "Louise Poulsen, sygeplejerske",
        "history_sketch": "50-årig kvinde med lænde- og bensmerter gennem 12 år.",
        "decision": "cft",
        "decision_text": "Start efter Mindfulness.",
        "plan": plan(
            m.PlanLine("Kognitiv funktionel terapi (CFT)", "fysioterapeut",
                       dt.date(2026, 12, 9)),
            m.PlanLine("Medicinsamtale", "PAL-læge Anna Jensen", dt.date(2026, 12, 16),
                       "booket"),
        ),
        "referent": "Freja Jessen, sygeplejerske",
    }
    values.update(changes)
    return m.CaseRecord(**values)  # type: ignore[arg-type]


def test_note_has_date_presenter_sketch_conclusion_and_plan_with_owners_and_dates() -> None:
    note = m.journal_note(case())
    assert note.splitlines()[0] == "Tværfaglig konference 25.11.2026"
    assert "Fremlagt af: Louise Poulsen, sygeplejerske" in note
    assert "Spørgsmål til konferencen: Skal patienten tilbydes CFT?" in note
    assert "Skitse af historik:\n50-årig kvinde med lænde- og bensmerter gennem 12 år." in note
    assert "Konklusion:\nKognitiv funktionel terapi (CFT). Start efter Mindfulness." in note
    assert (
        "- Kognitiv funktionel terapi (CFT). Ansvarlig: fysioterapeut. Frist: 09.12.2026."
        in note
    )
    assert (
        "- Medicinsamtale. Ansvarlig: PAL-læge Anna Jensen. Frist: 16.12.2026. "
        "Status: booket." in note
    )
    assert note.rstrip().endswith("Referent: Freja Jessen, sygeplejerske")


def test_note_is_plain_text_without_abbreviations_the_record_does_not_use() -> None:
    note = m.journal_note(case())
    assert "<" not in note and "**" not in note and "#" not in note
    for abbreviation in ("pt.", "evt.", "ifm.", "mht.", "vedr.", "mdr.", "ca."):
        assert abbreviation not in note.lower()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", note)  # no ISO dates: the record's own form


@pytest.mark.parametrize("code", sorted(DECISION))
def test_every_decision_appears_in_the_note_and_the_minutes(code: str) -> None:
    record = case(decision=code, decision_text="Aftalt med patienten.")
    note = m.journal_note(record)
    expected = "Aftalt med patienten." if code == m.OTHER else f"{DECISION[code]}."
    assert f"Konklusion:\n{expected}" in note
    text = m.minutes_text(m.build_minutes(minutes_data(cases=(record,))))
    assert f"Konklusion: {m.conclusion_text(code, 'Aftalt med patienten.')}" in text
    if code != m.OTHER:
        assert DECISION[code] in text


def test_every_decision_but_the_open_ones_proposes_a_next_step() -> None:
    assert set(m.DECISION_FOLLOW_UP) == set(DECISION)
    without = {code for code, step in m.DECISION_FOLLOW_UP.items() if step is None}
    assert without == {"fortsaet_standardforloeb", m.OTHER}


def test_a_draft_without_decision_or_plan_says_so() -> None:
    note = m.journal_note(case(decision="", decision_text=None, plan=(), history_sketch=None,
                               presented_by=None, question=None))
    assert "Fremlagt af: mikroteamet" in note
    assert "Skitse af historik:\nIngen skitse." in note
    assert "Konklusion:\nIngen konklusion registreret." in note
    assert "Plan:\nIngen yderligere tiltag aftalt." in note
    assert "Spørgsmål" not in note


def test_an_amendment_keeps_the_original_conclusion_with_who_when_and_why() -> None:
    amended = m.AmendmentLine(
        at=dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.UTC),  # 00:30 Danish time, next day
        by="Pernille Andersen",
        reason="Patienten har fået job; ønsker ikke CFT nu.",
        before={"decision": "cft", "decision_text": "Start efter Mindfulness."},
        after={"decision": "afsluttende_samtale", "decision_text": None},
    )
    note = m.journal_note(case(decision="afsluttende_samtale", decision_text=None,
                               amendments=(amended,)))
    assert "Konklusion:\nAfsluttende samtale" in note
    assert (
        "Rettet 27.11.2026 af Pernille Andersen: Patienten har fået job; ønsker ikke CFT nu."
        in note
    )
    assert "Oprindelig konklusion: Kognitiv funktionel terapi (CFT). Start efter Mindfulness." \
        in note


def test_owner_text_reads_as_the_record_says_it() -> None:
    assert m.owner_text("Ole Hansen", "Psykolog", None) == "Ole Hansen, psykolog"
    assert m.owner_text(None, None, "pal_laege", "Anna Jensen") == "PAL-læge Anna Jensen"
    assert m.owner_text(None, None, "fysioterapeut") == "fysioterapeut"
    assert m.owner_text(None, None, None) == "ikke angivet"


# --------------------------------------------------------------------------- the minutes


def minutes_data(**changes: object) -> m.MinutesData:
    values: dict[str, object] = {
        "conference_date": DAY,
        "starts_at": dt.time(9, 0),
        "duration_minutes": 150,
        "leader": "Pernille Andersen, læge",
        "referent": "Freja Jessen, sygeplejerske",
        "attendees": ("Anna Jensen", "Freja Jessen", "Pernille Andersen"),
        "signed_off_by": "Freja Jessen",
        "signed_off_at": dt.datetime(2026, 11, 25, 10, 40, tzinfo=dt.UTC),
        "group_notes": (
            m.GroupNote("Mindfulness – hold 2026-43", "Jens Poulsen", "Har svært ved at sidde "
                        "stille i 2½ time.", "Kirsten Østergaard"),
            m.GroupNote("Mindfulness – hold 2026-43", None, "Lokalet er for lille.",
                        "Emma Mortensen"),
        ),
        "cases": (
            case(),
            case(patient_name="Bo Hansen", cpr="010170-1234", status="ikke_naaet",
                 status_reason="Tiden slap op", decision=None, plan=()),
        ),
        "information": (
            case(patient_name="Ida Holm", cpr="020280-2345", reason_text="Til orientering: "
                 "startet på Terapihold"),
        ),
        "development_topic": "PRO i samtalen: dialogstøtte, ikke beslutningsstøtte",
        "staff_exercise": "Afspændingsøvelse",
        "stats": m.MeetingStats(
            conference_id=1, date=DAY, cases_on_agenda=2, discussed=1, carried_over=1,
            information=1, seconds_used=780, budget_seconds=600, timed_cases=1, over_budget=1,
            actions=2, actions_due=0, done_on_time=0, done_late=0, overdue_open=0,
        ),
    }
    values.update(changes)
    return m.MinutesData(**values)  # type: ignore[arg-type]


def test_minutes_have_danish_dates_attendance_three_parts_and_numbers() -> None:
    doc = m.build_minutes(minutes_data())
    text = m.minutes_text(doc)
    assert doc.title == "Referat af tværfaglig konference"
    assert doc.subtitle == "Onsdag den 25. november 2026, kl. 09:00–11:30"
    assert "Underskrevet | Freja Jessen, 25. nov. 2026 kl. 11:40" in text  # Danish clock
    assert "Deltagere | Anna Jensen, Freja Jessen, Pernille Andersen" in text
    parts = [text.index(h) for h in ("1. Holdkonference", "2. Patientkonference",
                                     "3. Faglig udvikling", "Mødets tal")]
    assert parts == sorted(parts)
    assert "- Jens Poulsen: Har svært ved at sidde stille i 2½ time. (Kirsten Østergaard)" in text
    assert "- Hele holdet: Lokalet er for lille. (Emma Mortensen)" in text
    assert "Eva Svendsen (041075-0368)" in text
    assert "Kognitiv funktionel terapi (CFT) | fysioterapeut | 09.12.2026 | Åben" in text
    assert "Medicinsamtale | PAL-læge Anna Jensen | 16.12.2026 | Booket" in text
    assert ("- Bo Hansen (010170-1234): ikke nået – Tiden slap op; overføres til næste "
            "konference") in text
    assert "- Ida Holm (020280-2345): Til orientering: startet på Terapihold" in text
    assert "Emne: PRO i samtalen: dialogstøtte, ikke beslutningsstøtte" in text
    assert "Tid brugt på sager (afsat) | 13 min. (10 min.)" in text
    assert doc.file_stem == "referat-2026-11-25"


def test_unsigned_minutes_say_they_are_a_draft_and_empty_parts_say_so() -> None:
    text = m.minutes_text(m.build_minutes(minutes_data(
        signed_off_at=None, signed_off_by=None, group_notes=(), cases=(), information=(),
        development_topic=None, attendees=(), stats=None,
    )))
    assert "Underskrevet | Ikke underskrevet endnu (kladde)" in text
    assert "Deltagere | ikke registreret" in text
    assert "Ingen noter fra holdene." in text
    assert "Ingen sager blev drøftet." in text
    assert "Emne: Intet emne registreret." in text
    assert "Mødets tal" not in text


def test_pdf_is_a_real_a4_pdf_and_survives_markup_characters_in_user_text() -> None:
    tricky = case(history_sketch="Smerter <10 & søvn > 5 timer; »citat« – ½ dosis.\nNy linje.",
                  decision_text="<b>ikke fed</b> & <font>")
    pdf = to_pdf(m.build_minutes(minutes_data(cases=(tricky,) * 12)))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 3  # long minutes flow over pages


def test_docx_holds_the_same_text_with_danish_dates() -> None:
    data = to_docx(m.build_minutes(minutes_data()))
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "Referat af tværfaglig konference"
    assert paragraphs[1] == "Onsdag den 25. november 2026, kl. 09:00–11:30"
    assert "1. Holdkonference" in paragraphs and "2. Patientkonference" in paragraphs
    assert any(p.startswith("Konklusion: Kognitiv funktionel terapi (CFT)") for p in paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "PAL-læge Anna Jensen" in cells and "16.12.2026" in cells
    assert document.core_properties.language == "da-DK"
