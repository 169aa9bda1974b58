"""CPR numbers: format, century table, dates, modulus 11, synthetic numbers."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conference.cpr import (
    MAX_PLAUSIBLE_AGE,
    MOD11_WARNING,
    CprError,
    age_on,
    century_for,
    format_cpr,
    make_cpr,
    modulus11_ok,
    normalise_cpr,
    parse_cpr,
    plausibility_warnings,
)

# 070761-4285: 0*4 + 7*3 + 0*2 + 7*7 + 6*6 + 1*5 + 4*4 + 2*3 + 8*2 + 5*1 = 154 = 14 * 11.
VALID = "0707614285"


# --- normalise / format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "070761-4285",
        "0707614285",
        " 070761 4285 ",
        "07 07 61 - 42 85",
        "070761–4285",
        "070761\u00a04285",
    ],
)
def test_normalise_accepts_usual_spellings(text):
    assert normalise_cpr(text) == VALID


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "070761-428",  # 9 digits
        "070761-42850",  # 11 digits
        "07076l-4285",  # letter l
        "0707-614285",  # hyphen in the wrong place
        "070761--4285",
        "070761/4285",
        "٠٧٠٧٦١٤٢٨٥",  # Arabic-Indic digits are not CPR digits
    ],
)
def test_normalise_rejects_malformed(text):
    with pytest.raises(CprError, match="^Ugyldigt CPR-nummer"):
        normalise_cpr(text)


def test_normalise_rejects_non_text():
    # An int would have lost a leading zero (010190-... -> 10190...).
    with pytest.raises(CprError):
        normalise_cpr(707614285)  # type: ignore[arg-type]


def test_cpr_error_is_value_error():
    assert issubclass(CprError, ValueError)


def test_message_names_the_length():
    with pytest.raises(CprError, match="9 cifre"):
        normalise_cpr("070761428")


def test_format():
    assert format_cpr("0707614285") == "070761-4285"
    assert format_cpr(" 070761 4285") == "070761-4285"


# --- century table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("0101000000", date(1900, 1, 1)),  # 0-3: always 1900s
        ("3112993999", date(1999, 12, 31)),
        ("0101364000", date(2036, 1, 1)),  # 4: YY <= 36 -> 2000s
        ("0101374000", date(1937, 1, 1)),  # 4: YY > 36 -> 1900s
        ("0101369000", date(2036, 1, 1)),  # 9 like 4
        ("0101379000", date(1937, 1, 1)),
        ("0101999000", date(1999, 1, 1)),
        ("0101005000", date(2000, 1, 1)),  # 5-8: YY <= 57 -> 2000s
        ("3112578000", date(2057, 12, 31)),
        ("0101585000", date(1858, 1, 1)),  # 5-8: YY > 57 -> 1800s
        ("3112998999", date(1899, 12, 31)),
        ("0101406000", date(2040, 1, 1)),
        ("0101404000", date(1940, 1, 1)),
    ],
)
def test_century_table(cpr, born):
    assert parse_cpr(cpr).birth_date == born


def test_century_for_function_matches_table():
    assert [century_for(36, d) for d in range(10)] == [1900] * 4 + [2000] * 6
    assert [century_for(37, d) for d in range(10)] == [1900] * 5 + [2000] * 4 + [1900]
    assert [century_for(57, d) for d in range(10)] == [1900] * 5 + [2000] * 4 + [1900]
    assert [century_for(58, d) for d in range(10)] == [1900] * 5 + [1800] * 4 + [1900]


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cpr",
    [
        "310299-1234",  # 31 February
        "290200-0123",  # 29.02.1900: 1900 is no leap year
        "290201-4123",  # 2001
        "290237-9123",  # 1937
        "290258-6123",  # 1858
        "000000-0000",
        "320161-1234",
        "011361-1234",  # month 13
        "010061-1234",  # month 0
    ],
)
def test_impossible_dates_are_rejected(cpr):
    with pytest.raises(CprError, match="ikke en gyldig dato"):
        parse_cpr(cpr)
    with pytest.raises(CprError):
        normalise_cpr(cpr)


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("290200-4123", date(2000, 2, 29)),  # 2000 is a leap year
        ("290200-5123", date(2000, 2, 29)),
        ("290236-9123", date(2036, 2, 29)),
        ("290260-6123", date(1860, 2, 29)),
        ("290296-1123", date(1996, 2, 29)),
    ],
)
def test_leap_days_that_exist(cpr, born):
    assert parse_cpr(cpr).birth_date == born


# --- sex and modulus 11 --------------------------------------------------------------------


def test_parse_valid_number():
    info = parse_cpr("070761-4285")
    assert info.cpr == VALID
    assert info.birth_date == date(1961, 7, 7)
    assert info.sex == "M"  # 5 is odd
    assert info.modulus11_ok is True
    assert info.warnings == []
    assert info.formatted == "070761-4285"


def test_modulus11_failure_is_only_a_warning():
    # Sum 155 is not divisible by 11; such numbers have been issued since 2007.
    info = parse_cpr("070761-4286")
    assert info.modulus11_ok is False
    assert info.warnings == [MOD11_WARNING]
    assert "modulus 11" in info.warnings[0] and "2007" in info.warnings[0]
    assert info.sex == "K"  # 6 is even


def test_modulus11_function():
    assert modulus11_ok("0707614285")
    assert not modulus11_ok("0707614284")


def test_future_birth_date_is_a_warning():
    info = parse_cpr("010130-4000", today=date(2025, 1, 1))  # 2030
    assert any("efter dags dato" in w for w in info.warnings)
    assert not any(
        "efter dags dato" in w for w in parse_cpr("010130-4000", today=date(2031, 1, 1)).warnings
    )


def test_cpr_info_is_hashable_and_frozen():
    info = parse_cpr(VALID)
    hash(info)
    with pytest.raises(AttributeError):
        info.sex = "K"  # type: ignore[misc]


# --- age ---------------------------------------------------------------------------------------


def test_age_on():
    born = date(1961, 7, 7)
    assert age_on(born, date(2024, 7, 6)) == 62
    assert age_on(born, date(2024, 7, 7)) == 63
    assert age_on(born, born) == 0


def test_age_on_leap_day_birthday():
    born = date(2000, 2, 29)
    assert age_on(born, date(2001, 2, 28)) == 0
    assert age_on(born, date(2001, 3, 1)) == 1
    assert age_on(born, date(2004, 2, 29)) == 4


def test_age_before_birth_raises():
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


# --- plausibility: age over 110, birth after referral ------------------------------------

TODAY = date(2026, 11, 25)


def test_a_cpr_number_from_the_1800s_warns_about_an_age_over_110():
    born = parse_cpr(make_cpr(date(1860, 4, 2), "K", 1), today=TODAY).birth_date
    assert born == date(1860, 4, 2)  # digit 7 is 5-8 and YY 60: the 1800s
    (warning,) = plausibility_warnings(born, today=TODAY, referral_date=date(2026, 6, 1))
    assert "alder på 166 år" in warning and f"over {MAX_PLAUSIBLE_AGE} år" in warning


@pytest.mark.parametrize(
    ("born", "referral", "today", "expected"),
    [
        (date(1915, 6, 2), date(2026, 6, 1), date(2026, 6, 1), None),  # 110: fine
        (date(1915, 6, 1), None, date(2026, 6, 1), "111 år i dag (01.06.2026)"),
        (date(1915, 9, 1), date(2026, 6, 1), TODAY, "111 år i dag (25.11.2026)"),
        (date(1915, 9, 1), date(2026, 6, 1), date(2026, 8, 31), None),
        # a referral after today: the age on that date counts
        (date(1915, 9, 1), date(2026, 9, 1), date(2026, 8, 31),
         "111 år ved henvisningen 01.09.2026"),
    ],
)
def test_the_age_limit_on_the_referral_date_or_the_given_today(born, referral, today, expected):
    warnings = plausibility_warnings(born, today=today, referral_date=referral)
    if expected is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert expected in warning


def test_a_birth_after_the_referral_date_is_a_warning():
    (warning,) = plausibility_warnings(date(2001, 1, 1), today=TODAY,
                                       referral_date=date(2000, 12, 31))
    assert warning == ("fødselsdatoen 01.01.2001 ligger efter henvisningsdatoen 31.12.2000. "
                       "Kontrollér CPR-nummeret og henvisningsdatoen.")
    assert plausibility_warnings(date(2001, 1, 1), today=TODAY,
                                 referral_date=date(2001, 1, 1)) == []


def test_a_birth_after_today_is_left_to_parse_cpr():
    assert plausibility_warnings(date(2030, 1, 1), today=TODAY) == []


# --- synthetic numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "allowed_digit7"),
    [
        (date(1858, 1, 1), {5, 6, 7, 8}),
        (date(1899, 12, 31), {5, 6, 7, 8}),
        (date(1900, 6, 15), {0, 1, 2, 3}),
        (date(1936, 6, 15), {0, 1, 2, 3}),  # 4 and 9 with YY 36 would mean 2036
        (date(1937, 6, 15), {0, 1, 2, 3, 4, 9}),
        (date(1999, 6, 15), {0, 1, 2, 3, 4, 9}),
        (date(2000, 6, 15), {4, 5, 6, 7, 8, 9}),
        (date(2036, 6, 15), {4, 5, 6, 7, 8, 9}),
        (date(2037, 6, 15), {5, 6, 7, 8}),
        (date(2057, 12, 31), {5, 6, 7, 8}),
    ],
)
def test_make_cpr_uses_a_century_digit_for_the_year(born, allowed_digit7):
    seen = set()
    for seed in range(300):
        for sex in ("K", "M"):
            cpr = make_cpr(born, sex, seed)
            seen.add(int(cpr[6]))
            info = parse_cpr(cpr)
            assert info.birth_date == born
            assert info.sex == sex
            assert info.modulus11_ok
    assert seen <= allowed_digit7
    assert len(seen) > 1  # the seed spreads over the allowed digits


@pytest.mark.parametrize("born", [date(1857, 12, 31), date(2058, 1, 1), date(1700, 1, 1)])
def test_make_cpr_rejects_unrepresentable_years(born):
    with pytest.raises(CprError):
        make_cpr(born, "K", 1)


def test_make_cpr_rejects_unknown_sex():
    with pytest.raises(ValueError):
        make_cpr(date(1980, 1, 1), "X", 1)


def test_make_cpr_is_deterministic_and_seeds_differ():
    born = date(1975, 3, 14)
    assert make_cpr(born, "K", 42) == make_cpr(born, "K", 42)
    numbers = {make_cpr(born, "K", seed) for seed in range(100)}
    assert len(numbers) == 100


# --- properties ---------------------------------------------------------------------------

dates = st.dates(min_value=date(1858, 1, 1), max_value=date(2057, 12, 31))


@given(born=dates, sex=st.sampled_from(["K", "M"]), seed=st.integers(0, 10**9))
def test_generated_cpr_round_trips(born, sex, seed):
    cpr = make_cpr(born, sex, seed)
    assert len(cpr) == 10 and cpr.isdigit()
    info = parse_cpr(cpr)
    assert (info.birth_date, info.sex, info.modulus11_ok) == (born, sex, True)
    assert MOD11_WARNING not in info.warnings
    formatted = format_cpr(cpr)
    assert formatted == f"{cpr[:6]}-{cpr[6:]}"
    assert normalise_cpr(formatted) == cpr
    assert parse_cpr(formatted) == info


separators = st.sampled_from(["", "-", " ", " - ", "–"])


@given(digits=st.text(alphabet="0123456789", min_size=10, max_size=10), sep=separators)
def test_normalise_is_idempotent(digits, sep):
    text = f"{digits[:6]}{sep}{digits[6:]}"
    try:
        once = normalise_cpr(text)
    except CprError:
        # Only an impossible date can make a well-formed 10-digit text invalid.
        with pytest.raises(CprError, match="ikke en gyldig dato"):
            parse_cpr(digits)
        return
    assert once == digits
    assert normalise_cpr(once) == once
    assert normalise_cpr(format_cpr(text)) == once


@given(digits=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_parsed_year_agrees_with_digits(digits):
    try:
        info = parse_cpr(digits)
    except CprError:
        return
    born = info.birth_date
    assert f"{born:%d%m}{born.year % 100:02d}" == digits[:6]
    assert 1858 <= born.year <= 2057
    if digits[6] in "0123":
        assert 1900 <= born.year <= 1999
    elif digits[6] in "49":
        assert 1937 <= born.year <= 2036
    else:
        assert born.year <= 1899 or 2000 <= born.year <= 2057


@given(
    born=dates,
    sex=st.sampled_from(["K", "M"]),
    seed=st.integers(0, 1000),
    position=st.integers(0, 9),
    bump=st.integers(1, 9),
)
def test_single_digit_change_breaks_modulus11(born, sex, seed, position, bump):
    # All weights are coprime to 11, so modulus 11 catches every single-digit error.
    cpr = make_cpr(born, sex, seed)
    changed = cpr[:position] + str((int(cpr[position]) + bump) % 10) + cpr[position + 1 :]
    assert not modulus11_ok(changed)
