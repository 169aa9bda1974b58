"""Big type and high contrast for the projected board (readable from 6 m at 1920×1080).

This is the one place that passes HTML to Streamlit: a constant style sheet with no user or
patient text in it. Everything a user typed is drawn with st.text / st.write elsewhere.
"""

import streamlit as st

PROJECTION_CSS = """
<style>
[data-testid="stAppViewContainer"] { background: #ffffff; color: #000000; }
[data-testid="stMain"] p, [data-testid="stMain"] li,
[data-testid="stMain"] [data-testid="stText"] { font-size: 1.7rem !important; line-height: 1.35; }
[data-testid="stMain"] [data-testid="stText"] { font-family: inherit; white-space: pre-wrap; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.6rem !important; }
[data-testid="stMain"] h3 { font-size: 2.0rem !important; color: #0b3d91; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.3rem !important;
  color: #222222 !important; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 3.6rem !important;
  line-height: 1.1; font-weight: 600; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.6rem !important; }
[data-testid="stMain"] [data-testid="stMetricDelta"] p,
[data-testid="stMain"] [data-testid="stMetricDelta"] div { font-size: 1.6rem !important; }
[data-testid="stMain"] .stMarkdownBadge { font-size: 1.45rem !important; line-height: 1.5;
  white-space: normal !important; max-width: none !important; overflow: visible !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem !important; }
[data-testid="stSidebar"] { display: none; }
</style>
"""


def apply() -> None:
    st.markdown(PROJECTION_CSS, unsafe_allow_html=True)
