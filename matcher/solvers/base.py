"""The backend interface: one status vocabulary, one solution record, a registry.

A backend only consumes a :class:`~matcher.formulation.LinearProgram`; it
knows nothing of streams or members.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from ..formulation import LinearProgram

__all__ = ["Feature", "Solution", "Solver", "Status", "with_fixed_integers"]


class Status(enum.StrEnum):
    """Outcome of a solve, the same whatever the backend."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """Whether a primal solution exists to read back."""
        return self in (Status.OPTIMAL, Status.TIME_LIMIT_FEASIBLE)


class Feature(enum.StrEnum):
    """What a backend can do."""

    LP = "lp"
    MILP = "milp"
    DUALS = "duals"
    WARM_START = "warm_start"


@dataclass
class Solution:
    """What a backend returns.

    ``x`` and ``row_duals`` are set only when ``status.has_solution``;
    ``row_duals`` holds d(objective)/d(row bound) and is None where the
    backend or the problem (a MILP) gives none. ``basis`` holds the simplex
    basis statuses of the columns and rows (HiGHS codes: 0 at lower bound,
    1 basic, 2 at upper bound, 3 free at zero, 4 nonbasic) where the backend
    gives one, so that a related model can start from it.
    """

    status: Status
    objective: float = float("nan")
    x: np.ndarray | None = None
    row_duals: np.ndarray | None = None
    message: str = ""
    solver: str = ""
    solver_version: str = ""
    seconds: float = float("nan")
    basis: tuple[np.ndarray, np.ndarray] | None = None


class Solver(ABC):
    """A backend that solves a :class:`LinearProgram`."""

    name: ClassVar[str]
    features: ClassVar[frozenset[Feature]]

    @classmethod
    @abstractmethod
    def is_available(cls) -> bool:
        """Whether the backend can run on this machine."""

    @abstractmethod
    def solve(
        self, lp: LinearProgram, time_limit: float | None = None, start: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Solution:
        """Solve ``lp``; never raises for an infeasible or failed solve.

        ``start`` is a basis (column and row statuses, as in :attr:`Solution.basis`)
        to start from; backends without :attr:`Feature.WARM_START` ignore it.
        """


def with_fixed_integers(lp: LinearProgram, x: np.ndarray) -> LinearProgram:
    """The LP of a MILP with every integer column fixed at its (rounded) value in ``x``.

    Its row duals are the marginal values at the MILP's optimum.
    """
    from dataclasses import replace

    fixed = np.round(x[lp.integrality])
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[lp.integrality] = fixed
    upper[lp.integrality] = fixed
    return replace(lp, col_lower=lower, col_upper=upper, integrality=np.zeros_like(lp.integrality))
