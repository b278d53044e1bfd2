"""Training programs per skill, and completions for people's skill gaps with the lift
each completion gives (or, for one program, does not give) at work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from worker.demo.catalogue import Catalogue
from worker.demo.frames import as_dates, dataset_frame, month_index
from worker.demo.people import People

_TRAINED_SHARE = 0.2  # of the employees, completed a program for one of their gaps
_TRAINED_MONTHS_AGO = (4, 8)  # the completion's month, before the last period
_TRAINING_EFFECT = 0.6  # log-odds of completing a task, from the month after completion
_INITIATIVE_WEIGHT = 20.0  # how much likelier the department's initiative skill is picked
_FLAGSHIP_SHARE = 0.8  # of a skill's participants, took its first program


@dataclass(frozen=True)
class Training:
    """Per person: the month index of their completion (a sentinel far in the future when
    none) and the log-odds it adds to their completion share afterwards."""

    month: np.ndarray
    effect: np.ndarray


def training_programs(cat: Catalogue, rng: np.random.Generator) -> pd.DataFrame:
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
    return dataset_frame(
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


def completions(
    p: People,
    cat: Catalogue,
    programs: pd.DataFrame,
    gap_emp: np.ndarray,
    gap_skill: np.ndarray,
    end: np.datetime64,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, Training]:
    """About `_TRAINED_SHARE` of the people completed one program for one of their gaps,
    4–8 months before the last period (hired at least three months before it, so there is
    work to compare with). Every program lifts the completion share from the month after
    the completion, except one: the second most taken (lowest id among equals) changes
    nothing at work, so a measurement has a dud with plenty of participants to tell apart."""
    n = len(p.ids)
    last = month_index(end)
    month = last - rng.integers(_TRAINED_MONTHS_AGO[0], _TRAINED_MONTHS_AGO[1] + 1, n)
    gaps_per_person = np.bincount(gap_emp, minlength=n)
    eligible = (gaps_per_person > 0) & (month_index(p.hire) <= month - 3)
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
    training = Training(
        month=np.full(n, np.iinfo(np.int64).max // 2, dtype=np.int64),
        effect=np.zeros(n),
    )
    training.month[who] = month[who]
    training.effect[who] = np.where(works[program], _TRAINING_EFFECT, 0.0)
    frame = dataset_frame(
        "training-completions",
        {
            "employee_id": pd.array(p.ids[who], dtype="str"),
            "program_id": pd.array(programs["program_id"].to_numpy(dtype=object)[program], "str"),
            "completed_on": as_dates(day),
        },
    )
    return frame, training
