r"""The objectives a match can optimise, and each column's part in them.

Every column of the LP carries three components: money (currency, carbon price
included), CO2e (t) and waste left to disposal (t). An objective is a weighted
sum of them (``parameters.objective``: ``cost``, ``co2e``, ``waste`` or weights
such as ``{cost: 1, co2e: 200}``).

.. math::

    c_j = \sum_k w_k\,c^k_j, \qquad k \in \{\text{cost}, \text{co2e}, \text{waste}\}

The gain of a candidate pair (what one unit of supply on it improves a component
by, against disposal and virgin purchase) is in the pair table's ``GAIN_COLUMNS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.scenario import OBJECTIVE_NAMES

if TYPE_CHECKING:
    from .inputs import MatchInputs

__all__ = ["GAIN_COLUMNS", "OBJECTIVES", "flow_components", "gain", "slack_components", "weighted"]

_UNITS = {"cost": "currency", "co2e": "t CO2e", "waste": "t to disposal"}
_GAINS = {"cost": "unit_saving", "co2e": "unit_co2e_gain", "waste": "unit_waste_gain"}

#: Objective name (:data:`models.scenario.OBJECTIVE_NAMES`) -> the unit it is measured in.
OBJECTIVES: dict[str, str] = {name: _UNITS[name] for name in OBJECTIVE_NAMES}

#: Objective name -> the column of ``Candidates.edges`` with a pair's gain per unit of flow.
GAIN_COLUMNS: dict[str, str] = {name: _GAINS[name] for name in OBJECTIVE_NAMES}


def weighted(components: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The objective vector for weights on the components (``{"cost": 1}``, ``{"co2e": 1, "cost": 1e-3}``)."""
    first = next(iter(components.values()))
    return sum((w * components[k] for k, w in weights.items()), np.zeros_like(first, dtype=float))


def gain(edges: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """Each pair's gain per unit of flow for the weighted objective (positive: the pair pays)."""
    return weighted({k: edges[col].to_numpy(dtype=float) for k, col in GAIN_COLUMNS.items()}, weights)


def flow_components(edges: pd.DataFrame, carbon_price: float) -> dict[str, np.ndarray]:
    """Objective components of each candidate pair's flow: money (carbon price included), t CO2e, waste."""
    e = edges
    co2e = e["transport_co2e_t"].to_numpy(dtype=float)
    return {
        "cost": e["transport_cost"].to_numpy(dtype=float) + carbon_price * co2e,
        "co2e": co2e,
        "waste": np.zeros(len(e)),
    }


def slack_components(inputs: MatchInputs) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Objective components of disposal (per supply) and of virgin purchase (per demand), per base unit."""
    sup, dem = inputs.supplies, inputs.demands
    disposal = {
        "cost": sup["unit_cost"].to_numpy(dtype=float),
        "co2e": sup["unit_co2e_t"].to_numpy(dtype=float),
        "waste": sup["waste_t"].to_numpy(dtype=float),
    }
    virgin = {
        "cost": dem["unit_cost"].to_numpy(dtype=float),
        "co2e": dem["unit_co2e_t"].to_numpy(dtype=float),
        "waste": np.zeros(len(dem)),
    }
    return disposal, virgin
