"""Job titles, skills and role requirements (the catalogue every person's title and skills
point into), and the role-requirements frame built from it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from worker.demo.departments import SHARED_SKILLS, Company
from worker.demo.frames import dataset_frame


@dataclass(frozen=True)
class Catalogue:
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


def build_catalogue(company: Company, rng: np.random.Generator) -> Catalogue:
    """Titles, skills and role requirements: small tables, so plain Python is fine here."""
    skills = sorted({s for d in company.departments for s in d.skills} | set(SHARED_SKILLS))
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
    for dept in company.departments:
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
        company.ceo_title,
        ["Leadership", "Strategic Planning", "Stakeholder Management", "Communication"],
        5,
    )
    req = np.array(requirements, dtype=np.float64)
    return Catalogue(
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


def requirements_frame(cat: Catalogue) -> pd.DataFrame:
    titles = np.array(cat.titles, dtype=object)
    skills = np.array(cat.skills, dtype=object)
    return dataset_frame(
        "role-requirements",
        {
            "job_title": pd.array(titles[cat.req_title], dtype="str"),
            "skill": pd.array(skills[cat.req_skill], dtype="str"),
            "required_level": cat.req_level,
            "importance": cat.req_importance,
        },
    )
