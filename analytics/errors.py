"""The one exception type the analytics package raises for bad input."""


class AnalysisError(ValueError):
    """The input cannot be analysed (missing columns, inconsistent counts, too few rows)."""
