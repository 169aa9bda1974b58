"""One simulation per patient, in referral order: the standard course (shared/DOMAIN.md) with
realistic gaps, add-ons, cancellations and drop-outs, cut at `today`.

Past steps are done, a running group is in progress, the next step is planned, nothing after it
exists yet. Group steps take a place on a real cohort (demo/groups.py). Conference
presentations, decisions, PRO answers and concerns are made along the way. Every draw comes
from the patient's own `random.Random` instances, in a fixed order: the steps below run in the
order of the course and must keep their draws in that order.
"""

from __future__ import annotations

import datetime as dt
import random

from demo.appointments import Bookings
from demo.helpers import clip, weighted, workday
from demo.parameters import (
    P_AFSLUTNING,
    P_AFSLUTNING_DROPOUT,
    P_BASELINE,
    P_CONCERN,
    P_END_AFTER_HEAVY_LOAD,
    P_FYSIOTERAPEUT,
    P_HEAVY_LOAD,
    P_HOA,
    P_MANUAL,
    P_MEDICINSAMTALE,
    P_MIDTVEJS,
    P_OPFOELGNING,
    P_PSYCH_BARRIERS,
    P_PSYKOLOG_FOER,
    P_SLOW_RESPONDER,
    P_SOCIAL_QUESTION,
    P_SOCIALRAADGIVER,
    P_UNCERTAIN_NEED,
    STRESS_OPTIONS,
)
from demo.pro_answers import answer_questionnaires
from demo.records import Halt, SimEvent, SimGroup, SimPatient, SimPresentation
from demo.state import BuilderState
from demo.texts import CONCERN_NOTES, MANUAL_QUESTIONS

#: Who benefits (issue 15): the mean response to treatment shifts with the work situation and
#: the pain duration, so the evaluation's subgroups differ as clinics see (those in work and
#: with shorter pain benefit more; pension and long-standing pain less).
RESPONSE_BY_WORK = {
    "fuld_tid": 0.35, "nedsat_tid": 0.25, "studerende": 0.2, "sygemeldt": 0.0, "ledig": -0.05,
    "anden_offentlig_ydelse": -0.15, "pension": -0.25,
}
SLOW_RESPONDER_NOTE = "Langsom responder – CFT aftales på konferencen efter Afspænding/Mindfulness."


def _response_mean(work: str, pain_years: float) -> float:
    duration = 0.3 if pain_years < 1 else 0.15 if pain_years < 3 else -0.2 if pain_years > 10 \
        else 0.0
    return 0.45 + RESPONSE_BY_WORK.get(work, 0.0) + duration


class Simulation(BuilderState):
    """Every patient's course (after demo/centre.py has made the patients and the cohorts)."""

    def _simulate_all(self) -> None:
        for p in self.patients:
            _Course(self, p).run()
            if p.status == "aktiv":
                for reason in sorted(set(p.pending)):
                    self.due[reason] += 1
            for ev in p.events:
                if ev.status == "planlagt":
                    self.planned_count[ev.code] += 1

    def _team_member(self, p: SimPatient, profession: str, rng: random.Random) -> int:
        team = self.team_by_id[p.team]
        for sid in team["others"]:
            if sid in self.by_prof[profession]:
                return sid
        pool = self.by_prof[profession]
        return pool[rng.randrange(len(pool))]

    def _choose_stress(self, f1: dt.date, r: random.Random) -> tuple[str, dt.date]:
        """The patient's choice and the earliest start. Near today an option nobody is waiting
        for is preferred (joining its next cohort), so every option has someone waiting."""
        pick = weighted(r, STRESS_OPTIONS)
        earliest = f1 + dt.timedelta(days=7)
        if self.today - dt.timedelta(days=21) <= f1 < self.today:
            uncovered = [code for code, _ in STRESS_OPTIONS if self.planned_count[code] == 0]
            if uncovered:
                if pick not in uncovered:
                    pick = uncovered[0]
                self.planned_count[pick] += 1  # counted now so the next patient picks another
                earliest = max(earliest, self.today)
        return pick, earliest

    def _concern(self, p: SimPatient, day: dt.date, ra: random.Random) -> None:
        team = self.team_by_id[p.team]
        raisers = [p.nurse, p.pal, *team["others"]]
        for enr in p.enrolments:
            raisers.extend(enr.group.therapists)
        raised_by = raisers[ra.randrange(len(raisers))]
        note = CONCERN_NOTES[ra.randrange(len(CONCERN_NOTES))]
        conf = self.conf_after(day)
        resolved = None
        if conf < self.today:
            pres = SimPresentation(conf, "bekymring", reason_detail=note, added_by=raised_by)
            pres.decision = "fortsaet_standardforloeb"
            p.presentations.append(pres)
            resolved = conf
        elif p.status == "aktiv":
            p.pending.append("bekymring")
        p.concerns.append((raised_by, day, note, resolved))

    def _pro(self, p: SimPatient, timepoint: str, answered: dt.date) -> None:
        answer_questionnaires(p, self.instruments, timepoint, answered)


class _Course(Bookings):
    """One patient's course, step by step. The main line raises `Halt` where it stops (a step
    planned in the future, a drop-out, an ending); add-ons run alongside (`parallel`)."""

    def run(self) -> None:
        p, r = self.p, self.r
        p.severity = r.gauss(0, 1)
        p.response = r.gauss(_response_mean(p.work, p.pain_years), 0.6)
        end_kind, end_day = "planned", None
        try:
            self._main_line()
        except Halt as halt:
            end_kind, end_day = halt.kind, halt.day
        stop = self._close(end_kind, end_day)
        self._concerns_and_manual(stop)
        self._pro_after(end_kind)

    def _main_line(self) -> None:
        kp = self._first_contact()
        fs_earliest = self._psychologist_before(kp)
        lp_day = self._lang_primaersamtale(kp, fs_earliest)
        self._social_addon(lp_day)
        f_day = self._physio_and_medicine_addons(lp_day)
        st = self._groups(lp_day)
        a2_day, barriers, slow_waiting = self._anden_opfoelgning(st, f_day)
        decided, decision = self._conference(a2_day, barriers, slow_waiting)
        self._next_steps(decided, decision)

    # ------------------------------------------------------------------ the main line, in order

    def _first_contact(self) -> dt.date:
        """3.1 Visitation within 48 hours, 3.2 Introvideo with the invitation (and the baseline
        questionnaire), 3.3 Kort primærsamtale: the day of the last."""
        p, r, b = self.p, self.r, self.b
        R = p.referral
        laeger = b.by_prof["laege"]
        self.appt("visitation", R + dt.timedelta(days=r.randint(0, 2)),
                  laeger[r.randrange(len(laeger))], cancellable=False)
        kp_day = workday(R + dt.timedelta(days=r.randint(21, 42)))
        invite = workday(max(R + dt.timedelta(days=r.randint(1, 3)),
                             kp_day - dt.timedelta(days=r.randint(14, 21))))
        self.appt("introvideo", invite, None, cancellable=False)
        if p.rng_pro.random() < P_BASELINE:
            gap = max(1, (kp_day - invite).days - 1)
            answered = invite + dt.timedelta(days=p.rng_pro.randint(1, gap))
            if answered < self.today and answered < kp_day:
                self.baseline_day = answered
                b._pro(p, "baseline", answered)
        kp = self.appt("kort_primaersamtale", kp_day, p.pal, drop_p=0.03).day
        assert kp is not None
        return kp

    def _psychologist_before(self, kp: dt.date) -> dt.date:
        """4.3.1 Psychologist before the standard course (a heavy load goes to the conference,
        which may end the course): the earliest day for Forstå smerte."""
        p, ra, b, today = self.p, self.ra, self.b, self.today
        fs_earliest = kp + dt.timedelta(days=14)
        p_day = workday(kp + dt.timedelta(days=ra.randint(7, 21)))
        natural = ra.random() < P_PSYKOLOG_FOER
        heavy_natural = ra.random() < P_HEAVY_LOAD
        force = (
            not natural
            and b.need("svaer_psykisk_belastning")
            and p_day < today
            and b.unpresented(p_day)
        )
        if not (natural or force):
            return fs_earliest
        ev = self.appt("psykolog_foer", p_day, b._team_member(p, "psykolog", ra))
        assert ev.day is not None
        fs_earliest = ev.day + dt.timedelta(days=7)
        if heavy_natural or force:
            ev.finding = "svaer_psykisk_belastning"
            ev.note = "Svær psykisk belastning – drøftes på tværfaglig konference."
            pres = self.present(ev.day, "svaer_psykisk_belastning")
            if pres is None:
                fs_earliest = max(fs_earliest, b.upcoming + dt.timedelta(days=7))
            else:
                decided = pres.conf
                if ra.random() < P_END_AFTER_HEAVY_LOAD:
                    pres.decision = "afslut_forloeb"
                    raise Halt("ended", decided)
                pres.decision = "fortsaet_standardforloeb"
                fs_earliest = decided + dt.timedelta(days=7)
        return fs_earliest

    def _lang_primaersamtale(self, kp: dt.date, fs_earliest: dt.date) -> dt.date:
        """3.4 Forstå smerte, 1-2 weeks before 3.5 Lang primærsamtale (an uncertain need for
        treatment goes to the conference): the day of the latter."""
        p, r, ra, b = self.p, self.r, self.ra, self.b
        fs = self.group("forstaa_smerte", fs_earliest, kp, 0.0)
        lp = self.appt("lang_primaersamtale", fs.start + dt.timedelta(days=r.randint(7, 14)),
                       p.pal, drop_p=0.02)
        lp_day = self.lp_day = lp.day
        assert lp_day is not None
        if not (ra.random() < P_UNCERTAIN_NEED or (
            b.need("uafklaret_behandlingsbehov") and b.unpresented(lp_day)
        )):
            return lp_day
        lp.finding = "uafklaret_behandlingsbehov"
        lp.note = "Uafklaret behandlingsbehov – ønskes drøftet på konferencen."
        pres = self.present(lp_day, "uafklaret_behandlingsbehov")
        if pres is not None:
            pres.decision = weighted(
                ra, (("fortsaet_standardforloeb", 55), ("medicin", 25),
                     ("individuel_samtale", 20))
            )
            if pres.decision == "medicin":
                self.add_parallel("medicinsamtale",
                                  workday(pres.conf + dt.timedelta(days=ra.randint(7, 21))),
                                  staff=p.pal)
            elif pres.decision == "individuel_samtale":
                self.add_parallel("individuel_samtale",
                                  workday(pres.conf + dt.timedelta(days=ra.randint(14, 28))),
                                  staff=p.nurse)
        return lp_day

    def _social_addon(self, lp_day: dt.date) -> None:
        """Socialrådgiver (decided at Lang primærsamtale): a social question goes to the
        conference; Helbred og arbejdsmarked follows for some."""
        ra, b, today = self.ra, self.b, self.today
        s_day = workday(lp_day + dt.timedelta(days=ra.randint(7, 28)))
        natural = ra.random() < P_SOCIALRAADGIVER
        social_natural = ra.random() < P_SOCIAL_QUESTION
        self.hoa = ra.random() < P_HOA
        force = (
            not natural
            and b.need("socialfagligt_spoergsmaal")
            and s_day < today
            and b.unpresented(s_day)
        )
        if not (natural or force):
            self.hoa = False
            return
        sr_pool = b.by_prof["socialraadgiver"]
        ev = self.add_parallel("visitation_socialraadgiver", s_day,
                               staff=sr_pool[ra.randrange(len(sr_pool))])
        if ev.status == "gennemfoert" and (social_natural or force):
            ev.finding = "socialfagligt_spoergsmaal"
            ev.note = "Tvivl om inklusion i Helbred og arbejdsmarked – vendes på konferencen."
            pres = self.present(s_day, "socialfagligt_spoergsmaal")
            if pres is not None:
                pres.decision = (
                    "helbred_og_arbejdsmarked" if self.hoa else "fortsaet_standardforloeb"
                )

    def _physio_and_medicine_addons(self, lp_day: dt.date) -> dt.date:
        """Fysioterapeut (CFT, or a slow responder for the conference) and a medicine talk,
        decided at Lang primærsamtale: the physiotherapist's visitation day."""
        p, ra = self.p, self.ra
        f_day = workday(lp_day + dt.timedelta(days=ra.randint(7, 21)))
        slow_natural = ra.random() < P_SLOW_RESPONDER
        cft_gap, cft_n = ra.randint(7, 14), ra.randint(6, 8)
        if ra.random() < P_FYSIOTERAPEUT:
            self.vf = True
            fys = self.b._team_member(p, "fysioterapeut", ra)
            ev = self.add_parallel("visitation_fysioterapeut", f_day,
                                   f_day + dt.timedelta(days=7), staff=fys)
            if ev.status == "gennemfoert":
                if slow_natural:
                    self.slow = True
                    ev.finding = "cft_langsom_responder"
                    ev.note = SLOW_RESPONDER_NOTE
                else:
                    cs = workday(f_day + dt.timedelta(days=7 + cft_gap))
                    self.add_parallel("cft", cs, cs + dt.timedelta(days=7 * (cft_n - 1)),
                                      staff=fys)
                    self.cft = True
        if ra.random() < P_MEDICINSAMTALE:
            self.add_parallel("medicinsamtale",
                              workday(lp_day + dt.timedelta(days=ra.randint(14, 42))),
                              staff=p.pal if ra.random() < 0.6 else p.nurse)
        return f_day

    def _groups(self, lp_day: dt.date) -> SimGroup:
        """3.6 Livet med smerter, 3.7 Første opfølgning, 3.8 Afspænding, Teleafspænding or
        Mindfulness by the patient's choice: the stress-reduction cohort."""
        p, r = self.p, self.r
        lms = self.group("livet_med_smerter", lp_day + dt.timedelta(days=7), lp_day, 0.05)
        f1 = self.appt("foerste_opfoelgning", lms.end + dt.timedelta(days=r.randint(7, 14)),
                       p.nurse, drop_p=0.02).day
        assert f1 is not None
        choice, earliest = self.b._choose_stress(f1, r)
        return self.group(choice, earliest, f1, 0.06)

    def _anden_opfoelgning(
        self, st: SimGroup, f_day: dt.date
    ) -> tuple[dt.date, bool, bool]:
        """Midtvejsevaluering, reviewed at 3.9 Anden opfølgning (slow responders are due once
        the stress-reduction group is done): (its day, psychological barriers, slow responder
        waiting for CFT)."""
        p, r, ra, b, today = self.p, self.r, self.ra, self.b, self.today
        a2_day = workday(st.end + dt.timedelta(days=r.randint(7, 14)))
        if (
            a2_day >= today
            and st.end + dt.timedelta(days=7) < today
            and b.need("anden_opfoelgning")
        ):
            # Cohorts end together; keep some Anden opfølgning in the last week or two.
            a2_day = b._recent_workday(st.end + dt.timedelta(days=7), ra) or a2_day
        if p.rng_pro.random() < P_MIDTVEJS:
            answered = a2_day - dt.timedelta(days=p.rng_pro.randint(2, 10))
            if answered < today:
                b._pro(p, "midtvejs", answered)
        # 4.2.2 slow responders are due once the stress-reduction group is done.
        if (
            not self.vf
            and st.end < today
            and b.conf_after(a2_day) >= today
            and b.need("cft_langsom_responder")
        ):
            self.vf = self.slow = True
            fys = b._team_member(p, "fysioterapeut", ra)
            self.add_parallel("visitation_fysioterapeut", f_day, f_day + dt.timedelta(days=7),
                              staff=fys, finding="cft_langsom_responder",
                              note=SLOW_RESPONDER_NOTE)
        slow_waiting = self.slow and not self.cft
        if slow_waiting and st.end < today and b.conf_after(a2_day) >= today:
            p.pending.append("cft_langsom_responder")
        a2 = self.appt("anden_opfoelgning", a2_day, p.nurse, drop_p=0.01)
        a2_day = a2.day
        assert a2_day is not None
        barriers = ra.random() < P_PSYCH_BARRIERS or (
            b.need("psykologiske_barrierer") and b.unpresented(a2_day)
        )
        if barriers:
            a2.finding = "psykologiske_barrierer"
            a2.note = "Mistanke om psykologiske barrierer – henvisning til psykolog drøftes."
        return a2_day, barriers, slow_waiting

    def _conference(
        self, a2_day: dt.date, barriers: bool, slow_waiting: bool
    ) -> tuple[dt.date, str]:
        """3.10 Tværfaglig konference: (the day it decided, the decision)."""
        p, ra, b = self.p, self.ra, self.b
        conf = b.conf_after(a2_day)
        if conf >= self.today:
            p.pending.append("anden_opfoelgning")
            if barriers:
                p.pending.append("psykologiske_barrierer")
            p.events.append(SimEvent("tvaerfaglig_konference", "planlagt", b.upcoming))
            raise Halt("planned")
        if barriers:
            reason, decision = "psykologiske_barrierer", "psykolog_visitation"
        elif slow_waiting:
            reason, decision = "cft_langsom_responder", "cft"
        else:
            reason = "anden_opfoelgning"
            decision = "helbred_og_arbejdsmarked" if self.hoa else self._routine_decision()
        plain = decision == "afsluttende_samtale" and reason == "anden_opfoelgning"
        listing = "orientering" if plain and ra.random() < 0.3 else "droeftelse"
        pres = self.present(a2_day, reason, list=listing)
        assert pres is not None
        pres.decision = decision
        decided = pres.conf
        p.events.append(
            SimEvent("tvaerfaglig_konference", "gennemfoert", decided, decided, decided)
        )
        return decided, decision

    def _routine_decision(self) -> str:
        options: list[tuple[str, float]] = [
            ("afsluttende_samtale", 72), ("medicin", 6), ("individuel_samtale", 5),
            ("terapihold", 4), ("psykolog_visitation", 4), ("nedtrapningshold", 3),
            ("helbred_og_arbejdsmarked", 2),
        ]
        if not self.cft:
            options.append(("cft", 2))
        return weighted(self.ra, options)

    def _next_steps(self, decided: dt.date, decision: str) -> None:
        """The conference's next steps, then 3.11 Afsluttende samtale (halts: completed)."""
        p, r, ra, b = self.p, self.r, self.ra, self.b
        last = decided
        if decision == "psykolog_visitation":
            pe = self.appt("psykolog_efter", decided + dt.timedelta(days=r.randint(14, 35)),
                           b._team_member(p, "psykolog", ra)).day
            assert pe is not None
            last = pe
            if ra.random() < 0.4:
                last = self.group("terapihold", pe + dt.timedelta(days=14), pe, 0.08).end
        elif decision in ("terapihold", "nedtrapningshold", "helbred_og_arbejdsmarked"):
            last = self.group(decision, decided + dt.timedelta(days=14), decided, 0.06).end
        elif decision == "cft":
            start = decided + dt.timedelta(days=r.randint(14, 28))
            n = r.randint(6, 8)
            self.multi("cft", start, start + dt.timedelta(days=7 * (n - 1)),
                       b._team_member(p, "fysioterapeut", ra))
            last = start + dt.timedelta(days=7 * (n - 1))
        elif decision == "medicin":
            start = decided + dt.timedelta(days=r.randint(7, 21))
            end = start + dt.timedelta(days=r.randint(28, 56))
            self.multi("medicinjustering", start, end, p.pal)
            last = end
        elif decision == "individuel_samtale":
            last = self.appt("individuel_samtale",
                             decided + dt.timedelta(days=r.randint(14, 28)), p.nurse).day \
                or decided
        as_ = self.appt("afsluttende_samtale", last + dt.timedelta(days=r.randint(14, 35)),
                        p.pal).day
        raise Halt("completed", as_)

    # ------------------------------------------------------------------ after the main line

    def _close(self, end_kind: str, end_day: dt.date | None) -> dt.date | None:
        """How the course ended (if it has), and the add-ons cut there: the day it stopped."""
        p = self.p
        if end_kind == "completed" and end_day is not None:
            p.status, p.discharged_on = "afsluttet", end_day
        elif end_kind in ("dropout", "ended") and end_day is not None:
            p.dropped_on = end_day
            discharge = workday(end_day + dt.timedelta(days=self.r.randint(7, 14)))
            if discharge < self.today:
                p.status, p.discharged_on = "afsluttet", discharge
        stop = p.discharged_on or p.dropped_on
        for ev in self.parallel:
            start = ev.start or ev.planned
            if stop is not None and start is not None and start > stop:
                continue
            if stop is not None and ev.status in ("i_gang", "planlagt"):
                if ev.status == "planlagt":
                    continue
                ev.status, ev.end, ev.note = "udgaaet", stop, "Afbrudt, da forløbet sluttede."
            p.events.append(ev)
        return stop

    def _concerns_and_manual(self, stop: dt.date | None) -> None:
        """Concerns and manual additions raised during the course."""
        p, ra, b, today, lp_day = self.p, self.ra, self.b, self.today, self.lp_day
        if lp_day is not None and ra.random() < P_CONCERN:
            day = workday(lp_day + dt.timedelta(days=ra.randint(0, 60)))
            if day < today and (stop is None or b.conf_after(day) <= stop):
                b._concern(p, day, ra)
        if p.status == "aktiv" and p.dropped_on is None and b.need("bekymring"):
            current = [e for e in p.events if e.status == "i_gang"]
            if current and "bekymring" not in p.pending:
                day = b._recent_workday(max(p.referral, today - dt.timedelta(days=6)), ra)
                if day is not None:
                    b._concern(p, day, ra)
        if lp_day is not None and ra.random() < P_MANUAL:
            day = workday(lp_day + dt.timedelta(days=ra.randint(0, 50)))
            if day < today and (stop is None or b.conf_after(day) <= stop):
                question = MANUAL_QUESTIONS[ra.randrange(len(MANUAL_QUESTIONS))]
                pres = self.present(day, "manuel", source="manuel", question=question,
                                    added_by=p.nurse)
                if pres is not None:
                    pres.decision = "fortsaet_standardforloeb"
                elif "manuel" in p.pending:
                    p.pending.remove("manuel")  # a manual item is not a due rule

    def _pro_after(self, end_kind: str) -> None:
        """PRO after the course: at the end (drop-outs answer less often) and at follow-up."""
        p = self.p
        if p.status != "afsluttet" or p.discharged_on is None:
            return
        finished = p.discharged_on
        completed = end_kind == "completed"
        if p.rng_pro.random() < (P_AFSLUTNING if completed else P_AFSLUTNING_DROPOUT):
            answered = finished + dt.timedelta(days=p.rng_pro.randint(0, 21))
            if answered < self.today:
                self.b._pro(p, "afslutning", answered)
        if completed and p.rng_pro.random() < P_OPFOELGNING:
            base = self.baseline_day or p.referral + dt.timedelta(days=30)
            later = base + dt.timedelta(days=int(clip(p.rng_pro.gauss(200, 150), 60, 600)))
            answered = max(later, finished + dt.timedelta(days=p.rng_pro.randint(30, 90)))
            if answered < self.today:
                self.b._pro(p, "opfoelgning", answered)
