"""Pure analytics for EPA: scores, tiers, anomalies, next-tier prediction and drift.

No I/O and no database: everything takes and returns DataFrames, so it is testable alone.
"""

from analytics.config import AnalysisConfig, InsightsConfig
from analytics.drift import population_stability_index
from analytics.errors import AnalysisError
from analytics.pipeline import SCORE_OUTPUT_COLUMNS, AnalysisResult, analyze
from analytics.posted import analyze_records

__all__ = [
    "SCORE_OUTPUT_COLUMNS",
    "AnalysisConfig",
    "AnalysisError",
    "AnalysisResult",
    "InsightsConfig",
    "analyze",
    "analyze_records",
    "population_stability_index",
]
