"""Warm starts across related models: a simplex basis kept by what its columns and rows stand for.

A basis read from one model (a scenario, a sweep point, a network before a
stream is added or removed) is kept by stream ids: a flow column by its
(supply, demand) pair, the other columns and the rows by their names in the
:class:`~matcher.engine.formulation.LinearProgram`. For a related model, each column
and row takes the status of its namesake; columns without one start at their
lower bound, rows without one basic, and HiGHS repairs the rest
(as an *alien* basis, :mod:`matcher.solve.highs`). The optimum never depends on the
start, only the number of simplex iterations does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.candidates import Candidates
from ..engine.formulation import LinearProgram
from ..errors import Unsupported
from .base import BasisStatus

AT_LOWER, BASIC = int(BasisStatus.AT_LOWER), int(BasisStatus.BASIC)

__all__ = ["Basis"]


@dataclass(frozen=True)
class Basis:
    """Basis statuses of a solved model, keyed by stream ids and names.

    Attributes
    ----------
    supply, demand : ndarray of str
        The pairs whose flow column is not at its lower bound (basic, mostly).
    flow_status : ndarray of int8
        Their statuses (:class:`~matcher.solve.base.BasisStatus` codes).
    columns, rows : Series of int8
        Statuses of the other columns (disposal, virgin purchase, binaries) and
        of the rows, indexed by name.
    """

    supply: np.ndarray
    demand: np.ndarray
    flow_status: np.ndarray
    columns: pd.Series
    rows: pd.Series

    @classmethod
    def of(cls, cand: Candidates, lp: LinearProgram, status: tuple[np.ndarray, np.ndarray]) -> Basis:
        """The basis ``status`` of ``lp`` (built from ``cand``), keyed for reuse."""
        if lp.col_names is None or lp.row_names is None:
            raise Unsupported("the model has no column and row names to key a basis by")
        col, row = status
        xs = lp.blocks["x"]
        flows = np.flatnonzero(col[xs] != AT_LOWER)
        e = cand.edges
        return cls(
            supply=cand.inputs.supplies.index.to_numpy()[e["s"].to_numpy()[flows]],
            demand=cand.inputs.demands.index.to_numpy()[e["d"].to_numpy()[flows]],
            flow_status=col[xs][flows],
            columns=pd.Series(col[xs.stop :], index=pd.Index(lp.col_names[xs.stop :])),
            rows=pd.Series(row, index=pd.Index(lp.row_names)),
        )

    def pairs_in(self, cand: Candidates) -> np.ndarray:
        """For each candidate pair of ``cand``, the position of its flow in this basis, or -1."""
        inp = cand.inputs
        s = inp.supplies.index.get_indexer(pd.Index(self.supply))
        d = inp.demands.index.get_indexer(pd.Index(self.demand))
        known = np.flatnonzero((s >= 0) & (d >= 0))
        nd = max(len(inp.demands), 1)
        keys = s[known].astype(np.int64) * nd + d[known]
        order = np.argsort(keys)
        keys = keys[order]
        e = cand.edges
        edge_keys = e["s"].to_numpy().astype(np.int64) * nd + e["d"].to_numpy()
        out = np.full(len(e), -1, dtype=np.int64)
        if keys.size:
            pos = np.minimum(np.searchsorted(keys, edge_keys), keys.size - 1)
            hit = keys[pos] == edge_keys
            out[hit] = known[order[pos[hit]]]
        return out

    def statuses(self, cand: Candidates, lp: LinearProgram) -> tuple[np.ndarray, np.ndarray]:
        """Column and row statuses for ``lp`` (built from ``cand``), taken from their namesakes."""
        if lp.col_names is None or lp.row_names is None:
            raise Unsupported("the model has no column and row names to key a basis by")
        xs = lp.blocks["x"]
        where = self.pairs_in(cand)
        flows = np.full(where.size, AT_LOWER, dtype=np.int8)
        flows[where >= 0] = self.flow_status[where[where >= 0]]
        others = self.columns.reindex(lp.col_names[xs.stop :]).fillna(AT_LOWER).to_numpy()
        rows = self.rows.reindex(lp.row_names).fillna(BASIC).to_numpy()
        return np.concatenate([flows, others]).astype(np.int8), rows.astype(np.int8)
