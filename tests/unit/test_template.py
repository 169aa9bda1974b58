"""The presentation template as data: the default fields, checking a definition, readiness."""

import pytest

from conference.template import (
    DEFAULT_FIELDS,
    SYSTEM_KEYS,
    CaseState,
    TemplateError,
    default_fields,
    first_anledning,
    join_danish,
    missing_required,
    parse_fields,
    ready_problem,
    state_of,
)

FIELDS = parse_fields(default_fields())


def test_default_template_has_the_eight_domain_fields_in_order():
    assert [f.key for f in FIELDS] == [
        "anledning", "baggrund", "tre_p", "forloeb", "pro", "maal_udbytte", "barrierer",
        "vurdering",
    ]
    assert [f.label for f in FIELDS] == [
        "Anledning", "Baggrund", "3P", "Forløb indtil nu", "PRO", "Patientens mål og udbytte",
        "Barrierer og tematikker", "Mikroteamets vurdering og forslag",
    ]
    assert {f.key for f in FIELDS if f.system} == {"baggrund", "forloeb", "pro"}
    assert all(f.help for f in FIELDS)


def test_default_template_matches_the_demo_centres_version_1():
    from demo import TEMPLATE_FIELDS

    def shape(fields):
        return [(f["key"], f["label"], f["required"], f["system"]) for f in fields]

    assert shape(TEMPLATE_FIELDS) == shape(DEFAULT_FIELDS)


def test_default_fields_are_a_fresh_copy():
    first = default_fields()
    first[0]["label"] = "Ændret"
    assert default_fields()[0]["label"] == "Anledning"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([], "mindst ét felt"),
        ([{"key": "Anledning", "label": "A"}], "små bogstaver"),
        ([{"key": "1a", "label": "A"}], "små bogstaver"),
        ([{"key": "a", "label": "A"}, {"key": "a", "label": "B"}], "to gange"),
        ([{"key": "a", "label": "  "}], "overskrift"),
        ([{"key": "a", "label": "A", "farve": "rød"}], "ukendte egenskaber"),
        ([{"key": "a", "label": "A", "required": "ja"}], "sand eller falsk"),
        ([{"key": "noter", "label": "Noter", "system": True}], "systemet kan kun udfylde"),
        ([{"key": "a", "label": "A" * 81}], "for lang"),
        ("anledning", "liste"),
        (["anledning"], "Felt 1"),
    ],
)
def test_invalid_template_definitions_are_refused_in_danish(fields, message):
    with pytest.raises(TemplateError, match=message):
        parse_fields(fields)


def test_parse_strips_text_and_defaults_flags():
    (field,) = parse_fields([{"key": "note", "label": "  Note ", "help": " Skriv kort "}])
    assert (field.label, field.help, field.required, field.system) == ("Note", "Skriv kort",
                                                                        False, False)


def test_system_fields_are_only_those_the_system_can_fill():
    assert {f.key for f in FIELDS if f.system} <= set(SYSTEM_KEYS)


def test_missing_required_names_empty_and_blank_fields_in_template_order():
    values = {"anledning": "Status efter anden opfølgning", "tre_p": "  \n ", "vurdering": ""}
    assert [f.label for f in missing_required(FIELDS, values)] == [
        "3P", "Patientens mål og udbytte", "Mikroteamets vurdering og forslag",
    ]


def test_system_fields_count_as_filled_even_when_required_and_empty():
    fields = parse_fields([{"key": "baggrund", "label": "Baggrund", "required": True,
                            "system": True}])
    assert missing_required(fields, {}) == []


def test_ready_problem_names_every_missing_field():
    assert ready_problem(FIELDS, {"anledning": "x", "tre_p": "x", "maal_udbytte": "x"}) == (
        "Sagen kan ikke markeres klar til konference. "
        "Udfyld først feltet »Mikroteamets vurdering og forslag«."
    )
    assert ready_problem(FIELDS, {"anledning": "x", "maal_udbytte": "x"}) == (
        "Sagen kan ikke markeres klar til konference. "
        "Udfyld først felterne »3P« og »Mikroteamets vurdering og forslag«."
    )
    filled = {f.key: "tekst" for f in FIELDS if not f.system}
    assert ready_problem(FIELDS, filled) is None
    # Barrierer is optional
    assert ready_problem(FIELDS, {k: v for k, v in filled.items() if k != "barrierer"}) is None


def test_state_of_a_case():
    assert state_of(None, ready=False) == CaseState.NOT_STARTED
    assert state_of({"tre_p": "  "}, ready=False) == CaseState.NOT_STARTED
    assert state_of({"tre_p": "Søvn"}, ready=False) == CaseState.DRAFT
    assert state_of({"tre_p": "Søvn"}, ready=True) == CaseState.READY


def test_first_anledning_takes_reason_and_question():
    assert first_anledning(" Status ", None) == "Status"
    assert first_anledning("Status", " Skal hun have CFT? ") == (
        "Status\n\nSpørgsmål til konferencen: Skal hun have CFT?"
    )


@pytest.mark.parametrize(
    ("words", "text"),
    [([], ""), (["A"], "A"), (["A", "B"], "A og B"), (["A", "B", "C"], "A, B og C")],
)
def test_join_danish(words, text):
    assert join_danish(words) == text
