"""The PRO column-mapping editor: which column of a source's export is which answer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from conference.importing.mapping import (
    IGNORE_LABEL,
    STANDARD,
    TIMEPOINT,
    Mapping,
    editor_rows,
    mapping_from_editor,
    standard_mapping,
    target_labels,
)
from conference.importing.reading import Table
from conference.pro import TIMEPOINTS
from conference.services.errors import ServiceError
from conference.services.imports import mapping_for, save_mapping
from conference.ui.context import clear_caches, db_session
from db.models import Staff

__all__ = ["mapping_editor"]


def _timepoint_values(table: Table, rows: list[dict], current: Mapping, key: str
                      ) -> tuple[dict[str, str], str | None]:
    """The editor for the time point column's values, or a fixed time point for the file."""
    tp_label = target_labels()[TIMEPOINT]
    header = next((r["Kolonne i filen"] for r in rows if r["Betyder"] == tp_label), None)
    if header is None:
        fixed = st.selectbox(
            "Fast tidspunkt for hele filen", list(TIMEPOINTS), format_func=TIMEPOINTS.get,
            index=None, placeholder="Vælg, når filen ikke har en tidspunktskolonne",
            key=f"fixed_{key}",
        )
        return {}, fixed
    position = table.headers.index(header)
    found = sorted({str(r.get(position)).strip() for r in table.rows
                    if r.get(position) not in (None, "")})
    unknown = [v for v in found
               if v in current.timepoint_values or current.timepoint_for(v) is None]
    if not unknown:
        return {}, None
    st.caption("Hvilket tidspunkt betyder filens værdier?")
    frame = st.data_editor(
        pd.DataFrame([{"Værdi i filen": v,
                       "Tidspunkt": TIMEPOINTS.get(current.timepoint_values.get(v))}
                      for v in unknown]),
        hide_index=True, disabled=["Værdi i filen"], key=f"tp_{key}",
        column_config={"Tidspunkt": st.column_config.SelectboxColumn(
            options=list(TIMEPOINTS.values()))},
    )
    by_label = {label: code for code, label in TIMEPOINTS.items()}
    return {r["Værdi i filen"]: by_label.get(r["Tidspunkt"])
            for r in frame.to_dict("records")}, None


def mapping_editor(table: Table, source: str, user: Staff, key: str) -> str | None:
    """Draw the editor for `table`'s columns; returns the source name when it was saved."""
    with db_session() as session:
        saved, version = mapping_for(session, source)
    current = saved or standard_mapping(table.headers)
    st.caption(f"Vælg for hver kolonne, hvad den indeholder. Kolonner med »{IGNORE_LABEL}« "
               "springes over. Kortlægningen gemmes pr. kilde og bruges ved næste import.")
    sample = table.rows[0].values if table.rows else ()
    edited = st.data_editor(
        pd.DataFrame(editor_rows(table.headers, sample, current)),
        hide_index=True, key=f"mapping_{key}", disabled=["Kolonne i filen", "Eksempel"],
        use_container_width=True,
        column_config={"Betyder": st.column_config.SelectboxColumn(
            options=[IGNORE_LABEL, *target_labels().values()], required=True,
        )},
    )
    rows = edited.to_dict("records")
    values, fixed = _timepoint_values(table, rows, current, key)
    name = st.text_input("Gem som kilde", value="" if source == STANDARD else source,
                         placeholder="fx PainData", max_chars=40, key=f"name_{key}")
    if not st.button("Gem kolonnekortlægning", icon=":material/save:", key=f"save_{key}"):
        return None
    raw = mapping_from_editor(rows, values, fixed)
    try:
        with db_session() as session:
            row = save_mapping(session, user, name, raw,
                               expected_version=version if name.strip() == source else None)
            saved_name = row.source
    except ServiceError as error:
        st.error(str(error))
        return None
    clear_caches()
    return saved_name
