"""Danish UI labels for the stored enumeration values."""

from __future__ import annotations

from db.models import (
    ActionStatus,
    AgendaList,
    AgendaStatus,
    AttendanceStatus,
    ConferenceStatus,
    CourseStatus,
    EnrolmentStatus,
    Finding,
    Profession,
    Role,
    Sex,
    Timepoint,
    WorkSituation,
)

PROFESSION = {
    Profession.LAEGE: "Læge",
    Profession.SYGEPLEJERSKE: "Sygeplejerske",
    Profession.PSYKOLOG: "Psykolog",
    Profession.FYSIOTERAPEUT: "Fysioterapeut",
    Profession.SOCIALRAADGIVER: "Socialrådgiver",
    Profession.SEKRETAER: "Sekretær",
}
ROLE = {
    Role.ADMIN: "Administrator",
    Role.MOEDELEDER: "Mødeleder",
    Role.REFERENT: "Referent",
    Role.BEHANDLER: "Behandler",
    Role.LAESER: "Læser",
}
SEX = {Sex.FEMALE: "Kvinde", Sex.MALE: "Mand"}
WORK_SITUATION = {
    WorkSituation.NORMAL_HOURS: "Arbejder, normal tid",
    WorkSituation.REDUCED_HOURS: "Arbejder, nedsat tid",
    WorkSituation.SICK_LEAVE: "Sygemeldt",
    WorkSituation.PENSION: "Pension",
    WorkSituation.STUDYING: "Studerende",
    WorkSituation.UNEMPLOYED: "Ledig",
    WorkSituation.OTHER_PUBLIC_SUPPORT: "Anden offentlig forsørgelse",
}
COURSE_STATUS = {
    CourseStatus.PLANNED: "Planlagt",
    CourseStatus.IN_PROGRESS: "I gang",
    CourseStatus.DONE: "Gennemført",
    CourseStatus.CANCELLED: "Aflyst",
    CourseStatus.DROPPED_OUT: "Udgået",
}
ENROLMENT_STATUS = {
    EnrolmentStatus.ENROLLED: "Tilmeldt",
    EnrolmentStatus.COMPLETED: "Gennemført",
    EnrolmentStatus.DROPPED_OUT: "Udgået",
}
ATTENDANCE = {
    AttendanceStatus.PRESENT: "Mødt",
    AttendanceStatus.CANCELLED: "Afbud",
    AttendanceStatus.NO_SHOW: "Udeblevet",
}
TIMEPOINT = {
    Timepoint.BASELINE: "Baseline",
    Timepoint.MIDTVEJS: "Midtvejs",
    Timepoint.AFSLUTNING: "Afslutning",
    Timepoint.OPFOELGNING: "Opfølgning",
}
FINDING = {
    Finding.UNCERTAIN_NEED: "Uafklaret behandlingsbehov",
    Finding.HEAVY_PSYCH_LOAD: "Svær psykisk belastning",
    Finding.SOCIAL_QUESTION: "Socialfagligt spørgsmål til konferencen",
    Finding.CFT_SLOW_RESPONDER: "Langsom responder (CFT)",
    Finding.PSYCH_BARRIERS: "Mistanke om psykologiske barrierer",
}
AGENDA_LIST = {AgendaList.DISCUSSION: "Til drøftelse", AgendaList.INFORMATION: "Til orientering"}
AGENDA_STATUS = {
    AgendaStatus.PLANNED: "På dagsorden",
    AgendaStatus.DISCUSSED: "Drøftet",
    AgendaStatus.NOT_REACHED: "Ikke nået",
    AgendaStatus.POSTPONED: "Udsat",
    AgendaStatus.REMOVED: "Fjernet",
}
ACTION_STATUS = {
    ActionStatus.OPEN: "Åben",
    ActionStatus.BOOKED: "Booket",
    ActionStatus.DONE: "Udført",
    ActionStatus.CANCELLED: "Annulleret",
}
DECISION = {
    "fortsaet_standardforloeb": "Fortsæt standardforløb",
    "afsluttende_samtale": "Afsluttende samtale",
    "helbred_og_arbejdsmarked": "Helbred og arbejdsmarked",
    "cft": "Kognitiv funktionel terapi (CFT)",
    "psykolog_visitation": "Visitationssamtale hos psykolog",
    "terapihold": "Terapihold",
    "medicin": "Medicinsamtale / medicinjustering",
    "nedtrapningshold": "Nedtrapningshold",
    "individuel_samtale": "Individuel samtale om særlige problematikker",
    "afslut_forloeb": "Afslut forløb",
    "andet": "Andet",
}
#: Who an action item is for when it is not one named person: the patient's own team roles,
#: or anyone of a profession.
OWNER_ROLE = {
    "pal_laege": "PAL-læge",
    "kontaktsygeplejerske": "Kontaktsygeplejerske",
    **{profession.value: label for profession, label in PROFESSION.items()},
}
#: What the import page and command line can read (conference/importing).
IMPORT_KIND = {
    "patienter": "Patienter og mikroteams",
    "forloeb": "Forløb (indsatser)",
    "hold": "Hold og fremmøde",
    "pro": "PRO-besvarelser",
}
#: What an import creates or changes, as the preview names it.
IMPORT_ENTITY = {
    "microteam": "Mikroteam",
    "microteam_member": "Mikroteammedlem",
    "patient": "Patient",
    "course_event": "Forløbsindsats",
    "therapy_group": "Hold",
    "group_session": "Holdgang",
    "group_therapist": "Holdbehandler",
    "enrolment": "Tilmelding",
    "attendance": "Fremmøderegistrering",
    "pro_response": "PRO-besvarelse",
}
IMPORT_ENTITY_PLURAL = {
    "microteam": "mikroteams",
    "microteam_member": "mikroteammedlemmer",
    "patient": "patienter",
    "course_event": "forløbsindsatser",
    "therapy_group": "hold",
    "group_session": "holdgange",
    "group_therapist": "holdbehandlere",
    "enrolment": "tilmeldinger",
    "attendance": "fremmøderegistreringer",
    "pro_response": "PRO-besvarelser",
}
#: How far a case presentation is (conference.template.CaseState).
CASE_STATE = {
    "ikke_paabegyndt": "Ikke påbegyndt",
    "kladde": "Under forberedelse",
    "klar": "Klar til konference",
}
CONFERENCE_STATUS = {
    ConferenceStatus.PLANNED: "Planlagt",
    ConferenceStatus.RUNNING: "I gang",
    ConferenceStatus.CLOSED: "Afsluttet",
}
