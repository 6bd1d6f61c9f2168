"""Pareto fronts between two objectives by the epsilon-constraint method.

Each point minimises ``x`` subject to ``y <= eps``, so it is optimal for its
bound; the two end points are lexicographic optima (best ``x``, then best
``y`` among those, and the reverse). One HiGHS model is kept throughout and
each solve starts from the previous basis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import Network, Scenario

from .candidates import build_candidates
from .formulation import build_lp
from .inputs import prepare
from .solvers.highs import HighsSession

__all__ = ["OBJECTIVES", "pareto_front"]

#: Objectives a front can trade off, with their units.
OBJECTIVES = {"cost": "currency", "co2e": "t CO2e", "waste": "t to disposal"}
_REL = 1e-9


def pareto_front(
    network: Network,
    scenario: Scenario,
    x: str = "cost",
    y: str = "co2e",
    points: int = 11,
    time_limit: float | None = None,
) -> pd.DataFrame:
    """The front of ``x`` against ``y``.

    Returns
    -------
    DataFrame
        One row per point, ordered along the front from the best ``x`` to the
        best ``y``: columns ``x``, ``y`` (named after the objectives), ``bound``
        (the epsilon on ``y``), ``status``. Points that coincide are kept once.

    Raises
    ------
    ValueError
        For an unknown objective, the same objective twice, or fewer than 2 points.
    """
    for name in (x, y):
        if name not in OBJECTIVES:
            raise ValueError(f"unknown objective {name!r}; choose from {', '.join(OBJECTIVES)}")
    if x == y or points < 2:
        raise ValueError("a front needs two different objectives and at least 2 points")
    lp = build_lp(build_candidates(prepare(network, scenario), also=(x, y)))
    cx, cy = lp.components[x], lp.components[y]
    session = HighsSession(lp, time_limit=time_limit)
    eps_row = session.add_row(cy, -np.inf, np.inf)
    cap_row = session.add_row(cx, -np.inf, np.inf)

    def lexicographic(first: np.ndarray, second: np.ndarray, cap: int) -> np.ndarray | None:
        session.set_row_bounds([eps_row, cap_row], [-np.inf, -np.inf], [np.inf, np.inf])
        session.set_objective(first)
        a = session.solve()
        if a.x is None:
            return None
        best = float(first @ a.x)
        session.set_row_bounds([cap], [-np.inf], [best + _REL * max(1.0, abs(best))])
        session.set_objective(second)
        b = session.solve()
        session.set_row_bounds([cap], [-np.inf], [np.inf])
        return b.x if b.x is not None else a.x

    # end points: best x (then best y), best y (then best x)
    x_end = lexicographic(cx, cy, cap_row)
    y_end = lexicographic(cy, cx, eps_row)
    if x_end is None or y_end is None:
        return pd.DataFrame({x: [np.nan], y: [np.nan], "bound": [np.nan], "status": ["no solution"]})
    y_hi, y_lo = float(cy @ x_end), float(cy @ y_end)
    rows = [{x: float(cx @ x_end), y: y_hi, "bound": y_hi, "status": "optimal"}]
    session.set_objective(cx)
    for eps in np.linspace(y_hi, y_lo, points)[1:-1]:
        session.set_row_bounds([eps_row], [-np.inf], [eps])
        sol = session.solve()
        if sol.x is None:
            rows.append({x: np.nan, y: np.nan, "bound": eps, "status": sol.status.value})
        else:
            rows.append({x: float(cx @ sol.x), y: float(cy @ sol.x), "bound": eps, "status": sol.status.value})
    rows.append({x: float(cx @ y_end), y: y_lo, "bound": y_lo, "status": "optimal"})
    front = pd.DataFrame(rows)
    vals = front[[x, y]].to_numpy(dtype=float)
    same = np.zeros(len(front), dtype=bool)
    same[1:] = np.isclose(vals[1:], vals[:-1], rtol=1e-7, atol=1e-9).all(axis=1)
    return front[~same].reset_index(drop=True)
