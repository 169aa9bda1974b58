"""The centre before anything happens: the intervention catalogue, staff and microteams,
the group cohort planners, and the referred patients (who they are, not their course)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from db.models import Intervention, Microteam, Patient, Staff
from demo.groups import GroupPlanner
from demo.helpers import age_on, clip, weighted
from demo.names import MIDDLE_NAMES, draw_name, initials, unique_cpr
from demo.parameters import (
    EMAIL_DOMAIN,
    GROUP_RHYTHM,
    GROUP_THERAPISTS,
    HISTORY_DAYS,
    REFERRALS_PER_YEAR,
)
from demo.records import SimPatient
from demo.state import BuilderState
from demo.texts import DIAGNOSES, PAIN_DISTRIBUTIONS, WORK_WEIGHTS_UNDER_67

# Who works here, by profession and title (about 30 people at every scale).
STAFF_PLAN = [
    ("laege", ["Ledende overlæge", "Overlæge", "Overlæge", "Afdelingslæge",
               "Afdelingslæge", "Speciallæge", "Læge"]),
    ("sygeplejerske", ["Klinisk sygeplejespecialist"] + ["Sygeplejerske"] * 7
     + ["Afdelingssygeplejerske"]),
    ("psykolog", ["Specialpsykolog", "Psykolog", "Psykolog", "Psykolog"]),
    ("fysioterapeut", ["Fysioterapeut"] * 4),
    ("socialraadgiver", ["Socialrådgiver"] * 3),
    ("sekretaer", ["Lægesekretær"] * 3),
]


class Centre(BuilderState):
    def _load_catalogue(self) -> None:
        rows = self.session.execute(
            select(
                Intervention.id,
                Intervention.code,
                Intervention.name,
                Intervention.sessions,
                Intervention.session_minutes,
                Intervention.interval_days,
                Intervention.capacity,
                Intervention.standard_course,
            )
        ).all()
        self.iv = {r.code: dict(r._mapping) for r in rows}
        missing = set(GROUP_RHYTHM) - set(self.iv)
        if missing:
            raise RuntimeError(f"intervention catalogue lacks {sorted(missing)}")

    # ------------------------------------------------------------------ staff

    def _build_staff(self) -> None:
        """About 30 people (the same at every scale), their roles and the microteams."""
        self.staff_rows = self._draw_staff()
        by: dict[str, list[int]] = defaultdict(list)
        for s in self.staff_rows:
            by[s["profession"]].append(s["id"])
        self.by_prof = by
        laeger, nurses, sekr = by["laege"], by["sygeplejerske"], by["sekretaer"]
        self.leaders = laeger[:3]
        self.referents = sekr + nurses[7:9]
        self.role_rows = self._roles(laeger[0], sekr[0])
        self._build_microteams()

    def _draw_staff(self) -> list[dict[str, Any]]:
        rng = random.Random(self.seed * 31 + 1)
        used_initials: set[str] = set()
        used_names: set[str] = set()
        staff: list[dict[str, Any]] = []
        ids = iter(self._ids(Staff.__table__, sum(len(t) for _, t in STAFF_PLAN)))
        for profession, titles in STAFF_PLAN:
            for title in titles:
                while True:
                    female = rng.random() < (0.45 if profession == "laege" else 0.8)
                    first, last = draw_name(rng, female)
                    name = f"{first} {last}"
                    if name not in used_names:
                        break
                short = initials(first, last, used_initials)
                used_names.add(name)
                used_initials.add(short)
                staff.append(
                    {
                        "id": next(ids),
                        "initials": short,
                        "name": name,
                        "profession": profession,
                        "title": title,
                        "email": f"{short.lower()}@{EMAIL_DOMAIN}",
                        "password_hash": None,
                        "active": True,
                    }
                )
        return staff

    def _roles(self, first_doctor: int, first_secretary: int) -> list[dict[str, Any]]:
        roles: list[dict[str, Any]] = []
        for s in self.staff_rows:
            sid, prof = s["id"], s["profession"]
            wanted = []
            if sid in (first_doctor, first_secretary):
                wanted.append("admin")
            if sid in self.leaders:
                wanted.append("moedeleder")
            if sid in self.referents:
                wanted.append("referent")
            if prof != "sekretaer":
                wanted.append("behandler")
            else:
                wanted.append("laeser")
            roles += [{"staff_id": sid, "role": r} for r in wanted]
        return roles

    def _build_microteams(self) -> None:
        """A PAL-læge, a kontaktsygeplejerske and one or two of psykolog/fysioterapeut each."""
        by = self.by_prof
        laeger, nurses = by["laege"], by["sygeplejerske"]
        psyk, fysio = by["psykolog"], by["fysioterapeut"]
        team_ids = list(self._ids(Microteam.__table__, 7))
        self.teams = []
        members: list[dict[str, Any]] = []
        for i, tid in enumerate(team_ids):
            pal, nurse = laeger[i], nurses[i]
            others = [psyk[i % 4], fysio[i % 4]] if i < 4 else [fysio[i % 4]]
            self.teams.append(
                {"id": tid, "name": f"Mikroteam {i + 1}", "pal": pal, "nurse": nurse,
                 "others": others}
            )
            members.append({"microteam_id": tid, "staff_id": pal, "function": "pal_laege"})
            members.append(
                {"microteam_id": tid, "staff_id": nurse, "function": "kontaktsygeplejerske"}
            )
            members += [{"microteam_id": tid, "staff_id": o, "function": "medlem"} for o in others]
        self.member_rows = members

    # ------------------------------------------------------------------ groups

    def _build_planners(self) -> None:
        horizon = self.today - dt.timedelta(days=HISTORY_DAYS + 10)
        self.planners = {}
        for code, (cadence, weekday, starts_at) in GROUP_RHYTHM.items():
            if self.scale >= 3:  # a big centre starts cohorts more often (and in parallel)
                cadence = max(7, cadence // 2)
            pa, pb = GROUP_THERAPISTS[code]
            pool_a, pool_b = self.by_prof[pa], self.by_prof[pb]

            def pick(n: int, a: list[int] = pool_a, b: list[int] = pool_b) -> tuple[int, int]:
                first = a[n % len(a)]
                second = b[(n * 3 + 1) % len(b)]
                if second == first:
                    second = b[(n * 3 + 2) % len(b)]
                return first, second

            self.planners[code] = GroupPlanner(
                self.iv[code], cadence, weekday, starts_at, horizon, pick
            )

    # ------------------------------------------------------------------ patients

    def _build_patients(self) -> None:
        rng = random.Random(self.seed * 31 + 2)
        n = max(1, round(REFERRALS_PER_YEAR * 2 * self.scale))
        span = HISTORY_DAYS
        start = self.today - dt.timedelta(days=span)
        # A jittered grid: referrals spread evenly (every week has some), not clumped.
        offsets = sorted(min(span, int((k + rng.random()) * span / n)) for k in range(n))
        offsets[-1] = span  # the newest referral arrived today
        ids = self._ids(Patient.__table__, n)
        used_cpr: set[str] = set()
        patients: list[SimPatient] = []
        for idx in range(n):
            referral = start + dt.timedelta(days=offsets[idx])
            female = rng.random() < 0.68
            sex = "K" if female else "M"
            mean, sd = (49, 15) if female else (52, 14)
            age_years = clip(rng.gauss(mean, sd), 18, 90)
            birth = referral - dt.timedelta(days=int(age_years * 365.25))
            first, last = draw_name(rng, female)
            if rng.random() < 0.12:
                last = f"{rng.choice(MIDDLE_NAMES)} {last}"
            cpr, birth = unique_cpr(birth, sex, rng.randrange(1_000_000), used_cpr)
            age = age_on(birth, referral)
            years = clip(rng.gauss(10, 10), 0.5, max(0.5, age - 12))
            years = round(years * 2) / 2
            if age >= 67:
                work = "pension"
            else:  # students are young: more of them under 36, none above
                weights = [
                    (w, (15 if age <= 35 else 0) if w == "studerende" else weight)
                    for w, weight in WORK_WEIGHTS_UNDER_67
                ]
                work = weighted(rng, weights)
            team = self.teams[rng.randrange(len(self.teams))]
            base = (self.seed * 1_000_003 + idx) * 3
            patients.append(
                SimPatient(
                    idx=idx,
                    id=ids[idx],
                    rng=random.Random(base),
                    rng_addon=random.Random(base + 1),
                    rng_pro=random.Random(base + 2),
                    first_name=first,
                    last_name=last,
                    sex=sex,
                    birth_date=birth,
                    referral=referral,
                    cpr=cpr,
                    team=team["id"],
                    pal=team["pal"],
                    nurse=team["nurse"],
                    diagnosis=weighted(rng, DIAGNOSES),
                    pain_years=years,
                    distribution=weighted(rng, PAIN_DISTRIBUTIONS),
                    work=work,
                )
            )
        self.patients = patients
        self.team_by_id = {t["id"]: t for t in self.teams}
