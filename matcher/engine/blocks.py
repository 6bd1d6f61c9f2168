"""Connected components of candidate pairs given as arrays (the LP's independent blocks).

Shared by the candidate stage, which writes the pairs of each component together, and by
:func:`~matcher.engine.graph.components`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pair_components"]


def pair_components(
    s: np.ndarray, d: np.ndarray, row_link: np.ndarray, ns: int, nd: int
) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of pairs given as arrays: supply and demand positions, and the link of each pair's
    capacity row (-1 where it has none); :func:`~matcher.engine.graph.components` describes the result.

    Two streams are joined by a pair between them, and the supplies of pairs on one capacity row
    are joined too.
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    tails, heads = [s], [ns + d]
    on = np.flatnonzero(row_link >= 0)
    if on.size:  # each such pair's supply to the supply of its link's first pair
        link = row_link[on]
        _, first = np.unique(link, return_index=True)
        lead = s[on[first]]
        tails.append(s[on])
        heads.append(lead[np.searchsorted(link[first], link)])
    tail, head = np.concatenate(tails), np.concatenate(heads)
    graph = csr_array((np.ones(tail.size, dtype=np.int8), (tail, head)), shape=(ns + nd, ns + nd))
    n, label = connected_components(graph, directed=True, connection="weak")  # no transpose needed
    return label, np.bincount(label[s], minlength=n)
