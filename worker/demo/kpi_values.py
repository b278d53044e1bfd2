"""A company's custom KPIs, its scorecards per job title, and everybody's monthly KPI
values, driven by ability and its drift, personal styles, leave, outliers and training."""

from __future__ import annotations

import numpy as np
import pandas as pd

from store.datasets import BUILTIN_KPIS
from worker.demo.catalogue import Catalogue
from worker.demo.departments import Company, Kpi
from worker.demo.frames import dataset_frame, empty_dataset_frame, month_index, sigmoid
from worker.demo.people import People, ability_in, person_months
from worker.demo.training import Training

_LEAVE_RATE = 0.015  # person-months without any value (as without tasks)
_MISSING_RATE = 0.02  # single values not reported
# How an outlier's KPIs stand out, in units of ability: poor at everything, too good to be
# true, and wildly inconsistent (good at one KPI, bad at the next).
_OUTLIER_SHIFT = {1: -2.5, 2: 3.5, 3: 3.0}


def kpis_frame(company: Company) -> pd.DataFrame:
    if not company.kpis:
        return empty_dataset_frame("kpis")
    return dataset_frame(
        "kpis",
        {
            "kpi_id": [k.kpi_id for k in company.kpis],
            "name": [k.name for k in company.kpis],
            "unit": [k.unit for k in company.kpis],
            "direction": [k.direction for k in company.kpis],
            "aggregation": [k.aggregation for k in company.kpis],
            "description": [k.description for k in company.kpis],
        },
    )


def scorecards_frame(company: Company, cat: Catalogue, people: People) -> pd.DataFrame:
    """A row per KPI of every job title somebody holds, in a department with a scorecard."""
    held = set(np.unique(people.title).tolist())
    rows: list[tuple[str, str, float]] = []
    for d, dept in enumerate(company.departments):
        ladder = range(cat.ladder_offset[d], cat.ladder_offset[d] + len(dept.ladder))
        for title in (*ladder, cat.lead_title[d], cat.head_title[d]):
            if title in held:
                rows += [(cat.titles[title], kpi, weight) for kpi, weight in dept.scorecard]
    if cat.ceo_title in held:
        rows += [(cat.titles[cat.ceo_title], k, w) for k, w in company.ceo_scorecard]
    if not rows:
        return empty_dataset_frame("scorecards")
    return dataset_frame(
        "scorecards",
        {
            "job_title": [r[0] for r in rows],
            "kpi_id": [r[1] for r in rows],
            "weight": np.array([r[2] for r in rows], dtype=np.float64),
        },
    )


def kpi_values(
    p: People,
    company: Company,
    months: int,
    end: np.datetime64,
    rng: np.random.Generator,
    training: Training,
) -> pd.DataFrame:
    """Every person's monthly value of each custom KPI of their department's scorecard."""
    by_id = {k.kpi_id: k for k in company.kpis}
    first = month_index(end) - months + 1
    emp_all, month_all, _ = person_months(p, months, end)
    on_leave = rng.random(len(emp_all)) < _LEAVE_RATE
    emp_all, month_all = emp_all[~on_leave], month_all[~on_leave]
    emps, months_of, ids, values = [], [], [], []
    for d, scorecard in enumerate(company.scorecards):
        custom = [by_id[k] for k, _ in scorecard if k not in BUILTIN_KPIS]
        in_dept = p.department[emp_all] == d
        emp, month = emp_all[in_dept], month_all[in_dept]
        for i, kpi in enumerate(custom):
            a = ability_in(p, emp, month, months)
            # Training pays off from the month after the completion (if the program works).
            after = (month + first) > training.month[emp]
            a[after] += training.effect[emp[after]]
            odd = p.outlier[emp]
            for kind, shift in _OUTLIER_SHIFT.items():
                a[odd == kind] += shift if kind != 3 else shift * (-1) ** i
            # Everybody has a knack for some KPIs more than for others.
            a += rng.normal(0.0, 0.4, len(p.ids))[emp]
            reported = rng.random(len(emp)) >= _MISSING_RATE
            emps.append(emp[reported])
            months_of.append(month[reported])
            ids.append(np.full(int(reported.sum()), kpi.kpi_id, dtype=object))
            values.append(_value(kpi, a[reported], p.slope[emp[reported]], rng))
    if not emps:
        return empty_dataset_frame("kpi-values")
    emp, month = np.concatenate(emps), np.concatenate(months_of)
    period_days = np.arange(first, first + months).astype("datetime64[M]").astype("datetime64[D]")
    return dataset_frame(
        "kpi-values",
        {
            "employee_id": pd.array(p.ids[emp], dtype="str"),
            "period": period_days.astype(object)[month],  # one date object per month
            "kpi_id": pd.array(np.concatenate(ids), dtype="str"),
            "value": np.concatenate(values),
        },
    )


def _value(
    kpi: Kpi, ability: np.ndarray, slope: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The KPI's monthly value for each row, from the row's ability (and where it is
    heading) in the KPI's terms."""
    sign = 1.0 if kpi.direction == "higher_is_better" else -1.0
    latent = sign * (kpi.effect * ability + kpi.drift_effect * slope)
    latent += rng.normal(0.0, kpi.noise, len(ability))
    if kpi.kind == "share":
        typical = np.log(kpi.typical / (100.0 - kpi.typical))
        return np.round(100.0 * sigmoid(typical + latent), 1)
    if kpi.kind == "rating":
        return np.round(np.clip(kpi.typical + latent, kpi.low, kpi.high), 2)
    if kpi.kind == "amount":
        return np.round(kpi.typical * np.exp(latent), 2)
    if kpi.kind == "count":
        return rng.poisson(kpi.typical * np.exp(latent)).astype(np.float64)
    raise ValueError(f"{kpi.kpi_id}: unknown kind {kpi.kind!r}")
