"""The whole demo organisation: every part generated from its own random stream."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from store.datasets import DATASETS
from worker.demo.catalogue import build_catalogue, requirements_frame
from worker.demo.departments import TASK_COMPANY, Company
from worker.demo.hierarchy import build_hierarchy
from worker.demo.kpi_values import kpi_values, kpis_frame, scorecards_frame
from worker.demo.people import build_people, employees_frame
from worker.demo.protected import protected_attributes
from worker.demo.skills import assessed_skills
from worker.demo.surveys import survey_answers
from worker.demo.task_records import task_records
from worker.demo.training import completions, training_programs


def generate_organisation(
    employees: int = 1000,
    seed: int = 7,
    months: int = 12,
    end_period: dt.date | None = None,
    company: Company = TASK_COMPANY,
    on_dataset: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """One DataFrame per dataset of `store.datasets.DATASETS`, with its columns in order.

    `end_period` is the last monthly period (a first day of a month; default: the current
    month); task records cover the `months` periods up to and including it. For a given
    `end_period` not in the future, the result depends only on the arguments.
    `on_dataset(name)` is told as each dataset is made.
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
    (rng_cat, rng_org, rng_people, rng_work, rng_survey, rng_skill, rng_train, rng_kpi,
     rng_protected) = map(np.random.default_rng, np.random.SeedSequence(seed).spawn(9))  # fmt: skip
    end = np.datetime64(end_period, "D")
    cat = build_catalogue(company, rng_cat)
    org = build_hierarchy(employees, company, rng_org)
    people = build_people(employees, company, cat, org, end, rng_people)
    programs = training_programs(cat, rng_cat)
    skills, gap_emp, gap_skill = assessed_skills(people, cat, rng_skill)
    training_completions, training = completions(
        people, cat, programs, gap_emp, gap_skill, end, rng_train
    )
    makers: dict[str, Callable[[], pd.DataFrame]] = {
        "employees": lambda: employees_frame(people, company, cat, org, rng_people),
        "task-records": lambda: task_records(people, company, months, end, rng_work, training),
        "surveys": lambda: survey_answers(people, months, end, end_period, rng_survey),
        "skills": lambda: skills,
        "role-requirements": lambda: requirements_frame(cat),
        "training-programs": lambda: programs,
        "training-completions": lambda: training_completions,
        # A company without KPIs of its own has its people scored on the default scorecard.
        "kpis": lambda: kpis_frame(company),
        "scorecards": lambda: scorecards_frame(company, cat, people),
        "kpi-values": lambda: kpi_values(people, company, months, end, rng_kpi, training),
        "protected-attributes": lambda: protected_attributes(people, rng_protected),
    }
    # Made in this order (each draws from its stream in turn), so the data stay as they were.
    frames = {}
    for name, make in makers.items():
        frames[name] = make()
        if on_dataset is not None:
            on_dataset(name)
    return {name: frames[name] for name in DATASETS}
