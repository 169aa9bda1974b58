"""How a simulated course books its steps: appointments and multi-session courses on the main
line (a step in the future is planned and halts the simulation), a place on a group cohort,
add-ons alongside, and presentations at the conference."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from demo.helpers import workday
from demo.parameters import P_CANCEL, P_CARRY_OVER
from demo.records import Halt, SimEnrolment, SimEvent, SimGroup, SimPatient, SimPresentation
from demo.texts import HANDOVER_NOTES

if TYPE_CHECKING:
    from demo.simulation import Simulation


class Bookings:
    """One patient's course: the patient, their draws, and the steps booked so far."""

    def __init__(self, b: Simulation, p: SimPatient) -> None:
        self.b, self.p = b, p
        self.r, self.ra, self.today = p.rng, p.rng_addon, b.today
        self.parallel: list[SimEvent] = []
        self.hoa = self.slow = self.vf = self.cft = False
        self.baseline_day: dt.date | None = None
        self.lp_day: dt.date | None = None

    def add_parallel(
        self,
        code: str,
        start: dt.date,
        end: dt.date | None = None,
        staff: int | None = None,
        finding: str | None = None,
        note: str | None = None,
    ) -> SimEvent:
        end = end or start
        if start >= self.today:
            ev = SimEvent(code, "planlagt", start, staff=staff, main=False)
        elif end >= self.today:
            ev = SimEvent(code, "i_gang", start, start, None, staff=staff, main=False)
        else:
            ev = SimEvent(code, "gennemfoert", start, start, end, staff=staff,
                          finding=finding, note=note, main=False)
        self.parallel.append(ev)
        return ev

    def appt(
        self,
        code: str,
        day: dt.date,
        staff: int | None,
        *,
        drop_p: float = 0.0,
        cancellable: bool = True,
    ) -> SimEvent:
        """An individual appointment on the main line: done, or planned (and halt)."""
        p, r, today = self.p, self.r, self.today
        day = workday(day)
        while cancellable and day < today and r.random() < P_CANCEL:
            p.events.append(
                SimEvent(code, "aflyst", day, staff=staff,
                         note="Aflyst af patienten – ny tid er booket.")
            )
            day = workday(day + dt.timedelta(days=r.randint(7, 21)))
        if day >= today:
            p.events.append(SimEvent(code, "planlagt", day, staff=staff))
            raise Halt("planned")
        if drop_p and r.random() < drop_p:
            p.events.append(
                SimEvent(code, "udgaaet", day, staff=staff,
                         note="Mødte ikke op og ønsker ikke at fortsætte forløbet.")
            )
            raise Halt("dropout", day)
        ev = SimEvent(code, "gennemfoert", day, day, day, staff=staff)
        p.events.append(ev)
        return ev

    def multi(self, code: str, start: dt.date, end: dt.date, staff: int | None) -> SimEvent:
        """A multi-session individual course on the main line."""
        start = workday(start)
        if start >= self.today:
            self.p.events.append(SimEvent(code, "planlagt", start, staff=staff))
            raise Halt("planned")
        if end >= self.today:
            ev = SimEvent(code, "i_gang", start, start, None, staff=staff)
        else:
            ev = SimEvent(code, "gennemfoert", start, start, end, staff=staff)
        self.p.events.append(ev)
        return ev

    def group(self, code: str, earliest: dt.date, enrolled_on: dt.date,
              drop_p: float) -> SimGroup:
        """A place on a cohort of a group intervention: attended so far, or planned (halt)."""
        p, r, today = self.p, self.r, self.today
        g = self.b.planners[code].enrol(earliest)
        if g.start >= today:
            p.events.append(SimEvent(code, "planlagt", g.start, g.start, g.end, group=g))
            p.enrolments.append(SimEnrolment(g, "tilmeldt", enrolled_on, []))
            raise Halt("planned")
        drop_at = None
        if len(g.dates) > 1 and r.random() < drop_p:
            drop_at = r.randint(1, len(g.dates) - 1)
            if g.dates[drop_at] >= today:
                drop_at = None  # would drop out later: not yet
        attendance = self._attendance(g, drop_at)
        if drop_at is not None:
            last = g.dates[drop_at - 1]
            p.events.append(
                SimEvent(code, "udgaaet", g.start, g.start, last, group=g,
                         note="Udgået af holdet – ønsker ikke at fortsætte.")
            )
            p.enrolments.append(SimEnrolment(g, "udgaaet", enrolled_on, attendance))
            raise Halt("dropout", g.dates[drop_at])
        done = g.end < today
        status = "gennemfoert" if done else "i_gang"
        p.events.append(SimEvent(code, status, g.start, g.start, g.end, group=g))
        note = None
        if done and code != "forstaa_smerte" and r.random() < 0.2:
            note = HANDOVER_NOTES[r.randrange(len(HANDOVER_NOTES))]
        p.enrolments.append(
            SimEnrolment(g, "gennemfoert" if done else "tilmeldt", enrolled_on, attendance, note)
        )
        return g

    def _attendance(self, g: SimGroup, drop_at: int | None) -> list[str]:
        """Attendance at the sessions held so far (afbud from a drop-out on)."""
        attendance = []
        for k in range(sum(1 for d in g.dates if d < self.today)):
            if drop_at is not None and k >= drop_at:
                attendance.append("udeblevet" if k == drop_at else "afbud")
                continue
            x = self.r.random()
            if len(g.dates) == 1:  # a one-off session (Forstå smerte) is rebooked if missed
                x = 0.0
            attendance.append("moedt" if x < 0.88 else "afbud" if x < 0.95 else "udeblevet")
        return attendance

    def present(self, day: dt.date, reason: str, **kw: Any) -> SimPresentation | None:
        """Present at the first conference after `day`; None if that is still to come."""
        p, today = self.p, self.today
        conf = self.b.conf_after(day)
        if conf >= today:
            p.pending.append(reason)
            return None
        pres = SimPresentation(conf, reason, **kw)
        p.presentations.append(pres)
        if (
            pres.list == "droeftelse"
            and conf + dt.timedelta(days=7) < today
            and self.ra.random() < P_CARRY_OVER
        ):
            pres.status = "ikke_naaet"
            carried = SimPresentation(
                conf + dt.timedelta(days=7), reason, source="overfoert", list=pres.list,
                question=pres.question, reason_detail=pres.reason_detail, carried_from=pres,
            )
            p.presentations.append(carried)
            return carried
        return pres
