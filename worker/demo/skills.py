"""Assessed skill levels: each person's role skills, a few others, and the gaps between
them and what the role requires."""

from __future__ import annotations

import numpy as np
import pandas as pd

from worker.demo.catalogue import Catalogue
from worker.demo.frames import dataset_frame
from worker.demo.people import People


def assessed_skills(
    p: People, cat: Catalogue, rng: np.random.Generator
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
    frame = dataset_frame(
        "skills",
        {
            "employee_id": pd.array(p.ids[emp[keep]], dtype="str"),
            "skill": pd.array(np.array(cat.skills, dtype=object)[skill[keep]], dtype="str"),
            "level": level[keep],
        },
    )
    return frame, gap_emp, gap_skill
