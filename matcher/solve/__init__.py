"""Solving: backends behind one interface, and the strategies that use what a backend can do.

* :mod:`~matcher.solve.base`: the interface (:class:`Solver`, :class:`Feature`,
  :class:`Status`, :class:`Solution`, the :class:`IncrementalModel` protocol);
* :mod:`~matcher.solve.highs`, :mod:`~matcher.solve.pulp`: the backends;
* :mod:`~matcher.solve.pricing`: column generation over candidate pairs;
* :mod:`~matcher.solve.decompose`: independent components solved apart, in parallel;
* :mod:`~matcher.solve.basis`: a basis kept by stream ids, to warm-start related models;
* :mod:`~matcher.solve.mps`: the model as an MPS file.

>>> sorted(available_solvers())
['cbc', 'highs']
>>> get_solver("gurobi-by-magic")
Traceback (most recent call last):
...
matcher.errors.UnknownSolver: unknown solver 'gurobi-by-magic'; available: cbc, highs
"""

from __future__ import annotations

from ..errors import UnknownSolver
from .base import Feature, Solution, Solver, Status
from .highs import HighsSolver
from .pulp import PulpSolver

__all__ = ["Feature", "Solution", "Solver", "Status", "available_solvers", "get_solver", "solver_names"]

_REGISTRY: dict[str, type[Solver]] = {"highs": HighsSolver, "cbc": PulpSolver}


def solver_names() -> list[str]:
    """The backends symbiose knows, by name, whether or not they can run here (nothing is probed)."""
    return sorted(_REGISTRY)


def available_solvers() -> dict[str, type[Solver]]:
    """Backends that can run here, by name (each probed: its library loads, its program starts)."""
    return {k: v for k, v in _REGISTRY.items() if v.is_available()}


def get_solver(name: str) -> Solver:
    """A backend instance by name (``highs``, ``cbc``, or ``pulp:<PuLP solver name>``).

    Raises
    ------
    UnknownSolver
        If no backend of that name can run here.
    """
    key = name.lower()
    if key.startswith("pulp:"):
        solver = PulpSolver(name.split(":", 1)[1])
        if not solver.runs_here():
            raise UnknownSolver(f"the PuLP solver {solver.pulp_name!r} is not available here")
        return solver
    backend = _REGISTRY.get(key)
    if backend is None or not backend.is_available():  # only the named backend is probed (not CBC for HiGHS)
        raise UnknownSolver(f"unknown solver {name!r}; available: {', '.join(sorted(available_solvers()))}")
    return backend()
