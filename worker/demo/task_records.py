"""Monthly task records: tasks assigned and completed and hours logged, driven by
department workload, ability and its drift, the calendar, leave, outliers and training."""

from __future__ import annotations

import numpy as np
import pandas as pd

from store.datasets import DATASETS
from worker.demo.departments import Company, uses_tasks
from worker.demo.frames import dataset_frame, month_index, sigmoid
from worker.demo.people import People, ability_in, person_months
from worker.demo.training import Training

_LEAVE_RATE = 0.015  # person-months with no tasks at all


def task_records(
    p: People,
    company: Company,
    months: int,
    end: np.datetime64,
    rng: np.random.Generator,
    training: Training,
) -> pd.DataFrame:
    # Arrays here have one entry per record (~11 per person): kept few, narrow and freed
    # early, so that a million employees fit in a couple of GiB.
    last = month_index(end)
    first = last - months + 1
    # Each person's records run from their hire month (or the window's start) to the end;
    # only the people scored on task measures have them.
    who = np.array([uses_tasks(s) for s in company.scorecards])[p.department]
    emp, month, count = person_months(p, months, end, who)
    rows = len(emp)
    a = ability_in(p, emp, month, months)

    # Expected tasks: the department's workload, less for leaders (they manage) and seniors
    # (fewer but larger tasks), the person's appetite and ability, and the month's ups and
    # downs in the department (with a December holiday dip).
    base_tasks = np.array([d.tasks for d in company.departments] + [10.0])
    role_share = np.array([0.15, 0.25, 0.5, 1.0])
    person = base_tasks[p.department] * role_share[p.role] * 0.88**p.rung
    person *= np.exp(p.volume_style)
    calendar = np.arange(first, last + 1) % 12  # 0 = January
    season = np.where(calendar == 11, 0.85, np.where(calendar == 7, 0.92, 1.0))
    dept_month = np.log(season) + rng.normal(0.0, 0.06, (len(company.departments) + 1, months))
    log_noise = rng.normal(0.0, 0.15, rows)
    log_noise += 0.18 * a
    log_noise += dept_month[p.department[emp], month]
    expected = np.exp(log_noise, out=log_noise)
    expected *= person[emp]
    # A mid-month hire works only part of their first month.
    month_start = p.hire.astype("datetime64[M]")
    days_in_month = ((month_start + 1).astype("datetime64[D]") - month_start).astype(np.int64)
    day = (p.hire - month_start.astype("datetime64[D]")).astype(np.int64)  # 0-based
    joined = np.flatnonzero((month_index(p.hire) >= first) & (count > 0))
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
    share = sigmoid(logit)
    del logit
    for kind, (low, high) in ((1, (0.2, 0.4)), (2, (0.97, 1.0)), (3, (0.01, 0.06))):
        which = odd[odd_kind == kind]
        share[which] = rng.uniform(low, high, len(which))
    completed = rng.binomial(total, share)
    del share

    base_hours = np.array([d.hours_per_task for d in company.departments] + [6.0])
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
    return dataset_frame(
        "task-records",
        {
            "employee_id": pd.array(p.ids[emp], dtype="str"),
            "period": period_days.astype(object)[month],  # one date object per month
            "tasks_total": np.minimum(total, limit, out=total).astype(np.int64, copy=False),
            "tasks_completed": np.minimum(completed, limit).astype(np.int64, copy=False),
            "hours_logged": np.round(hours, 1, out=hours),
        },
    )
