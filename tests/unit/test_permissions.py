"""The permission table, as a matrix: every role × every action, own and not own."""

import pytest

from conference.permissions import ALL, MATRIX, OWN, Action, decide, denial_message
from db.models import Role

# The expected matrix, written out by hand: A = allowed for all, O = only own patients/groups,
# - = denied. Columns follow the order of Action.
EXPECTED = {
    #                     VP RC PC PP TN MA RA RM SO AC UA MG EN GA FC ID ED ET VL MS CS ER
    Role.ADMIN:          "A  A  A  A  A  A  A  A  A  A  A  A  A  A  A  A  A  A  A  A  A  A",
    Role.MOEDELEDER:     "A  A  A  A  A  A  A  A  -  -  A  A  A  -  A  -  A  -  -  -  -  A",
    Role.REFERENT:       "A  A  -  -  -  -  A  A  A  A  A  -  A  -  -  -  A  -  -  -  -  -",
    Role.BEHANDLER:      "A  A  O  O  O  -  -  -  -  -  O  -  O  O  O  -  -  -  -  -  -  -",
    Role.LAESER:         "A  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -  -",
}


def cells():
    for role, row in EXPECTED.items():
        for action, mark in zip(Action, row.split(), strict=True):
            yield role, action, mark


@pytest.mark.parametrize(("role", "action", "mark"), list(cells()))
def test_every_role_and_action(role, action, mark):
    own = decide({role}, action, owns=True)
    other = decide({role}, action, owns=False)
    if mark == "A":
        assert own.allowed and other.allowed and other.scope == ALL
    elif mark == "O":
        assert own.allowed and own.scope == OWN
        assert not other.allowed
    else:
        assert not own.allowed and not other.allowed


def test_matrix_has_no_actions_outside_the_expected_table():
    for role, grants in MATRIX.items():
        for action, scope in grants.items():
            mark = EXPECTED[role].split()[list(Action).index(action)]
            assert (scope, mark) in {(ALL, "A"), (OWN, "O")}


def test_roles_combine_to_the_widest_grant():
    assert decide({Role.BEHANDLER, Role.MOEDELEDER}, Action.PREPARE_CASE).scope == ALL
    assert not decide(set(), Action.VIEW_PATIENTS).allowed  # no role: nothing


def test_denials_are_danish_and_name_the_action():
    text = denial_message(Action.SIGN_OFF, scope_needed=False)
    assert text.startswith("Du har ikke adgang til at underskrive referatet")
    assert "mikroteam" in denial_message(Action.PREPARE_CASE, scope_needed=True)


def test_only_an_administrator_may_change_the_settings():
    allowed = {role for role in Role if decide({role}, Action.CHANGE_SETTINGS).allowed}
    assert allowed == {Role.ADMIN}
    assert denial_message(Action.CHANGE_SETTINGS, scope_needed=False).startswith(
        "Du har ikke adgang til at ændre centrets indstillinger"
    )


def test_only_a_meeting_leader_or_an_administrator_may_export_the_evaluation_report():
    allowed = {role for role in Role if decide({role}, Action.EXPORT_REPORT).allowed}
    assert allowed == {Role.ADMIN, Role.MOEDELEDER}
    assert denial_message(Action.EXPORT_REPORT, scope_needed=False).startswith(
        "Du har ikke adgang til at hente evalueringsrapporten"
    )
