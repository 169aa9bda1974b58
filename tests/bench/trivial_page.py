"""The floor of the benchmark: a trivial Streamlit page with no database and no app shell.

A title, a sidebar choice, one button that moves a counter and the counter drawn as a header:
what any Streamlit rerun costs, in AppTest and in the browser ("Næste ▶" draws the next "Sag").
"""

import streamlit as st

st.sidebar.title("Konferencetavlen")
st.sidebar.selectbox("Du er", ["Mødeleder", "Referent", "Mikroteam"], key="who")
st.title("Triviel side")
st.caption("Ingen database, ingen forespørgsler: kun Streamlit selv.")
case = st.session_state.setdefault("case", 1)
if st.button("Næste ▶", type="primary", key="next"):
    case += 1
    st.session_state["case"] = case
st.header(f"Sag {case}")
st.text("Anledning: tekst, som en sag ville have den.")
