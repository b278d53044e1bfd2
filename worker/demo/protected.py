"""Protected attributes of the demo's people: an age band and a gender each, drawn
independently of everything else (ability, tenure, department), so the fairness audit of a
demo run shows what an unbiased model looks like, small groups suppressed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from worker.demo.frames import dataset_frame
from worker.demo.people import People

# Shares of a mid-sized European workforce, roughly.
AGE_BANDS = {"under 30": 0.22, "30-39": 0.33, "40-49": 0.26, "50+": 0.19}
GENDERS = {"female": 0.47, "male": 0.50, "non-binary": 0.03}
# Declining to state is allowed: those people have no row for the attribute.
UNDISCLOSED = {"age_band": 0.02, "gender": 0.05}


def protected_attributes(people: People, rng: np.random.Generator) -> pd.DataFrame:
    parts = []
    for attribute, groups in (("age_band", AGE_BANDS), ("gender", GENDERS)):
        names = np.array(list(groups), dtype=object)
        drawn = rng.choice(names, size=len(people.ids), p=list(groups.values()))
        stated = rng.random(len(people.ids)) >= UNDISCLOSED[attribute]
        parts.append(
            pd.DataFrame(
                {"employee_id": people.ids[stated], "attribute": attribute, "group": drawn[stated]}
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    return dataset_frame("protected-attributes", {c: frame[c] for c in frame.columns})
