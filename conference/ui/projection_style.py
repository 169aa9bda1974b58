"""Big type and high contrast for the projected board (readable from 6 m at 1920×1080).

Every text is at least 7:1 on what it stands on (WCAG's enhanced contrast; checked by
tests/e2e/test_accessibility.py): captions at full strength (Streamlit draws them at 60 %
opacity), the clock's remaining time, alerts and the PRO flags in black on their pale tint (the
flags keep their tint, icon and words: the colour is never the only sign), and the primary button
a darker blue (white on #0b3d91 is 10:1, on the theme's #0b5cad 6.7:1).

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
  color: #222222 !important; opacity: 1 !important; }
[data-testid="stMain"] [data-testid="stMetricDelta"],
[data-testid="stMain"] [data-testid="stMetricDelta"] p,
[data-testid="stMain"] [data-testid="stAlertContainer"] p,
[data-testid="stMain"] .stMarkdownBadge { color: #000000 !important; }
[data-testid="stMain"] [data-testid="stBaseButton-primary"] { background-color: #0b3d91 !important;
  border-color: #0b3d91 !important; color: #ffffff !important; }
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
