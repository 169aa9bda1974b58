"""Import og eksport: upload a file, see what it would do, confirm; download exports.

A patient file whose CPR number is stored with another name or birth date is refused; a
checkbox per such row lets the user choose to update that patient instead (the preview then
shows before → after, and the import updates it with an audit row).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from conference import exporting
from conference.formatting import date_numeric, local_datetime
from conference.importing import KINDS, columns_for, file_sha256
from conference.importing.mapping import STANDARD
from conference.importing.reading import MAX_BYTES, MAX_ROWS, FileProblem, read_table
from conference.importing.report import Plan
from conference.labels import CONFERENCE_STATUS, IMPORT_KIND
from conference.permissions import Action, decide
from conference.services.errors import ServiceError
from conference.services.imports import (
    ImportRejected,
    apply_import,
    preview_import,
    recent_imports,
    saved_sources,
)
from conference.services.staff import get_staff
from conference.ui.context import acting_user, clear_caches, db_session, record_view, today
from conference.ui.pro_mapping import mapping_editor
from conference.ui.text import escape_md
from db.models import ConferenceStatus

KIND_PARAM = "art"
FLASH = "import_flash"
UPLOAD_ROUND = "import_upload_round"
SOURCE_KEY = "pro_source"
SOURCE_NEXT = "pro_source_next"
IDENTITY_KEY = "identity_update_"  # + file hash (8) + "_" + CPR: update that stored patient
REPORT_COLUMNS = {
    "Række": st.column_config.NumberColumn(width="small"),
    "Kolonne": st.column_config.TextColumn(width="medium"),
    "Årsag": st.column_config.TextColumn(width="large"),
}

with db_session() as session:
    user = acting_user(session)
    sources = [STANDARD, *saved_sources(session)]
    runs = recent_imports(session)
    conference_list = exporting.conferences(session)


@st.cache_data(ttl=120, show_spinner="Læser og kontrollerer filen …")
def _preview(kind: str, data: bytes, file_name: str, source: str | None, day: dt.date,
             actor_id: int, update: tuple[str, ...] = ()) -> Plan:
    with db_session() as session:
        actor = get_staff(session, actor_id)
        return preview_import(session, actor, kind, data, file_name, today=day, source=source,
                              update_existing=update)


def _identity_prefix(sha256: str) -> str:
    return f"{IDENTITY_KEY}{sha256[:8]}_"


def _chosen_updates(data: bytes) -> tuple[str, ...]:
    """The CPR numbers whose stored patient the user chose to update (their checkboxes)."""
    prefix = _identity_prefix(file_sha256(data))
    return tuple(sorted(key[len(prefix):] for key, value in st.session_state.items()
                        if isinstance(key, str) and key.startswith(prefix) and value is True))


def identity_choices(plan: Plan) -> None:
    """One checkbox per row whose CPR number is a stored patient with another name/birth date."""
    if not plan.conflicts:
        return
    st.markdown("**CPR-numre, der allerede tilhører en patient med et andet navn eller en "
                "anden fødselsdato**")
    st.caption("Rækken kan være en anden person med et forkert CPR-nummer: ret i så fald "
               "filen. Er det samme person, så sæt flueben for at opdatere den eksisterende "
               "patient (før → efter); ændringen logges med dit navn. Uden flueben importeres "
               "intet.")
    prefix = _identity_prefix(plan.sha256)
    for conflict in plan.conflicts:
        changes = "; ".join(f"{name}: {before} → {after}"
                            for name, before, after in conflict.details)
        st.checkbox(
            escape_md(f"Række {conflict.row}: opdatér patienten med CPR {conflict.formatted_cpr} "
                      f"– {changes}"),
            key=f"{prefix}{conflict.cpr}",
        )


st.title("Import og eksport")
st.caption("Indlæs patienter, forløb, hold og PRO-besvarelser fra filer, og hent konferencens "
           "beslutninger, åbne opgaver og PRO-tabeller som CSV eller Excel.")
can_import = decide(user.role_set, Action.IMPORT_DATA).allowed
can_export = decide(user.role_set, Action.EXPORT_DATA).allowed
if not (can_import or can_export):
    st.error("Din rolle giver ikke adgang til import eller eksport.")
    st.stop()


# --------------------------------------------------------------------------- import


def import_section() -> None:
    if FLASH in st.session_state:
        message, imported = st.session_state.pop(FLASH)
        st.success(message)
        if imported:
            st.page_link("views/patienter.py", label="Se patienterne", icon=":material/groups:")

    kinds = list(KINDS)
    wanted = st.query_params.get(KIND_PARAM)
    kind = st.radio(
        "Hvad vil du importere?", kinds, index=kinds.index(wanted) if wanted in kinds else 0,
        format_func=lambda k: IMPORT_KIND[k], horizontal=True, key="import_kind",
    )
    if st.query_params.get(KIND_PARAM) != kind:
        st.query_params[KIND_PARAM] = kind

    source = None
    if kind == "pro":
        if st.session_state.get(SOURCE_NEXT):
            st.session_state[SOURCE_KEY] = st.session_state.pop(SOURCE_NEXT)
        if st.session_state.get(SOURCE_KEY) not in sources:
            st.session_state[SOURCE_KEY] = STANDARD
        source = st.selectbox(
            "Kilde (kolonnekortlægning)", sources, key=SOURCE_KEY,
            format_func=lambda s: "Standard (Konferencetavlens kolonnenavne)"
            if s == STANDARD else s,
            help="Hvilket spørgeskemasystems eksport filen kommer fra. En ny kilde oprettes "
                 "under »Kolonnekortlægning«, når filen er valgt.",
        )
    else:
        with st.expander("Hvilke kolonner skal filen have?"):
            st.dataframe(
                pd.DataFrame([
                    {"Kolonne": c.title, "Skal med": "ja" if c.required else "",
                     "Forklaring": c.help} for c in columns_for(kind)
                ]),
                hide_index=True,
            )
            if kind == "hold":
                st.caption("Derefter én kolonne pr. holdgang med datoen som overskrift og "
                           "M (mødt), A (afbud) eller U (udeblevet) i cellerne. En holdgang, "
                           "der ikke har været endnu, kan kun have afbud.")
            rows = f"{MAX_ROWS:,}".replace(",", ".")
            st.caption("CSV med semikolon eller komma (UTF-8 eller Windows-1252, ikke begge i "
                       f"samme fil) eller Excel (.xlsx), højst {MAX_BYTES // (1024 * 1024)} MB "
                       f"og {rows} rækker. Datoer som dd-mm-åååå, dd.mm.åååå eller åååå-mm-dd, "
                       "fra 1900 og til i dag (kun planlagte datoer og holdgange må ligge "
                       "senere). Usynlige tegn og styretegn i cellerne afvises.")

    round_no = st.session_state.setdefault(UPLOAD_ROUND, 0)
    upload = st.file_uploader(
        "Fil (CSV eller Excel .xlsx)", type=["csv", "txt", "xlsx"],
        key=f"upload_{kind}_{round_no}",
    )

    plan = None
    update: tuple[str, ...] = ()
    if upload is not None:
        data = upload.getvalue()
        update = _chosen_updates(data) if kind == "patienter" else ()
        try:
            plan = _preview(kind, data, upload.name, source, today(), user.id, update)
        except ServiceError as error:  # e.g. the chosen source's mapping is gone
            st.error(str(error))

    if plan is not None:
        named = plan.shown_patient_ids()
        if named:  # stored patients the preview names (updates, their data before): logged first
            with db_session() as session:
                record_view(session, user, "import_forhaandsvisning", named)
        if kind == "pro":
            with st.expander("Kolonnekortlægning for denne kilde",
                             expanded=any(i.row == 1 for i in plan.issues)):
                try:
                    table = read_table(data)
                except FileProblem as problem:
                    st.error(str(problem))
                else:
                    saved = mapping_editor(table, source, user, f"{source}_{plan.sha256[:8]}")
                    if saved:
                        st.session_state[SOURCE_NEXT] = saved
                        st.session_state[FLASH] = (
                            f"Kolonnekortlægningen for »{saved}« er gemt.", False)
                        st.rerun()

        st.subheader("Forhåndsvisning")
        st.caption(f"{escape_md(plan.file_name)} · {plan.description}" if plan.description
                   else plan.file_name)
        if plan.previous_import:
            st.info(f"Samme fil blev importeret {plan.previous_import}.")
        if not plan.ok:
            st.error(plan.summary())
            st.dataframe(plan.issue_frame(), hide_index=True, column_config=REPORT_COLUMNS)
            identity_choices(plan)
        else:
            identity_choices(plan)
            new_col, changed_col, same_col, warn_col = st.columns(4)
            new_col.metric("Nye", plan.created)
            changed_col.metric("Ændres", plan.updated)
            same_col.metric("Uændrede rækker", plan.unchanged)
            warn_col.metric("Advarsler", len(plan.warnings))
            if plan.warnings:
                with st.expander(f"Advarsler ({len(plan.warnings)}) – forhindrer ikke importen"):
                    st.dataframe(plan.issue_frame(plan.warnings), hide_index=True,
                                 column_config=REPORT_COLUMNS)
            if not plan.changes:
                st.info("Intet at importere: alt i filen findes allerede.")
            else:
                st.write(plan.summary())
                frame = plan.change_frame()
                st.dataframe(frame, hide_index=True, column_config={
                    "Række": st.column_config.NumberColumn(width="small"),
                    "Ændringer": st.column_config.TextColumn(width="large"),
                })
                if len(plan.changes) > len(frame):
                    st.caption(f"Viser de første {len(frame)} af {len(plan.changes)}.")
                if st.button(f"Importér ({plan.created} nye, {plan.updated} ændrede)",
                             type="primary", key="confirm_import"):
                    try:
                        with db_session() as session:
                            result = apply_import(
                                session, user, kind, data, upload.name, today=today(),
                                source=source, expected_fingerprint=plan.fingerprint(),
                                update_existing=update,
                            )
                    except ImportRejected as error:
                        clear_caches()
                        st.error(str(error))
                        st.dataframe(error.plan.issue_frame(), hide_index=True,
                                     column_config=REPORT_COLUMNS)
                    except ServiceError as error:
                        clear_caches()  # the preview was out of date: draw the new one next
                        st.error(str(error))
                    else:
                        clear_caches()
                        st.session_state[FLASH] = (result.message, True)
                        st.session_state[UPLOAD_ROUND] = round_no + 1
                        st.rerun()

    if runs:
        with st.expander("Seneste importer"):
            st.dataframe(
                pd.DataFrame([
                    {"Tidspunkt": local_datetime(r["at"]), "Hvad": IMPORT_KIND.get(r["kind"]),
                     "Fil": r["file_name"], "Kilde": r["source"] or "", "Nye": r["created"],
                     "Ændrede": r["updated"], "Uændrede": r["unchanged"], "Af": r["by"]}
                    for r in runs
                ]),
                hide_index=True,
            )

# --------------------------------------------------------------------------- export


def _download(label: str, build, file_name: str, mime: str, key: str) -> None:  # noqa: ANN001
    """A download whose file is made when clicked; `build(session, actor)` makes the bytes."""

    def data() -> bytes:
        with db_session() as session:
            return build(session, get_staff(session, user.id))

    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key,
                       on_click="ignore", icon="⬇️")


def export_section() -> None:
    stamp = today().isoformat()
    st.subheader("Konferencens konklusioner og opgaver")
    if not conference_list:
        st.info("Der er ingen konferencer endnu.")
    else:
        chosen = st.selectbox(
            "Konference", conference_list, key="export_conference",
            format_func=lambda c: f"{date_numeric(c[1])} – "
            f"{CONFERENCE_STATUS[ConferenceStatus(c[2])].lower()}",
        )
        cid, day = chosen[0], chosen[1].isoformat()
        left, middle, right = st.columns(3)
        with left:
            _download("Konklusioner (CSV)",
                      lambda s, a: exporting.to_csv(exporting.conference_tables(s, a, cid)[0]),
                      f"konklusioner_{day}.csv", exporting.CSV_MIME, "dl_conclusions_csv")
        with middle:
            _download("Opgaver (CSV)",
                      lambda s, a: exporting.to_csv(exporting.conference_tables(s, a, cid)[1]),
                      f"opgaver_{day}.csv", exporting.CSV_MIME, "dl_actions_csv")
        with right:
            _download("Begge (Excel)",
                      lambda s, a: exporting.to_xlsx(exporting.conference_tables(s, a, cid)),
                      f"konference_{day}.xlsx", exporting.XLSX_MIME, "dl_conference_xlsx")

    st.subheader("Åbne opgaver")
    st.caption("Alle opgaver fra konferencerne, der endnu ikke er udført eller annulleret.")
    left, right, _ = st.columns(3)
    with left:
        _download("Åbne opgaver (CSV)",
                  lambda s, a: exporting.to_csv(exporting.open_actions_table(s, a)),
                  f"aabne_opgaver_{stamp}.csv", exporting.CSV_MIME, "dl_open_csv")
    with right:
        _download("Åbne opgaver (Excel)",
                  lambda s, a: exporting.to_xlsx([exporting.open_actions_table(s, a)]),
                  f"aabne_opgaver_{stamp}.xlsx", exporting.XLSX_MIME, "dl_open_xlsx")

    st.subheader("PRO-tabel")
    st.caption("Én række pr. patient og tidspunkt, én kolonne pr. skala (rå score). Filen kan "
               "importeres igen med standardkortlægningen.")
    left, right, _ = st.columns(3)
    with left:
        _download("PRO (CSV)", lambda s, a: exporting.to_csv(exporting.pro_table(s, a)),
                  f"pro_{stamp}.csv", exporting.CSV_MIME, "dl_pro_csv")
    with right:
        _download("PRO (Excel)", lambda s, a: exporting.to_xlsx([exporting.pro_table(s, a)]),
                  f"pro_{stamp}.xlsx", exporting.XLSX_MIME, "dl_pro_xlsx")


if can_import and can_export:
    import_tab, export_tab = st.tabs(["Import", "Eksport"])
    with import_tab:
        import_section()
    with export_tab:
        export_section()
elif can_import:
    import_section()
else:
    export_section()
