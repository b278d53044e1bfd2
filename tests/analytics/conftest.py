"""Analytics tests: pure functions and estimators on small DataFrames, no I/O."""

from __future__ import annotations

import pytest

from analytics import AnalysisConfig


@pytest.fixture(scope="session")
def fast_config() -> AnalysisConfig:
    """The default analysis with a two-point grid search of small forests: the same code
    paths as production, in a fraction of the time."""
    return AnalysisConfig(
        param_grid={"max_depth": (4, 8), "min_samples_leaf": (1,), "n_estimators": (30,)}
    )
