"""Population stability index (analytics.drift)."""

import numpy as np
import pytest

from analytics import population_stability_index


def test_psi_is_about_zero_for_identical_distributions():
    values = np.random.default_rng(0).normal(50, 10, 5000)
    assert population_stability_index(values, values) == pytest.approx(0.0, abs=1e-12)


def test_psi_is_small_for_two_samples_of_the_same_distribution():
    rng = np.random.default_rng(1)
    assert population_stability_index(rng.normal(0, 1, 20_000), rng.normal(0, 1, 20_000)) < 0.01


def test_psi_is_large_for_a_shifted_distribution():
    rng = np.random.default_rng(2)
    psi = population_stability_index(rng.normal(0, 1, 10_000), rng.normal(1, 1, 10_000))
    assert psi > 0.25


def test_psi_counts_values_beyond_the_expected_range():
    expected = np.linspace(0, 1, 1000)
    assert population_stability_index(expected, expected + 10) > 1.0


def test_psi_of_a_constant_reference_still_detects_a_shift():
    assert population_stability_index([5.0] * 100, [5.0] * 100) == pytest.approx(0.0)
    assert population_stability_index([5.0] * 100, [7.0] * 100) > 1.0


def test_psi_ignores_nan_and_rejects_empty_input():
    values = np.arange(100, dtype=float)
    with_nan = np.append(values, np.nan)
    assert population_stability_index(with_nan, values) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        population_stability_index([np.nan], values)
