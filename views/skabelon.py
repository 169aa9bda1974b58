"""Skabelon: the presentation template. Saving a change makes a new version; a case keeps the
version it was begun with."""

import pandas as pd
import streamlit as st

from conference.formatting import local_datetime
from conference.services.cases import new_template_version, template_versions
from conference.services.errors import ServiceError
from conference.template import SYSTEM_KEYS, default_fields
from conference.ui.context import acting_user, clear_caches, db_session
from conference.ui.text import escape_md

COLUMNS = {"key": "Nøgle", "label": "Overskrift", "help": "Hjælpetekst",
           "required": "Skal udfyldes", "system": "Udfyldes af systemet"}

with db_session() as session:
    user = acting_user(session)
    versions = template_versions(session)

st.title("Skabelon til fremlæggelse")
if versions:
    current = versions[0]
    st.caption(
        f"Version {current.version_no} · gemt {local_datetime(current.created_at)}"
        + (f" af {escape_md(current.created_by)}" if current.created_by else "")
        + ". En ændring gemmes som en ny version; sager, der er påbegyndt, beholder deres."
    )
    fields = [f.as_dict() for f in current.fields]
else:
    st.caption("Standardskabelonen (version 1) gemmes, når den første sag påbegyndes.")
    fields = default_fields()

frame = pd.DataFrame(fields, columns=list(COLUMNS)).rename(columns=COLUMNS)
edited = st.data_editor(
    frame,
    num_rows="dynamic",
    hide_index=True,
    key="template_editor",
    column_config={
        "Nøgle": st.column_config.TextColumn(
            required=True, width="small",
            help="Små bogstaver, tal og _. Ret ikke nøglen på et felt, der er i brug.",
        ),
        "Overskrift": st.column_config.TextColumn(required=True, width="medium"),
        "Hjælpetekst": st.column_config.TextColumn(width="large"),
        "Skal udfyldes": st.column_config.CheckboxColumn(default=False),
        "Udfyldes af systemet": st.column_config.CheckboxColumn(
            default=False, help=f"Kun {', '.join(SYSTEM_KEYS)} kan udfyldes af systemet.",
        ),
    },
)
st.caption("Rækkefølgen i tabellen er rækkefølgen i skabelonen. Tilføj eller slet rækker "
           "nederst og med markering i venstre side.")

if st.button("Gem som ny version", type="primary"):
    rows = edited.rename(columns={v: k for k, v in COLUMNS.items()}).to_dict("records")
    clean = [
        {
            "key": str(r["key"] or "").strip(),
            "label": str(r["label"] or ""),
            "help": "" if pd.isna(r["help"]) else str(r["help"]),
            "required": bool(r["required"]) if not pd.isna(r["required"]) else False,
            "system": bool(r["system"]) if not pd.isna(r["system"]) else False,
        }
        for r in rows
    ]
    try:
        with db_session() as session:
            saved = new_template_version(session, user, clean)
    except ServiceError as error:
        st.error(str(error))
    else:
        clear_caches()
        st.session_state.pop("template_editor", None)
        st.toast(f"Skabelonen er gemt som version {saved.version_no}.")
        st.rerun()

if len(versions) > 1:
    with st.expander(f"Tidligere versioner ({len(versions) - 1})"):
        for version in versions[1:]:
            st.markdown(
                f"**Version {version.version_no}** · {local_datetime(version.created_at)}"
                + (f" · {escape_md(version.created_by)}" if version.created_by else "")
            )
            st.text("\n".join(
                f"{f.label}{' *' if f.required else ''}{' (system)' if f.system else ''}"
                for f in version.fields
            ))
