"""The backend interface: what a backend can do, one status vocabulary, one solution record.

A backend only consumes a :class:`~matcher.engine.formulation.LinearProgram`
(arrays); it knows nothing of streams or members. It declares its
:class:`Feature` set; a backend with :attr:`Feature.INCREMENTAL` also keeps a
model between solves (:class:`IncrementalModel`: change bounds and costs, add
rows and columns, re-solve from the last basis), which pricing, decomposition,
warm starts, Pareto fronts and resilience use through this interface only.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from ..engine.formulation import LinearProgram

__all__ = [
    "BasisStatus",
    "Feature",
    "IncrementalModel",
    "Solution",
    "Solver",
    "Status",
    "with_fixed_integers",
]


class Status(enum.StrEnum):
    """Outcome of a solve, the same whatever the backend (and for every planning tool)."""

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
    """Start a solve from a basis (:attr:`Solution.basis`)."""
    INCREMENTAL = "incremental"
    """Keep a model between solves: :meth:`Solver.incremental`."""


class BasisStatus(enum.IntEnum):
    """Simplex basis status of a column or row (the numbering HiGHS uses; other backends map to it)."""

    AT_LOWER = 0
    BASIC = 1
    AT_UPPER = 2
    ZERO = 3
    NONBASIC = 4


@dataclass
class Solution:
    """What a backend returns.

    ``x`` and ``row_duals`` are set only when ``status.has_solution``;
    ``row_duals`` holds d(objective)/d(row bound) and is None where the
    backend or the problem (a MILP) gives none. ``basis`` holds the
    :class:`BasisStatus` codes of the columns and rows where the backend gives
    them, so that a related model can start from it.
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


class IncrementalModel(Protocol):
    """A model kept by a backend between solves; each solve starts from the last basis."""

    @property
    def n_columns(self) -> int:
        """Columns in the model now (those of the LP it started from, then those added)."""

    def set_time_limit(self, seconds: float) -> None:
        """Limit the next solves to ``seconds`` each."""

    def set_objective(self, c: np.ndarray) -> None:
        """Replace the objective of the first ``c.size`` columns."""

    def add_row(self, coefficients: np.ndarray, lower: float, upper: float) -> int:
        """Add a dense row over the first columns; returns its index."""

    def add_columns(
        self, cost: np.ndarray, upper: np.ndarray, rows: np.ndarray, cols: np.ndarray, values: np.ndarray
    ) -> None:
        """Append ``cost.size`` columns (lower bound 0); entries ``(rows, cols, values)`` with ``cols`` local."""

    def set_row_bounds(self, rows: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Change the bounds of some rows."""

    def set_col_bounds(self, cols: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Change the bounds of some columns."""

    def set_basis(self, col_status: np.ndarray, row_status: np.ndarray) -> bool:
        """Start the next solve from this basis (:class:`BasisStatus` codes); returns whether it was taken."""

    def solve(self) -> Solution:
        """Solve from the current basis; ``x`` and duals cover the model's columns and rows now (see :meth:`basis`)."""

    def basis(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The current basis (:class:`BasisStatus` codes of columns and rows), or None."""


class Solver(ABC):
    """A backend that solves a :class:`LinearProgram`."""

    name: ClassVar[str]
    features: ClassVar[frozenset[Feature]]

    @classmethod
    @abstractmethod
    def is_available(cls) -> bool:
        """Whether the backend can run on this machine (probed: its library loads, its program starts)."""

    @abstractmethod
    def solve(
        self, lp: LinearProgram, time_limit: float | None = None, start: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Solution:
        """Solve ``lp``; never raises for an infeasible or failed solve.

        ``start`` is a basis (column and row statuses, as in :attr:`Solution.basis`)
        to start from; backends without :attr:`Feature.WARM_START` ignore it.
        """

    def incremental(
        self,
        lp: LinearProgram,
        time_limit: float | None = None,
        start: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> IncrementalModel:
        """A model of ``lp`` kept between solves (backends with :attr:`Feature.INCREMENTAL`).

        Raises
        ------
        Unsupported
            If the backend cannot keep a model.
        """
        from ..errors import Unsupported

        raise Unsupported(f"the {self.name} backend cannot keep a model between solves; use highs")

    def solve_milp_duals(self, lp: LinearProgram, sol: Solution) -> Solution:
        """The solution of a MILP with the marginal values of its LP with the binaries fixed at the optimum."""
        if not (lp.is_mip and sol.status.has_solution and sol.x is not None and Feature.DUALS in self.features):
            return sol
        return replace(sol, row_duals=self.solve(with_fixed_integers(lp, sol.x)).row_duals)


def with_fixed_integers(lp: LinearProgram, x: np.ndarray) -> LinearProgram:
    """The LP of a MILP with every integer column fixed at its (rounded) value in ``x``.

    Its row duals are the marginal values at the MILP's optimum.
    """
    fixed = np.round(x[lp.integrality])
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[lp.integrality] = fixed
    upper[lp.integrality] = fixed
    return replace(lp, col_lower=lower, col_upper=upper, integrality=np.zeros_like(lp.integrality))
