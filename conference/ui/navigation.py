"""The pages, and which of them each role sees in the menu (the services check every call
again: hiding a page is not the protection)."""

from __future__ import annotations

import streamlit as st

from conference.permissions import Action, decide
from db.models import Staff

# section -> (file, title, icon, url path, actions of which the role needs at least one).
# The url path is the file's name: Streamlit (and AppTest.switch_page) find a page by it.
PAGES = {
    "Konference": [
        ("views/konference.py", "Konference", ":material/event_note:", "konference",
         (Action.VIEW_PATIENTS,)),
        ("views/forbered_sag.py", "Forbered sag", ":material/edit_note:", "forbered_sag",
         (Action.PREPARE_CASE, Action.PROPOSE_CASE)),
        ("views/referat.py", "Referat", ":material/edit_document:", "referat",
         (Action.RECORD_MINUTES,)),
        ("views/opfoelgning.py", "Opfølgning", ":material/task_alt:", "opfoelgning",
         (Action.VIEW_PATIENTS,)),
    ],
    "Patienter": [
        ("views/patienter.py", "Patienter", ":material/groups:", "patienter",
         (Action.VIEW_PATIENTS,)),
        ("views/patient.py", "Patient", ":material/person:", "patient", (Action.VIEW_PATIENTS,)),
    ],
    "Hold": [
        ("views/hold.py", "Hold", ":material/diversity_3:", "hold", (Action.VIEW_PATIENTS,)),
    ],
    "Evaluering": [
        ("views/evaluering.py", "Evaluering", ":material/monitoring:", "evaluering",
         (Action.VIEW_PATIENTS,)),
    ],
    "Administration": [
        ("views/import_eksport.py", "Import og eksport", ":material/swap_vert:", "import_eksport",
         (Action.IMPORT_DATA, Action.EXPORT_DATA)),
        ("views/skabelon.py", "Skabelon", ":material/article:", "skabelon",
         (Action.EDIT_TEMPLATE,)),
        ("views/adgangslog.py", "Adgangslog", ":material/policy:", "adgangslog",
         (Action.VIEW_ACCESS_LOG,)),
        ("views/indstillinger.py", "Indstillinger", ":material/settings:", "indstillinger",
         (Action.CHANGE_SETTINGS,)),
    ],
}
HIDDEN = {"patient"}  # reached from the patient list, not from the menu
DEFAULT = "patienter"


def allowed_urls(staff: Staff | None) -> list[str]:
    """The url paths of the pages this staff member may open."""
    roles = staff.role_set if staff is not None and staff.active else set()
    return [
        url for pages in PAGES.values() for _, _, _, url, actions in pages
        if any(decide(roles, a, owns=True).allowed for a in actions)
    ]


def allowed_pages(staff: Staff | None) -> dict[str, list[st.Page]]:
    roles = staff.role_set if staff is not None and staff.active else set()
    result: dict[str, list[st.Page]] = {}
    for section, pages in PAGES.items():
        for path, title, icon, url, actions in pages:
            if any(decide(roles, a, owns=True).allowed for a in actions):
                result.setdefault(section, []).append(
                    st.Page(path, title=title, icon=icon, url_path=url,
                            default=url == DEFAULT,
                            visibility="hidden" if url in HIDDEN else "visible")
                )
    return result


