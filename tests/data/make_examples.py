"""Writes the example import files in tests/data/ (uv run python -m tests.data.make_examples).

The files are committed; this script documents how they were made and remakes them. Every CPR
number is synthetic (conference.cpr.make_cpr); the staff initials are the ones the integration
tests create (LL, MM: læger; SS, TT: sygeplejersker; PP: psykolog; FF: fysioterapeut).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from openpyxl import Workbook

from conference.cpr import make_cpr

HERE = Path(__file__).resolve().parent


def cpr(birth: dt.date, sex: str, seed: int) -> str:
    digits = make_cpr(birth, sex, seed)
    return f"{digits[:6]}-{digits[6:]}"


ANNE = cpr(dt.date(1970, 5, 17), "K", 11)
BJORN = cpr(dt.date(1958, 11, 3), "M", 12)
CAMILLA = cpr(dt.date(1985, 2, 28), "K", 13)
DORTHE = cpr(dt.date(1962, 7, 30), "K", 14)
_erik = make_cpr(dt.date(1991, 9, 9), "M", 15)
ERIK = f"{_erik[:6]}-{_erik[6:9]}{(int(_erik[9]) + 2) % 10}"  # fails modulus 11: a warning only
FRIDA = cpr(dt.date(2001, 1, 1), "K", 16)
UNKNOWN = cpr(dt.date(1949, 3, 3), "M", 17)  # nobody has this number
GUSTAV = cpr(dt.date(1949, 8, 12), "M", 18)  # a new patient beside a conflicting row
OLDEST = cpr(dt.date(1860, 4, 2), "K", 19)  # serial 5xxx with 60: born 1860, 166 years old

PATIENTS = [
    # CPR, first, last, referral, team, PAL, nurse, diagnosis, pain years
    (ANNE, "Anne", "Sørensen", dt.date(2026, 6, 1), "Mikroteam Nord", "LL", "SS",
     "Komplekse kroniske smerter (DR 52.2E)", "7,5"),
    (BJORN, "Bjørn", "Æbelø", dt.date(2026, 6, 3), "Mikroteam Nord", "LL", "SS",
     "Kroniske lænderygsmerter", "12"),
    (CAMILLA, "Camilla", "Ødegaard-Hansen", dt.date(2026, 6, 10), "Mikroteam Syd", "MM", "TT",
     "Fibromyalgi", "4"),
    (DORTHE, "Dorthe", "Ågård", dt.date(2026, 6, 15), "Mikroteam Syd", "MM", "TT", "", "3,25"),
    (ERIK, "Erik", "Jensen", dt.date(2026, 6, 20), "", "", "", "", ""),
    (FRIDA, "Frida", "Nielsen", dt.date(2026, 6, 22), "Mikroteam Nord", "LL", "SS",
     "Hovedpine", "1,5"),
]
PATIENT_HEADER = ["CPR", "Fornavn", "Efternavn", "Henvist", "Mikroteam", "PAL-læge",
                  "Kontaktsygeplejerske", "Diagnose", "Smertevarighed (år)"]


def csv_text(rows: list[list[object]], sep: str = ";") -> str:
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        if sep in text or '"' in text or "\n" in text:
            text = '"' + text.replace('"', '""') + '"'
        return text

    return "\r\n".join(sep.join(cell(v) for v in row) for row in rows) + "\r\n"


def write(name: str, text: str, encoding: str = "utf-8", bom: bool = False) -> None:
    data = text.encode(encoding)
    (HERE / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def patients() -> None:
    dash = [[c, f, la, r.strftime("%d-%m-%Y"), t, p, n, d, y]
            for c, f, la, r, t, p, n, d, y in PATIENTS]
    write("patienter.csv", csv_text([PATIENT_HEADER, *dash]), bom=True)
    dots = [[c.replace("-", ""), f, la, r.strftime("%d.%m.%Y"), t, p, n, d, y]
            for c, f, la, r, t, p, n, d, y in PATIENTS]
    write("patienter_windows1252.csv", csv_text([PATIENT_HEADER, *dots]), encoding="cp1252")
    header = ["CPR-nr.", "Navn", "Henvisningsdato", "Mikroteam", "PAL", "KS", "Diagnose",
              "Smertevarighed"]
    iso = [[c, f"{la}, {f}", r.isoformat(), t, p, n, d, y.replace(",", ".")]
           for c, f, la, r, t, p, n, d, y in PATIENTS]
    write("patienter_komma.csv", csv_text([header, *iso], sep=","))
    book = Workbook()
    sheet = book.active
    sheet.title = "Patienter"
    sheet.append(PATIENT_HEADER)
    for c, f, la, r, t, p, n, d, y in PATIENTS:
        sheet.append([c, f, la, r, t or None, p or None, n or None, d or None,
                      float(y.replace(",", ".")) if y else None])
        sheet.cell(sheet.max_row, 4).number_format = "DD-MM-YYYY"
    book.save(HERE / "patienter.xlsx")

    broken = [PATIENT_HEADER,
              [ANNE, "Anne", "Sørensen", "01-06-2026", "", "", "", "", ""],
              ["310270-1234", "Bo", "Berg", "01-06-2026", "", "", "", "", ""],  # 31 February
              [BJORN, "Bjørn", "Æbelø", "03-06-2026", "", "", "", "", ""],
              ["12345", "Carl", "Carlsen", "03-06-2026", "", "", "", "", ""]]
    write("patienter_forkert_cpr.csv", csv_text(broken))
    duplicate = [PATIENT_HEADER,
                 [ANNE, "Anne", "Sørensen", "01-06-2026", "", "", "", "", ""],
                 [BJORN, "Bjørn", "Æbelø", "03-06-2026", "", "", "", "", ""],
                 [ANNE.replace("-", ""), "Anne", "Sørensen", "01-06-2026", "", "", "", "", ""]]
    write("patienter_dublet.csv", csv_text(duplicate))
    unknown_staff = [PATIENT_HEADER,
                     [ANNE, "Anne", "Sørensen", "01-06-2026", "Mikroteam Nord", "XYZ", "LL",
                      "", ""]]
    write("patienter_ukendt_medarbejder.csv", csv_text(unknown_staff))
    # encodings that cannot be read
    good = csv_text([PATIENT_HEADER, *dash])
    write("patienter_mojibake.csv", good.encode("utf-8").decode("cp1252"), encoding="utf-8")
    write("patienter_utf16_uden_bom.csv", good, encoding="utf-16-le")
    (HERE / "patienter_gammel.xls").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    )


def identity() -> None:
    """A known CPR number under another person's name, and a CPR number 166 years old."""
    other = [PATIENT_HEADER,
             [GUSTAV, "Gustav", "Holm", "01-09-2026", "", "", "", "", ""],
             [ANNE, "Anna", "Hansen", "01-09-2026", "", "", "", "", ""]]
    write("patienter_anden_person.csv", csv_text(other))
    old = [PATIENT_HEADER,
           [OLDEST, "Olga", "Oldemor", "01-06-2026", "", "", "", "", ""]]
    write("patienter_usandsynlig_alder.csv", csv_text(old))


COURSE_HEADER = ["CPR", "Indsats", "Status", "Planlagt", "Start", "Slut", "Behandler", "Fund",
                 "Note"]
COURSES = [
    [ANNE, "visitation", "Gennemført", "", "02-06-2026", "02-06-2026", "LL", "", ""],
    [ANNE, "Kort primærsamtale", "Gennemført", "10-06-2026", "10-06-2026", "10-06-2026", "LL",
     "", ""],
    [ANNE, "lang_primaersamtale", "Gennemført", "", "01-07-2026", "01-07-2026", "LL",
     "Uafklaret behandlingsbehov", "Drøftes på konference; se notat"],
    [ANNE, "Livet med smerter", "Planlagt", "05-08-2026", "", "", "", "", ""],
    [BJORN, "Visitation", "gennemført", "", "04.06.2026", "04.06.2026", "", "", ""],
    [BJORN, "Kort primærsamtale", "Planlagt", "20-06-2026", "", "", "MM", "", ""],
    [CAMILLA, "Visitation hos psykolog før standardforløb", "Gennemført", "", "2026-06-18",
     "2026-06-18", "PP", "Svær psykisk belastning", ""],
    [DORTHE, "visitation", "Aflyst", "16-06-2026", "", "", "", "", ""],
]


def courses() -> None:
    write("forloeb.csv", csv_text([COURSE_HEADER, *COURSES]), bom=True)
    broken = [COURSE_HEADER,
              [ANNE, "visitation", "Gennemført", "", "31-02-2026", "", "", "", ""],
              [BJORN, "visitation", "Gennemført", "2026-13-01", "", "", "", "", ""],
              [CAMILLA, "visitation", "Gennemført", "", "01-06-26", "", "", "", ""],
              [DORTHE, "visitation", "Gennemført", "", "10-06-2026", "01-06-2026", "", "", ""]]
    write("forloeb_umulig_dato.csv", csv_text(broken))
    unknown = [COURSE_HEADER,
               [ANNE, "visitation", "Gennemført", "", "02-06-2026", "02-06-2026", "", "", ""],
               [ANNE, "Akupunktur", "Planlagt", "01-09-2026", "", "", "", "", ""],
               [UNKNOWN, "visitation", "Gennemført", "", "02-06-2026", "", "", "", ""],
               [BJORN, "visitation", "Færdig", "", "02-06-2026", "", "", "", ""]]
    write("forloeb_ukendt_indsats.csv", csv_text(unknown))
    no_status = [["CPR", "Indsats", "Start"], [ANNE, "visitation", "02-06-2026"]]
    write("forloeb_mangler_kolonne.csv", csv_text(no_status))


HOLD_DATES = ["07-10-2026", "14-10-2026", "21-10-2026", "28-10-2026", "09-11-2026",
              "16-11-2026"]


def groups() -> None:
    header = ["Hold", "Indsats", "CPR", "Navn", "Status", "Behandlere", *HOLD_DATES]
    lms = "Livet med smerter – hold 41"
    afs = "Afspænding – hold 7"
    rows = [
        [lms, "Livet med smerter", ANNE, "Anne Sørensen", "Gennemført", "PP, FF",
         "M", "M", "A", "M", "", ""],
        [lms, "Livet med smerter", BJORN, "Bjørn Æbelø", "", "", "M", "U", "M", "M", "", ""],
        [lms, "Livet med smerter", FRIDA, "Frida Nielsen", "udgået", "", "M", "M", "", "", "",
         ""],
        [afs, "afspaending", ANNE, "Anne Sørensen", "", "TT", "", "", "", "", "mødt", "afbud"],
        [afs, "afspaending", CAMILLA, "Camilla Ødegaard-Hansen", "", "", "", "", "", "",
         "M", "M"],
    ]
    write("hold.csv", csv_text([header, *rows]), bom=True)

    book = Workbook()
    sheet = book.active
    sheet.title = "Mindfulness"
    dates = [dt.date(2026, 11, 5), dt.date(2026, 11, 12), dt.date(2026, 11, 26),
             dt.date(2026, 12, 3)]
    sheet.append(["Hold", "Indsats", "CPR", "Navn", "Behandlere", *dates])
    for column in range(6, 10):
        sheet.cell(1, column).number_format = "DD-MM-YYYY"
    sheet.append(["Mindfulness – hold 3", "Mindfulness", DORTHE, "Dorthe Ågård", "PP",
                  "M", "U", None, None])
    sheet.append(["Mindfulness – hold 3", "Mindfulness", ERIK, "Erik Jensen", None,
                  "M", "M", None, None])
    book.save(HERE / "hold_enkelt.xlsx")

    broken = [header,
              [lms, "Livet med smerter", ANNE, "", "", "", "M", "Q", "", "", "", ""],
              [lms, "Kort primærsamtale", BJORN, "", "", "", "M", "", "", "", "", ""],
              [lms, "Livet med smerter", ANNE, "", "", "", "M", "", "", "", "", ""]]
    write("hold_fejl.csv", csv_text(broken))


def _pro_row(who: str, timepoint: str, answered: str, values: dict[str, object]) -> list:
    return [who, timepoint, answered, *[values.get(h, "") for h in PRO_COLUMNS]]


PRO_COLUMNS = (["nrs_avg", "nrs_peak", "PDI"] + [f"pcs_{i}" for i in range(1, 14)]
               + [f"who5_{i}" for i in range(1, 6)] + [f"eq5d_index_{i}" for i in range(1, 6)]
               + ["EQ VAS"])


def _items(prefix: str, values: list[object]) -> dict[str, object]:
    return {f"{prefix}_{i}": v for i, v in enumerate(values, start=1)}


def pro_files() -> None:
    header = ["CPR", "Tidspunkt", "Besvaret", *PRO_COLUMNS]
    anne_base = {"nrs_avg": 7, "nrs_peak": 9, "PDI": "41,5",
                 **_items("pcs", [3, 3, 2, 4, 3, 2, 3, 2, 3, 3, 2, 4, 3]),
                 **_items("who5", [1, 2, 2, 1, 2]), **_items("eq5d_index", [2, 1, 3, 4, 3]),
                 "EQ VAS": 45}
    anne_mid = {"nrs_avg": 5, "nrs_peak": 7, **_items("who5", [2, 3, 3, 2, 3])}
    bjorn = {"nrs_avg": 6, "nrs_peak": 8, "PDI": 30,
             **_items("pcs", [2, 2, "", 2, 2, 1, 1, 2, 2, 2, 2, 2, 1]),
             **_items("eq5d_index", [1, 1, 2, 3, 2]), "EQ VAS": "60"}
    camilla = {"nrs_avg": 8, "nrs_peak": 10, **_items("who5", [0, 1, 1, 0, 1])}
    rows = [header,
            _pro_row(ANNE, "baseline", "05-06-2026", anne_base),
            _pro_row(ANNE, "Midtvejs", "2026-09-01", anne_mid),
            _pro_row(BJORN, "Baseline", "06.06.2026 09:30", bjorn),
            _pro_row(CAMILLA, "baseline", "12-06-2026", camilla),
            _pro_row(DORTHE, "afslutning", "", {})]  # did not answer: skipped
    write("pro_standard.csv", csv_text(rows), bom=True)

    broken = [header,
              _pro_row(ANNE, "baseline", "05-06-2026",
                       {"nrs_avg": 11, **_items("pcs", [3, 3, 2, 5, 3, 2, 3, 2, 3, 3, 2, 4, 3])}),
              _pro_row(BJORN, "baseline", "06-06-2026", {"PDI": 75}),
              _pro_row(CAMILLA, "baseline", "12-06-2026", {"nrs_avg": "6,5"}),
              _pro_row(UNKNOWN, "baseline", "12-06-2026", {"nrs_avg": 5}),
              _pro_row(ANNE, "Baseline", "07-06-2026", {"nrs_avg": 5}),
              _pro_row(FRIDA, "Før", "07-06-2026", {"nrs_avg": 5})]
    write("pro_uden_for_skala.csv", csv_text(broken))

    # A questionnaire system's own export, Windows-1252 with its own column names.
    mapping = {
        "columns": {
            "Personnummer": "cpr", "Måling": "timepoint", "Udfyldt": "answered_on",
            "Smerte gns.": "nrs_avg", "Smerte værst": "nrs_peak",
            **{f"PCS spm {i}": f"pcs.{i}" for i in range(1, 14)},
            "HADS angst": "hads_a", "HADS depression": "hads_d", "EQ-5D indeks": "eq5d_index",
            "Bedring (PGIC)": "pgic",
        },
        "timepoint_values": {"Før behandling": "baseline", "Efter behandling": "afslutning"},
        "fixed_timepoint": None,
    }
    (HERE / "pro_paindata_kortlaegning.json").write_text(
        json.dumps(mapping, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    header = ["Personnummer", "Måling", "Udfyldt", "Smerte gns.", "Smerte værst",
              *[f"PCS spm {i}" for i in range(1, 14)], "HADS angst", "HADS depression",
              "EQ-5D indeks", "Bedring (PGIC)", "Kommentar"]
    rows = [header,
            [ANNE.replace("-", ""), "Før behandling", "05.06.2026 10:15", 7, 9,
             3, 3, 2, 4, 3, 2, 3, 2, 3, 3, 2, 4, 3, 12, 9, "0,412", "", "Træt"],
            [ANNE.replace("-", ""), "Efter behandling", "20.11.2026 08:02", 5, 7,
             2, 2, 1, 2, 2, 1, 2, 1, 2, 2, 1, 2, 2, 8, 7, "0,655", 2, ""],
            [FRIDA.replace("-", ""), "Før behandling", "24.06.2026 14:40", 4, 6,
             *[1] * 13, 5, 4, "0,801", "", ""]]
    write("pro_paindata.csv", csv_text(rows), encoding="cp1252")


def volume(folder: Path, rows: int) -> tuple[Path, Path]:
    """A PRO export of `rows` rows (4 time points per patient, every instrument's items) and
    the patient file it needs: for timing the import (see the closing note of issue 8)."""
    import random

    from conference import pro
    from demo.pro_answers import generate_items

    rng = random.Random(8)
    timepoints = list(pro.TIMEPOINTS)
    instruments = list(pro.INSTRUMENTS.values())
    header = ["CPR", "Tidspunkt", "Besvaret"]
    for inst in instruments:
        header += [inst.code] if inst.items == 1 else [f"{inst.code}_{n}"
                                                         for n in range(1, inst.items + 1)]
    patients_rows = [["CPR", "Fornavn", "Efternavn", "Henvist"]]
    pro_rows = [header]
    seen: set[str] = set()
    serial = 0
    while len(pro_rows) - 1 < rows:
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 20000))
        digits = make_cpr(born, rng.choice("KM"), 5000 + serial)
        serial += 1
        if digits in seen:
            continue
        seen.add(digits)
        number = f"{digits[:6]}-{digits[6:]}"
        patients_rows.append([number, f"Test{serial}", f"Volumen{serial}", "01-03-2026"])
        for k, timepoint in enumerate(timepoints[: rows - len(pro_rows) + 1]):
            answered = dt.date(2026, 3, 1) + dt.timedelta(days=60 * k)
            row = [number, timepoint, answered.strftime("%d-%m-%Y")]
            for inst in instruments:
                if timepoint not in inst.timepoints:
                    row += [""] * inst.items
                    continue
                target = inst.score_min + rng.random() * (inst.score_max - inst.score_min)
                row += ["" if v is None else str(v).replace(".", ",")
                        for v in generate_items(inst.code, target, rng)]
            pro_rows.append(row)
    patients_path = folder / f"patienter_{len(patients_rows) - 1}.csv"
    pro_path = folder / f"pro_{rows}.csv"
    patients_path.write_text(csv_text(patients_rows), encoding="utf-8")
    pro_path.write_text(csv_text(pro_rows), encoding="utf-8")
    return patients_path, pro_path


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pro-rows", type=int, help="write a PRO file this long instead")
    parser.add_argument("--out", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    if args.pro_rows:
        for path in volume(args.out, args.pro_rows):
            print(path)
    else:
        patients()
        identity()
        courses()
        groups()
        pro_files()
        print(f"Eksempelfiler skrevet i {HERE}")
