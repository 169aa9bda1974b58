"""The board's "Tastatur" popover: the keys that run the meeting without a mouse."""

from __future__ import annotations

import streamlit as st

#: Constant text (our own markdown, no user text).
SHORTCUTS = """\
**Mødet fra tastaturet**

- **→** og **←**: næste og forrige sag (Næste ▶ og ◀ Forrige), også i projektion. Virker,
  når markøren ikke står i et tekstfelt.
- **Tab** og **Skift+Tab**: næste og forrige knap, felt eller fane. Det, der har fokus, har
  en tydelig ramme.
- **Enter** eller **mellemrum**: tryk på knappen med fokus; mellemrum slår en kontakt til og fra.
- **Piletaster**: vælg en fane, en konklusion (runde knapper) eller i en åben liste.
- **Skriv** i en liste (fx Sag, Hvem eller Fremmøde) for at finde et navn, og **Enter** for
  at vælge det. **Esc** lukker listen (og denne boks).
- **Ctrl+Enter** i et tekstfelt gemmer teksten med det samme; **Tab** videre gemmer også.

Referenten: i Referat går **Tab** fra konklusionen til uddybningen og videre til næste
skridt; **Referat og afslutning** er en fane (piletaster), og underskriften er en knap.
"""


def keyboard_help(container=None) -> None:  # noqa: ANN001 - a Streamlit container or None
    """The "Tastatur" popover (in `container`, e.g. a column; else where the script is)."""
    with (container or st).popover("Tastatur", icon=":material/keyboard:",
                                   help="Tastaturgenveje til mødet"):
        st.markdown(SHORTCUTS)
