"""PuLP backend: CBC, and any other solver PuLP reaches.

PuLP builds its model in Python, one expression per row; it is here for
reach (GLPK, Gurobi, CPLEX, ... by their PuLP names) and as an independent
check of HiGHS, not for speed. CBC comes from the ``cbcbox`` wheel
(``pulp[cbc]``) and is driven through PuLP's ``COIN_CMD``.

Duals are not read back: CBC's presolve drops singleton rows and reports
them with a zero shadow price, which breaks complementary slackness (seen
on the bundled Hillerød scenario), so marginal values come from HiGHS only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .base import Feature, Solution, Solver, Status

if TYPE_CHECKING:
    from ..engine.formulation import LinearProgram

__all__ = ["PulpSolver", "cbc_path"]

#: Every PuLP status (LpStatusOptimal, ...) -> project status, refined by PuLP's solution status.
STATUS_MAP: dict[int, Status] = {
    1: Status.OPTIMAL,
    -1: Status.INFEASIBLE,
    -2: Status.UNBOUNDED,
    0: Status.TIME_LIMIT_NO_SOLUTION,
    -3: Status.ERROR,
}


def cbc_path() -> str | None:
    """The ``cbc`` executable: next to this Python (a venv), else on PATH."""
    beside = Path(sys.executable).parent / "cbc"
    if beside.exists():
        return str(beside)
    return shutil.which("cbc")


@cache
def _cbc_runs() -> bool:
    """Whether the CBC program is there and starts (``cbc -quit`` exits 0)."""
    path = cbc_path()
    if path is None:
        return False
    try:
        done = subprocess.run([path, "-quit"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


class PulpSolver(Solver):
    """A solver reached through PuLP: ``cbc`` by default, or any PuLP solver name."""

    name: ClassVar[str] = "cbc"
    features = frozenset({Feature.LP, Feature.MILP})

    def __init__(self, pulp_name: str = "COIN_CMD") -> None:
        self.pulp_name = pulp_name

    @classmethod
    def is_available(cls) -> bool:
        return _cbc_runs()

    def runs_here(self) -> bool:
        """Whether this instance's PuLP solver is installed and starts (CBC: the program answers)."""
        if self.pulp_name == "COIN_CMD":
            return _cbc_runs()
        import pulp

        try:
            return bool(pulp.getSolver(self.pulp_name).available())
        except (pulp.PulpSolverError, KeyError, TypeError, ValueError):
            return False

    def _solver(self, time_limit: float | None) -> Any:
        import pulp

        if self.pulp_name == "COIN_CMD":
            return pulp.COIN_CMD(path=cbc_path(), msg=False, timeLimit=time_limit)
        return pulp.getSolver(self.pulp_name, msg=False, timeLimit=time_limit)

    def solve(
        self, lp: LinearProgram, time_limit: float | None = None, start: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Solution:
        import pulp  # imported on use: it is slow to import and only this backend needs it

        began = time.perf_counter()
        prob = pulp.LpProblem("symbiose", pulp.LpMinimize)
        cols = [
            prob.add_variable(
                f"c{j}",
                None if np.isinf(lo) else float(lo),
                None if np.isinf(hi) else float(hi),
                cat=pulp.LpInteger if integer else pulp.LpContinuous,
            )
            for j, (lo, hi, integer) in enumerate(zip(lp.col_lower, lp.col_upper, lp.integrality))
        ]
        prob.setObjective(pulp.LpAffineExpression([(cols[j], float(lp.c[j])) for j in np.flatnonzero(lp.c)]))
        A = lp.A.tocsr()
        for i in range(A.shape[0]):
            lo, hi = A.indptr[i], A.indptr[i + 1]
            expr = pulp.LpAffineExpression([(cols[j], float(v)) for j, v in zip(A.indices[lo:hi], A.data[lo:hi])])
            lo_b, hi_b = lp.row_lower[i], lp.row_upper[i]
            if lo_b == hi_b:
                parts = [expr == float(lo_b)]
            else:
                parts = ([expr >= float(lo_b)] if np.isfinite(lo_b) else []) + (
                    [expr <= float(hi_b)] if np.isfinite(hi_b) else []
                )
            for k, con in enumerate(parts):
                prob.addConstraint(con, f"r{i}_{k}")
        try:
            prob.solve(self._solver(time_limit))
        except pulp.PulpSolverError as exc:
            return Solution(Status.ERROR, message=str(exc), solver=self.name)
        status = STATUS_MAP.get(prob.status, Status.ERROR)
        has_values = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        if status is Status.OPTIMAL and prob.sol_status == pulp.LpSolutionIntegerFeasible:
            status = Status.TIME_LIMIT_FEASIBLE
        if status is Status.TIME_LIMIT_NO_SOLUTION and has_values:
            status = Status.TIME_LIMIT_FEASIBLE
        sol = Solution(
            status, solver=self.name, solver_version=f"PuLP {pulp.__version__}", message=pulp.LpStatus[prob.status]
        )
        if status.has_solution:
            sol.x = np.array([v.value() or 0.0 for v in cols])
            sol.objective = float(lp.c @ sol.x)
        sol.seconds = time.perf_counter() - began
        return sol
