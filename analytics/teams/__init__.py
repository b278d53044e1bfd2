"""Team analytics, pure functions of scores, skills and role requirements (no I/O):

- `composition`: per-team metrics (tier mix, skill coverage, workload) and the department
  imbalance objective, with a worked example;
- `rebalancing`: greedy suggestions of moves and swaps that lower the imbalance;
- `proposals`: the objective and team metrics before and after a proposed set of moves;
- `population`: the integer-coded arrays and skill-coverage primitives they share.
"""

from analytics.teams.composition import (
    TEAM_COMPOSITION_COLUMNS,
    population_composition,
    team_composition,
)
from analytics.teams.population import Population, prepare
from analytics.teams.proposals import ProposalError, evaluate_proposal
from analytics.teams.rebalancing import (
    TEAM_SUGGESTION_COLUMNS,
    population_suggestions,
    suggest_changes,
)

__all__ = [
    "TEAM_COMPOSITION_COLUMNS",
    "TEAM_SUGGESTION_COLUMNS",
    "Population",
    "ProposalError",
    "evaluate_proposal",
    "population_composition",
    "population_suggestions",
    "prepare",
    "suggest_changes",
    "team_composition",
]
