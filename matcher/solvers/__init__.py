"""Solver backends behind one interface; pick one by name.

>>> sorted(available_solvers())
['cbc', 'highs']
>>> get_solver("gurobi-by-magic")
Traceback (most recent call last):
...
KeyError: "unknown solver 'gurobi-by-magic'; available: cbc, highs"
"""

from __future__ import annotations

from .base import Feature, Solution, Solver, Status, with_fixed_integers
from .highs import HighsSolver
from .pulp import PulpSolver

__all__ = ["Feature", "Solution", "Solver", "Status", "available_solvers", "get_solver", "with_fixed_integers"]

_REGISTRY: dict[str, type[Solver]] = {"highs": HighsSolver, "cbc": PulpSolver}


def available_solvers() -> dict[str, type[Solver]]:
    """Backends that can run here, by name."""
    return {k: v for k, v in _REGISTRY.items() if v.is_available()}


def get_solver(name: str) -> Solver:
    """A backend instance by name (``highs``, ``cbc``, or ``pulp:<PuLP solver name>``)."""
    key = name.lower()
    if key.startswith("pulp:"):
        return PulpSolver(name.split(":", 1)[1])
    if key not in available_solvers():
        raise KeyError(f"unknown solver {name!r}; available: {', '.join(sorted(available_solvers()))}")
    return _REGISTRY[key]()
