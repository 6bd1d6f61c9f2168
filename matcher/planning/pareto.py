"""Pareto fronts between two objectives by the epsilon-constraint method.

Each point minimises ``x`` subject to ``y <= eps``, so it is optimal for its
bound; the two end points are lexicographic optima (best ``x``, then best
``y`` among those, and the reverse). One model is kept by the backend
throughout (:meth:`~matcher.solve.base.Solver.incremental`) and each solve
starts from the previous basis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import Network, Scenario

from ..engine.candidates import find_candidates
from ..engine.formulation import build_lp
from ..engine.objective import OBJECTIVES
from ..errors import InvalidOption, NoSolution
from ..results.numbers import json_number
from ..solve import Solver, Status, get_solver

__all__ = ["ParetoFront", "pareto_front"]

_REL = 1e-9


@dataclass
class ParetoFront:
    """A front of objective ``x`` against objective ``y``.

    Attributes
    ----------
    x, y : str
        The objectives (keys of :data:`~matcher.engine.objective.OBJECTIVES`).
    points : DataFrame
        One row per point, ordered along the front from the best ``x`` to the
        best ``y``: columns ``<x>``, ``<y>``, ``bound`` (the epsilon on ``y``), ``status``.
    title : str
        The scenario's name.
    """

    x: str
    y: str
    points: pd.DataFrame
    title: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The points."""
        return self.points

    def to_dict(self) -> dict[str, Any]:
        """The ``pareto --json`` document."""
        x, y = self.x, self.y
        rows = [{x: json_number(r[x]), y: json_number(r[y]), "status": r["status"]} for _, r in self.points.iterrows()]
        return {"x": x, "y": y, "points": rows}

    def plot(self) -> Any:
        """The front as a plotly figure."""
        from ..report.figures import pareto_figure

        return pareto_figure(self.points, self.x, self.y, self.title)


def pareto_front(
    network: Network,
    scenario: Scenario,
    x: str = "cost",
    y: str = "co2e",
    points: int = 11,
    time_limit: float | None = None,
    solver: str | Solver = "highs",
    progress: Callable[[int, int], None] | None = None,
) -> ParetoFront:
    """The front of ``x`` against ``y`` (points that coincide are kept once).

    ``progress`` is called with (points done, points in all) after each point.

    Raises
    ------
    InvalidOption
        For an unknown objective, the same objective twice, fewer than 2 points, or a
        backend that cannot keep a model between solves.
    NoSolution
        If the scenario has no solution (its end points cannot be found).
    """
    for name in (x, y):
        if name not in OBJECTIVES:
            raise InvalidOption(f"unknown objective {name!r}; choose from {', '.join(OBJECTIVES)}")
    if x == y or points < 2:
        raise InvalidOption("a front needs two different objectives and at least 2 points")
    backend = get_solver(solver) if isinstance(solver, str) else solver
    lp = build_lp(find_candidates(network, scenario, also=(x, y)))
    cx, cy = lp.components[x], lp.components[y]
    model = backend.incremental(lp, time_limit=time_limit)
    eps_row = model.add_row(cy, -np.inf, np.inf)
    cap_row = model.add_row(cx, -np.inf, np.inf)

    def lexicographic(first: np.ndarray, second: np.ndarray, cap: int) -> tuple[np.ndarray | None, Status]:
        model.set_row_bounds([eps_row, cap_row], [-np.inf, -np.inf], [np.inf, np.inf])
        model.set_objective(first)
        a = model.solve()
        if a.x is None:
            return None, a.status
        best = float(first @ a.x)
        model.set_row_bounds([cap], [-np.inf], [best + _REL * max(1.0, abs(best))])
        model.set_objective(second)
        b = model.solve()
        model.set_row_bounds([cap], [-np.inf], [np.inf])
        return (b.x if b.x is not None else a.x), a.status

    # end points: best x (then best y), best y (then best x)
    tell = progress or (lambda done, total: None)
    x_end, x_status = lexicographic(cx, cy, cap_row)
    y_end, y_status = lexicographic(cy, cx, eps_row)
    tell(2, points)
    if x_end is None or y_end is None:
        failed = x_status if x_end is None else y_status
        raise NoSolution(failed.value, f"{scenario.name}: no solution, so no front ({failed.value})")
    y_hi, y_lo = float(cy @ x_end), float(cy @ y_end)
    rows = [{x: float(cx @ x_end), y: y_hi, "bound": y_hi, "status": Status.OPTIMAL.value}]
    model.set_objective(cx)
    for i, eps in enumerate(np.linspace(y_hi, y_lo, points)[1:-1]):
        model.set_row_bounds([eps_row], [-np.inf], [eps])
        sol = model.solve()
        tell(3 + i, points)
        if sol.x is None:
            rows.append({x: np.nan, y: np.nan, "bound": eps, "status": sol.status.value})
        else:
            rows.append({x: float(cx @ sol.x), y: float(cy @ sol.x), "bound": eps, "status": sol.status.value})
    rows.append({x: float(cx @ y_end), y: y_lo, "bound": y_lo, "status": Status.OPTIMAL.value})
    front = pd.DataFrame(rows)
    vals = front[[x, y]].to_numpy(dtype=float)
    same = np.zeros(len(front), dtype=bool)
    same[1:] = np.isclose(vals[1:], vals[:-1], rtol=1e-7, atol=1e-9).all(axis=1)
    return ParetoFront(x, y, front[~same].reset_index(drop=True), scenario.name)
