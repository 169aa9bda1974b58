"""The conferences of the last two years, written as the minutes left them: attendance,
agenda (carried-over cases included), the microteams' case presentations, conclusions and
next steps with their status today; the upcoming conference is only created here (its agenda:
demo/next_conference.py)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from conference import pro
from db.models import (
    ActionItem,
    AgendaItem,
    CasePresentation,
    Conclusion,
    Conference,
    ConferenceAttendance,
    PresentationTemplate,
)
from demo.helpers import clip, ddmmyyyy, is_closed, local_time
from demo.parameters import CONFERENCE_MINUTES, CONFERENCE_START
from demo.records import SimPatient, SimPresentation, ordered_events
from demo.state import BuilderState
from demo.texts import (
    ASSESSMENT_TEXT,
    BARRIERS,
    DECISION_ACTION,
    DECISION_TEXT,
    DEVELOPMENT_TOPICS,
    GOALS,
    OCCASION_TEXT,
    PERPETUATING,
    PRECIPITATING,
    PREDISPOSING,
    REASON_TEXT,
    STAFF_EXERCISES,
    TAKEAWAYS,
    TEMPLATE_FIELDS,
    WORK_TEXT,
)


@dataclass
class _MinutesRows:
    """The rows of every past conference, and the next id of each kind."""

    template_id: int
    next_agenda: int
    conclusion_id: int
    action_id: int
    case_id: int
    conferences: list[dict[str, Any]] = field(default_factory=list)
    attendance: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    conclusions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)


def _start(day: dt.date) -> dt.datetime:
    return local_time(day, CONFERENCE_START.hour, CONFERENCE_START.minute)


def _agenda_row(
    conf_id: int,
    p: SimPatient,
    pres: SimPresentation,
    position: int,
    budget: int,
    started: dt.datetime | None,
    used: int | None,
) -> dict[str, Any]:
    discussed = pres.status == "droeftet"
    reason_text = REASON_TEXT.get(pres.reason, pres.reason)
    if pres.reason_detail:
        reason_text += f" ({pres.reason_detail})"
    return {
        "id": pres.id,
        "conference_id": conf_id,
        "patient_id": p.id,
        "list": pres.list,
        "source": pres.source,
        "reason": pres.reason,
        "reason_text": reason_text,
        "question": pres.question,
        "position": position,
        "status": pres.status,
        "status_reason": None if discussed
        else "Ikke nået – overført til næste konference.",
        "time_budget_seconds": budget,
        "started_at": started,
        "seconds_used": used,
        "carried_from_id": pres.carried_from.id if pres.carried_from else None,
        "added_by_id": pres.added_by if pres.source == "manuel" else None,
        "version": 1,
    }


class Conferences(BuilderState):
    def _template_id(self) -> int:
        existing = self.session.scalar(
            select(PresentationTemplate.id).where(PresentationTemplate.version_no == 1)
        )
        if existing is not None:
            return int(existing)
        tid = self._next_id(PresentationTemplate.__table__)
        self._write(
            PresentationTemplate,
            [
                {
                    "id": tid,
                    "version_no": 1,
                    "fields": TEMPLATE_FIELDS,
                    "created_at": local_time(self.first_conference - dt.timedelta(days=14), 10),
                    "created_by_id": self.leaders[0],
                }
            ],
        )
        return tid

    def _write_conferences(self) -> None:
        """Every past conference with its attendance and minutes (agenda, case presentations,
        conclusions, next steps), and the upcoming one without an agenda yet."""
        rows = _MinutesRows(
            template_id=self._template_id(),
            next_agenda=self._next_id(AgendaItem.__table__),  # ids counted on below
            conclusion_id=self._next_id(Conclusion.__table__),
            action_id=self._next_id(ActionItem.__table__),
            case_id=self._next_id(CasePresentation.__table__),
        )
        all_dates = [*self._past_conference_dates(), self.upcoming]
        conf_ids = dict(zip(all_dates, self._ids(Conference.__table__, len(all_dates)),
                            strict=True))
        by_conf: dict[dt.date, list[tuple[SimPatient, SimPresentation]]] = defaultdict(list)
        for p in self.patients:
            for pres in p.presentations:
                by_conf[pres.conf].append((p, pres))
        staff_ids = [s["id"] for s in self.staff_rows]
        rng = self.text_rng
        for week, day in enumerate(all_dates):
            past = day < self.today
            leader = self.leaders[week % len(self.leaders)]
            referent = self.referents[week % len(self.referents)]
            rows.conferences.append(
                self._conference_row(conf_ids[day], day, leader, referent, past)
            )
            if not past:
                continue
            present = set(rng.sample(staff_ids, rng.randint(20, min(28, len(staff_ids)))))
            present |= {leader, referent}
            rows.attendance += [{"conference_id": conf_ids[day], "staff_id": s}
                                for s in sorted(present)]
            self._minute_conference(rows, conf_ids[day], day, referent, by_conf.get(day, []))

        # The upcoming conference's agenda is set up through the services afterwards
        # (_prepare_next_conference), once every row it reads is written.
        self.next_ids["agenda_item"] = rows.next_agenda
        self.next_ids["conclusion"] = rows.conclusion_id
        self.next_ids["action_item"] = rows.action_id
        self.next_ids["case_presentation"] = rows.case_id
        self.conf_ids = conf_ids

        self._write(Conference, rows.conferences)
        self._write(ConferenceAttendance, rows.attendance)
        # carried_from points to earlier items: insert in id order.
        rows.items.sort(key=lambda row: row["id"])
        self._write(AgendaItem, rows.items)
        self._write(CasePresentation, rows.cases)
        self._write(Conclusion, rows.conclusions)
        self._write(ActionItem, rows.actions)

    def _past_conference_dates(self) -> list[dt.date]:
        """Every week's conference day from the first one up to today, when the centre is open."""
        dates: list[dt.date] = []
        day = self.first_conference
        while day < self.today:
            if not is_closed(day):
                dates.append(day)
            day += dt.timedelta(days=7)
        return dates

    @staticmethod
    def _conference_row(
        conf_id: int, day: dt.date, leader: int, referent: int, past: bool
    ) -> dict[str, Any]:
        start = _start(day)
        return {
            "id": conf_id,
            "date": day,
            "starts_at": CONFERENCE_START,
            "duration_minutes": CONFERENCE_MINUTES,
            "status": "afsluttet" if past else "planlagt",
            "leader_id": leader,
            "referent_id": referent,
            "development_topic": DEVELOPMENT_TOPICS[
                (day.toordinal() // 7) % len(DEVELOPMENT_TOPICS)
            ],
            "staff_exercise": STAFF_EXERCISES[(day.toordinal() // 7) % 2],
            "started_at": start if past else None,
            "signed_off_at": start + dt.timedelta(minutes=CONFERENCE_MINUTES + 10)
            if past else None,
            "signed_off_by_id": leader if past else None,
            "version": 1,
        }

    def _minute_conference(
        self,
        rows: _MinutesRows,
        conf_id: int,
        day: dt.date,
        referent: int,
        entries: list[tuple[SimPatient, SimPresentation]],
    ) -> None:
        """One past conference's agenda, discussion list first, one item per patient."""
        entries = sorted(
            entries, key=lambda e: (e[1].list != "droeftelse", e[0].id, e[1].reason)
        )
        seen: dict[int, SimPresentation] = {}
        clock = _start(day) + dt.timedelta(minutes=45)  # after the holdkonference
        position = 0
        for p, pres in entries:
            if p.id in seen:  # one item per patient and conference: merge the reasons
                first = seen[p.id]
                extra = REASON_TEXT.get(pres.reason, pres.reason)
                first.reason_detail = "; ".join(x for x in (first.reason_detail, extra) if x)
                pres.id = first.id
                continue
            seen[p.id] = pres
            position += 1
            clock = self._minute_case(rows, conf_id, day, referent, p, pres, position, clock)

    def _minute_case(
        self,
        rows: _MinutesRows,
        conf_id: int,
        day: dt.date,
        referent: int,
        p: SimPatient,
        pres: SimPresentation,
        position: int,
        clock: dt.datetime,
    ) -> dt.datetime:
        """One agenda item with its prepared case, and (discussed) its conclusion: the clock
        after it."""
        rng = self.text_rng
        pres.id = rows.next_agenda
        rows.next_agenda += 1
        budget = 600 if pres.list == "droeftelse" else 180
        discussed = pres.status == "droeftet"
        used = int(budget * clip(rng.gauss(1.0, 0.3), 0.3, 2.0)) if discussed else None
        rows.items.append(_agenda_row(conf_id, p, pres, position, budget,
                                      clock if discussed else None, used))
        ready = local_time(day - dt.timedelta(days=1), 15, rng.randint(0, 59))
        rows.cases.append(
            {
                "id": rows.case_id,
                "agenda_item_id": pres.id,
                "template_id": rows.template_id,
                "fields": self._case_fields(p, pres, day, rng),
                "presented_by_id": p.nurse,
                "ready_at": ready,
                "ready_by_id": p.nurse,
                "updated_at": ready,
                "updated_by_id": p.nurse,
                "version": 1,
            }
        )
        rows.case_id += 1
        if not discussed:
            return clock
        recorded = clock + dt.timedelta(seconds=used or budget)
        self._minute_decision(rows, day, referent, p, pres, recorded)
        return recorded

    def _minute_decision(
        self,
        rows: _MinutesRows,
        day: dt.date,
        referent: int,
        p: SimPatient,
        pres: SimPresentation,
        recorded: dt.datetime,
    ) -> None:
        """The conclusion of a discussed case and its next steps."""
        decision = pres.decision or "fortsaet_standardforloeb"
        rows.conclusions.append(
            {
                "id": rows.conclusion_id,
                "agenda_item_id": pres.id,
                "history_sketch": self._history(p, day),
                "decision": decision,
                "decision_text": DECISION_TEXT[decision],
                "recorded_by_id": referent,
                "recorded_at": recorded,
                "version": 1,
            }
        )
        for description, owner, owner_role, code, days in self._actions(p, decision):
            due = day + dt.timedelta(days=days)
            rows.actions.append(
                {
                    "id": rows.action_id,
                    "conclusion_id": rows.conclusion_id,
                    "patient_id": p.id,
                    "intervention_id": self.iv[code]["id"] if code else None,
                    "description": description,
                    "owner_id": owner,
                    "owner_role": owner_role,
                    "due_date": due,
                    "status": self._action_status(p, code, day, due, self.text_rng),
                    "created_by_id": referent,
                    "created_at": recorded,
                    "version": 1,
                }
            )
            rows.action_id += 1
        rows.conclusion_id += 1

    def _actions(self, p: SimPatient, decision: str) -> list[tuple[str, int, str, str | None, int]]:
        result = []
        spec = DECISION_ACTION.get(decision)
        if spec is not None:
            description, profession, role, code, days = spec
            if profession == "laege":
                owner = p.pal
            elif profession == "sygeplejerske":
                owner = p.nurse
            else:
                pool = self.by_prof[profession]
                owner = pool[p.idx % len(pool)]
            result.append((description, owner, role, code, days))
        if decision != "afslut_forloeb" and p.work == "sygemeldt" and p.idx % 5 == 0:
            result.append(("Besvar statusattest LÆ125", p.pal, "PAL-læge", "statusattest", 28))
        return result

    def _action_status(
        self, p: SimPatient, code: str | None, day: dt.date, due: dt.date, rng: random.Random
    ) -> str:
        booked = code is None or any(
            e.code == code and (e.start or e.planned or dt.date.max) >= day for e in p.events
        )
        if due < self.today - dt.timedelta(days=21):
            return "udfoert" if rng.random() < 0.96 else "annulleret"
        if day >= self.today - dt.timedelta(days=42) and rng.random() < 0.15:
            return "aaben"  # overdue or not yet booked
        if booked:
            done = code is None or any(
                e.code == code and e.status == "gennemfoert" and (e.start or day) >= day
                for e in p.events
            )
            return "udfoert" if done else "booket"
        return "aaben"

    # ------------------------------------------------------------------ texts

    def _background(self, p: SimPatient) -> str:
        sex = "kvinde" if p.sex == "K" else "mand"
        years = f"{p.pain_years:g}".replace(".", ",")
        return (
            f"{p.age}-årig {sex}. {p.distribution} gennem {years} år. "
            f"Diagnose: {p.diagnosis}. Forsørgelse: {WORK_TEXT[p.work]}."
        )

    def _course_text(self, p: SimPatient, before: dt.date) -> str:
        parts = []
        by_group = {id(e.group): e for e in p.enrolments}
        for ev in ordered_events(p):
            when = ev.start or ev.planned
            if ev.status not in ("gennemfoert", "i_gang", "udgaaet") or when is None:
                continue
            if when >= before or ev.code == "tvaerfaglig_konference":
                continue
            name = self.iv[ev.code]["name"]
            if ev.group is not None:
                enr = by_group.get(id(ev.group))
                att = [a for k, a in enumerate(enr.attendance) if ev.group.dates[k] < before] \
                    if enr else []
                shown = sum(1 for a in att if a == "moedt")
                total = len(ev.group.dates)
                text_ = f"{name} ({shown} af {total} {'gang' if total == 1 else 'gange'}"
                text_ += ", udgået)" if ev.status == "udgaaet" else ")"
            else:
                text_ = f"{name} {ddmmyyyy(when)}"
                if ev.status == "udgaaet":
                    text_ += " (udgået)"
            parts.append(text_)
        return "; ".join(parts) + "." if parts else "Ingen indsatser endnu."

    def _pro_text(self, p: SimPatient, before: dt.date) -> str:
        answered = [r for r in p.pro if r[1] < before]
        if not answered:
            return "Ingen PRO-besvarelser."
        shown = ("nrs_avg", "pcs", "hads_a", "hads_d", "pseq", "eq5d_index")
        lines = []
        first = answered[0]
        for tp, day, scores in answered:
            values = {code: value for code, _, value in scores}
            parts = []
            for code in shown:
                if code in values and code in pro.INSTRUMENTS:
                    inst = pro.INSTRUMENTS[code]
                    parts.append(f"{inst.short_name} {pro.format_score(code, values[code])}")
            label = tp.capitalize() if tp != "opfoelgning" else "Opfølgning"
            lines.append(f"{label} ({ddmmyyyy(day)}): " + ", ".join(parts))
        if len(answered) == 1 and first[0] == "baseline":
            lines.append("Ingen midtvejsevaluering endnu.")
        return "\n".join(lines)

    def _case_fields(
        self, p: SimPatient, pres: SimPresentation, day: dt.date, rng: random.Random
    ) -> dict[str, str]:
        occasion = OCCASION_TEXT.get(pres.reason, "")
        if pres.reason == "bekymring":
            occasion += pres.reason_detail or ""
        if pres.question:
            occasion = (occasion + " " + pres.question).strip()
        decision = pres.decision or "fortsaet_standardforloeb"
        goal = GOALS[rng.randrange(len(GOALS))]
        takeaways = " ".join(rng.sample(TAKEAWAYS, 2))
        barriers = " ".join(rng.sample(BARRIERS, rng.randint(1, 2)))
        return {
            "anledning": occasion,
            "baggrund": self._background(p),
            "tre_p": (
                f"Grundlæggende: {PREDISPOSING[rng.randrange(len(PREDISPOSING))]}. "
                f"Udløsende: {PRECIPITATING[rng.randrange(len(PRECIPITATING))]}. "
                f"Vedligeholdende: {PERPETUATING[rng.randrange(len(PERPETUATING))]} og "
                f"{PERPETUATING[rng.randrange(len(PERPETUATING))]}."
            ),
            "forloeb": self._course_text(p, day),
            "pro": self._pro_text(p, day),
            "maal_udbytte": f"Mål: {goal}. {takeaways}",
            "barrierer": barriers,
            "vurdering": ASSESSMENT_TEXT.get(decision, ""),
        }

    def _history(self, p: SimPatient, day: dt.date) -> str:
        sex = "kvinde" if p.sex == "K" else "mand"
        years = f"{p.pain_years:g}".replace(".", ",")
        done = [
            self.iv[e.code]["name"]
            for e in ordered_events(p)
            if e.status == "gennemfoert" and e.end and e.end < day
            and self.iv[e.code]["standard_course"] and e.code != "tvaerfaglig_konference"
        ]
        course = f" Har gennemført: {', '.join(done)}." if done else ""
        return (
            f"{p.age}-årig {sex} med {p.distribution.lower()} gennem {years} år "
            f"({p.diagnosis}).{course}"
        )
