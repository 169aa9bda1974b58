"""The demo's Danish texts: the presentation template, diagnoses, decisions, notes, cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The presentation template (DOMAIN.md): data, not code.
TEMPLATE_FIELDS: list[dict[str, Any]] = [
    {
        "key": "anledning",
        "label": "Anledning",
        "help": "Hvorfor patienten fremlægges, og mikroteamets spørgsmål til konferencen.",
        "required": True,
        "system": False,
    },
    {
        "key": "baggrund",
        "label": "Baggrund",
        "help": "Alder, køn, smertevarighed og -udbredning, diagnose (fx komplekse kroniske "
        "smerter, DR 52.2E), arbejds- og forsørgelsesgrundlag.",
        "required": True,
        "system": True,
    },
    {
        "key": "tre_p",
        "label": "3P",
        "help": "Grundlæggende (prædisponerende), udløsende og vedligeholdende faktorer.",
        "required": True,
        "system": False,
    },
    {
        "key": "forloeb",
        "label": "Forløb indtil nu",
        "help": "Gennemførte indsatser og fremmøde.",
        "required": False,
        "system": True,
    },
    {
        "key": "pro",
        "label": "PRO",
        "help": "Baseline sammenholdt med midtvejs- og afslutningsevaluering (udfyldes af "
        "systemet).",
        "required": False,
        "system": True,
    },
    {
        "key": "maal_udbytte",
        "label": "Patientens mål og udbytte",
        "help": "Mål, hvad patienten tager med fra forløbet, ændringer i hverdagen.",
        "required": True,
        "system": False,
    },
    {
        "key": "barrierer",
        "label": "Barrierer og tematikker",
        "help": "Fx medicin, søvn, psykologisk, socialt, arbejde, kommunikation, intimitet.",
        "required": False,
        "system": False,
    },
    {
        "key": "vurdering",
        "label": "Mikroteamets vurdering og forslag",
        "help": "Vurdering og forslag til næste skridt.",
        "required": True,
        "system": False,
    },
]

DIAGNOSES = (
    ("Komplekse kroniske smerter (DR 52.2E)", 78),
    ("Fibromyalgi (DM 79.7)", 7),
    ("Kroniske lænderygsmerter (DM 54.5)", 5),
    ("Kroniske smerter efter whiplash (DS 13.4)", 3),
    ("Kroniske postoperative smerter (DG 89.2)", 3),
    ("Neuropatiske smerter (DG 64.9)", 2),
    ("Kronisk hovedpine (DR 51.9)", 2),
)
PAIN_DISTRIBUTIONS = (
    ("Lænd og ben", 24),
    ("Generaliserede smerter", 20),
    ("Nakke og skuldre", 15),
    ("Lænd", 10),
    ("Nakke, skuldre og arme", 8),
    ("Hoved og nakke", 5),
    ("Bækken og hofter", 5),
    ("Knæ og ben", 4),
    ("Ryg og brystkasse", 4),
    ("Mave og bækken", 3),
    ("Hænder og arme", 2),
)
# PRO.md: pension 28-31 %, sick leave 19-21 %, other public support 19-23 %, normal hours 11-13 %.
# Everyone from 67 is on pension (about 12 % of the patients), so the weights below 67 are
# the targets divided by 0.88.
WORK_WEIGHTS_UNDER_67 = (
    ("pension", 20),
    ("sygemeldt", 23),
    ("anden_offentlig_ydelse", 24),
    ("fuld_tid", 13.5),
    ("nedsat_tid", 9),
    ("ledig", 6),
    ("studerende", 0),  # set by age below
)
WORK_TEXT = {
    "fuld_tid": "arbejder på normal tid",
    "nedsat_tid": "arbejder på nedsat tid",
    "sygemeldt": "sygemeldt",
    "pension": "pensionist",
    "studerende": "studerende",
    "ledig": "ledig",
    "anden_offentlig_ydelse": "anden offentlig forsørgelse (fx ressourceforløb eller jobafklaring)",
}

DEVELOPMENT_TOPICS = (
    "Søvn og kroniske smerter",
    "Opioidnedtrapning i praksis",
    "Motiverende samtale i mikroteamet",
    "ACT i gruppeforløb",
    "Hvordan forklarer vi central sensitisering?",
    "Samarbejde med jobcentret",
    "Kulturelle perspektiver på smerte",
    "Pårørendes rolle i forløbet",
    "Traumer og kroniske smerter",
    "Gradueret eksponering og fysisk aktivitet",
    "PRO i samtalen: dialogstøtte, ikke beslutningsstøtte",
    "Etiske dilemmaer ved afslutning af forløb",
    "Medicinafstemning og polyfarmaci",
    "Kommunikation om diagnoser",
    "Intimitet og samliv ved kroniske smerter",
    "Ny viden om kognitiv funktionel terapi",
    "Epikrisen: hvad har egen læge brug for?",
    "Roller og opgaver i mikroteamet",
    "Funktionelle lidelser og smerter",
    "Stress og smerte",
    "Unge voksne med kroniske smerter",
    "PainData-årsrapporten: hvad viser vores tal?",
    "Statusattester og samarbejde med kommunen",
    "Faglig refleksion: en svær sag",
)
STAFF_EXERCISES = ("Afspændingsøvelse", "Mindfulnessøvelse")

PREDISPOSING = (
    "Opvækst med omsorgssvigt",
    "Depression i ungdommen",
    "Mor med fibromyalgi",
    "Mange års fysisk hårdt arbejde",
    "Angst siden ungdommen",
    "Hypermobilitet",
    "Tidligere trafikulykke",
    "Høje krav til sig selv (perfektionisme)",
    "Ingen kendte prædisponerende faktorer",
)
PRECIPITATING = (
    "Arbejdsskade ved løft",
    "Trafikulykke med piskesmæld",
    "Operation i lænden",
    "Fald på arbejdet",
    "Fødsel",
    "Infektion efterfulgt af udbredte smerter",
    "Ingen klar udløsende faktor",
    "Skilsmisse og stor belastning på arbejdet",
)
PERPETUATING = (
    "dårlig søvn",
    "frygt for bevægelse",
    "katastrofetanker",
    "økonomisk usikkerhed og sagsforløb i kommunen",
    "højt forbrug af opioider",
    "social isolation",
    "inaktivitet",
    "konflikter på arbejdspladsen",
    "alt-eller-intet-mønster i hverdagen",
    "bekymring for alvorlig sygdom",
)
GOALS = (
    "at kunne gå en tur på 30 minutter dagligt",
    "at vende tilbage til arbejde på nedsat tid",
    "at sove bedre",
    "at bruge mindre smertestillende medicin",
    "at kunne lege med børnebørnene",
    "at få bedre balance mellem aktivitet og hvile",
    "at genoptage svømning",
    "at kunne passe haven igen",
)
TAKEAWAYS = (
    "Bruger vejrtrækningsøvelser dagligt.",
    "Har fået bedre forståelse af smertemekanismer.",
    "Planlægger dagen med pauser.",
    "Har genoptaget korte gåture.",
    "Har talt med arbejdspladsen om skånehensyn.",
    "Oplever mere ro og mindre grublerier.",
    "Har reduceret forbruget af hovedpinepiller.",
    "Har fået en fast døgnrytme.",
)
BARRIERS = (
    "Medicin: ønsker nedtrapning af opioider, men er bekymret for flere smerter.",
    "Søvn: vågner flere gange hver nat.",
    "Psykologisk: mange bekymringer og tristhed.",
    "Socialt: sagsforløb i kommunen fylder meget.",
    "Arbejde: uafklaret tilknytning til arbejdsmarkedet.",
    "Kommunikation: konflikter i familien om smerterne.",
    "Intimitet: smerterne påvirker samlivet.",
    "Ingen særlige barrierer.",
)
CONCERN_NOTES = (
    "Patienten virker mere trist og har aflyst flere gange – ønsker drøftelse.",
    "Øget medicinforbrug ifølge patienten – er planen fortsat rigtig?",
    "Patienten giver udtryk for håbløshed; bør drøftes i teamet.",
    "Tvivl om behandlingsbehov: store sociale problemer fylder mere end smerterne.",
    "Patienten har svært ved at deltage på holdet pga. smerter efter transporten.",
    "Pårørende har henvendt sig med bekymring for patientens trivsel.",
)
MANUAL_QUESTIONS = (
    "Skal patienten tilbydes individuelle samtaler i stedet for hold?",
    "Er der behov for en medicinsk plan før Livet med smerter?",
    "Hvordan støtter vi bedst patienten i forhold til jobcentret?",
    "Skal der tages kontakt til egen læge om søvnmedicinen?",
)
MANUAL_REASONS = (
    "Tvivl om udbyttet af holdforløbet",
    "Øget medicinforbrug undervejs i forløbet",
    "Sygemeldingen er forlænget; jobcentret ønsker en udtalelse",
    "Søvnproblemer fylder mere end smerterne",
)
MANUAL_INFO_REASONS = (  # put on "til orientering" by a microteam
    "Medicinen er justeret efter aftale med egen læge",
    "Patienten er overgået til ressourceforløb i kommunen",
    "Patienten holder to ugers pause fra holdet på grund af en planlagt operation",
)

# The next conference: what the microteams ask the conference and propose (per due reason).
CASE_QUESTIONS: dict[str, tuple[str, ...]] = {
    "anden_opfoelgning": (
        "Kan forløbet afsluttes med afsluttende samtale og epikrise til egen læge?",
        "Skal patienten tilbydes Helbred og arbejdsmarked, før forløbet afsluttes?",
        "Er der behov for en medicinsamtale før afslutning?",
    ),
    "uafklaret_behandlingsbehov": (
        "Skal der lægges en medicinsk plan, før Livet med smerter starter?",
        "Er standardforløbet tilstrækkeligt, eller skal fysioterapeuten visitere til CFT?",
        "Skal søvnen behandles først?",
    ),
    "svaer_psykisk_belastning": (
        "Kan patienten profitere af holdforløb nu, eller skal psykiatrien vurdere først?",
        "Skal forløbet sættes i bero, mens patienten får forberedende psykologsamtaler?",
    ),
    "socialfagligt_spoergsmaal": (
        "Er patienten i målgruppen for Helbred og arbejdsmarked med et ressourceforløb i gang?",
        "Skal statusattesten (LÆ125) besvares nu eller efter forløbet?",
    ),
    "cft_langsom_responder": (
        "Skal CFT starte nu, eller afventer vi Anden opfølgning?",
        "Er CFT fortsat relevant, når Afspænding har givet god effekt?",
    ),
    "psykologiske_barrierer": (
        "Skal patienten henvises til visitationssamtale hos psykolog?",
        "Terapihold eller individuelle samtaler hos psykolog?",
    ),
    "bekymring": (
        "Er planen fortsat den rigtige, eller skal vi stoppe op?",
        "Skal egen læge inddrages nu?",
    ),
}
CASE_PROPOSALS: dict[str, tuple[str, ...]] = {
    "anden_opfoelgning": (
        "Godt udbytte af forløbet og egne redskaber til hverdagen. Vi foreslår afsluttende "
        "samtale med PAL-læge og kontaktsygeplejerske og epikrise til egen læge.",
        "Delvist udbytte; arbejdsmarkedet er uafklaret. Vi foreslår Helbred og arbejdsmarked "
        "og derefter afsluttende samtale.",
        "Har fået mere ro, men sover fortsat dårligt. Vi foreslår en individuel samtale om "
        "søvn før afslutning.",
    ),
    "uafklaret_behandlingsbehov": (
        "Vi vurderer, at medicinforbruget skal afklares først: medicinsamtale hos PAL-læge, "
        "derefter Livet med smerter som planlagt.",
        "Standardforløbet ser ud til at passe; vi foreslår supplerende fysioterapeutisk "
        "visitation parallelt.",
    ),
    "svaer_psykisk_belastning": (
        "Vi foreslår 2–3 forberedende samtaler hos psykolog, før patienten starter på hold.",
        "Patienten er for belastet til holdforløb nu. Vi foreslår afslutning med anbefaling "
        "om psykiatrisk vurdering via egen læge.",
    ),
    "socialfagligt_spoergsmaal": (
        "Socialrådgiveren vurderer, at patienten er i målgruppen; vi foreslår tilmelding til "
        "næste hold Helbred og arbejdsmarked.",
        "Vi foreslår, at statusattesten besvares nu af PAL-læge og socialrådgiver.",
    ),
    "cft_langsom_responder": (
        "Vi foreslår opstart af CFT hos fysioterapeuten inden for tre uger.",
        "Bevægeangsten fylder fortsat; vi foreslår CFT efter Anden opfølgning.",
    ),
    "psykologiske_barrierer": (
        "Vi foreslår visitationssamtale hos psykolog med henblik på Terapihold.",
        "Vi foreslår individuelle samtaler hos psykolog frem for hold.",
    ),
    "bekymring": (
        "Vi foreslår en ekstra samtale med kontaktsygeplejersken og fortsat forløb som planlagt.",
        "Vi foreslår kontakt til egen læge og en medicinsamtale, før holdet fortsætter.",
    ),
    "manuel": (
        "Vi foreslår individuelle samtaler i en periode og derefter at genoptage holdet.",
        "Vi foreslår en medicinsamtale hos PAL-læge og kontakt til egen læge.",
    ),
}
EARLY_TAKEAWAYS = (
    "Har endnu ikke deltaget i hold; motiveret for at komme i gang.",
    "Har set introvideoen og deltaget i Forstå smerte; vil gerne lære at planlægge dagen.",
    "Forløbet er lige begyndt; ønsker redskaber til at håndtere smerterne.",
)
GROUP_FLAG_NOTES = (
    "Har haft flere fravær – kontaktsygeplejersken kontakter patienten.",
    "Virker presset på holdet og taler meget om smerterne; ønsker sparring.",
    "Har svært ved at sidde stille i 2½ time – kan vi tilpasse?",
    "Giver udtryk for, at holdet ikke passer til hende/ham.",
)
GROUP_LEVEL_NOTES = (
    "Holdet fungerer godt; flere ønsker mere om søvn.",
    "Mange afbud på holdet i denne uge (sygdom).",
    "Lokalet er for lille til holdet – obs. ved næste opstart.",
)
HANDOVER_NOTES = (
    "Deltog aktivt; god effekt af vejrtrækningsøvelser.",
    "Har brug for gentagelse af pacing-principperne ved opfølgningen.",
    "Stille på holdet; tal gerne om udbyttet ved opfølgningen.",
    "Oplever mere ro; ønsker at fortsætte med øvelserne hjemme.",
)

DECISION_TEXT = {
    "fortsaet_standardforloeb": "Fortsætter standardforløbet som planlagt.",
    "afsluttende_samtale": "Standardforløbet er gennemført. Afsluttende samtale bookes med "
    "PAL-læge og kontaktsygeplejerske; epikrise til egen læge.",
    "helbred_og_arbejdsmarked": "Tilmeldes Helbred og arbejdsmarked ved socialrådgiver.",
    "cft": "Opstart af kognitiv funktionel terapi (CFT) ved fysioterapeut.",
    "psykolog_visitation": "Henvises til visitationssamtale hos psykolog efter standardforløbet.",
    "terapihold": "Tilbydes Terapihold (ACT) ved psykolog.",
    "medicin": "Den medicinske plan justeres; medicinsamtale ved læge.",
    "nedtrapningshold": "Tilbydes Nedtrapningshold med henblik på nedtrapning af opioider.",
    "individuel_samtale": "Tilbydes individuel samtale om søvn og hverdagsliv.",
    "afslut_forloeb": "Forløbet afsluttes; patienten henvises tilbage til egen læge med "
    "anbefaling om psykiatrisk vurdering.",
}
# decision -> (action description, owner profession, owner role text, intervention code, days)
DECISION_ACTION = {
    "afsluttende_samtale": (
        "Book afsluttende samtale", "sekretaer", "sekretær", "afsluttende_samtale", 14
    ),
    "helbred_og_arbejdsmarked": (
        "Tilmeld Helbred og arbejdsmarked", "socialraadgiver", "socialrådgiver",
        "helbred_og_arbejdsmarked", 14,
    ),
    "cft": ("Book opstart af CFT", "fysioterapeut", "fysioterapeut", "cft", 14),
    "psykolog_visitation": (
        "Book visitationssamtale hos psykolog", "sekretaer", "sekretær", "psykolog_efter", 14
    ),
    "terapihold": ("Tilmeld Terapihold", "psykolog", "psykolog", "terapihold", 14),
    "medicin": ("Book medicinsamtale", "laege", "PAL-læge", "medicinsamtale", 14),
    "nedtrapningshold": (
        "Tilmeld Nedtrapningshold", "sygeplejerske", "sygeplejerske", "nedtrapningshold", 14
    ),
    "individuel_samtale": (
        "Book individuel samtale", "sekretaer", "sekretær", "individuel_samtale", 21
    ),
    "afslut_forloeb": ("Send epikrise til egen læge", "laege", "PAL-læge", None, 7),
}
REASON_TEXT = {
    "anden_opfoelgning": "Anden opfølgning gennemført: status og beslutning om videre forløb",
    "uafklaret_behandlingsbehov": "Uafklaret behandlingsbehov efter Lang primærsamtale",
    "svaer_psykisk_belastning": "Psykologvisitation: svær psykisk belastning",
    "socialfagligt_spoergsmaal": "Socialrådgiver ønsker sagen vendt / tvivl om inklusion",
    "cft_langsom_responder": "CFT, langsom responder: tidspunkt for CFT aftales",
    "psykologiske_barrierer": "Mistanke om psykologiske barrierer efter standardforløb",
    "bekymring": "Problemstilling rejst af personale",
    "manuel": "Tilføjet manuelt",
}
OCCASION_TEXT = {
    "anden_opfoelgning": "Status efter anden opfølgning. Mikroteamet ønsker konferencens "
    "drøftelse af det videre forløb.",
    "uafklaret_behandlingsbehov": "Uafklaret behandlingsbehov efter lang primærsamtale: er der "
    "behov for tillægsindsatser ud over standardforløbet?",
    "svaer_psykisk_belastning": "Psykologen fandt svær psykisk belastning ved visitationen: "
    "skal forløbet fortsætte, eller skal patienten henvises andetsteds?",
    "socialfagligt_spoergsmaal": "Socialrådgiveren ønsker sagen vendt: tvivl om inklusion i "
    "Helbred og arbejdsmarked.",
    "cft_langsom_responder": "Langsom responder ved fysioterapeutisk visitation: hvornår skal "
    "CFT starte nu, hvor Afspænding/Mindfulness er gennemført?",
    "psykologiske_barrierer": "Mistanke om psykologiske barrierer efter standardforløbet: "
    "skal patienten henvises til psykologvisitation?",
    "bekymring": "En medarbejder har rejst en bekymring: ",
    "manuel": "",
}
ASSESSMENT_TEXT = {
    "fortsaet_standardforloeb": "Mikroteamet foreslår, at standardforløbet fortsætter.",
    "afsluttende_samtale": "Mikroteamet vurderer, at patienten har fået udbytte og foreslår "
    "afsluttende samtale.",
    "helbred_og_arbejdsmarked": "Mikroteamet foreslår Helbred og arbejdsmarked.",
    "cft": "Mikroteamet foreslår opstart af CFT nu.",
    "psykolog_visitation": "Mikroteamet foreslår visitation hos psykolog.",
    "terapihold": "Mikroteamet foreslår Terapihold.",
    "medicin": "Mikroteamet foreslår en medicinsamtale med justering af planen.",
    "nedtrapningshold": "Mikroteamet foreslår Nedtrapningshold.",
    "individuel_samtale": "Mikroteamet foreslår en individuel samtale om søvn og hverdagsliv.",
    "afslut_forloeb": "Mikroteamet er i tvivl om, at forløbet er det rette nu, og foreslår "
    "afslutning med anbefalinger til egen læge.",
}


def reason_codes(reason_text: str | None) -> list[str]:
    """The due reasons an agenda item's reason text names (the rules' own wording)."""
    from conference.pathway import REASON_TEXTS

    return [code for code, text in REASON_TEXTS.items()
            if code != "manuel" and text in (reason_text or "")]


def case_topic(codes: Sequence[str], fallback: str) -> str:
    """What a case is mainly about: the first reason beyond the routine Anden opfølgning."""
    specific = [code for code in codes if code != "anden_opfoelgning"]
    return specific[0] if specific else codes[0] if codes else fallback
