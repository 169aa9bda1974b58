"""Konferencetavlen: entry point. Page config, who is acting, and the navigation each role
may see (the services check every call again: hiding a page is not the protection)."""

import streamlit as st

from conference.ui.auth import identify
from conference.ui.context import db_session
from conference.ui.navigation import allowed_pages
from conference.ui.page_language import set_page_language
from db.models import Staff

st.set_page_config(page_title="Konferencetavlen", page_icon=":material/dashboard:", layout="wide")

st.sidebar.title("Konferencetavlen")
st.sidebar.caption("Smertecenter Syd · tværfaglig konference")
with st.sidebar:
    set_page_language()  # <html lang="da"> for screen readers (Streamlit says "en")
staff_id = identify()
with db_session() as session:
    staff = session.get(Staff, staff_id)
    pages = allowed_pages(staff)
if not pages:
    st.error("Din bruger har ingen roller i Konferencetavlen. Kontakt en administrator.")
    st.stop()
page = st.navigation(pages)
page.run()
