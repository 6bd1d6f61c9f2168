"""The bipartite graph of supplies and demands joined by candidate edges.

:func:`components` labels independent sub-problems with scipy (no Python
loop over edges); :func:`to_networkx` gives a networkx view for analysis
and plots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .blocks import pair_components
from .candidates import Candidates

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["components", "to_networkx"]


def components(cand: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of the candidate graph: the LP's independent blocks.

    Two streams are joined by a pair between them, and the supplies of pairs on one link
    with a capacity row (a capacity or a fixed cost) are joined too, since that row holds
    all their columns. A blended quality limit's row holds pairs into one demand only.

    Returns
    -------
    label : ndarray of int
        Component of each stream: supplies, then demands, in ``inputs`` order
        (a stream without any pair is a component of its own).
    pairs : ndarray of int
        Number of candidate pairs in each component.
    """
    e = cand.edges
    ns, nd = len(cand.inputs.supplies), len(cand.inputs.demands)
    if cand.blocks is not None and cand.blocks[0] is e and cand.blocks[1].size == ns + nd:
        return cand.blocks[1], cand.blocks[2]  # found by the candidate stage for this very table
    link = e["link"].to_numpy()
    on_row = (link >= 0) & (np.isfinite(e["capacity"].to_numpy(dtype=float)) | (e["fixed_cost"].to_numpy() > 0))
    return pair_components(e["s"].to_numpy(), e["d"].to_numpy(), np.where(on_row, link, -1), ns, nd)


def to_networkx(cand: Candidates) -> nx.Graph:
    """A networkx graph: stream ids as nodes (``bipartite`` 0 for supplies, 1 for demands).

    Node attributes: ``member_id, resource, quantity`` (base units), ``unit``.
    Edge attributes: the columns of ``cand.edges`` except positions.
    """
    import networkx as nx  # only needed for analysis and plots

    inp = cand.inputs
    g = nx.Graph()
    for side, frame in ((0, inp.supplies), (1, inp.demands)):
        attrs = frame[["member_id", "resource", "q", "base_unit"]].rename(
            columns={"q": "quantity", "base_unit": "unit"}
        )
        g.add_nodes_from(attrs.assign(bipartite=side).to_dict("index").items())
    e = cand.edges
    data = e.drop(columns=["s", "d"]).to_dict("records")
    g.add_edges_from(zip(inp.supplies.index[e["s"]], inp.demands.index[e["d"]], data))
    return g
