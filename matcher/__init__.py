"""symbiose matcher: candidate exchanges, the LP, solvers and results.

The data flows one way: a validated :class:`models.Network` and a
:class:`models.Scenario` -> :mod:`~matcher.inputs` -> :mod:`~matcher.candidates`
-> :mod:`~matcher.formulation` -> :mod:`~matcher.solvers` -> :mod:`~matcher.result`.
"""

from .api import WarmMatch, build, match, run
from .candidates import Candidates, build_candidates
from .comparison import Comparison, compare
from .formulation import LinearProgram, build_lp, write_mps
from .graph import components, to_networkx
from .inputs import MatchInputs, prepare
from .pareto import pareto_front
from .prices import member_shares, transfer_prices
from .resilience import resilience
from .result import KPI_INFO, MatchResult
from .solvers import Solution, Solver, Status, available_solvers, get_solver

__all__ = [
    "KPI_INFO",
    "Candidates",
    "Comparison",
    "LinearProgram",
    "WarmMatch",
    "MatchInputs",
    "MatchResult",
    "Solution",
    "Solver",
    "Status",
    "available_solvers",
    "build",
    "build_candidates",
    "build_lp",
    "compare",
    "components",
    "get_solver",
    "member_shares",
    "pareto_front",
    "match",
    "prepare",
    "resilience",
    "run",
    "to_networkx",
    "transfer_prices",
    "write_mps",
]
