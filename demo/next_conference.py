"""The next conference as the leader and the microteams leave it the week before: its agenda
and case preparation, written through the app's own services (agenda, cases) so the rows,
versions and audit trail are the app's; each write is dated on the working days before `today`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, func, select

from conference.permissions import Action
from conference.services import agenda as agenda_service
from conference.services import audit
from conference.services import cases as case_service
from conference.services.access import authorize
from db.models import (
    AgendaItem,
    AgendaList,
    AgendaSource,
    AuditLog,
    CasePresentation,
    Conference,
    Staff,
)
from demo.helpers import is_closed, local_time
from demo.parameters import NEXT_CONFERENCE_CASES, NEXT_CONFERENCE_PENDING, P_CASE_QUESTION
from demo.records import SimPatient
from demo.state import BuilderState
from demo.texts import (
    BARRIERS,
    CASE_PROPOSALS,
    CASE_QUESTIONS,
    EARLY_TAKEAWAYS,
    GOALS,
    MANUAL_INFO_REASONS,
    MANUAL_QUESTIONS,
    MANUAL_REASONS,
    OCCASION_TEXT,
    PERPETUATING,
    PRECIPITATING,
    PREDISPOSING,
    TAKEAWAYS,
    case_topic,
    reason_codes,
)


class NextConference(BuilderState):
    def _prepare_next_conference(self) -> None:
        """The next conference as the microteams leave it the week before: part of what the due
        rules propose on the agenda (a few proposals left for the leader's button), one to three
        cases put on by hand, about half the cases prepared from the template and most of those
        marked "Klar til konference", one half-written, the rest not begun.

        Written through the services (agenda, cases), so the rows, versions and audit trail are
        the app's own; each write is then dated on the days before `today` (`_dated`).
        """
        session = self.session
        session.flush()
        rng = random.Random(self.seed * 31 + 7)
        conference_id = self.conf_ids[self.upcoming]
        first_item = self.next_ids["agenda_item"]
        first_case = self.next_ids["case_presentation"]
        first_audit = (session.scalar(select(func.max(AuditLog.id))) or 0) + 1

        proposals = agenda_service.pending_proposals(session, conference_id, self.today)
        proposed = {p.patient_id for p in proposals}
        candidates = [
            p for p in self.patients
            if p.status == "aktiv" and p.id not in proposed
            and any(e.status == "i_gang" for e in p.events)
        ]
        # No routine status among the proposals: a microteam puts one patient on for information.
        routine = any(not p.carried_from_id and not p.for_discussion for p in proposals)
        n_manual = min(rng.randint(1, 2) + (0 if routine else 1), len(candidates))
        manual = sorted(rng.sample(candidates, n_manual), key=lambda p: p.id)
        chosen = self._choose_proposals(proposals, len(manual), rng)

        moments = self._prep_moments(rng)
        added_at = moments.pop(0)
        items = self._put_proposals_on(conference_id, chosen, added_at, rng)
        items += self._add_manual_cases(conference_id, manual, routine, added_at, rng)
        self._prepare_cases(items, moments, added_at + dt.timedelta(minutes=45), rng)
        session.flush()
        self.counts["agenda_item"] += self._count_from(AgendaItem, first_item)
        self.counts["case_presentation"] += self._count_from(CasePresentation, first_case)
        self.counts["audit_log"] += self._count_from(AuditLog, first_audit)

    def _put_proposals_on(
        self, conference_id: int, chosen: list[Any], added_at: dt.datetime, rng: random.Random
    ) -> list[AgendaItem]:
        """The leader puts the chosen proposals on (some with a question for the conference)."""
        session = self.session
        conference = session.get(Conference, conference_id)
        assert conference is not None and conference.leader_id is not None
        leader = session.get(Staff, conference.leader_id)
        assert leader is not None
        items: list[AgendaItem] = []

        def put_on() -> None:
            authorize(session, leader, Action.MANAGE_AGENDA)
            top = session.scalar(select(func.max(AgendaItem.position))
                                 .where(AgendaItem.conference_id == conference_id))
            for offset, proposal in enumerate(chosen):
                question = None
                if proposal.for_discussion and rng.random() < P_CASE_QUESTION:
                    topic = case_topic(reason_codes(proposal.reason_text), proposal.reason)
                    options = CASE_QUESTIONS.get(topic, MANUAL_QUESTIONS)
                    question = options[rng.randrange(len(options))]
                items.append(agenda_service.add_proposal(
                    session, leader, conference_id, proposal, (top or 0) + 1 + offset,
                    question,
                ))

        self._dated(added_at, put_on)
        return items

    def _add_manual_cases(
        self,
        conference_id: int,
        manual: list[SimPatient],
        routine: bool,
        added_at: dt.datetime,
        rng: random.Random,
    ) -> list[AgendaItem]:
        """A microteam puts its own patient on, with a question (the last one for information
        when the rules propose no routine status)."""
        session = self.session
        items: list[AgendaItem] = []
        texts_at = rng.sample(range(len(MANUAL_REASONS)), len(manual))
        for k, p in enumerate(manual):
            nurse = session.get(Staff, p.nurse)
            assert nurse is not None
            which = AgendaList.DISCUSSION
            reason = MANUAL_REASONS[texts_at[k]]
            question = MANUAL_QUESTIONS[texts_at[k] % len(MANUAL_QUESTIONS)]
            if not routine and k == len(manual) - 1:
                which = AgendaList.INFORMATION
                reason = MANUAL_INFO_REASONS[texts_at[k] % len(MANUAL_INFO_REASONS)]
                question = ""
            items.append(self._dated(
                added_at + dt.timedelta(minutes=20 + 15 * k),
                lambda nurse=nurse, p=p, reason=reason, question=question, which=which:
                    agenda_service.add_case(session, nurse, conference_id, p.id, reason,
                                            question, which),
            ))
        return items

    def _prepare_cases(
        self,
        items: list[AgendaItem],
        moments: list[dt.datetime],
        earliest: dt.datetime,
        rng: random.Random,
    ) -> None:
        """Preparation, discussion cases first in an order of their own: about half prepared
        (all but one of them marked ready), one half-written, the rest not begun."""
        session = self.session
        order = [i for i in items if i.list == AgendaList.DISCUSSION]
        rng.shuffle(order)
        order += [i for i in items if i.list != AgendaList.DISCUSSION]
        n = len(order)
        prepared = min(max(2, round(n / 2)), max(n - 2, 0))
        ready = prepared - 1 if prepared >= 3 else prepared
        for k, item in enumerate(order[: prepared + 1]):
            p = self.patients[item.patient_id - self.patients[0].id]
            writer = session.get(Staff, p.nurse if rng.random() < 0.7 else p.pal)
            assert writer is not None
            texts = self._next_case_texts(p, item, rng)
            if k == prepared:  # half-written: Anledning and 3P only
                texts = {key: texts[key] for key in ("anledning", "tre_p")}
            saved_at = max(moments[k % len(moments)], earliest + dt.timedelta(minutes=7 * k))
            self._dated(saved_at, lambda item=item, writer=writer, texts=texts:
                        case_service.save_draft(session, writer, item.id, texts,
                                                dict.fromkeys(texts, ""), None))
            if k < ready:
                marker = session.get(Staff, p.nurse if k % 2 == 0 else p.pal)
                assert marker is not None
                self._dated(saved_at + dt.timedelta(minutes=rng.randint(5, 40)),
                            lambda item=item, marker=marker:
                                case_service.mark_ready(session, marker, item.id))

    def _count_from(self, model: Any, first_id: int) -> int:
        table: Table = model.__table__
        return int(self.session.scalar(
            select(func.count()).select_from(table).where(table.c.id >= first_id)
        ) or 0)

    def _choose_proposals(
        self, proposals: Sequence[Any], n_manual: int, rng: random.Random
    ) -> list[Any]:
        """Which of the rules' proposals the leader has put on: carried-over cases first, one or
        two routine ones for information, the rest a mix of reasons; a few are left pending
        (fewer when the rules propose too few for a full agenda). In proposal order."""
        target = rng.randint(*NEXT_CONFERENCE_CASES) - n_manual
        leave = rng.randint(*NEXT_CONFERENCE_PENDING)
        n = min(target, len(proposals))
        n = max(min(n, len(proposals) - leave), min(len(proposals), 6 - n_manual))
        carried = [p for p in proposals if p.carried_from_id]
        routine = [p for p in proposals if not p.carried_from_id and not p.for_discussion]
        by_reason: dict[str, list[Any]] = defaultdict(list)
        for p in proposals:
            if not p.carried_from_id and p.for_discussion:
                by_reason[p.reason].append(p)
        picked = carried[:n]
        picked += rng.sample(routine, min(len(routine), rng.randint(1, 2), n - len(picked)))
        queues = [by_reason[reason] for reason in sorted(by_reason)]
        for queue in queues:
            rng.shuffle(queue)
        while len(picked) < n and any(queues):
            for queue in queues:
                if queue and len(picked) < n:
                    picked.append(queue.pop())
        rest = [p for p in proposals if p not in picked]
        picked += rest[: n - len(picked)]  # too few for a discussion mix: routine ones too
        wanted = {id(p) for p in picked}
        return [p for p in proposals if id(p) in wanted]

    def _prep_moments(self, rng: random.Random) -> list[dt.datetime]:
        """When the agenda was set up (the first) and cases were written: working hours on the
        days since the last conference (after it ended), all before `today`."""
        days = [
            self.last_past + dt.timedelta(days=k)
            for k in range((self.today - self.last_past).days)
            if (self.last_past + dt.timedelta(days=k)).weekday() < 5
            and not is_closed(self.last_past + dt.timedelta(days=k))
        ][-5:] or [self.last_past]

        def first_hour(day: dt.date) -> int:  # the last conference ends before noon
            return 12 if day == self.last_past else 8

        moments = [local_time(days[0], first_hour(days[0]), 30)]
        for _ in range(16):
            day = days[rng.randrange(len(days))]
            moments.append(
                local_time(day, rng.randint(first_hour(day) + 1, 15), rng.randint(0, 59))
            )
        return moments

    def _dated(self, moment: dt.datetime, call: Callable[[], Any]) -> Any:
        """Run one service write, dating what it stamped with the clock (the case's
        updated_at / ready_at, and its audit rows, before/after included) at `moment`.

        The audit rows are dated as the service writes them (conference.services.audit's
        REWRITE_KEY): the log is append-only, a row is never changed once written."""
        session = self.session
        session.flush()
        iso = moment.isoformat()
        stamps: set[Any] = set()  # the clock's values the call wrote
        cases: dict[int, set[str]] = defaultdict(set)  # case id -> columns to date

        def redate(values: dict[str, Any] | None) -> dict[str, Any] | None:
            if values is None:
                return None
            return {k: iso if isinstance(v, str) and v in stamps else v
                    for k, v in values.items()}

        def rewrite(row: dict[str, Any]) -> dict[str, Any]:
            before, after = row.get("before") or {}, row.get("after") or {}
            stamps.update(
                after[key] for key in ("updated_at", "ready_at")
                if after.get(key) is not None and after.get(key) != before.get(key)
            )
            if row.get("entity") == "case_presentation" and row.get("entity_id") is not None:
                cases[row["entity_id"]].update(
                    key for key in ("updated_at", "ready_at") if after.get(key) in stamps
                )
            return {**row, "at": moment, "before": redate(row.get("before")),
                    "after": redate(row.get("after"))}

        session.info[audit.REWRITE_KEY] = rewrite
        try:
            result = call()
            session.flush()
        finally:
            del session.info[audit.REWRITE_KEY]
        table = CasePresentation.__table__
        for case_id, columns in cases.items():
            if columns:  # a plain UPDATE: the case keeps the version the service gave it
                session.execute(table.update().where(table.c.id == case_id)
                                .values(dict.fromkeys(columns, moment)))
        session.flush()
        return result

    def _next_case_texts(
        self, p: SimPatient, item: AgendaItem, rng: random.Random
    ) -> dict[str, str]:
        """The microteam's texts for a case on the next conference (template field keys)."""
        codes = reason_codes(item.reason_text)
        if item.source == AgendaSource.MANUAL:
            occasion = f"Tilføjet af mikroteamet: {item.reason_text}."
            topic = "manuel"
        else:
            open_notes = [note for _, _, note, resolved in p.concerns if resolved is None]
            named = codes or [item.reason]
            parts = [OCCASION_TEXT.get(code, "") for code in named]
            if "bekymring" in named and open_notes:  # "En medarbejder har rejst …: <note>"
                parts[named.index("bekymring")] += open_notes[-1]
            occasion = " ".join(parts)
            topic = case_topic(codes, item.reason)
        if item.question:
            occasion += f"\n\nSpørgsmål til konferencen: {item.question}"
        grouped = any(e.code == "livet_med_smerter" and e.status == "gennemfoert"
                      for e in p.events)
        takeaways = (" ".join(rng.sample(TAKEAWAYS, 2)) if grouped
                     else EARLY_TAKEAWAYS[rng.randrange(len(EARLY_TAKEAWAYS))])
        perpetuating = rng.sample(PERPETUATING, 2)
        proposals = CASE_PROPOSALS.get(topic, CASE_PROPOSALS["manuel"])
        return {
            "anledning": occasion.strip(),
            "tre_p": (
                f"Grundlæggende: {PREDISPOSING[rng.randrange(len(PREDISPOSING))]}. "
                f"Udløsende: {PRECIPITATING[rng.randrange(len(PRECIPITATING))]}. "
                f"Vedligeholdende: {perpetuating[0]} og {perpetuating[1]}."
            ),
            "maal_udbytte": f"Mål: {GOALS[rng.randrange(len(GOALS))]}. {takeaways}",
            "barrierer": " ".join(rng.sample(BARRIERS[:-1], rng.randint(1, 2))),
            "vurdering": proposals[rng.randrange(len(proposals))],
        }
