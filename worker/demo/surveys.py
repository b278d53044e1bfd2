"""Quarterly pulse-survey answers (engagement and satisfaction)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from worker.demo.frames import as_dates, dataset_frame, month_index
from worker.demo.people import People

_NO_SURVEY_RATE = 0.08


def survey_answers(
    p: People, months: int, end: np.datetime64, end_period: dt.date, rng: np.random.Generator
) -> pd.DataFrame:
    n = len(p.ids)
    last = month_index(end)
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
    return dataset_frame(
        "surveys",
        {
            "employee_id": pd.array(p.ids[emp], dtype="str"),
            "survey_date": as_dates(date),
            "engagement": np.round(np.clip(engagement, 1.0, 5.0), 1),
            "satisfaction": np.round(np.clip(satisfaction, 1.0, 5.0), 1),
        },
    )
