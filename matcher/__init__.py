"""symbiose matcher: the exchanges that minimise cost, and the tools planners build on them.

The public API is this page; internals are reached by their module. Data flows
down the layers, never back::

    engine/    inputs -> compatibility -> candidates -> objective -> formulation
    solve/     backends (HiGHS, PuLP), pricing, decomposition, warm-start bases
    results/   MatchResult, KPIs, reasons, comparison, transfer prices
    planning/  sweep, Pareto front, resilience          report/  HTML, figures, text
    cli.py     parse, call this API, print, exit code

>>> import matcher, models, scenarios
>>> scenario, network = models.load(scenarios.path("hillerod"))
>>> result = matcher.match(network, scenario)
>>> result.status
<Status.OPTIMAL: 'optimal'>
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .api import WarmMatch, compare, match, run
from .errors import InvalidOption, NoSolution, NotSolved, SymbioseError, UnknownId, UnknownSolver, Unsupported
from .results.comparison import Comparison
from .results.result import MatchResult
from .solve import Status, available_solvers

if TYPE_CHECKING:
    from .planning.pareto import ParetoFront, pareto_front
    from .planning.resilience import Resilience, resilience
    from .planning.sweep import Sweep, parse_param, sweep
    from .report import write_comparison, write_images, write_report
    from .results.prices import TransferPrices, transfer_prices

#: Names imported on first use (``matcher.sweep``...): a match never loads the planning tools or the report.
_LAZY = {
    "ParetoFront": ".planning.pareto",
    "pareto_front": ".planning.pareto",
    "Resilience": ".planning.resilience",
    "resilience": ".planning.resilience",
    "Sweep": ".planning.sweep",
    "parse_param": ".planning.sweep",
    "sweep": ".planning.sweep",
    "write_comparison": ".report",
    "write_images": ".report",
    "write_report": ".report",
    "TransferPrices": ".results.prices",
    "transfer_prices": ".results.prices",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "Comparison",
    "InvalidOption",
    "MatchResult",
    "NoSolution",
    "NotSolved",
    "ParetoFront",
    "Resilience",
    "Status",
    "Sweep",
    "SymbioseError",
    "TransferPrices",
    "UnknownId",
    "UnknownSolver",
    "Unsupported",
    "WarmMatch",
    "available_solvers",
    "compare",
    "match",
    "pareto_front",
    "parse_param",
    "resilience",
    "run",
    "sweep",
    "transfer_prices",
    "write_comparison",
    "write_images",
    "write_report",
]
