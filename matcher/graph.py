"""The bipartite graph of supplies and demands joined by candidate edges.

:func:`components` labels independent sub-problems with scipy (no Python
loop over edges); :func:`to_networkx` gives a networkx view for analysis
and plots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .candidates import Candidates

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["components", "to_networkx"]


def components(cand: Candidates) -> tuple[int, np.ndarray, np.ndarray]:
    """Connected components of the candidate graph.

    Returns
    -------
    n : int
        Number of components (isolated streams count as their own).
    supply_label, demand_label : ndarray of int
        Component of each supply and each demand, in ``inputs`` order.
    """
    ns, nd = len(cand.inputs.supplies), len(cand.inputs.demands)
    s, d = cand.edges["s"].to_numpy(), cand.edges["d"].to_numpy()
    adj = sp.coo_matrix((np.ones(len(s)), (s, ns + d)), shape=(ns + nd, ns + nd))
    n, labels = connected_components(adj, directed=False)
    return int(n), labels[:ns], labels[ns:]


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
