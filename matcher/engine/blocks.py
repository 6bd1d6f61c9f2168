"""Connected components of candidate pairs given as arrays (the LP's independent blocks).

Shared by the candidate stage, which writes the pairs of each component together, and by
:func:`~matcher.engine.graph.components`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pair_components"]

#: Edges from which :func:`labels` first joins the streams along a sample of them.
SAMPLED_MIN = 1 << 20
#: One edge in this many is sampled.
SAMPLE_STEP = 16


def pair_components(
    s: np.ndarray, d: np.ndarray, row_link: np.ndarray, ns: int, nd: int
) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of pairs given as arrays: supply and demand positions, and the link of each pair's
    capacity row (-1 where it has none); :func:`~matcher.engine.graph.components` describes the result.

    Two streams are joined by a pair between them, and the supplies of pairs on one capacity row
    are joined too.
    """
    tails, heads = [s], [ns + d]
    on = np.flatnonzero(row_link >= 0)
    if on.size:  # each such pair's supply to the supply of its link's first pair
        link = row_link[on]
        _, first = np.unique(link, return_index=True)
        lead = s[on[first]]
        tails.append(s[on])
        heads.append(lead[np.searchsorted(link[first], link)])
    tail, head = (np.concatenate(x) if len(x) > 1 else np.asarray(x[0]) for x in (tails, heads))
    label = labels(tail, head, ns + nd)
    return label, np.bincount(label[s], minlength=int(label.max(initial=-1)) + 1)


def labels(tail: np.ndarray, head: np.ndarray, n: int) -> np.ndarray:
    """The connected component of each of ``n`` nodes joined by the undirected edges ``tail[i] - head[i]``,
    numbered in the order of each component's first node (as :func:`scipy.sparse.csgraph.connected_components`).

    From :data:`SAMPLED_MIN` edges, the nodes are first joined along every :data:`SAMPLE_STEP`-th edge;
    only the edges between the groups this leaves are then followed, between the groups. The components
    are the same; where pairs are dense (a region's pairs within reach), few edges cross.
    """
    if tail.size < max(SAMPLED_MIN, 2):  # (a sample of two edges or more is smaller)
        return _scipy_labels(tail, head, n)
    group = _scipy_labels(tail[::SAMPLE_STEP], head[::SAMPLE_STEP], n)
    gt, gh = group[tail], group[head]
    cross = np.flatnonzero(gt != gh)
    if cross.size > tail.size // 2:  # the sample joined little: every edge at once
        return _scipy_labels(tail, head, n)
    # groups are numbered by their first node, so joined groups keep the order of their first nodes
    return labels(gt[cross], gh[cross], int(group.max(initial=-1)) + 1)[group]


def _scipy_labels(tail: np.ndarray, head: np.ndarray, n: int) -> np.ndarray:
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    graph = csr_array((np.ones(tail.size, dtype=np.int8), (tail, head)), shape=(n, n))
    return connected_components(graph, directed=True, connection="weak")[1]  # no transpose needed
