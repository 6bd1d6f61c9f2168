"""Connected components from a sample of the edges first: the same labels as following every edge."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine import blocks


def _networkx_labels(tail: np.ndarray, head: np.ndarray, n: int) -> np.ndarray:
    """Independent labels: networkx's components, numbered in the order of their first node."""
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(tail.tolist(), head.tolist()))
    label = np.empty(n, dtype=np.int64)
    for i, nodes in enumerate(sorted(nx.connected_components(graph), key=min)):
        label[list(nodes)] = i
    return label


@st.composite
def graphs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    n = draw(st.integers(1, 60))
    # dense clusters (few edges cross the sample's groups) and sparse chains (most do)
    m = draw(st.integers(0, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    clusters = draw(st.integers(1, n))
    cluster = rng.integers(0, clusters, n)
    tail = rng.integers(0, n, m)
    if draw(st.booleans()):  # edges within clusters only
        members = [np.flatnonzero(cluster == c) for c in range(clusters)]
        head = np.array([rng.choice(members[cluster[t]]) for t in tail], dtype=np.int64)
    else:
        head = rng.integers(0, n, m)
    return tail.astype(np.int32), head.astype(np.int64), n


@settings(max_examples=300, deadline=None)
@given(graphs(), st.integers(0, 8), st.integers(2, 6))
def test_sampled_labels_equal_every_edge_followed(
    graph: tuple[np.ndarray, np.ndarray, int], sampled_min: int, step: int
) -> None:
    tail, head, n = graph
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blocks, "SAMPLED_MIN", sampled_min)
        mp.setattr(blocks, "SAMPLE_STEP", step)
        label = blocks.labels(tail, head, n)
    np.testing.assert_array_equal(label, _networkx_labels(tail, head, n))


def test_a_dense_region_crosses_few_sampled_groups() -> None:
    """Many edges in a few dense groups: the sample joins the groups and only a handful of edges is followed
    after it (the sampled path is taken, not the fallback)."""
    rng = np.random.default_rng(3)
    n, groups, m = 3000, 4, 200_000
    group = rng.integers(0, groups, n)
    members = [np.flatnonzero(group == g) for g in range(groups)]
    edge_group = rng.integers(0, groups, m)
    tail = np.empty(m, dtype=np.int64)
    head = np.empty(m, dtype=np.int64)
    for g in range(groups):
        at = edge_group == g
        tail[at] = rng.choice(members[g], int(at.sum()))
        head[at] = rng.choice(members[g], int(at.sum()))
    followed: list[int] = []
    real = blocks._scipy_labels

    def spy(t: np.ndarray, h: np.ndarray, k: int) -> np.ndarray:
        followed.append(t.size)
        return real(t, h, k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blocks, "SAMPLED_MIN", 1000)
        mp.setattr(blocks, "_scipy_labels", spy)
        label = blocks.labels(tail, head, n)
    np.testing.assert_array_equal(label, _networkx_labels(tail, head, n))
    assert followed[0] == -(-tail.size // blocks.SAMPLE_STEP)  # the sample first
    assert sum(followed) < tail.size // 4  # and then few of the edges
