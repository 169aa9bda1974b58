"""SQLAlchemy 2.0 typed models for the whole conference domain (see shared/DOMAIN.md).

Conventions:
- surrogate integer keys everywhere; a CPR number is data on `Patient`, never a key;
- enumerations are stored as their string values (portable between SQLite and PostgreSQL);
- rows that two people can edit at once carry a `version` column used by SQLAlchemy's
  optimistic concurrency (`version_id_col`): a stale write raises `StaleDataError`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def str_enum(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """Store an enum by value as a plain VARCHAR (no native enum, no CHECK to migrate)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A moment in time, stored in UTC and always read back timezone-aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware one (UTC)")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def Timestamp() -> UtcDateTime:  # noqa: N802 - reads like a type in column definitions
    """Timezone-aware timestamp column type."""
    return UtcDateTime()


# --------------------------------------------------------------------------- enumerations


class Profession(enum.StrEnum):
    LAEGE = "laege"
    SYGEPLEJERSKE = "sygeplejerske"
    PSYKOLOG = "psykolog"
    FYSIOTERAPEUT = "fysioterapeut"
    SOCIALRAADGIVER = "socialraadgiver"
    SEKRETAER = "sekretaer"


class Role(enum.StrEnum):
    ADMIN = "admin"
    MOEDELEDER = "moedeleder"
    REFERENT = "referent"
    BEHANDLER = "behandler"
    LAESER = "laeser"


class Sex(enum.StrEnum):
    FEMALE = "K"
    MALE = "M"


class WorkSituation(enum.StrEnum):
    NORMAL_HOURS = "fuld_tid"
    REDUCED_HOURS = "nedsat_tid"
    SICK_LEAVE = "sygemeldt"
    PENSION = "pension"
    STUDYING = "studerende"
    UNEMPLOYED = "ledig"
    OTHER_PUBLIC_SUPPORT = "anden_offentlig_ydelse"


class PatientStatus(enum.StrEnum):
    ACTIVE = "aktiv"
    DISCHARGED = "afsluttet"


class InterventionKind(enum.StrEnum):
    TRIAGE = "visitation"
    VIDEO = "video"
    INDIVIDUAL = "individuel"
    GROUP = "hold"
    MEETING = "konference"
    LETTER = "brev"


class TeamFunction(enum.StrEnum):
    PAL_LAEGE = "pal_laege"
    KONTAKTSYGEPLEJERSKE = "kontaktsygeplejerske"
    MEMBER = "medlem"


class CourseStatus(enum.StrEnum):
    PLANNED = "planlagt"
    IN_PROGRESS = "i_gang"
    DONE = "gennemfoert"
    CANCELLED = "aflyst"
    DROPPED_OUT = "udgaaet"


class Finding(enum.StrEnum):
    """What an intervention found that brings the patient to the conference (DOMAIN.md)."""

    UNCERTAIN_NEED = "uafklaret_behandlingsbehov"  # Lang primærsamtale (3.5)
    HEAVY_PSYCH_LOAD = "svaer_psykisk_belastning"  # psykolog før standardforløb (4.3.1)
    SOCIAL_QUESTION = "socialfagligt_spoergsmaal"  # socialrådgiver (4.1.1)
    CFT_SLOW_RESPONDER = "cft_langsom_responder"  # fysioterapeut (4.2.2)
    PSYCH_BARRIERS = "psykologiske_barrierer"  # efter standardforløb (4.3.2)


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "tilmeldt"
    COMPLETED = "gennemfoert"
    DROPPED_OUT = "udgaaet"


class AttendanceStatus(enum.StrEnum):
    PRESENT = "moedt"
    CANCELLED = "afbud"
    NO_SHOW = "udeblevet"


class Timepoint(enum.StrEnum):
    BASELINE = "baseline"
    MIDTVEJS = "midtvejs"
    AFSLUTNING = "afslutning"
    OPFOELGNING = "opfoelgning"


class ConferenceStatus(enum.StrEnum):
    PLANNED = "planlagt"
    RUNNING = "i_gang"
    CLOSED = "afsluttet"


class AgendaList(enum.StrEnum):
    DISCUSSION = "droeftelse"
    INFORMATION = "orientering"


class AgendaSource(enum.StrEnum):
    DUE_RULE = "regel"
    MANUAL = "manuel"
    CARRIED_OVER = "overfoert"


class AgendaStatus(enum.StrEnum):
    PLANNED = "planlagt"
    DISCUSSED = "droeftet"
    NOT_REACHED = "ikke_naaet"
    POSTPONED = "udsat"
    REMOVED = "fjernet"


class ActionStatus(enum.StrEnum):
    OPEN = "aaben"
    BOOKED = "booket"
    DONE = "udfoert"
    CANCELLED = "annulleret"


# --------------------------------------------------------------------------- staff


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    initials: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    profession: Mapped[Profession] = mapped_column(str_enum(Profession))
    title: Mapped[str | None] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_set(self) -> set[Role]:
        return {r.role for r in self.roles}


class StaffRole(Base):
    __tablename__ = "staff_role"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), primary_key=True)

    staff: Mapped[Staff] = relationship(back_populates="roles")


class Microteam(Base):
    __tablename__ = "microteam"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    members: Mapped[list[MicroteamMember]] = relationship(
        back_populates="microteam", cascade="all, delete-orphan"
    )


class MicroteamMember(Base):
    __tablename__ = "microteam_member"

    microteam_id: Mapped[int] = mapped_column(ForeignKey("microteam.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True, index=True)
    function: Mapped[TeamFunction] = mapped_column(str_enum(TeamFunction))

    microteam: Mapped[Microteam] = relationship(back_populates="members")
    staff: Mapped[Staff] = relationship()


# --------------------------------------------------------------------------- patients


class Patient(Base):
    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    cpr: Mapped[str] = mapped_column(String(10), unique=True)  # normalised: 10 digits
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[Sex] = mapped_column(str_enum(Sex, 1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    referral_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[PatientStatus] = mapped_column(
        str_enum(PatientStatus), default=PatientStatus.ACTIVE, index=True
    )
    discharged_on: Mapped[dt.date | None] = mapped_column(Date)
    microteam_id: Mapped[int | None] = mapped_column(ForeignKey("microteam.id"), index=True)
    pal_laege_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    kontaktsygeplejerske_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    diagnosis: Mapped[str | None] = mapped_column(String(200))
    pain_duration_years: Mapped[float | None] = mapped_column(Float)
    pain_distribution: Mapped[str | None] = mapped_column(String(200))
    work_situation: Mapped[WorkSituation | None] = mapped_column(str_enum(WorkSituation))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    microteam: Mapped[Microteam | None] = relationship()
    pal_laege: Mapped[Staff | None] = relationship(foreign_keys=[pal_laege_id])
    kontaktsygeplejerske: Mapped[Staff | None] = relationship(
        foreign_keys=[kontaktsygeplejerske_id]
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# --------------------------------------------------------------------------- catalogue


class Intervention(Base):
    """One step of the standard course or an add-on (DOMAIN.md), loaded from data."""

    __tablename__ = "intervention"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    section: Mapped[str] = mapped_column(String(10))
    kind: Mapped[InterventionKind] = mapped_column(str_enum(InterventionKind))
    standard_course: Mapped[bool] = mapped_column(Boolean)
    course_order: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int | None] = mapped_column(Integer)
    session_minutes: Mapped[int | None] = mapped_column(Integer)
    interval_days: Mapped[int | None] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    profession: Mapped[Profession | None] = mapped_column(str_enum(Profession))
    staff_description: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# --------------------------------------------------------------------------- groups (hold)


class TherapyGroup(Base):
    __tablename__ = "therapy_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_therapy_group_dates", "start_date", "end_date"),)

    intervention: Mapped[Intervention] = relationship()
    sessions: Mapped[list[GroupSession]] = relationship(
        back_populates="group", order_by="GroupSession.number", cascade="all, delete-orphan"
    )
    therapists: Mapped[list[GroupTherapist]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class GroupSession(Base):
    __tablename__ = "group_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("therapy_group.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    starts_at: Mapped[dt.time | None] = mapped_column(Time)
    minutes: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(80))  # e.g. "Stilhedsdag"

    __table_args__ = (UniqueConstraint("group_id", "number"),)

    group: Mapped[TherapyGroup] = relationship(back_populates="sessions")


class GroupTherapist(Base):
    __tablename__ = "group_therapist"

    group_id: Mapped[int] = mapped_column(ForeignKey("therapy_group.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True, index=True)

    group: Mapped[TherapyGroup] = relationship(back_populates="therapists")
    staff: Mapped[Staff] = relationship()


class Enrolment(Base):
    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("therapy_group.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        str_enum(EnrolmentStatus), default=EnrolmentStatus.ENROLLED
    )
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    handover_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("group_id", "patient_id"),)

    group: Mapped[TherapyGroup] = relationship(back_populates="enrolments")
    patient: Mapped[Patient] = relationship()


class Attendance(Base):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_session.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(str_enum(AttendanceStatus))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("session_id", "enrolment_id"),)


class GroupFlag(Base):
    """A group therapist's note for the holdkonference: one patient, or the whole group."""

    __tablename__ = "group_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("therapy_group.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    handled_conference_id: Mapped[int | None] = mapped_column(ForeignKey("conference.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


# --------------------------------------------------------------------------- the course


class CourseEvent(Base):
    """One intervention in a patient's course: planned, running, done or cancelled."""

    __tablename__ = "course_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id"), index=True)
    status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus))
    planned_date: Mapped[dt.date | None] = mapped_column(Date)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("therapy_group.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    finding: Mapped[Finding | None] = mapped_column(str_enum(Finding, 40))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # When the row was written: created, or last changed (a planned step marked done is news
    # too). The due rules compare it with the moment a case was concluded, for an event dated
    # on that conference's day (pathway.Window). None: written before it was kept (0010).
    recorded_at: Mapped[dt.datetime | None] = mapped_column(
        Timestamp(), default=utcnow, onupdate=utcnow
    )

    __mapper_args__ = {"version_id_col": version}

    intervention: Mapped[Intervention] = relationship()
    patient: Mapped[Patient] = relationship()


class Concern(Base):
    """A staff member raises a problem or uncertainty about treatment need (3.10)."""

    __tablename__ = "concern"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    raised_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    # When it was raised (the moment; pathway.Window compares it with the moment a case was
    # concluded when raised_on is that conference's day). None: raised before it was kept (0010).
    recorded_at: Mapped[dt.datetime | None] = mapped_column(Timestamp(), default=utcnow)


# --------------------------------------------------------------------------- PRO


class ProResponse(Base):
    """One questionnaire answered by one patient at one time point."""

    __tablename__ = "pro_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    timepoint: Mapped[Timepoint] = mapped_column(str_enum(Timepoint))
    answered_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("patient_id", "timepoint"),)

    scores: Mapped[list[ProScore]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class ProScore(Base):
    """One instrument in a response: its item answers (None = missing) and computed score."""

    __tablename__ = "pro_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("pro_response.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(20))
    items: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    score: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("response_id", "instrument"),)

    response: Mapped[ProResponse] = relationship(back_populates="scores")


class ProMapping(Base):
    """How one PRO source's export maps onto the instruments: a saved column mapping (data).

    `mapping` holds {"columns": {file header: target}, "timepoint_values": {file value:
    timepoint}, "fixed_timepoint": timepoint | None}; see conference/importing/mapping.py.
    """

    __tablename__ = "pro_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40), unique=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


# --------------------------------------------------------------------------- conferences


class Conference(Base):
    __tablename__ = "conference"

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, unique=True)
    starts_at: Mapped[dt.time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=150)
    status: Mapped[ConferenceStatus] = mapped_column(
        str_enum(ConferenceStatus), default=ConferenceStatus.PLANNED
    )
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    development_topic: Mapped[str | None] = mapped_column(Text)
    staff_exercise: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", use_alter=True, name="fk_conference_current_item_id")
    )
    phase: Mapped[str | None] = mapped_column(String(20))  # hold | patient | faglig
    ended_at: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ConferenceAttendance(Base):
    __tablename__ = "conference_attendance"

    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)


class AgendaItem(Base):
    """A patient case on a conference's patientkonference."""

    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    list: Mapped[AgendaList] = mapped_column(str_enum(AgendaList), default=AgendaList.DISCUSSION)
    source: Mapped[AgendaSource] = mapped_column(str_enum(AgendaSource))
    reason: Mapped[str] = mapped_column(String(40))
    reason_text: Mapped[str | None] = mapped_column(Text)
    question: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[AgendaStatus] = mapped_column(
        str_enum(AgendaStatus), default=AgendaStatus.PLANNED
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    time_budget_seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    seconds_used: Mapped[int | None] = mapped_column(Integer)
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("conference_id", "patient_id"),)

    conference: Mapped[Conference] = relationship(foreign_keys=[conference_id])
    patient: Mapped[Patient] = relationship()


class TeamNote(Base):
    """A note about a patient from someone on the team, shown when the case is prepared."""

    __tablename__ = "team_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PresentationTemplate(Base):
    """A version of the presentation template: its fields as data."""

    __tablename__ = "presentation_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_no: Mapped[int] = mapped_column(Integer, unique=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class CasePresentation(Base):
    """The microteam's prepared case for one agenda item, written from a template version."""

    __tablename__ = "case_presentation"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("presentation_template.id"))
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    presented_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    ready_at: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    ready_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Conclusion(Base):
    """The referent's record of one case: history sketch, decision, free text."""

    __tablename__ = "conclusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), unique=True)
    history_sketch: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(40))
    decision_text: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class ConclusionAmendment(Base):
    """A change to a conclusion after sign-off; the original stays."""

    __tablename__ = "conclusion_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    conclusion_id: Mapped[int] = mapped_column(ForeignKey("conclusion.id"), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    amended_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    amended_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)


class ActionItem(Base):
    """A next step decided at the conference: what, who, by when, status."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    conclusion_id: Mapped[int | None] = mapped_column(ForeignKey("conclusion.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id"))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    owner_role: Mapped[str | None] = mapped_column(String(40))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        str_enum(ActionStatus), default=ActionStatus.OPEN, index=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)
    # the day it was marked done (for "done on time"), and the course event it put in motion
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    course_event_id: Mapped[int | None] = mapped_column(ForeignKey("course_event.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


# --------------------------------------------------------------------------- audit


class AuditLog(Base):
    """Append-only: every create, change and delete of clinical content, with before/after.

    The three logs (this, AccessLog, SecurityEvent) are written only through db/audit_chain.py;
    the database refuses UPDATE and DELETE (and TRUNCATE) on them (migration 0011)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow, server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # create | update | delete
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # sha256 over the previous row's chain_hash and this row's content (db/audit_chain.py)
    chain_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class ImportRun(Base):
    """One applied import: the kind, the file (name and SHA-256), who, and what it changed."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow)


class AccessLog(Base):
    """Every look-up of a patient's identity or data: who, when, which view, which patient
    (sundhedsloven § 42 a; GDPR art. 15 gives the patient the right to see it). Append-only."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    view: Mapped[str] = mapped_column(String(60))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    patient_count: Mapped[int | None] = mapped_column(Integer)  # list views: how many shown
    chain_hash: Mapped[str] = mapped_column(String(64))  # see db/audit_chain.py


class SecurityEvent(Base):
    """Logins (failed and successful), logouts and refused calls. Append-only."""

    __tablename__ = "security_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp(), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(30))  # login_ok | login_failed | logout | denied
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(String(400))
    chain_hash: Mapped[str] = mapped_column(String(64))  # see db/audit_chain.py


class Setting(Base):
    """Centre-wide settings as key/value (e.g. demo mode, conference weekday)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))


class LoginThrottle(Base):
    """Failed logins per account or per client (conference.services.accounts): after a few, a
    growing wait, then a lock. `key` is 'konto:<staff id>', 'navn:<name as typed, folded>' (a
    name no staff member has: it is throttled exactly like one that exists) or
    'klient:<address>'. A row that has been quiet for long is deleted."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(240), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(Timestamp(), index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(Timestamp())
