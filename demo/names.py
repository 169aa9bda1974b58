"""Synthetic people: Danish first and last names, initials, CPR numbers (fictitious)."""

from __future__ import annotations

import datetime as dt
import random

from conference.cpr import make_cpr
from demo.parameters import DAY

# Initials that read as something else on screen.
RESERVED_INITIALS = frozenset({"WHO", "PRO", "CPR", "EPJ", "NRS", "PCS", "PDI", "ISI", "CFT"})

FEMALE_FIRST = (
    "Anne", "Kirsten", "Mette", "Hanne", "Anna", "Helle", "Susanne", "Lene", "Maria", "Marianne",
    "Lone", "Camilla", "Pia", "Louise", "Charlotte", "Tina", "Gitte", "Bente", "Jette", "Karen",
    "Inge", "Julie", "Emma", "Ida", "Sofie", "Line", "Birgitte", "Christina", "Rikke", "Heidi",
    "Trine", "Laura", "Tanja", "Dorthe", "Ulla", "Lise", "Janne", "Maja", "Nanna", "Signe",
    "Malene", "Katrine", "Karina", "Stine", "Sanne", "Winnie", "Henriette", "Anja", "Eva", "Else",
    "Cecilie", "Mathilde", "Freja", "Caroline", "Josefine", "Sara", "Pernille", "Vibeke",
    "Grethe", "Merete", "Annette", "Jytte", "Lisbeth", "Ditte", "Mia", "Amalie",
)
MALE_FIRST = (
    "Peter", "Jens", "Michael", "Lars", "Henrik", "Thomas", "Søren", "Jan", "Christian",
    "Martin", "Niels", "Anders", "Morten", "Jesper", "Mads", "Jørgen", "Hans", "Per", "Rasmus",
    "Ole", "Kim", "Mikkel", "Frederik", "Kasper", "Jakob", "Bent", "Poul", "Brian", "Carsten",
    "Torben", "Steen", "Allan", "John", "Kenneth", "Flemming", "Erik", "Claus", "Jacob", "Simon",
    "Bo", "Kristian", "Lasse", "Nicolai", "Dennis", "Kurt", "Johannes", "Emil", "Mathias",
    "Jonas", "Tobias", "Knud", "Finn", "Leif", "René", "Karsten", "Preben", "Bjarne", "Uffe",
    "Svend", "Tommy",
)
LAST_NAMES = (
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
    "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen",
    "Jacobsen", "Mikkelsen", "Olesen", "Frederiksen", "Laursen", "Henriksen", "Lund", "Schmidt",
    "Eriksen", "Holm", "Kristiansen", "Clausen", "Simonsen", "Svendsen", "Andreasen", "Iversen",
    "Jeppesen", "Mogensen", "Jespersen", "Nissen", "Lauridsen", "Frandsen", "Østergaard",
    "Jepsen", "Kjær", "Carlsen", "Vestergaard", "Jessen", "Nørgaard", "Dahl", "Christoffersen",
    "Skov", "Søndergaard", "Bertelsen", "Bruun", "Lassen", "Bach", "Gregersen", "Friis",
    "Johnsen", "Steffensen", "Kjeldsen", "Bech", "Krogh", "Lauritsen", "Danielsen", "Mathiesen",
    "Andresen", "Brandt", "Winther", "Toft", "Ravn", "Mathiasen", "Dam", "Holst", "Lind", "Berg",
    "Schou", "Overgaard", "Kristoffersen", "Schultz", "Klausen", "Karlsen", "Paulsen",
    "Hermansen", "Thorsen", "Koch", "Thygesen", "Bak", "Kruse", "Bang", "Juhl", "Davidsen",
    "Berthelsen", "Nygaard", "Lorentzen", "Villadsen", "Damgaard", "Bjerregaard", "Lange",
    "Hedegaard", "Bendtsen", "Justesen", "Juul", "Hald", "Beck", "Kofoed", "Søgaard", "Meyer",
    "Kjærgaard", "Riis", "Bonde", "Ibsen", "Fischer", "Bundgaard", "Eskildsen", "Kirkegaard",
)
# Frequent surnames are much more common: weight ~ 1 / (rank + 4).
LAST_NAME_WEIGHTS = tuple(1.0 / (rank + 4) for rank in range(len(LAST_NAMES)))
MIDDLE_NAMES = ("Holm", "Lund", "Juul", "Bach", "Skov", "Dahl", "Krogh", "Kjær", "Toft", "Ravn")


def draw_name(rng: random.Random, female: bool) -> tuple[str, str]:
    """(first name, last name): frequent surnames more often."""
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    last = rng.choices(LAST_NAMES, LAST_NAME_WEIGHTS)[0]
    return first, last


def initials(first: str, last: str, used: set[str]) -> str:
    """Three letters (Æ, Ø, Å spelt out), not used before and not reading as something else."""

    def plain(s: str) -> str:
        return s.upper().replace("Æ", "AE").replace("Ø", "OE").replace("Å", "AA")

    f, la = plain(first), plain(last)
    candidates = [f[0] + la[:2], f[:2] + la[0], f[0] + la[0] + la[-1], f[:2] + la[:2]]
    for c in candidates:
        if c not in used and c not in RESERVED_INITIALS:
            return c
    n = 2
    while f"{f[0]}{la[0]}{n}" in used:
        n += 1
    return f"{f[0]}{la[0]}{n}"


def unique_cpr(birth: dt.date, sex: str, serial: int, used: set[str]) -> tuple[str, dt.date]:
    """A valid CPR number not in `used` (added to it), and the birth date it ended up with."""
    cpr = make_cpr(birth, sex, serial)
    while cpr in used:
        serial += 1
        cpr = make_cpr(birth, sex, serial)
        if serial % 400 == 0:  # candidates for this date ran out: nudge the date
            birth -= DAY
    used.add(cpr)
    return cpr, birth
