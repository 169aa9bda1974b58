"""Writing the simulated centre: bulk Core inserts with ids assigned here, in dependency order
(staff, patients, groups, courses, PRO, group flags, the demo flag and its audit row), then the
PostgreSQL sequences moved past the ids used. The conferences: demo/conferences.py."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select, text

from db import audit_chain
from db.models import (
    Attendance,
    AuditLog,
    Concern,
    CourseEvent,
    Enrolment,
    GroupFlag,
    GroupSession,
    GroupTherapist,
    Microteam,
    MicroteamMember,
    Patient,
    ProResponse,
    ProScore,
    Setting,
    Staff,
    StaffRole,
    TherapyGroup,
)
from demo.helpers import local_time, weekday_on_or_after
from demo.parameters import CENTRE_NAME, CONFERENCE_WEEKDAY, DAY, GROUP_RHYTHM
from demo.records import ordered_events
from demo.refusal import DemoRefused
from demo.state import BuilderState
from demo.texts import GROUP_FLAG_NOTES, GROUP_LEVEL_NOTES


class Writing(BuilderState):
    def _write_staff(self) -> None:
        self._write(Staff, self.staff_rows)
        self._write(StaffRole, self.role_rows)
        self._write(Microteam, [{"id": t["id"], "name": t["name"]} for t in self.teams])
        self._write(MicroteamMember, self.member_rows)

    def _write_patients(self) -> None:
        rows = [
            {
                "id": p.id,
                "cpr": p.cpr,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "sex": p.sex,
                "birth_date": p.birth_date,
                "referral_date": p.referral,
                "status": p.status,
                "discharged_on": p.discharged_on,
                "microteam_id": p.team,
                "pal_laege_id": p.pal,
                "kontaktsygeplejerske_id": p.nurse,
                "diagnosis": p.diagnosis,
                "pain_duration_years": p.pain_years,
                "pain_distribution": p.distribution,
                "work_situation": p.work,
                "version": 1,
            }
            for p in self.patients
        ]
        self._write(Patient, rows)

    def _write_groups(self) -> None:
        groups = [g for code in GROUP_RHYTHM for g in self.planners[code].groups]
        groups.sort(key=lambda g: (g.start, g.code, g.parallel))
        self.groups = groups
        group_ids = self._ids(TherapyGroup.__table__, len(groups))
        g_rows, s_rows, t_rows = [], [], []
        session_ids = iter(self._ids(GroupSession.__table__, sum(len(g.dates) for g in groups)))
        for g, gid in zip(groups, group_ids, strict=True):
            g.id = gid
            g_rows.append(
                {
                    "id": gid,
                    "intervention_id": g.intervention_id,
                    "name": g.name,
                    "start_date": g.start,
                    "end_date": g.end,
                    "capacity": g.capacity,
                    "online": g.online,
                    "version": 1,
                }
            )
            for k, day in enumerate(g.dates):
                sid = next(session_ids)
                g.session_ids.append(sid)
                s_rows.append(
                    {
                        "id": sid,
                        "group_id": gid,
                        "number": k + 1,
                        "date": day,
                        "starts_at": g.starts_at[k],
                        "minutes": g.minutes[k],
                        "label": g.labels[k],
                    }
                )
            t_rows += [{"group_id": gid, "staff_id": sid} for sid in sorted(set(g.therapists))]
        self._write(TherapyGroup, g_rows)
        self._write(GroupSession, s_rows)
        self._write(GroupTherapist, t_rows)

        e_rows, a_rows = [], []
        enrolments = [e for p in self.patients for e in p.enrolments]
        e_ids = iter(self._ids(Enrolment.__table__, len(enrolments)))
        a_ids = iter(self._ids(Attendance.__table__, sum(len(e.attendance) for e in enrolments)))
        for p in self.patients:
            for e in p.enrolments:
                e.id = next(e_ids)
                e_rows.append(
                    {
                        "id": e.id,
                        "group_id": e.group.id,
                        "patient_id": p.id,
                        "status": e.status,
                        "enrolled_on": e.enrolled_on,
                        "handover_note": e.handover_note,
                        "version": 1,
                    }
                )
                for k, status in enumerate(e.attendance):
                    a_rows.append(
                        {
                            "id": next(a_ids),
                            "session_id": e.group.session_ids[k],
                            "enrolment_id": e.id,
                            "status": status,
                            "recorded_by_id": e.group.therapists[0],
                            "version": 1,
                        }
                    )
        self._write(Enrolment, e_rows)
        self._write(Attendance, a_rows)

    def _write_courses(self) -> None:
        iv = self.iv
        events = [(p, e) for p in self.patients for e in ordered_events(p)]
        ids = iter(self._ids(CourseEvent.__table__, len(events)))
        rows = [
            {
                "id": next(ids),
                "patient_id": p.id,
                "intervention_id": iv[e.code]["id"],
                "status": e.status,
                "planned_date": e.planned,
                "start_date": e.start,
                "end_date": e.end,
                "group_id": e.group.id if e.group else None,
                "staff_id": e.staff,
                "finding": e.finding,
                "note": e.note,
                "version": 1,
                # written up the afternoon it happened (a planned step: booked by today)
                "recorded_at": local_time(min(e.day or self.today, self.today), 16),
            }
            for p, e in events
        ]
        self._write(CourseEvent, rows)

        concerns = [(p, c) for p in self.patients for c in p.concerns]
        c_ids = iter(self._ids(Concern.__table__, len(concerns)))
        self._write(
            Concern,
            [
                {
                    "id": next(c_ids),
                    "patient_id": p.id,
                    "raised_by_id": by,
                    "raised_on": day,
                    "note": note,
                    "resolved_on": resolved,
                    "recorded_at": local_time(day, 14),
                }
                for p, (by, day, note, resolved) in concerns
            ],
        )

    def _write_pro(self) -> None:
        responses = [(p, r) for p in self.patients for r in p.pro]
        r_ids = iter(self._ids(ProResponse.__table__, len(responses)))
        n_scores = sum(len(r[2]) for _, r in responses)
        s_ids = iter(self._ids(ProScore.__table__, n_scores))
        r_rows, s_rows = [], []
        for p, (timepoint, answered, scores) in responses:
            rid = next(r_ids)
            r_rows.append(
                {
                    "id": rid,
                    "patient_id": p.id,
                    "timepoint": timepoint,
                    "answered_on": answered,
                    "source": "PainData",
                }
            )
            for code, items, value in scores:
                s_rows.append(
                    {
                        "id": next(s_ids),
                        "response_id": rid,
                        "instrument": code,
                        "items": items,
                        "score": value,
                    }
                )
        self._write(ProResponse, r_rows)
        self._write(ProScore, s_rows)


    def _write_group_flags(self) -> None:
        rng = random.Random(self.seed * 31 + 5)
        rows: list[dict[str, Any]] = []
        flag_id = self._next_id(GroupFlag.__table__)
        for p in self.patients:
            for enr in p.enrolments:
                missed = [k for k, a in enumerate(enr.attendance) if a != "moedt"]
                if len(missed) < 2 or rng.random() < 0.5:
                    continue
                g = enr.group
                day = g.dates[missed[1]]
                handled = weekday_on_or_after(day + DAY, CONFERENCE_WEEKDAY)
                done = handled < self.today
                rows.append(
                    {
                        "id": flag_id,
                        "group_id": g.id,
                        "patient_id": p.id,
                        "note": GROUP_FLAG_NOTES[rng.randrange(len(GROUP_FLAG_NOTES))],
                        "created_by_id": g.therapists[0],
                        "created_at": local_time(day, 16),
                        "handled_at": local_time(handled, 10) if done else None,
                        "handled_conference_id": self.conf_ids.get(handled) if done else None,
                        "version": 1,
                    }
                )
                flag_id += 1
        for g in self.groups:
            running = g.start < self.today <= g.end
            if not running or rng.random() < 0.6:
                continue
            last = max(d for d in g.dates if d < self.today)
            rows.append(
                {
                    "id": flag_id,
                    "group_id": g.id,
                    "patient_id": None,
                    "note": GROUP_LEVEL_NOTES[rng.randrange(len(GROUP_LEVEL_NOTES))],
                    "created_by_id": g.therapists[1],
                    "created_at": local_time(last, 16),
                    "handled_at": None,
                    "handled_conference_id": None,
                    "version": 1,
                }
            )
            flag_id += 1
        self.next_ids["group_flag"] = flag_id
        self._write(GroupFlag, rows)

    # ------------------------------------------------------------------ settings, audit

    def _refuse_the_flag(self) -> None:
        """The demo flag (the "who are you" picker instead of the login) is never set on a
        database holding staff with a password or patients other than the ones just written."""
        session = self.session
        if session.scalar(select(Setting.value).where(Setting.key == "demo")) == "1":
            return
        first_patient = self.patients[0].id if self.patients else None
        foreign = select(func.count()).select_from(Patient)
        if first_patient is not None:
            foreign = foreign.where(Patient.id < first_patient)
        with_password = select(func.count()).select_from(Staff).where(
            Staff.password_hash.is_not(None))
        if session.scalar(foreign) or session.scalar(with_password):
            raise DemoRefused(
                "Demo-markeringen sættes ikke: databasen har patienter, der ikke er demo-"
                "centrets, eller medarbejdere med adgangskode. Intet er ændret."
            )

    def _write_settings_and_audit(self) -> None:
        self._refuse_the_flag()
        self.session.execute(Setting.__table__.delete().where(Setting.key == "demo"))
        self._write(Setting, [{"key": "demo", "value": "1"}])
        self.counts["audit_log"] = self.counts.get("audit_log", 0) + 1
        audit_chain.append(
            self.session,
            AuditLog.__table__,
            [
                {
                    "id": self._next_id(AuditLog.__table__),
                    "at": dt.datetime.now(dt.UTC),
                    "actor_id": None,
                    "action": "create",
                    "entity": "demo",
                    "entity_id": None,
                    "patient_id": None,
                    "after": {
                        "centre": CENTRE_NAME,
                        "scale": self.scale,
                        "seed": self.seed,
                        "today": self.today.isoformat(),
                        "patients": len(self.patients),
                    },
                }
            ],
        )

    def _fix_sequences(self) -> None:
        """PostgreSQL: move each id sequence past the ids assigned here."""
        bind = self.session.get_bind()
        if bind.dialect.name != "postgresql":
            return
        for name in sorted(self.next_ids):
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
                )
            )
