"""Fair transfer prices from the duals of the balance rows.

For an exchange ``e`` from supply ``s`` to demand ``d`` (ratio ``a``), let
``pi_s`` and ``pi_d`` be the duals of their balance rows (the change in total
cost per extra unit of the stream). The receiver pays the supplier

.. math::  t_e = a\\,\\pi_d   \\quad\\text{per unit of supply,}

and the supplier bears the transport. Per unit, the supplier then gains
``w_s - pi_s`` (its marginal value) and the receiver ``a (v_d - pi_d)``.
Where the flow is strictly between its bounds its reduced cost is zero, so
the two gains add up exactly to the exchange's saving; dual feasibility
makes every pair's gains at least what the pair could save on its own (no
blocking pair): these shares are Owen's dual allocation of the linear
production game, which lies in its core. Where a demand's blended quality
limit binds, the difference is the value of that limit and goes to the
receiver (summed over a demand it equals what its marginal value earns on its
virgin purchase, so member totals are exactly Owen's allocation and none is
negative); a binding link capacity's rent and fixed link costs are split
equally. The simple 50/50 split is given beside it for comparison.

A solver returns one vertex of the optimal dual face, where one side of most
exchanges takes the whole saving. The default duals are therefore the midpoint
of the supplier-optimal and the receiver-optimal ends of that face
(:mod:`matcher.results.dual_face`); the prices at both ends are given as the
negotiation range. The face is convex, so the midpoint's shares stay in the core.
For a MILP (fixed link costs, minimum quantities) the face is that of its LP with
the binaries fixed at the optimum: the prices are marginal values given the chosen
open links and minimum-quantity decisions, and the core argument holds for that
configuration only (:mod:`matcher.results.dual_face`); the value of a binding
minimum quantity is shared like a link's rent. Where the range cannot be computed
(a dual LP fails, e.g. a face unbounded on one side), the solver's duals are used,
the range is left empty (NaN) and :attr:`TransferPrices.point` and
:attr:`TransferPrices.note` say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.compatibility import blend_limited
from ..errors import InvalidOption, NoSolution, Unsupported
from .dual_face import explained_dual_range
from .numbers import records
from .result import MatchResult

__all__ = ["POINTS", "TransferPrices", "exchange_prices", "member_shares", "price_basis", "transfer_prices"]


@dataclass
class TransferPrices:
    """Transfer prices of a match.

    Attributes
    ----------
    currency : str
    exchanges : DataFrame
        Per exchange: transfer price and payment, each member's share of the saving (dual-based and 50/50).
    members : DataFrame
        Per member: its total share under transfer prices and under the 50/50 split.
    """

    currency: str
    exchanges: pd.DataFrame
    members: pd.DataFrame
    point: str = "midpoint"
    """Where on the optimal dual face the shares were taken: the point asked for, or ``vertex`` (the
    solver's duals) where the face could not be computed."""
    note: str = ""
    """Why the range could not be computed (empty where it was)."""
    fixed_binaries: bool = False
    """Whether the face is that of a MILP's LP with its binaries fixed at the optimum (its configuration as given)."""

    @property
    def basis(self) -> str:
        """What the prices are, in words: where on the optimal dual face, or why at the solver's vertex."""
        return price_basis(self.point, self.note, self.fixed_binaries)

    def to_frame(self) -> pd.DataFrame:
        """The per-exchange table."""
        return self.exchanges

    def to_dict(self) -> dict[str, Any]:
        """The ``prices --json`` document."""
        return {
            "currency": self.currency,
            "point": self.point,
            "note": self.note,
            "fixed_binaries": self.fixed_binaries,
            "exchanges": records(self.exchanges),
            "members": records(self.members.reset_index()),
        }


def transfer_prices(result: MatchResult, at: str = "midpoint") -> TransferPrices:
    """Transfer prices per exchange (at the midpoint of the optimal dual face, with its range) and each member's share.

    ``at`` chooses the duals the shares come from: ``midpoint`` (default), ``supplier``
    or ``receiver`` (the two ends of the optimal dual face), or ``vertex`` (the solver's own).

    Raises
    ------
    NoSolution
        If the match has no solution.
    Unsupported
        If the result has no duals (a backend without duals).
    InvalidOption
        For another ``at``.
    """
    exchanges, point, note, fixed = _exchange_prices(result, at)
    return TransferPrices(result.currency, exchanges, member_shares(result, exchanges), point, note, fixed)


#: Where on the optimal dual face the shares are taken.
POINTS = ("midpoint", "supplier", "receiver", "vertex")

_CORE = "the range that keeps every exchange in the core"


def price_basis(point: str, note: str = "", fixed_binaries: bool = False) -> str:
    """What transfer prices are, in words: where on the optimal dual face, or why at the solver's vertex.

    >>> price_basis("midpoint")
    'the midpoint of the range that keeps every exchange in the core'
    >>> price_basis("vertex", "the receiver-optimal end is unbounded")
    "the solver's duals, not a midpoint: no range could be computed (the receiver-optimal end is unbounded)"
    """
    if note:
        return f"the solver's duals, not a midpoint: no range could be computed ({note})"
    where = {
        "midpoint": f"the midpoint of {_CORE}",
        "supplier": f"the supplier-optimal end of {_CORE}",
        "receiver": f"the receiver-optimal end of {_CORE}",
        "vertex": f"the solver's duals, one point of {_CORE}",
    }[point]
    if fixed_binaries:
        where += ", given the links opened and the minimum quantities taken by the match"
    return where


def exchange_prices(result: MatchResult, at: str = "midpoint") -> pd.DataFrame:
    """Per exchange: transfer price (midpoint and range), payment, each member's share (dual-based and 50/50).

    The range is NaN where it cannot be computed, and the price then the solver's
    (:func:`transfer_prices` says so in :attr:`TransferPrices.note`).
    """
    return _exchange_prices(result, at)[0]


def _exchange_prices(result: MatchResult, at: str) -> tuple[pd.DataFrame, str, str, bool]:
    """:func:`exchange_prices`, the point its shares were taken at, why the range is missing (if it is) and
    whether the face is that of a MILP with its binaries fixed."""
    st = result.streams if result.model_rows is None else result.model_rows  # seasonal: a row per period and port
    if at not in POINTS:
        raise InvalidOption(f"unknown point {at!r} of the dual face; choose {', '.join(POINTS)}")
    if not result.status.has_solution:
        raise NoSolution(result.status.value, f"{result.scenario.name}: no solution, so no prices ({result.message})")
    if st["dual"].isna().all():
        raise Unsupported("transfer prices need the duals of an optimal solution (solve with HiGHS)")
    ex = result.exchanges
    q = ex["quantity"].to_numpy()
    ratio = ex["delivered"].to_numpy() / np.where(q > 0, q, 1.0)
    face, note = explained_dual_range(result) if len(ex) else (None, "")
    chosen = {"midpoint": "midpoint", "supplier": "supplier_optimal", "receiver": "receiver_optimal"}
    point = "vertex" if face is None else at
    duals = st["dual"] if point == "vertex" else getattr(face, chosen[at])
    keys = result.exchange_keys
    s_key = ex["supply_stream"] if keys is None else keys["supply_key"]
    d_key = ex["demand_stream"] if keys is None else keys["demand_key"]
    dual_s = duals.loc[s_key].to_numpy(dtype=float)
    dual_d = duals.loc[d_key].to_numpy(dtype=float)
    if face is None:  # no range: unknown, not the vertex twice
        price_high = price_low = np.full(len(ex), np.nan)
    else:
        price_high = ratio * face.supplier_optimal.loc[d_key].to_numpy(dtype=float)
        price_low = ratio * face.receiver_optimal.loc[d_key].to_numpy(dtype=float)
    unit_s = st.loc[s_key, "unit_cost"].to_numpy()
    unit_d = st.loc[d_key, "unit_cost"].to_numpy()
    price = ratio * dual_d
    supplier = (unit_s - dual_s) * q
    receiver = ratio * (unit_d - dual_d) * q
    # what the two duals do not explain: into a demand with a blended quality limit, the value of the
    # limit (it is the receiver's: the mix it accepts); otherwise a link's capacity rent or fixed cost
    rent = ex["saving"].to_numpy() - supplier - receiver
    to_receiver = ex["demand_stream"].isin(_blended_demands(result)).to_numpy()
    supplier = supplier + np.where(to_receiver, 0.0, rent / 2)
    receiver = receiver + np.where(to_receiver, rent, rent / 2)
    table = pd.DataFrame(
        {
            "supply_stream": ex["supply_stream"],
            "demand_stream": ex["demand_stream"],
            **({"period": ex["period"]} if "period" in ex.columns else {}),  # prices per period: duals differ
            "from_member": ex["from_member"],
            "to_member": ex["to_member"],
            "resource": ex["resource"],
            "quantity": q,
            "unit": ex["unit"],
            "saving": ex["saving"],
            "transfer_price": price,
            "transfer_payment": price * q,
            "price_receiver_optimal": np.minimum(price_low, price_high),
            "price_supplier_optimal": np.maximum(price_low, price_high),
            "supplier_share": supplier,
            "receiver_share": receiver,
            "supplier_share_5050": ex["saving"] / 2,
            "receiver_share_5050": ex["saving"] / 2,
        }
    )
    return table, point, note, face is not None and face.fixed_binaries


def _blended_demands(result: MatchResult) -> pd.Index:
    """Demands with a limit on an attribute their resource blends (a quality row in the LP)."""
    streams = result.network.streams
    dem = streams[streams["direction"] == "demand"]
    return dem.index[blend_limited(dem, result.network.catalog)]


def member_shares(result: MatchResult, exchanges: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each member's total share of the saving under transfer prices and under the 50/50 split."""
    tp = exchange_prices(result) if exchanges is None else exchanges
    dual = (
        pd.concat([tp.groupby("from_member")["supplier_share"].sum(), tp.groupby("to_member")["receiver_share"].sum()])
        .groupby(level=0)
        .sum()
    )
    even = (
        pd.concat(
            [
                tp.groupby("from_member")["supplier_share_5050"].sum(),
                tp.groupby("to_member")["receiver_share_5050"].sum(),
            ]
        )
        .groupby(level=0)
        .sum()
    )
    m = result.network.members
    out = pd.DataFrame(
        {
            "name": m["name"],
            "share_transfer_prices": dual.reindex(m.index).fillna(0.0),
            "share_5050": even.reindex(m.index).fillna(0.0),
        }
    )
    out.index.name = "member_id"
    return out
