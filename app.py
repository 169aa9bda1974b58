"""Konferencetavlen: entry point. Page config, who is acting, and the navigation."""

import streamlit as st

st.set_page_config(page_title="Konferencetavlen", page_icon="🗂️", layout="wide")

PAGES = {
    "Konference": [
        st.Page("pages/konference.py", title="Konference", icon="📋", url_path="konference"),
    ],
    "Patienter": [
        st.Page("pages/patienter.py", title="Patienter", icon="👥", default=True),
        st.Page("pages/patient.py", title="Patient", icon="🧾", url_path="patient",
                visibility="hidden"),
    ],
}

page = st.navigation(PAGES)
st.sidebar.title("Konferencetavlen")
st.sidebar.caption("Smertecenter Syd · tværfaglig konference")
page.run()
