"""Konferencetavlen: entry point. Page config, who is acting, and the navigation."""

import streamlit as st

st.set_page_config(page_title="Konferencetavlen", page_icon=":material/dashboard:", layout="wide")

PAGES = {
    "Konference": [
        st.Page("pages/konference.py", title="Konference", icon=":material/event_note:",
                url_path="konference"),
        st.Page("pages/forbered_sag.py", title="Forbered sag", icon=":material/edit_note:",
                url_path="forbered-sag"),
    ],
    "Patienter": [
        st.Page("pages/patienter.py", title="Patienter", icon=":material/groups:", default=True),
        st.Page("pages/patient.py", title="Patient", icon=":material/person:", url_path="patient",
                visibility="hidden"),
    ],
    "Hold": [st.Page("pages/hold.py", title="Hold", icon=":material/diversity_3:",
                     url_path="hold")],
}

page = st.navigation(PAGES)
st.sidebar.title("Konferencetavlen")
st.sidebar.caption("Smertecenter Syd · tværfaglig konference")
page.run()
