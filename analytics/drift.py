"""Distribution drift between two samples (e.g. this run's scores against the last run's)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Floor for a bin's share, so an empty bin adds a large but finite term instead of log(0).
PSI_EPSILON = 1e-4


def population_stability_index(
    expected: Sequence[float] | np.ndarray,
    actual: Sequence[float] | np.ndarray,
    bins: int = 10,
) -> float:
    """PSI = sum over bins of (a - e) * ln(a / e), with e/a the bin shares.

    Bin edges are the quantiles of `expected`, so each bin holds about 1/bins of it and the
    outer bins are open-ended (values of `actual` beyond the expected range still count).
    NaN is ignored. Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
    """
    if bins < 2:
        raise ValueError("bins must be at least 2")
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if e.size == 0 or a.size == 0:
        raise ValueError("expected and actual must each contain at least one non-NaN value")

    cuts = np.unique(np.quantile(e, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    if e.min() == e.max():
        # A constant reference: bins "below", "equal" and "above" it.
        cuts = np.array([e[0], np.nextafter(e[0], np.inf)])
    n_bins = len(cuts) + 1
    e_share = np.bincount(np.searchsorted(cuts, e, side="right"), minlength=n_bins) / e.size
    a_share = np.bincount(np.searchsorted(cuts, a, side="right"), minlength=n_bins) / a.size
    e_share = np.maximum(e_share, PSI_EPSILON)
    a_share = np.maximum(a_share, PSI_EPSILON)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))
