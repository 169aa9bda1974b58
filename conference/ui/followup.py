"""Next steps on screen: one-click status, the quick "add a step" form, who-can-own options.

Used by the referent's screen (Referat) and by Opfølgning. Writes go through the services as
the acting user (conference.ui.context.acting_user, safe in callbacks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from conference import minutes as text
from conference.formatting import date_numeric, date_short
from conference.labels import ACTION_STATUS, OWNER_ROLE
from conference.services import actions
from conference.services import minutes as minutes_service
from conference.services.errors import ServiceError
from conference.services.staff import StaffOption
from conference.ui.context import acting_user, clear_caches, db_session, today
from conference.ui.form_keys import field_key, saved
from conference.ui.text import escape_md
from db.models import ActionStatus

NOTICE_KEY = "followup_notice"
ERROR_KEY = "followup_error"
CONFLICT_KEY = "followup_conflict"
STATUS_ICON = {
    ActionStatus.OPEN.value: ":material/radio_button_unchecked:",
    ActionStatus.BOOKED.value: ":material/event_available:",
    ActionStatus.DONE.value: ":material/task_alt:",
    ActionStatus.CANCELLED.value: ":material/block:",
}
PROFESSION_ROLES = ("laege", "sygeplejerske", "psykolog", "fysioterapeut", "socialraadgiver",
                    "sekretaer")


def messages() -> None:
    """Show (once) what the last write said: an error, or what happened to the course."""
    if ERROR_KEY in st.session_state:
        st.error(st.session_state.pop(ERROR_KEY))
    if NOTICE_KEY in st.session_state:
        st.success(st.session_state.pop(NOTICE_KEY), icon=":material/check:")


def write(call, *args, **kwargs):  # noqa: ANN001, ANN201 - a service function and its arguments
    """Run a service write as the remembered acting user; a refusal becomes the page's error."""
    try:
        with db_session() as session:
            result = call(session, acting_user(session), *args, **kwargs)
    except actions.Conflict as conflict:  # the caller may show both versions
        st.session_state[CONFLICT_KEY] = conflict
        st.session_state[ERROR_KEY] = str(conflict)
        return None
    except ServiceError as error:
        st.session_state[ERROR_KEY] = str(error)
        return None
    clear_caches()
    return result


# --------------------------------------------------------------------------- status


def _status_key(action_id: int, version: int) -> str:
    return f"action{action_id}_v{version}_status"


def _on_status(action_id: int, version: int) -> None:
    chosen = st.session_state.get(_status_key(action_id, version))
    if chosen is None:  # clicking the selected option again: nothing to do
        return
    change = write(
        actions.set_action_status, action_id, ActionStatus(chosen), today=today(),
        version=version,
    )
    if change is not None:
        st.session_state[NOTICE_KEY] = (
            f"»{change.action.description}« er markeret "
            f"{ACTION_STATUS[ActionStatus(chosen)].lower()}."
            + (f" {change.course_note}" if change.course_note else "")
        )


def status_control(action_id: int, version: int, status: str, *, disabled: bool = False) -> None:
    """The step's status as four segments: one click sets it (the key follows the version, so a
    change saved elsewhere shows at once)."""
    st.segmented_control(
        "Status",
        [s.value for s in ActionStatus],
        default=status,
        format_func=lambda s: ACTION_STATUS[ActionStatus(s)],
        key=_status_key(action_id, version),
        on_change=_on_status,
        args=(action_id, version),
        label_visibility="collapsed",
        disabled=disabled,
    )


def due_text(due: dt.date | None, status: str, on: dt.date) -> str:
    """'frist 09.12.2026' with ':red[...]' markup when overdue and still open."""
    if due is None:
        return "ingen frist"
    text = f"frist {date_numeric(due)}"
    if due < on and status in (ActionStatus.OPEN.value, ActionStatus.BOOKED.value):
        return f":red[**{text} · overskredet**]"
    return text


# --------------------------------------------------------------------------- adding


@dataclass(frozen=True)
class OwnerChoice:
    value: str  # 'rolle:pal_laege' or 'staff:12'
    label: str

    @property
    def owner_id(self) -> int | None:
        kind, _, raw = self.value.partition(":")
        return int(raw) if kind == "staff" else None

    @property
    def owner_role(self) -> str | None:
        kind, _, raw = self.value.partition(":")
        return raw if kind == "rolle" else None


def owner_choices(
    staff: Sequence[StaffOption], pal: str | None, nurse: str | None
) -> list[OwnerChoice]:
    """The patient's PAL-læge and kontaktsygeplejerske first, then a profession, then a person."""
    result = [
        OwnerChoice("rolle:pal_laege", f"PAL-læge ({pal})" if pal else "PAL-læge"),
        OwnerChoice(
            "rolle:kontaktsygeplejerske",
            f"Kontaktsygeplejerske ({nurse})" if nurse else "Kontaktsygeplejerske",
        ),
    ]
    result += [OwnerChoice(f"rolle:{p}", f"{OWNER_ROLE[p]} (faggruppen)") for p in PROFESSION_ROLES]
    result += [OwnerChoice(f"staff:{s.id}", s.label) for s in staff]
    return result


def add_step_form(
    item_id: int,
    catalogue: Sequence[tuple[str, str]],
    owners: Sequence[OwnerChoice],
    default_due: dt.date,
    *,
    amendment: bool = False,
) -> None:
    """What, who, by when, and Enter: the quick form for a next step (free text allowed)."""
    names = dict(catalogue)
    labels = {o.value: o.label for o in owners}
    form = f"add_step_{item_id}"
    with st.form(form, border=True):
        what_col, who_col, due_col = st.columns([5, 4, 2], vertical_alignment="bottom")
        what = what_col.selectbox(
            "Hvad", list(names), index=None, format_func=lambda c: names.get(c, c),
            placeholder="Vælg indsats eller skriv en opgave", accept_new_options=True,
            key=field_key(form, "what"),
        )
        who = who_col.selectbox(
            "Hvem", list(labels), index=None, format_func=labels.get,
            placeholder="Vælg ansvarlig", key=field_key(form, "who"),
        )
        due = due_col.date_input(
            "Frist", value=default_due, format="DD.MM.YYYY", key=field_key(form, "due")
        )
        reason = None
        if amendment:
            reason = st.text_input(
                "Begrundelse for tilføjelsen (konferencen er underskrevet)",
                key=field_key(form, "reason"),
            )
        submitted = st.form_submit_button("Tilføj næste skridt", icon=":material/add:")
    if not submitted:
        return
    owner = next((o for o in owners if o.value == who), None)
    code = what if what in names else None
    result = write(
        actions.add_action, item_id,
        description=None if code else what,
        intervention_code=code,
        owner_id=owner.owner_id if owner else None,
        owner_role=owner.owner_role if owner else None,
        due_date=due,
        amendment_reason=reason,
    )
    if result is not None:
        saved(form)
        st.session_state[NOTICE_KEY] = f"Tilføjet: {result.description} (frist {date_short(due)})."
        st.rerun()


# --------------------------------------------------------------------------- one case's steps


def step_row(action: actions.ActionView, on: dt.date, *, removable: bool) -> None:
    """What · who · due, the one-click status, and (while open) a bin for a mistyped step."""
    what, state, remove = st.columns([6, 5, 1], vertical_alignment="center")
    what.markdown(
        f"{escape_md(action.description)}  \n"
        f":gray[{escape_md(action.owner)} · {due_text(action.due_date, action.status, on)}]"
    )
    with state:
        status_control(action.id, action.version, action.status)
    if removable and action.status == ActionStatus.OPEN.value:
        remove.button(
            "", icon=":material/delete:", key=f"delete_step_{action.id}",
            help="Fjern (skrevet forkert)", on_click=write,
            args=(actions.delete_action, action.id), kwargs={"version": action.version},
        )


def proposal_button(
    detail: minutes_service.CaseDetail, decision: str | None, holders: dict[str, str | None]
) -> None:
    """The decision's usual next step as one click, until it is on the plan."""
    proposal = text.DECISION_FOLLOW_UP.get(decision or "")
    if proposal is None or detail.signed_off:
        return
    for action in detail.actions:
        same = (action.intervention_code == proposal.intervention if proposal.intervention
                else action.description == proposal.description)
        if same and action.status != ActionStatus.CANCELLED.value:
            return
    due = detail.conference_date + dt.timedelta(days=proposal.days)
    who = OWNER_ROLE[proposal.owner_role]
    if holders.get(proposal.owner_role):
        who += f" ({holders[proposal.owner_role]})"
    st.button(
        f"Tilføj: {proposal.description} · {who} · frist {date_short(due)}",
        icon=":material/add_task:", key=f"propose_{detail.item_id}",
        on_click=write, args=(actions.add_action, detail.item_id),
        kwargs={
            "description": proposal.description,
            "intervention_code": proposal.intervention,
            "owner_role": proposal.owner_role,
            "due_date": due,
        },
    )


def case_steps(
    detail: minutes_service.CaseDetail,
    decision: str | None,
    catalogue: Sequence[tuple[str, str]],
    staff: Sequence[StaffOption],
    on: dt.date,
) -> None:
    """The plan of one case: its steps, the proposed one, and the quick form."""
    holders = {
        "pal_laege": detail.pal_laege[1] if detail.pal_laege else None,
        "kontaktsygeplejerske": (
            detail.kontaktsygeplejerske[1] if detail.kontaktsygeplejerske else None
        ),
    }
    for action in detail.actions:
        step_row(action, on, removable=not detail.signed_off)
    if not detail.actions:
        st.caption("Ingen næste skridt endnu.")
    proposal_button(detail, decision, holders)
    add_step_form(
        detail.item_id,
        catalogue,
        owner_choices(staff, holders["pal_laege"], holders["kontaktsygeplejerske"]),
        detail.conference_date + dt.timedelta(days=14),
        amendment=detail.signed_off,
    )
