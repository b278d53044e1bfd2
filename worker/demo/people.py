"""People on the org chart: tenure, hidden ability and its drift, title, personal styles,
the few outliers, and the employees frame."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from worker.demo.catalogue import Catalogue
from worker.demo.departments import Company
from worker.demo.frames import as_dates, dataset_frame, month_index
from worker.demo.hierarchy import CEO, HEAD, LEAD, MEMBER, Org

_SPAN_YEARS = 10.0  # the company's age: the CEO's tenure, the longest possible
_OUTLIER_RATE = 0.01
# fmt: off
_FIRST_NAMES = (
    "Aisha", "Alex", "Amara", "Ana", "Andrei", "Ben", "Carlos", "Chen", "Chloe", "Daniel", "Deepa",
    "Diego", "Elena", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ibrahim", "Isla", "Jack",
    "James", "Jin", "Julia", "Kai", "Kofi", "Laila", "Leo", "Lucas", "Maria", "Mateo", "Maya",
    "Mei", "Mohammed", "Nadia", "Noah", "Nora", "Oliver", "Olivia", "Omar", "Priya", "Rahul",
    "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Thomas", "Yuki", "Zara", "Zoe",
)
_LAST_NAMES = (
    "Adams", "Ahmed", "Alvarez", "Andersen", "Brown", "Chen", "Costa", "Dubois", "Evans", "Fischer",
    "Garcia", "Gupta", "Hansen", "Hernandez", "Ito", "Ivanova", "Jansen", "Kim", "Kowalski",
    "Kumar", "Lee", "Lopez", "Martin", "Mensah", "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor",
    "Olsen", "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Tanaka",
    "Taylor", "Wang", "Weber", "Williams", "Wilson", "Yilmaz", "Zhang",
)
# fmt: on


@dataclass
class People:
    """Per-person arrays, in employee-id order."""

    ids: np.ndarray  # object array of str
    department: np.ndarray
    role: np.ndarray
    team: np.ndarray
    title: np.ndarray
    rung: np.ndarray  # 0 = junior on the department's ladder
    manager: np.ndarray  # index of the manager, -1 for the CEO
    hire: np.ndarray  # datetime64[D]
    years: np.ndarray  # tenure at end_period
    ability: np.ndarray  # at end_period
    slope: np.ndarray  # change of ability per month
    volume_style: np.ndarray
    pace_style: np.ndarray
    finish_style: np.ndarray
    outlier: np.ndarray  # 0 = none, else the kind


def build_people(
    n: int,
    company: Company,
    cat: Catalogue,
    org: Org,
    end: np.datetime64,
    rng: np.random.Generator,
) -> People:
    is_ceo, is_head = org.role == CEO, org.role == HEAD
    is_lead, is_member = org.role == LEAD, org.role == MEMBER

    # Leaders were promoted for their ability, on average.
    ability = rng.standard_normal(n) + np.select([is_ceo, is_head, is_lead], [0.8, 0.7, 0.4], 0)
    # A growing company: tenure is roughly exponential (most people are recent), leaders
    # have been around longer, and nobody predates the company except its founder.
    years = np.select([is_head, is_lead], [1.5, 0.5], 0.0) + rng.exponential(
        np.select([is_head, is_lead], [4.0, 4.5], 4.0)
    )
    too_old = years > _SPAN_YEARS - 0.2
    years[too_old] = rng.uniform(0.0, _SPAN_YEARS - 0.2, int(too_old.sum()))
    years[is_ceo] = _SPAN_YEARS
    hire = end - np.round(years * 365.25).astype("timedelta64[D]")
    today = np.datetime64(dt.date.today(), "D")
    if end > today:  # only for a window the caller chose in the future: no future hires
        hire = np.minimum(hire, today)

    # Individual contributors climb the ladder with tenure and ability (and some luck).
    title = np.full(n, cat.ceo_title, dtype=np.int64)
    rung = np.zeros(n, dtype=np.int64)
    seniority = 0.8 * np.log1p(years) + 0.5 * ability + rng.normal(0.0, 0.6, n)
    for d, dept in enumerate(company.departments):
        title[is_head & (org.department == d)] = cat.head_title[d]
        title[is_lead & (org.department == d)] = cat.lead_title[d]
        ic = np.flatnonzero(is_member & (org.department == d))
        if len(ic):
            cuts = np.quantile(seniority[ic], np.cumsum(dept.ladder_mix)[:-1])
            rung[ic] = np.searchsorted(cuts, seniority[ic], side="right")
            title[ic] = cat.ladder_offset[d] + rung[ic]

    # Most people are stable, some improve month after month, some decline.
    trend = rng.choice(3, size=n, p=[0.70, 0.15, 0.15])
    slope = np.select(
        [trend == 1, trend == 2],
        [rng.uniform(0.05, 0.12, n), -rng.uniform(0.05, 0.12, n)],
        rng.normal(0.0, 0.01, n),
    )
    # True outliers among the individual contributors: 1 = long hours for little output,
    # 2 = implausible throughput, 3 = almost nothing completed. An exact count, so that
    # even a small organisation has its oddities.
    outlier = np.zeros(n, dtype=np.int64)
    odd = rng.choice(np.flatnonzero(is_member), size=round(_OUTLIER_RATE * n), replace=False)
    outlier[odd] = rng.integers(1, 4, len(odd))

    # Employee ids follow hiring order, as an HR system hands them out: the CEO is E…01.
    order = np.lexsort((np.arange(n), hire))
    new_index = np.empty(n, dtype=np.int64)
    new_index[order] = np.arange(n)
    manager = org.manager[order]
    width = max(5, len(str(n)))
    ids = np.strings.add("E", np.strings.zfill(np.arange(1, n + 1).astype(str), width))
    return People(
        ids=ids.astype(object),
        department=org.department[order],
        role=org.role[order],
        team=org.team[order],
        title=title[order],
        rung=rung[order],
        manager=np.where(manager >= 0, new_index[np.maximum(manager, 0)], -1),
        hire=hire[order],
        years=years[order],
        ability=ability[order],
        slope=slope[order],
        # Personal styles that ability does not explain: some take on more work, some
        # are slower, some leave more unfinished.
        volume_style=rng.normal(0.0, 0.2, n),
        pace_style=rng.normal(0.0, 0.15, n),
        finish_style=rng.normal(0.0, 0.25, n),
        outlier=outlier[order],
    )


def employees_frame(
    people: People, company: Company, cat: Catalogue, org: Org, rng: np.random.Generator
) -> pd.DataFrame:
    names = np.array([f"{f} {s}" for f in _FIRST_NAMES for s in _LAST_NAMES], dtype=object)
    dept_names = np.array(
        [d.name for d in company.departments] + [company.ceo_department], dtype=object
    )
    titles = np.array(cat.titles, dtype=object)
    manager = people.manager
    return dataset_frame(
        "employees",
        {
            "employee_id": pd.array(people.ids, dtype="str"),
            "name": pd.array(names[rng.integers(0, len(names), len(people.ids))], "str"),
            "department": pd.array(dept_names[people.department], dtype="str"),
            "job_title": pd.array(titles[people.title], dtype="str"),
            "team": pd.array(org.team_names[people.team], dtype="str"),
            "manager_id": pd.array(
                np.where(manager >= 0, people.ids[np.maximum(manager, 0)], None), "str"
            ),
            "hire_date": as_dates(people.hire),
        },
    )


def person_months(
    p: People, months: int, end: np.datetime64, who: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each person-month of the window from the hire month on: (person, month within the
    window, months per person), person by person. `who` (a mask) leaves the others out."""
    last = month_index(end)
    first = last - months + 1
    start = (np.clip(month_index(p.hire), first, last + 1) - first).astype(np.int32)
    count = months - start
    if who is not None:
        count[~who] = 0
    emp = np.repeat(np.arange(len(p.ids), dtype=np.int32), count)
    month = np.arange(len(emp), dtype=np.int32)
    month -= np.repeat((np.cumsum(count) - count).astype(np.int32), count)
    month += np.repeat(start, count)
    return emp, month, count


def ability_in(p: People, emp: np.ndarray, month: np.ndarray, months: int) -> np.ndarray:
    """Ability in each row's month: `ability` is now, `slope` says how it got there."""
    return p.ability[emp] + p.slope[emp] * (month - (months - 1))
