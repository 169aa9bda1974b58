"""Who may do what: one table, checked by the service layer on every call (deny by default).

A role grants an action outright ("all") or only for the patients/groups the staff member works
with ("own": their microteam's patients, the patients on groups they run, the groups they run).
Anything not in the table is refused.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from db.models import Role


class Action(enum.StrEnum):
    VIEW_PATIENTS = "se_patienter"
    RAISE_CONCERN = "rejse_problemstilling"
    PREPARE_CASE = "forberede_sag"
    PROPOSE_CASE = "saette_patient_paa_konference"
    WRITE_TEAM_NOTE = "skrive_teamnote"
    MANAGE_AGENDA = "lede_konference"
    RECORD_ATTENDANCE = "registrere_fremmoede"
    RECORD_MINUTES = "skrive_referat"
    SIGN_OFF = "underskrive_referat"
    AMEND_CONCLUSION = "rette_konklusion"
    UPDATE_ACTION = "opdatere_opgave"
    MANAGE_GROUPS = "oprette_hold"
    ENROL = "tilmelde_hold"
    GROUP_ATTENDANCE = "registrere_holdfremmoede"
    FLAG_FOR_CONFERENCE = "melde_til_holdkonference"
    IMPORT_DATA = "importere_data"
    EXPORT_DATA = "eksportere_data"
    EDIT_TEMPLATE = "redigere_skabelon"
    VIEW_ACCESS_LOG = "se_adgangslog"
    MANAGE_STAFF = "administrere_brugere"
    CHANGE_SETTINGS = "aendre_indstillinger"
    EXPORT_REPORT = "eksportere_evalueringsrapport"


ACTION_LABEL = {
    Action.VIEW_PATIENTS: "se patienter og deres data",
    Action.RAISE_CONCERN: "rejse en problemstilling til konferencen",
    Action.PREPARE_CASE: "forberede en sag",
    Action.PROPOSE_CASE: "sætte en patient på konferencen",
    Action.WRITE_TEAM_NOTE: "skrive teamnoter",
    Action.MANAGE_AGENDA: "lede konferencen (dagsorden, talerække, tid)",
    Action.RECORD_ATTENDANCE: "registrere fremmøde på konferencen",
    Action.RECORD_MINUTES: "skrive referat og konklusioner",
    Action.SIGN_OFF: "underskrive referatet",
    Action.AMEND_CONCLUSION: "rette en underskrevet konklusion",
    Action.UPDATE_ACTION: "opdatere en opgave fra konferencen",
    Action.MANAGE_GROUPS: "oprette og planlægge hold",
    Action.ENROL: "tilmelde patienter til hold",
    Action.GROUP_ATTENDANCE: "registrere fremmøde på hold",
    Action.FLAG_FOR_CONFERENCE: "melde patienter til holdkonferencen",
    Action.IMPORT_DATA: "importere data",
    Action.EXPORT_DATA: "eksportere data",
    Action.EDIT_TEMPLATE: "ændre skabelonen til fremlæggelse",
    Action.VIEW_ACCESS_LOG: "se og eksportere adgangsloggen",
    Action.MANAGE_STAFF: "administrere brugere",
    Action.CHANGE_SETTINGS: "ændre centrets indstillinger (konferencens tidspunkt, navnevisning)",
    Action.EXPORT_REPORT: "hente evalueringsrapporten (PDF og Excel)",
}

ALL, OWN = "all", "own"

#: role -> action -> scope. Everything absent is denied.
MATRIX: dict[Role, dict[Action, str]] = {
    Role.ADMIN: {action: ALL for action in Action},
    Role.MOEDELEDER: {
        Action.VIEW_PATIENTS: ALL,
        Action.RAISE_CONCERN: ALL,
        Action.PREPARE_CASE: ALL,
        Action.PROPOSE_CASE: ALL,
        Action.WRITE_TEAM_NOTE: ALL,
        Action.MANAGE_AGENDA: ALL,
        Action.RECORD_ATTENDANCE: ALL,
        Action.RECORD_MINUTES: ALL,
        Action.UPDATE_ACTION: ALL,
        Action.MANAGE_GROUPS: ALL,
        Action.ENROL: ALL,
        Action.FLAG_FOR_CONFERENCE: ALL,
        Action.EXPORT_DATA: ALL,
        Action.EXPORT_REPORT: ALL,
    },
    Role.REFERENT: {
        Action.VIEW_PATIENTS: ALL,
        Action.RAISE_CONCERN: ALL,
        Action.RECORD_ATTENDANCE: ALL,
        Action.RECORD_MINUTES: ALL,
        Action.SIGN_OFF: ALL,
        Action.AMEND_CONCLUSION: ALL,
        Action.UPDATE_ACTION: ALL,
        Action.ENROL: ALL,
        Action.EXPORT_DATA: ALL,
    },
    Role.BEHANDLER: {
        Action.VIEW_PATIENTS: ALL,
        Action.RAISE_CONCERN: ALL,
        Action.PREPARE_CASE: OWN,
        Action.PROPOSE_CASE: OWN,
        Action.WRITE_TEAM_NOTE: OWN,
        Action.UPDATE_ACTION: OWN,
        Action.ENROL: OWN,
        Action.GROUP_ATTENDANCE: OWN,
        Action.FLAG_FOR_CONFERENCE: OWN,
    },
    Role.LAESER: {
        Action.VIEW_PATIENTS: ALL,
    },
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    scope: str | None  # "all", "own" or None (denied)


def decide(roles: set[Role], action: Action, *, owns: bool = False) -> Decision:
    """May someone with `roles` do `action`? `owns`: the patient/group is theirs."""
    scopes = {MATRIX.get(role, {}).get(action) for role in roles} - {None}
    if ALL in scopes:
        return Decision(True, ALL)
    if OWN in scopes:
        return Decision(owns, OWN if owns else None)
    return Decision(False, None)


def denial_message(action: Action, scope_needed: bool) -> str:
    what = ACTION_LABEL[action]
    if scope_needed:
        return (
            f"Du har ikke adgang til at {what} for denne patient eller dette hold: "
            "det er forbeholdt patientens mikroteam og holdets behandlere."
        )
    return f"Du har ikke adgang til at {what}. Kontakt en administrator, hvis det er en fejl."
