"""A synthetic but believable organisation, for demos, tests and benchmarks.

The story: a ten-year-old company run by one CEO (the first hire, ``E00001``). Below the
CEO sit seven departments of very different sizes (Engineering is the largest, People
and Finance the smallest), each led by a department head. A department is cut into teams
of roughly 5–12 people named within it ("Engineering Platform", "Sales Enterprise 2");
every team member reports to the team lead, every lead to the department head, every
head to the CEO. Individual contributors climb a per-department title ladder
("Software Engineer" → "Senior Software Engineer" → "Staff Software Engineer") with
tenure and ability. The company has grown, so recent hires outnumber veterans and some
people joined during the reporting window: their task records start at their hire month
(pro rata for a mid-month start) and never before it.

Each person carries a hidden ability. It drives, each with its own noise so that the
observed measures correlate without being copies of one another: the share of assigned
tasks completed, hours per task, throughput, survey engagement and satisfaction, and
assessed skill levels. Ability also drifts: most people are stable, some improve month
after month and some decline, so trends and next-period predictions have something to
find. Workloads differ by department (a support agent closes a hundred and more tickets a
month, an engineer a dozen larger tasks), vary from month to month and dip in December;
about 1.5% of person-months are leave with no tasks at all. About 1% of people are true
outliers: logging huge hours for little output, reporting implausible throughput, or
completing almost nothing. Roughly one person in ten never answers the quarterly survey.

Each job title requires 3–5 skills with a level (1–5) and an importance (0–1); people are
assessed in their role's skills (and sometimes a few others) at levels that grow with
ability and tenure, so real skill gaps exist, and every skill has 1–3 training programs.
About 15% of people completed a program for one of their gaps 4–8 months before the last
period; from the month after, their share of tasks completed rises, except for one program
(the most taken) that changes nothing, so training effectiveness has something to tell apart.

Everything is vectorised with numpy (no Python loop over people or records), so a
million employees and their ~11 million task records take seconds. The result depends
only on (employees, seed, months, end_period): every date lies on or before
``end_period``, so no date is in the future when ``end_period`` is not, as the default
(the first day of the current month) never is. Only for a window the caller puts in the
future are hire dates capped at today and survey answers after today left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from store.datasets import DATASETS

__all__ = ["generate_organisation"]


@dataclass(frozen=True)
class _Department:
    name: str
    share: float  # of the staff below the CEO
    tasks: float  # median tasks a month for a junior individual contributor
    hours_per_task: float  # median hours a junior spends on one task
    ladder: tuple[str, ...]  # individual-contributor titles, junior first
    ladder_mix: tuple[float, ...]  # share of individual contributors on each rung
    lead: str
    head: str
    skills: tuple[str, ...]  # the department's craft skills
    teams: tuple[str, ...]


# fmt: off
_DEPARTMENTS: tuple[_Department, ...] = (
    _Department(
        "Engineering", 0.30, 14, 9.0,
        ("Software Engineer", "Senior Software Engineer", "Staff Software Engineer"),
        (0.50, 0.36, 0.14), "Engineering Manager", "VP of Engineering",
        ("Python", "System Design", "Testing", "Cloud Infrastructure", "Code Review", "Databases"),
        ("Platform", "Payments", "Mobile", "Search", "Data", "Identity", "Growth",
         "Infrastructure", "Reliability", "Developer Tools", "Integrations", "Web"),
    ),
    _Department(
        "Customer Support", 0.20, 150, 0.85,
        ("Support Specialist", "Senior Support Specialist"),
        (0.70, 0.30), "Support Team Lead", "Head of Customer Support",
        ("Product Knowledge", "Ticket Triage", "Customer Empathy", "Troubleshooting",
         "Written Communication"),
        ("Tier 1", "Tier 2", "Enterprise Care", "Onboarding", "Billing", "Technical",
         "EMEA", "APAC", "Americas"),
    ),
    _Department(
        "Sales", 0.17, 45, 2.9,
        ("Sales Development Representative", "Account Executive", "Senior Account Executive"),
        (0.35, 0.45, 0.20), "Sales Manager", "VP of Sales",
        ("Prospecting", "Negotiation", "CRM", "Product Knowledge", "Forecasting"),
        ("Enterprise", "Mid-Market", "SMB", "Inbound", "Outbound", "Partnerships", "Renewals",
         "EMEA", "North America", "APAC"),
    ),
    _Department(
        "Operations", 0.12, 32, 4.0,
        ("Operations Analyst", "Senior Operations Analyst"),
        (0.65, 0.35), "Operations Manager", "VP of Operations",
        ("Process Improvement", "Supply Chain", "Data Analysis", "Vendor Management",
         "Scheduling"),
        ("Logistics", "Procurement", "Facilities", "Fulfilment", "Planning", "Quality"),
    ),
    _Department(
        "Marketing", 0.09, 20, 6.5,
        ("Marketing Specialist", "Senior Marketing Specialist"),
        (0.60, 0.40), "Marketing Manager", "VP of Marketing",
        ("Content Writing", "SEO", "Campaign Management", "Marketing Analytics",
         "Brand Strategy"),
        ("Brand", "Content", "Demand Generation", "Product Marketing", "Events", "Digital"),
    ),
    _Department(
        "Finance", 0.06, 28, 4.5,
        ("Financial Analyst", "Senior Financial Analyst"),
        (0.60, 0.40), "Finance Manager", "Chief Financial Officer",
        ("Financial Modelling", "Accounting", "Excel", "Budgeting", "Compliance"),
        ("Accounting", "FP&A", "Treasury", "Payroll", "Tax"),
    ),
    _Department(
        "People", 0.06, 24, 5.0,
        ("People Operations Specialist", "People Partner", "Senior People Partner"),
        (0.45, 0.40, 0.15), "People Manager", "Chief People Officer",
        ("Recruiting", "Employment Law", "Employee Relations", "HR Systems", "Coaching"),
        ("Talent Acquisition", "People Operations", "Learning & Development",
         "Total Rewards", "Employee Experience"),
    ),
)
# fmt: on

_CEO_DEPARTMENT, _CEO_TEAM, _CEO_TITLE = "Executive", "Executive Office", "Chief Executive Officer"
_SHARED_SKILLS = (
    "Communication",
    "Leadership",
    "Project Management",
    "Stakeholder Management",
    "Strategic Planning",
)
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

# Roles in the hierarchy.
_CEO, _HEAD, _LEAD, _MEMBER = 0, 1, 2, 3
_TEAM_MIN, _TEAM_MAX = 5, 12  # team size, lead included
_SPAN_YEARS = 10.0  # the company's age: the CEO's tenure, the longest possible
_LEAVE_RATE = 0.015  # person-months with no tasks at all
_OUTLIER_RATE = 0.01
_NO_SURVEY_RATE = 0.08


# ----------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class _Catalogue:
    titles: list[str]  # every job title; a person's title is an index into it
    skills: list[str]
    req_title: np.ndarray  # one entry per role requirement
    req_skill: np.ndarray
    req_level: np.ndarray
    req_importance: np.ndarray
    ladder_offset: np.ndarray  # per department: title index of the ladder's first rung
    lead_title: np.ndarray  # per department
    head_title: np.ndarray  # per department
    ceo_title: int


def _build_catalogue(rng: np.random.Generator) -> _Catalogue:
    """Titles, skills and role requirements: small tables, so plain Python is fine here."""
    skills = sorted({s for d in _DEPARTMENTS for s in d.skills} | set(_SHARED_SKILLS))
    skill_index = {s: i for i, s in enumerate(skills)}
    titles: list[str] = []
    requirements: list[tuple[int, int, int, float]] = []

    def add_title(name: str, picks: list[str], base_level: int) -> int:
        t = len(titles)
        titles.append(name)
        # The first skill is the core of the role: the most important, never below base.
        weights = np.sort(rng.uniform(0.3, 1.0, len(picks)))[::-1]
        for j, skill in enumerate(picks):
            level = int(np.clip(base_level + (0 if j == 0 else rng.integers(-1, 1)), 1, 5))
            importance = round(float(weights[j]), 2)
            requirements.append((t, skill_index[skill], level, importance))
        return t

    ladder_offset, lead_title, head_title = [], [], []
    for dept in _DEPARTMENTS:
        craft = list(dept.skills)
        ladder_offset.append(len(titles))
        for rung, title in enumerate(dept.ladder):
            k = int(rng.integers(3, 6))
            picks = list(rng.choice(craft, size=min(k, len(craft)), replace=False))
            if rung == len(dept.ladder) - 1 and k > 3:
                picks[-1] = "Communication"  # senior ICs are expected to explain and mentor
            # The core skill of the first rung needs level 2, each rung up one more.
            add_title(title, picks, 2 + rung)
        k = int(rng.integers(1, 4))
        picks = [*rng.choice(craft, size=k, replace=False), "Leadership"]
        if k < 3:
            picks.append("Project Management")
        lead_title.append(add_title(dept.lead, picks, 4))
        k = int(rng.integers(1, 3))
        picks = ["Leadership", "Strategic Planning", "Stakeholder Management"]
        picks += list(rng.choice(craft, size=k, replace=False))
        head_title.append(add_title(dept.head, picks, 4))
    ceo_title = add_title(
        _CEO_TITLE,
        ["Leadership", "Strategic Planning", "Stakeholder Management", "Communication"],
        5,
    )
    req = np.array(requirements, dtype=np.float64)
    return _Catalogue(
        titles=titles,
        skills=skills,
        req_title=req[:, 0].astype(np.int64),
        req_skill=req[:, 1].astype(np.int64),
        req_level=req[:, 2].astype(np.int64),
        req_importance=req[:, 3],
        ladder_offset=np.array(ladder_offset),
        lead_title=np.array(lead_title),
        head_title=np.array(head_title),
        ceo_title=ceo_title,
    )


def _training_programs(cat: _Catalogue, rng: np.random.Generator) -> pd.DataFrame:
    # (name pattern, levels gained, typical hours): a short course up to a long programme.
    tiers = (
        ("{} Foundations", (1, 1), (6.0, 16.0)),
        ("{} Practitioner", (1, 2), (16.0, 40.0)),
        ("Advanced {}", (2, 3), (30.0, 90.0)),
    )
    counts = rng.integers(1, 4, len(cat.skills))
    skill = np.repeat(np.arange(len(cat.skills)), counts)
    tier = np.arange(len(skill)) - np.repeat(np.cumsum(counts) - counts, counts)
    low_gain = np.array([t[1][0] for t in tiers])[tier]
    high_gain = np.array([t[1][1] for t in tiers])[tier]
    low_h = np.array([t[2][0] for t in tiers])[tier]
    high_h = np.array([t[2][1] for t in tiers])[tier]
    width = max(3, len(str(len(skill))))
    return _frame(
        "training-programs",
        {
            "program_id": [f"TP{i + 1:0{width}d}" for i in range(len(skill))],
            "name": [tiers[t][0].format(cat.skills[s]) for s, t in zip(skill, tier, strict=True)],
            "skill": [cat.skills[s] for s in skill],
            "level_gain": rng.integers(low_gain, high_gain + 1).astype(np.int64),
            # Whole or half hours, as a course catalogue would list them.
            "duration_hours": np.round(rng.uniform(low_h, high_h) * 2) / 2,
        },
    )


# ----------------------------------------------------------------------------- hierarchy


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Split `total` into integer parts proportional to `shares`, summing exactly to it."""
    exact = total * shares / shares.sum()
    parts = np.floor(exact).astype(np.int64)
    left = total - parts.sum()
    parts[np.argsort(-(exact - parts), kind="stable")[:left]] += 1
    return parts


def _team_sizes(people: int, rng: np.random.Generator) -> np.ndarray:
    """Random team sizes within [_TEAM_MIN, _TEAM_MAX] that add up to `people`."""
    if people < _TEAM_MIN:
        return np.array([people], dtype=np.int64)
    k = int(np.clip(round(people / 8.5), -(-people // _TEAM_MAX), people // _TEAM_MIN))
    sizes = rng.integers(_TEAM_MIN, _TEAM_MAX + 1, k)
    # k was chosen so that k·MIN ≤ people ≤ k·MAX; nudge random teams until the sum fits.
    while (diff := people - int(sizes.sum())) != 0:
        room = np.flatnonzero(sizes < _TEAM_MAX if diff > 0 else sizes > _TEAM_MIN)
        pick = rng.choice(room, size=min(abs(diff), len(room)), replace=False)
        sizes[pick] += 1 if diff > 0 else -1
    return sizes


@dataclass
class _Org:
    department: np.ndarray  # index into _DEPARTMENTS; len(_DEPARTMENTS) for the CEO
    role: np.ndarray
    manager: np.ndarray  # position of the manager, -1 for the CEO
    team: np.ndarray  # index into team_names
    team_names: np.ndarray


def _hierarchy(n: int, rng: np.random.Generator) -> _Org:
    """Positions in org-chart order: CEO, then per department its head, then its teams."""
    department = np.full(n, len(_DEPARTMENTS), dtype=np.int64)
    role = np.full(n, _CEO, dtype=np.int64)
    manager = np.full(n, -1, dtype=np.int64)
    team = np.zeros(n, dtype=np.int64)
    team_names: list[np.ndarray] = [np.array([_CEO_TEAM], dtype=object)]
    n_teams = 1
    sizes = _largest_remainder(n - 1, np.array([d.share for d in _DEPARTMENTS]))
    start = 1
    for d, (dept, size) in enumerate(zip(_DEPARTMENTS, sizes, strict=True)):
        if size == 0:
            continue
        head = start
        department[start : start + size] = d
        role[head], manager[head] = _HEAD, 0
        team[head] = n_teams
        team_names.append(np.array([f"{dept.name} Leadership"], dtype=object))
        n_teams += 1
        if size > 1:
            team_size = _team_sizes(int(size) - 1, rng)
            first = head + 1 + np.cumsum(team_size) - team_size  # each team's lead
            local = np.repeat(np.arange(len(team_size)), team_size)
            members = slice(head + 1, start + size)
            role[members] = _MEMBER
            role[first] = _LEAD
            manager[members] = first[local]
            manager[first] = head
            team[members] = n_teams + local
            # "Engineering Platform", …, then "Engineering Platform 2" once names run out.
            j = np.arange(len(team_size))
            base = np.array([f"{dept.name} {t}" for t in dept.teams], dtype=object)
            suffix = np.where(j >= len(base), " " + (j // len(base) + 1).astype(str), "")
            team_names.append(base[j % len(base)] + suffix.astype(object))
            n_teams += len(team_size)
        start += size
    return _Org(department, role, manager, team, np.concatenate(team_names))


# ----------------------------------------------------------------------------- helpers


def _month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of datetime64[D] values."""
    return days.astype("datetime64[M]").astype(np.int64)


def _as_dates(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → object array of datetime.date, one Python object per distinct day."""
    unique, inverse = np.unique(days, return_inverse=True)
    return unique.astype(object)[inverse]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _frame(dataset: str, columns: dict[str, object]) -> pd.DataFrame:
    """A frame with exactly the dataset's columns, in its order."""
    expected = DATASETS[dataset].columns
    if sorted(columns) != sorted(expected):  # a typo would otherwise become an empty column
        raise AssertionError(f"{dataset}: columns {sorted(columns)} != {sorted(expected)}")
    return pd.DataFrame(columns, columns=expected)


# ----------------------------------------------------------------------------- people


@dataclass
class _People:
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


def _people(
    n: int, cat: _Catalogue, org: _Org, end: np.datetime64, rng: np.random.Generator
) -> _People:
    is_ceo, is_head = org.role == _CEO, org.role == _HEAD
    is_lead, is_member = org.role == _LEAD, org.role == _MEMBER

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
    for d, dept in enumerate(_DEPARTMENTS):
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
    return _People(
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


# ----------------------------------------------------------------------------- generator


def generate_organisation(
    employees: int = 1000,
    seed: int = 7,
    months: int = 12,
    end_period: dt.date | None = None,
) -> dict[str, pd.DataFrame]:
    """One DataFrame per dataset of `store.datasets.DATASETS`, with its columns in order.

    `end_period` is the last monthly period (a first day of a month; default: the current
    month); task records cover the `months` periods up to and including it. For a given
    `end_period` not in the future, the result depends only on the arguments.
    """
    if employees < 1:
        raise ValueError("employees must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    if end_period is None:
        end_period = dt.date.today().replace(day=1)
    if end_period.day != 1:
        raise ValueError("end_period must be the first day of a month")

    # Independent streams, so that e.g. a longer window leaves the organisation unchanged.
    # Spawned children depend only on their position, so adding a stream at the end leaves
    # the others (and all earlier data) unchanged.
    rng_cat, rng_org, rng_people, rng_work, rng_survey, rng_skill, rng_train = map(
        np.random.default_rng, np.random.SeedSequence(seed).spawn(7)
    )
    end = np.datetime64(end_period, "D")
    cat = _build_catalogue(rng_cat)
    org = _hierarchy(employees, rng_org)
    people = _people(employees, cat, org, end, rng_people)

    names = np.array([f"{f} {s}" for f in _FIRST_NAMES for s in _LAST_NAMES], dtype=object)
    dept_names = np.array([d.name for d in _DEPARTMENTS] + [_CEO_DEPARTMENT], dtype=object)
    titles = np.array(cat.titles, dtype=object)
    skills = np.array(cat.skills, dtype=object)
    manager = people.manager
    programs = _training_programs(cat, rng_cat)
    skills_frame, gap_emp, gap_skill = _skills(people, cat, rng_skill)
    completions, training = _completions(people, cat, programs, gap_emp, gap_skill, end, rng_train)
    frames = {
        "employees": _frame(
            "employees",
            {
                "employee_id": pd.array(people.ids, dtype="str"),
                "name": pd.array(names[rng_people.integers(0, len(names), employees)], "str"),
                "department": pd.array(dept_names[people.department], dtype="str"),
                "job_title": pd.array(titles[people.title], dtype="str"),
                "team": pd.array(org.team_names[people.team], dtype="str"),
                "manager_id": pd.array(
                    np.where(manager >= 0, people.ids[np.maximum(manager, 0)], None), "str"
                ),
                "hire_date": _as_dates(people.hire),
            },
        ),
        "task-records": _task_records(people, months, end, rng_work, training),
        "surveys": _surveys(people, months, end, end_period, rng_survey),
        "skills": skills_frame,
        "role-requirements": _frame(
            "role-requirements",
            {
                "job_title": pd.array(titles[cat.req_title], dtype="str"),
                "skill": pd.array(skills[cat.req_skill], dtype="str"),
                "required_level": cat.req_level,
                "importance": cat.req_importance,
            },
        ),
        "training-programs": programs,
        "training-completions": completions,
    }
    return {name: frames[name] for name in DATASETS}


def _task_records(
    p: _People, months: int, end: np.datetime64, rng: np.random.Generator, training: _Training
) -> pd.DataFrame:
    # Arrays here have one entry per record (~11 per person): kept few, narrow and freed
    # early, so that a million employees fit in a couple of GiB.
    n = len(p.ids)
    last = _month_index(end)
    first = last - months + 1
    # Each person's records run from their hire month (or the window's start) to the end.
    hire_month = _month_index(p.hire)
    start = (np.clip(hire_month, first, last + 1) - first).astype(np.int32)
    count = months - start
    emp = np.repeat(np.arange(n, dtype=np.int32), count)
    rows = len(emp)
    month = np.arange(rows, dtype=np.int32)
    month -= np.repeat((np.cumsum(count) - count).astype(np.int32), count)
    month += start[emp]

    # Ability now is `ability`; `slope` says how it got there month by month.
    a = p.ability[emp] + p.slope[emp] * (month - (months - 1))

    # Expected tasks: the department's workload, less for leaders (they manage) and seniors
    # (fewer but larger tasks), the person's appetite and ability, and the month's ups and
    # downs in the department (with a December holiday dip).
    base_tasks = np.array([d.tasks for d in _DEPARTMENTS] + [10.0])
    role_share = np.array([0.15, 0.25, 0.5, 1.0])
    person = base_tasks[p.department] * role_share[p.role] * 0.88**p.rung
    person *= np.exp(p.volume_style)
    calendar = np.arange(first, last + 1) % 12  # 0 = January
    season = np.where(calendar == 11, 0.85, np.where(calendar == 7, 0.92, 1.0))
    dept_month = np.log(season) + rng.normal(0.0, 0.06, (len(_DEPARTMENTS) + 1, months))
    log_noise = rng.normal(0.0, 0.15, rows)
    log_noise += 0.18 * a
    log_noise += dept_month[p.department[emp], month]
    expected = np.exp(log_noise, out=log_noise)
    expected *= person[emp]
    # A mid-month hire works only part of their first month.
    month_start = p.hire.astype("datetime64[M]")
    days_in_month = ((month_start + 1).astype("datetime64[D]") - month_start).astype(np.int64)
    day = (p.hire - month_start.astype("datetime64[D]")).astype(np.int64)  # 0-based
    joined = np.flatnonzero(hire_month >= first)
    first_rows = (np.cumsum(count) - count)[joined]
    expected[first_rows] *= ((days_in_month - day) / days_in_month)[joined]

    # The few outliers' rows, by kind.
    odd = np.flatnonzero(p.outlier[emp] > 0)
    odd_kind = p.outlier[emp[odd]]
    expected[odd[odd_kind == 1]] *= 0.4
    expected[odd[odd_kind == 2]] *= 6.0
    total = rng.poisson(expected)
    del expected
    total[rng.random(rows) < _LEAVE_RATE] = 0

    logit = rng.normal(0.0, 0.3, rows)
    logit += 0.75 * a
    logit += (1.5 + p.finish_style)[emp]
    # Training pays off from the month after the completion (if the program works).
    after = (month + first) > training.month[emp]
    logit[after] += training.effect[emp[after]]
    del after
    share = _sigmoid(logit)
    del logit
    for kind, (low, high) in ((1, (0.2, 0.4)), (2, (0.97, 1.0)), (3, (0.01, 0.06))):
        which = odd[odd_kind == kind]
        share[which] = rng.uniform(low, high, len(which))
    completed = rng.binomial(total, share)
    del share

    base_hours = np.array([d.hours_per_task for d in _DEPARTMENTS] + [6.0])
    # Time is finite: those who take on more work get through it faster.
    person = base_hours[p.department] * 1.12**p.rung * np.exp(p.pace_style - 0.5 * p.volume_style)
    hours = rng.normal(0.0, 0.12, rows)
    hours -= 0.22 * a
    del a
    np.exp(hours, out=hours)
    hours *= person[emp]  # hours per task so far
    hours[odd[odd_kind == 1]] *= 5.0
    hours[odd[odd_kind == 2]] /= 4.0
    # Unfinished tasks still took time, about half of a finished one's.
    hours *= (completed + total) / 2
    spec = DATASETS["task-records"]
    limit = int(spec.field("tasks_total").max)
    np.minimum(hours, spec.field("hours_logged").max, out=hours)
    period_days = np.arange(first, last + 1).astype("datetime64[M]").astype("datetime64[D]")
    return _frame(
        "task-records",
        {
            "employee_id": pd.array(p.ids[emp], dtype="str"),
            "period": period_days.astype(object)[month],  # one date object per month
            "tasks_total": np.minimum(total, limit, out=total).astype(np.int64, copy=False),
            "tasks_completed": np.minimum(completed, limit).astype(np.int64, copy=False),
            "hours_logged": np.round(hours, 1, out=hours),
        },
    )


def _surveys(
    p: _People, months: int, end: np.datetime64, end_period: dt.date, rng: np.random.Generator
) -> pd.DataFrame:
    n = len(p.ids)
    last = _month_index(end)
    first = last - months + 1
    # Quarterly pulse surveys in March, June, September and December; the survey of the
    # last period is still open, so only earlier waves have answers.
    waves = np.array([m for m in range(first, last) if m % 12 in (2, 5, 8, 11)], dtype=np.int64)
    emp = np.repeat(np.arange(n), len(waves))
    wave = np.tile(np.arange(len(waves)), n)
    day = rng.integers(4, 25, len(emp))  # answered between the 5th and the 25th
    date = waves[wave].astype("datetime64[M]").astype("datetime64[D]") + day
    answers = rng.random(n) >= _NO_SURVEY_RATE  # the others never answer
    keep = answers[emp] & (date >= p.hire[emp]) & (rng.random(len(emp)) < 0.92)
    if end_period > dt.date.today():  # only when the caller asked for a future window
        keep &= date <= np.datetime64(dt.date.today(), "D")
    emp, wave, date = emp[keep], wave[keep], date[keep]

    a = p.ability[emp] + p.slope[emp] * (waves[wave] - last)
    # A personal outlook shared by both answers, plus each answer's own noise. People on
    # the way up feel it; the long-hours outliers are burning out.
    mood = rng.standard_normal(n)
    pay_and_boss = rng.normal(0.0, 0.35, n)
    engagement = (
        3.5 + 0.45 * a + 0.4 * mood[emp] + 4.0 * p.slope[emp] + rng.normal(0, 0.35, len(emp))
    )
    satisfaction = (
        3.4 + 0.25 * a + 0.3 * mood[emp] + pay_and_boss[emp] + rng.normal(0, 0.35, len(emp))
    )
    satisfaction[p.outlier[emp] == 1] -= 0.8
    return _frame(
        "surveys",
        {
            "employee_id": pd.array(p.ids[emp], dtype="str"),
            "survey_date": _as_dates(date),
            "engagement": np.round(np.clip(engagement, 1.0, 5.0), 1),
            "satisfaction": np.round(np.clip(satisfaction, 1.0, 5.0), 1),
        },
    )


def _skills(
    p: _People, cat: _Catalogue, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The skills frame, and (person, skill index) of every role skill below its required
    level, for the training completions."""
    n = len(p.ids)
    n_skills = len(cat.skills)
    # The requirement rows of each title, so a person's role skills are a gather away.
    by_title = np.argsort(cat.req_title, kind="stable")
    per_title = np.bincount(cat.req_title, minlength=len(cat.titles))
    title_start = np.cumsum(per_title) - per_title
    count = per_title[p.title]
    emp = np.repeat(np.arange(n), count)
    offset = np.arange(len(emp)) - np.repeat(np.cumsum(count) - count, count)
    req = by_title[title_start[p.title[emp]] + offset]
    # Levels grow with ability and with time in the company; on average people sit a
    # little below what their role asks, so gaps (and training needs) are common.
    person = -0.9 + 0.55 * p.ability + 0.35 * np.log1p(p.years) + rng.normal(0.0, 0.4, n)
    level = cat.req_level[req] + person[emp] + rng.normal(0.0, 0.6, len(emp))
    role_level = np.clip(np.round(level), 0, 5).astype(np.int64)
    short = role_level < cat.req_level[req]
    gap_emp, gap_skill = emp[short], cat.req_skill[req[short]]

    # Some people also have skills their role does not ask for.
    extra = rng.choice(3, size=n, p=[0.65, 0.27, 0.08])
    extra_emp = np.repeat(np.arange(n), extra)
    extra_skill = rng.integers(0, n_skills, len(extra_emp))
    extra_level = rng.integers(1, 4, len(extra_emp))

    emp = np.concatenate([emp, extra_emp])
    skill = np.concatenate([cat.req_skill[req], extra_skill])
    level = np.concatenate([role_level, extra_level])
    # One row per (employee, skill): the role's assessment wins over a duplicate extra.
    _, keep = np.unique(emp * n_skills + skill, return_index=True)
    frame = _frame(
        "skills",
        {
            "employee_id": pd.array(p.ids[emp[keep]], dtype="str"),
            "skill": pd.array(np.array(cat.skills, dtype=object)[skill[keep]], dtype="str"),
            "level": level[keep],
        },
    )
    return frame, gap_emp, gap_skill


# ----------------------------------------------------------------------------- training

_TRAINED_SHARE = 0.2  # of the employees, completed a program for one of their gaps
_TRAINED_MONTHS_AGO = (4, 8)  # the completion's month, before the last period
_TRAINING_EFFECT = 0.6  # log-odds of completing a task, from the month after completion
_INITIATIVE_WEIGHT = 20.0  # how much likelier the department's initiative skill is picked
_FLAGSHIP_SHARE = 0.8  # of a skill's participants, took its first program


@dataclass(frozen=True)
class _Training:
    """Per person: the month index of their completion (a sentinel far in the future when
    none) and the log-odds it adds to their completion share afterwards."""

    month: np.ndarray
    effect: np.ndarray


def _completions(
    p: _People,
    cat: _Catalogue,
    programs: pd.DataFrame,
    gap_emp: np.ndarray,
    gap_skill: np.ndarray,
    end: np.datetime64,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, _Training]:
    """About `_TRAINED_SHARE` of the people completed one program for one of their gaps,
    4–8 months before the last period (hired at least three months before it, so there is
    work to compare with). Every program lifts the completion share from the month after
    the completion, except one: the second most taken (lowest id among equals) changes
    nothing at work, so a measurement has a dud with plenty of participants to tell apart."""
    n = len(p.ids)
    last = _month_index(end)
    month = last - rng.integers(_TRAINED_MONTHS_AGO[0], _TRAINED_MONTHS_AGO[1] + 1, n)
    gaps_per_person = np.bincount(gap_emp, minlength=n)
    eligible = (gaps_per_person > 0) & (_month_index(p.hire) <= month - 3)
    rate = min(1.0, _TRAINED_SHARE / max(eligible.mean(), 1e-9))
    who = np.flatnonzero(eligible & (rng.random(n) < rate))

    # One of the person's gaps. Each department runs a training initiative on the skill
    # most of its people lack, and those people mostly pick it, so even a small
    # organisation has programs with enough participants to measure. Gap rows are grouped
    # by person, in person order.
    department = pd.factorize(p.department)[0]
    skill_count = len(cat.skills)
    lacking = np.bincount(
        department[gap_emp] * skill_count + gap_skill,
        minlength=(department.max() + 1) * skill_count,
    ).reshape(-1, skill_count)
    initiative = np.argmax(lacking, axis=1)
    order = np.argsort(gap_emp, kind="stable")
    ordered_skill = gap_skill[order]
    in_initiative = ordered_skill == initiative[department[gap_emp[order]]]
    weight = np.cumsum(np.where(in_initiative, _INITIATIVE_WEIGHT, 1.0))
    first_gap = np.cumsum(gaps_per_person) - gaps_per_person
    last_gap = first_gap[who] + gaps_per_person[who] - 1
    below = np.where(first_gap[who] > 0, weight[np.maximum(first_gap[who] - 1, 0)], 0.0)
    target = below + rng.random(len(who)) * (weight[last_gap] - below)
    position = np.minimum(np.searchsorted(weight, target, side="right"), last_gap)
    skill = ordered_skill[position]
    # The skill's first program (its flagship) most of the time, else any of its programs;
    # programs are listed skill by skill.
    program_skill = pd.Index(cat.skills).get_indexer(programs["skill"])
    per_skill = np.bincount(program_skill, minlength=len(cat.skills))
    first_program = np.cumsum(per_skill) - per_skill
    any_program = (rng.random(len(who)) * per_skill[skill]).astype(np.int64)
    flagship = rng.random(len(who)) < _FLAGSHIP_SHARE
    program = first_program[skill] + np.where(flagship, 0, any_program)

    start = month[who].astype("datetime64[M]")
    days = ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)
    day = start.astype("datetime64[D]") + (rng.random(len(who)) * days).astype(np.int64)
    day = np.maximum(day, p.hire[who])
    # Only for a window the caller put in the future can a completion lie after today.
    keep = day <= np.datetime64(dt.date.today(), "D")
    who, program, day = who[keep], program[keep], day[keep]

    works = np.ones(len(programs), dtype=bool)
    taken = np.bincount(program, minlength=len(programs))
    if taken.any():
        ranked = np.argsort(-taken, kind="stable")
        works[ranked[1] if taken[ranked[1]] else ranked[0]] = False
    training = _Training(
        month=np.full(n, np.iinfo(np.int64).max // 2, dtype=np.int64),
        effect=np.zeros(n),
    )
    training.month[who] = month[who]
    training.effect[who] = np.where(works[program], _TRAINING_EFFECT, 0.0)
    frame = _frame(
        "training-completions",
        {
            "employee_id": pd.array(p.ids[who], dtype="str"),
            "program_id": pd.array(programs["program_id"].to_numpy(dtype=object)[program], "str"),
            "completed_on": _as_dates(day),
        },
    )
    return frame, training
