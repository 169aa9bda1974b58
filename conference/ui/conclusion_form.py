"""The referent's form for one case: history sketch, decision, free text, saved as typed.

Drafts never get lost: each text field saves itself to the database while it is typed
(conference.ui.live_text: 1.5 s after the last keystroke, and at once when the field is left) or,
for the decision, when it is clicked; a reload reads the texts back from the database. The form
remembers the conclusion version its texts started from; if someone else saved in between, the
service refuses (Conflict, recorded in the audit log) and both versions are shown side by side
for the referent to choose; the box shows the newest stored version, so choosing one's own saves
it. Every text save carries the case its box was typed for, and the service refuses another
than the form's. After sign-off the form is read-only and a change is an amendment with a
reason (the original is kept).
"""

from __future__ import annotations

import streamlit as st

from conference import minutes as text
from conference.formatting import date_short, local_clock
from conference.labels import DECISION
from conference.services import actions
from conference.services import minutes as service
from conference.ui import followup
from conference.ui.context import db_session
from conference.ui.live_text import live_text_area, reported_for
from conference.ui.text import escape_md

FIELDS = ("history_sketch", "decision", "decision_text")


def _key(item_id: int, name: str) -> str:
    return f"ref{item_id}_{name}"


def load(detail: service.CaseDetail) -> None:
    """Fill the widgets from the database: the first time this case is shown in this session,
    and whenever someone else saved a newer version while this form holds no unsaved text."""
    item_id = detail.item_id
    conclusion = detail.conclusion
    stored = conclusion.version if conclusion else None
    if st.session_state.get(_key(item_id, "loaded")):
        untouched = _values(item_id) == st.session_state.get(_key(item_id, "base"))
        newer = stored != st.session_state.get(_key(item_id, "version"))
        if not (newer and untouched) or st.session_state.get(_key(item_id, "conflict")):
            return
    values = {
        "history_sketch": (conclusion.history_sketch or "") if conclusion
        else detail.sketch_prefill,
        "decision": (conclusion.decision or None) if conclusion else None,
        "decision_text": (conclusion.decision_text or "") if conclusion else "",
    }
    for name, value in values.items():
        st.session_state[_key(item_id, name)] = value
    st.session_state[_key(item_id, "base")] = values
    st.session_state[_key(item_id, "version")] = stored
    st.session_state[_key(item_id, "saved_at")] = conclusion.recorded_at if conclusion else None
    st.session_state[_key(item_id, "loaded")] = True


def _values(item_id: int) -> dict[str, str | None]:
    return {name: st.session_state.get(_key(item_id, name)) for name in FIELDS}


def save(item_id: int, field: str | None = None) -> None:
    """on_change: save all three fields against the version the form started from. A text
    field's save carries the case its box says the text was typed for."""
    st.session_state.pop(_key(item_id, "conflict"), None)
    st.session_state.pop(followup.CONFLICT_KEY, None)
    saved = followup.write(
        service.save_conclusion, item_id,
        version=st.session_state.get(_key(item_id, "version")),
        typed_for=reported_for(_key(item_id, field)) if field else None,
        **_values(item_id),
    )
    conflict = st.session_state.pop(followup.CONFLICT_KEY, None)
    if saved is not None:
        st.session_state[_key(item_id, "version")] = saved.version
        st.session_state[_key(item_id, "saved_at")] = saved.recorded_at
        st.session_state[_key(item_id, "base")] = _values(item_id)
    elif conflict is not None:
        # the refused save rolled back: its audit row goes in a transaction of its own
        followup.write(service.record_conclusion_conflict, item_id, conflict)
        st.session_state.pop(followup.ERROR_KEY, None)  # the conflict box says it
        _remember_conflict(item_id, conflict)


def _remember_conflict(item_id: int, conflict: actions.Conflict) -> None:
    theirs = dict(conflict.theirs)
    if not theirs:  # lost a race: read what is saved now
        with db_session() as session:
            current = service.case_detail(session, item_id).conclusion
        theirs = current.as_dict() if current else {f: "" for f in FIELDS} | {"version": None}
    st.session_state[_key(item_id, "conflict")] = (str(conflict), theirs, dict(conflict.mine))


def _keep_mine(item_id: int) -> None:
    _, theirs, _ = st.session_state.pop(_key(item_id, "conflict"))
    st.session_state[_key(item_id, "version")] = theirs.get("version")
    save(item_id)


def _take_theirs(item_id: int) -> None:
    _, theirs, _ = st.session_state.pop(_key(item_id, "conflict"))
    for name in FIELDS:
        value = theirs.get(name) or ""
        st.session_state[_key(item_id, name)] = (value or None) if name == "decision" else value
    st.session_state[_key(item_id, "version")] = theirs.get("version")
    st.session_state[_key(item_id, "base")] = _values(item_id)


def _version_text(values: dict) -> str:
    return (
        f"Skitse:\n{values.get('history_sketch') or '(tom)'}\n\n"
        f"Konklusion: {text.conclusion_text(values.get('decision'), values.get('decision_text'))}"
    )


def conflict_box(detail: service.CaseDetail) -> None:
    item_id = detail.item_id
    found = st.session_state.get(_key(item_id, "conflict"))
    if not found:
        return
    message, theirs, mine = found
    stored = detail.conclusion
    if stored is not None and stored.version != theirs.get("version"):
        # saved again since: compare with (and choose against) the newest stored version
        theirs = stored.as_dict()
        st.session_state[_key(item_id, "conflict")] = (message, theirs, mine)
    with st.container(border=True):
        st.warning(escape_md(message))
        mine_col, theirs_col = st.columns(2)
        mine_col.markdown("**Din udgave (ikke gemt)**")
        mine_col.text(_version_text(mine))
        mine_col.button("Behold min udgave", key=_key(item_id, "keep"), on_click=_keep_mine,
                        args=(item_id,))
        who = theirs.get("by") or "en anden"
        theirs_col.markdown(f"**Gemt af {escape_md(who)}** {escape_md(theirs.get('at') or '')}")
        theirs_col.text(_version_text(theirs))
        theirs_col.button("Brug den gemte", key=_key(item_id, "theirs"), on_click=_take_theirs,
                          args=(item_id,))


def editor(detail: service.CaseDetail) -> None:
    """The three fields; each saves as it is typed or clicked."""
    item_id = detail.item_id
    load(detail)
    st.pills(
        "Konklusion",
        list(DECISION),
        format_func=DECISION.get,
        key=_key(item_id, "decision"),
        on_change=save,
        args=(item_id,),
        wrap=True,
    )
    live_text_area(
        "Uddybning af konklusionen",
        key=_key(item_id, "decision_text"),
        height=90,
        placeholder="Fx hvad der skal ske først, eller hvad konferencen anbefaler mikroteamet.",
        on_change=save,
        args=(item_id, "decision_text"),
        belongs_to=item_id,
    )
    live_text_area(
        "Skitse af historik",
        key=_key(item_id, "history_sketch"),
        height=170,
        help="Forslag ud fra mikroteamets fremlæggelse; ret det til.",
        on_change=save,
        args=(item_id, "history_sketch"),
        belongs_to=item_id,
    )
    conflict_box(detail)
    saved_at = st.session_state.get(_key(item_id, "saved_at"))
    st.caption(
        f"Gemt kl. {local_clock(saved_at)}." if saved_at
        else "Ikke gemt endnu: teksten gemmes, mens du skriver."
    )


def read_only(detail: service.CaseDetail) -> None:
    conclusion = detail.conclusion
    if conclusion is None:
        st.info("Der blev ikke registreret en konklusion for sagen.")
        return
    st.markdown("**Konklusion**")
    st.text(text.conclusion_text(conclusion.decision, conclusion.decision_text))
    st.markdown("**Skitse af historik**")
    st.text(conclusion.history_sketch or "Ingen skitse.")


def amendment_form(detail: service.CaseDetail) -> None:
    """After sign-off: change the conclusion with a reason; the original stays in the record."""
    conclusion = detail.conclusion
    if conclusion is None:
        return
    with st.expander("Ret konklusionen (rettelse med begrundelse)", icon=":material/edit:"):
        with st.form(f"amend_{detail.item_id}"):
            codes = list(DECISION)
            decision = st.selectbox(
                "Konklusion", codes, index=codes.index(conclusion.decision)
                if conclusion.decision in codes else None, format_func=DECISION.get,
            )
            decision_text = st.text_area("Uddybning", value=conclusion.decision_text or "")
            sketch = st.text_area("Skitse af historik", value=conclusion.history_sketch or "")
            reason = st.text_input("Hvorfor rettes konklusionen?")
            submitted = st.form_submit_button("Gem rettelsen")
        if submitted:
            done = followup.write(
                service.amend_conclusion, conclusion.id, history_sketch=sketch,
                decision=decision, decision_text=decision_text, reason=reason,
                version=conclusion.version,
            )
            if done is not None:
                st.session_state[followup.NOTICE_KEY] = (
                    f"Rettelsen er gemt; den oprindelige konklusion fra "
                    f"{date_short(detail.conference_date)} er bevaret."
                )
                st.rerun()
