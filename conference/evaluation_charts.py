"""Altair charts of the evaluation (issue 15): data in, chart out, no I/O.

Every chart has a title and a description (read by screen readers, and the `alt` text on the
page); every colour comes with a text label beside the mark (colour-blind readers, projectors);
numbers are written the Danish way (decimal comma, "42 %") in the labels, and the percent axes
say "%" after the number. Suppressed values (small counts) are not drawn: the label says
"skjult (små tal)". The same charts are drawn on the page and rendered as PNG in the PDF.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from conference import evaluation as ev
from conference import pro
from conference.evaluation_report import count_text, interval_text, percent_text

# Every colour has at least 4.5:1 contrast on white (its text labels) and white text on it.
BLUE, GREY, GREEN, RED, ORANGE = "#1f4e79", "#6e6e6e", "#2e7d32", "#c62828", "#b34700"
HIDDEN_LABEL = "skjult (små tal)"
PERCENT_AXIS = alt.Axis(format="%", labelExpr="format(datum.value * 100, '.0f') + ' %'",
                        tickCount=5)
TIMEPOINT_COLOURS = {"Afslutning": BLUE, "Midtvejs": ORANGE}


def _accessible(chart, description: str):  # noqa: ANN001, ANN202 - any top-level chart
    """The chart named by its description (its accessible name, pointing to the table with the
    figures), and its marks, axes and legends kept out of the accessibility tree (Vega would
    read each mark group as an unnamed graphic)."""
    return chart.properties(description=description).configure(aria=False) \
        .configure_mark(aria=False)


def _share_label(row: pd.Series) -> str:
    if bool(row["hidden"]) or pd.isna(row["share"]):
        return HIDDEN_LABEL
    return f"{percent_text(row['share'])} ({interval_text(row['low'], row['high'])})"


def _n_text(n: float) -> str:
    return count_text(ev.SUPPRESSED if ev.is_small(n) else n)


def funnel_chart(funnel: pd.DataFrame, width: int = 400) -> alt.LayerChart:
    """How many reached each standard step (bars), and how many dropped out there (a second,
    orange bar), each with its number written beside it."""
    rows = []
    for _, r in funnel.iterrows():
        for series, value in (("Nået trinnet", r["reached"]), ("Udgået på trinnet",
                                                               r["dropped_out"])):
            small = ev.is_small(value)
            shown = count_text(ev.SUPPRESSED if small else value)
            rows.append({"Trin": r["label"], "Serie": series, "Antal": 0 if small else value,
                         "Tekst": f"{series.split()[0].lower()} {shown}"})
    frame = pd.DataFrame(rows)
    order = list(funnel["label"])
    y = alt.Y("Trin:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    colour = alt.Color("Serie:N", title=None, legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=["Nået trinnet", "Udgået på trinnet"],
                                       range=[BLUE, ORANGE]))
    offset = alt.YOffset("Serie:N", sort=["Nået trinnet", "Udgået på trinnet"])
    bars = alt.Chart(frame).mark_bar(height=10).encode(
        x=alt.X("Antal:Q", title="Patienter"), y=y, yOffset=offset, color=colour,
        tooltip=["Trin:N", "Serie:N", "Tekst:N"])
    text = alt.Chart(frame).mark_text(align="left", dx=4, fontSize=10).encode(
        x="Antal:Q", y=y, yOffset=offset, text="Tekst:N", color=colour)
    first, last = funnel.iloc[0], funnel.iloc[-1]
    description = (
        "Søjlediagram: antal patienter, der nåede hvert trin i standardforløbet, og antal der "
        f"udgik på trinnet; {_n_text(first['reached'])} nåede {first['label']} og "
        f"{_n_text(last['reached'])} {last['label']}. Tallene står ved søjlerne og i tabellen."
    ) if len(funnel) else "Søjlediagram over standardforløbets trin; se tabellen."
    return _accessible((bars + text).properties(
        width=width, height=34 * len(order),
        title=alt.Title("Gennem standardforløbet", subtitle="Patienter, der nåede hvert trin, "
                        "og hvor mange der udgik på trinnet"),
    ), description)


def effect_chart(effect: pd.DataFrame, width: int = 400) -> alt.LayerChart:
    """The share improved per instrument with its 95 % interval, at the end and midway; the
    share and interval are written beside each point."""
    frame = effect.copy()
    frame["Instrument"] = [
        r["instrument"] + ("" if ev.has_baseline(r["code"]) else " (meget/en hel del bedre)")
        for _, r in frame.iterrows()
    ]
    frame["Tidspunkt"] = frame["label"]
    frame["Andel"] = frame["share"].where(~frame["hidden"].astype(bool))
    frame["Nedre"] = frame["low"].where(~frame["hidden"].astype(bool))
    frame["Øvre"] = frame["high"].where(~frame["hidden"].astype(bool))
    frame["Tekst"] = [
        f"{r['label']}: {_share_label(r)}, n = {_n_text(r['both'])}" for _, r in frame.iterrows()
    ]
    frame["Tekstpos"] = frame["Øvre"].fillna(0)
    frame = frame[["Instrument", "Tidspunkt", "Andel", "Nedre", "Øvre", "Tekst", "Tekstpos",
                   "domain"]]
    order = list(dict.fromkeys(frame["Instrument"]))
    tps = [tp for tp in ("Afslutning", "Midtvejs") if tp in set(frame["Tidspunkt"])]
    y = alt.Y("Instrument:N", sort=order, title=None, axis=alt.Axis(labelLimit=240))
    offset = alt.YOffset("Tidspunkt:N", sort=tps)
    colour = alt.Color("Tidspunkt:N", title="Fra baseline til", legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=tps, range=[TIMEPOINT_COLOURS[t] for t in tps]))
    x = alt.X("Andel:Q", title="Andel forbedret (95 % KI)", axis=PERCENT_AXIS,
              scale=alt.Scale(domain=[0, 1]))
    base = alt.Chart(frame)
    rule = base.mark_rule(strokeWidth=2).encode(x=alt.X("Nedre:Q", scale=alt.Scale(domain=[0, 1])),
                                                x2="Øvre:Q", y=y, yOffset=offset, color=colour)
    point = base.mark_point(filled=True, size=60).encode(
        x=x, y=y, yOffset=offset, color=colour, tooltip=["Instrument:N", "Tekst:N"])
    text = base.mark_text(align="left", dx=6, fontSize=9).encode(
        x=alt.X("Tekstpos:Q"), y=y, yOffset=offset, text="Tekst:N", color=colour)
    end = effect[(effect["timepoint"] == "afslutning") & ~effect["hidden"].astype(bool)]
    shown = "; ".join(f"{r['instrument']} {percent_text(r['share'])}" for _, r in
                      end.iterrows())
    description = (
        "Punkter med 95 %-konfidensintervaller: andelen af patienter med klinisk relevant "
        "forbedring pr. instrument, fra baseline til afslutning og til midtvejs"
        + (f" (ved afslutning: {shown})" if shown else "")
        + ". Andel, interval og antal står ved hvert punkt og i tabellen."
    )
    return _accessible((rule + point + text).properties(
        width=width, height=max(120, 30 * len(order)),
        title=alt.Title("Andel forbedret pr. instrument",
                        subtitle="Af patienterne med begge svar; ikke-besvarere indgår ikke og "
                                 "regnes ikke som uændrede"),
    ), description)


def breakdown_chart(effect: pd.DataFrame, timepoint: str = "afslutning",
                    width: int = 400) -> alt.LayerChart:
    """Improved / unchanged / worsened per instrument as stacked shares, each segment labelled
    with its class and share (suppressed segments are left out and said so)."""
    frame = effect[effect["timepoint"] == timepoint]
    rows = []
    colours = {ev.IMPROVED: GREEN, ev.UNCHANGED: GREY, ev.WORSENED: RED}
    for _, r in frame.iterrows():
        name = r["instrument"]
        hidden = r["hidden_breakdown"]
        for i, (cls, count) in enumerate(((ev.IMPROVED, r["improved"]),
                                          (ev.UNCHANGED, r["unchanged"]),
                                          (ev.WORSENED, r["worsened"]))):
            if hidden[i] or ev.is_small(r["both"]) or not r["both"]:
                continue
            share = count / r["both"]
            rows.append({"Instrument": name, "Klasse": cls, "Andel": share, "orden": i,
                         "Tekst": f"{cls[:4].lower()}. {percent_text(share)}"
                         if share >= 0.12 else ""})
    data = pd.DataFrame(rows, columns=["Instrument", "Klasse", "Andel", "orden", "Tekst"])
    order = list(dict.fromkeys(frame["instrument"]))
    y = alt.Y("Instrument:N", sort=order, title=None)
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("Andel:Q", stack="zero", title="Andel af patienter med begge svar",
                axis=PERCENT_AXIS),
        y=y, order="orden:Q",
        color=alt.Color("Klasse:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=list(colours), range=list(colours.values()))),
        tooltip=["Instrument:N", "Klasse:N", alt.Tooltip("Andel:Q", format=".0%")])
    text = alt.Chart(data).transform_stack(
        stack="Andel", groupby=["Instrument"], sort=[alt.SortField("orden")],
        as_=["fra", "til"],
    ).mark_text(align="left", dx=3, color="white", fontSize=9).encode(
        x="fra:Q", y=y, text="Tekst:N")
    label = pro.TIMEPOINTS.get(timepoint, timepoint).lower()
    return _accessible((bars + text).properties(
        width=width, height=max(120, 24 * len(order)),
        title=alt.Title(f"Forbedret, uændret og forværret – baseline til {label}"),
    ), "Stablede søjler pr. instrument: andelen forbedret (grøn), uændret (grå) og forværret "
       "(rød) af patienterne med begge svar; hver del er mærket med tekst, og tallene står i "
       "tabellen.")


def factor_chart(factors: pd.DataFrame, width: int = 400) -> alt.FacetChart:
    """Per perpetuating factor: the share improved on function (PDI) and on PGIC, for those
    whose factor improved and those whose did not, with 95 % intervals and labels."""
    frame = factors.copy()
    visible = ~frame["hidden"].astype(bool)
    frame["Andel"] = frame["share"].where(visible)
    frame["Nedre"] = frame["low"].where(visible)
    frame["Øvre"] = frame["high"].where(visible)
    frame["Faktor"] = frame["factor_name"]
    frame["Effekt"] = "Forbedret på " + frame["effect_name"]
    frame["Faktoren"] = frame["factor_improved"]
    frame["Tekst"] = [f"{r['factor_improved'].lower()}: {_share_label(r)}" for _, r in
                      frame.iterrows()]
    frame["Tekstpos"] = frame["Øvre"].fillna(0)
    frame = frame[["Faktor", "Effekt", "Faktoren", "Andel", "Nedre", "Øvre", "Tekst",
                   "Tekstpos"]]
    groups = ["Forbedret", "Ikke forbedret"]
    y = alt.Y("Faktor:N", sort=list(dict.fromkeys(frame["Faktor"])), title=None)
    offset = alt.YOffset("Faktoren:N", sort=groups)
    colour = alt.Color("Faktoren:N", title="Faktoren", legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=groups, range=[GREEN, GREY]))
    scale = alt.Scale(domain=[0, 1])
    base = alt.Chart()
    rule = base.mark_rule(strokeWidth=2).encode(x=alt.X("Nedre:Q", scale=scale), x2="Øvre:Q",
                                                y=y, yOffset=offset, color=colour)
    point = base.mark_point(filled=True, size=50).encode(
        x=alt.X("Andel:Q", title="Andel forbedret på effektmålet", axis=PERCENT_AXIS,
                scale=scale),
        y=y, yOffset=offset, color=colour, tooltip=["Faktor:N", "Effekt:N", "Tekst:N"])
    text = base.mark_text(align="left", dx=6, fontSize=9).encode(
        x="Tekstpos:Q", y=y, yOffset=offset, text="Tekst:N", color=colour)
    chart = alt.layer(rule, point, text, data=frame).properties(
        width=width // 2, height=44 * frame["Faktor"].nunique(),
    ).facet(
        column=alt.Column("Effekt:N", title=None, header=alt.Header(labelFontWeight="bold",
                                                                   labelFontSize=12)),
    )
    return _accessible(chart.properties(
        title=alt.Title("Vedligeholdende faktorer og effekt",
                        subtitle="Andel forbedret på PDI og PGIC, efter om faktoren blev "
                                 "forbedret (95 % KI)"),
    ), "Punkter med konfidensintervaller: for hver vedligeholdende faktor (PCS, HADS, ISI, PSEQ) "
       "andelen, der blev forbedret på funktion (PDI) og i den globale vurdering (PGIC), for "
       "patienter hvis faktor blev forbedret og ikke. Tallene står ved punkterne og i tabellen.")


def subgroup_chart(subgroups: pd.DataFrame, instrument: str, width: int = 340,
                   step: int = 20) -> alt.FacetChart:
    """The share improved per subgroup level with 95 % intervals, one panel per subgroup
    variable; every point labelled with its share, interval and n."""
    frame = subgroups.copy()
    visible = ~frame["hidden"].astype(bool)
    frame["Andel"] = frame["share"].where(visible)
    frame["Nedre"] = frame["low"].where(visible)
    frame["Øvre"] = frame["high"].where(visible)
    frame["Opdeling"] = frame["variable"]
    frame["Gruppe"] = frame["level"].astype(str)
    frame["Tekst"] = [
        f"{_share_label(r)}, n = {_n_text(r['n'])}" for _, r in frame.iterrows()
    ]
    frame["Tekstpos"] = frame["Øvre"].fillna(0)
    frame["orden"] = range(len(frame))  # the table's order, suppressed rows in their place
    frame = frame[["Opdeling", "Gruppe", "Andel", "Nedre", "Øvre", "Tekst", "Tekstpos",
                   "orden"]]
    scale = alt.Scale(domain=[0, 1])
    y = alt.Y("Gruppe:N", title=None, sort=alt.EncodingSortField("orden", op="min"),
              axis=alt.Axis(labelLimit=200))
    base = alt.Chart()
    rule = base.mark_rule(strokeWidth=2, color=BLUE).encode(
        x=alt.X("Nedre:Q", scale=scale), x2="Øvre:Q", y=y)
    point = base.mark_point(filled=True, size=50, color=BLUE).encode(
        x=alt.X("Andel:Q", title=f"Andel forbedret på {instrument} (95 % KI)",
                axis=PERCENT_AXIS, scale=scale),
        y=y, tooltip=["Opdeling:N", "Gruppe:N", "Tekst:N"])
    text = base.mark_text(align="left", dx=6, fontSize=9, color="#333").encode(
        x="Tekstpos:Q", y=y, text="Tekst:N")
    chart = alt.layer(rule, point, text, data=frame).properties(
        width=width, height=alt.Step(step)).facet(
        row=alt.Row("Opdeling:N", title=None, sort=list(ev.SUBGROUPS),
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold",
                                      labelOrient="top", labelAnchor="start")),
    ).resolve_scale(y="independent").properties(
        title=alt.Title(f"Hvem har gavn: andel forbedret på {instrument}",
                        subtitle="Pr. undergruppe ved afslutning, med 95 % KI og antal med svar"),
    )
    return _accessible(chart, f"Punkter med konfidensintervaller: andelen forbedret på "
                       f"{instrument} for hver gruppe efter køn, alder, smertevarighed, arbejde "
                       "og forsørgelse, sværhed ved baseline, tilvalg og mikroteam. Andel og "
                       "antal står ved punkterne og i tabellen.")
