r"""A primal network simplex for parts of a match that are pure transport problems.

A part whose every pair has ratio 1 and no side row (no blended limit, no link
capacity, no periods, no integer column) is a minimum-cost flow on a graph of
the supplies, the demands and one more node :math:`R`, the world outside the
network:

.. math::

    \min\; \sum_e c_e x_e + \sum_s P_s y_s + \sum_d Q_d z_d
    \quad\text{s.t.}\quad
    \sum_{e \in \delta^+(s)} x_e + y_s = q_s,\;\;
    \sum_{e \in \delta^-(d)} x_e + z_d = r_d,\;\;
    0 \le x_e \le u_e,\; y, z \ge 0,

with a pair :math:`e = (s, d)` the arc :math:`s \to d`, disposal :math:`y_s` the
arc :math:`s \to R` and virgin purchase :math:`z_d` the arc :math:`R \to d`. Its
bases are the spanning trees of that graph, and the simplex method on it
(Ahuja, Magnanti and Orlin, *Network Flows*, 1993, ch. 11) pivots on the tree
alone: potentials :math:`\pi` with :math:`c_{ij} - \pi_i + \pi_j = 0` on tree
arcs, the entering arc chosen by block search (the most negative reduced cost in
a block of about :math:`\sqrt m` arcs, as LEMON's network simplex does), the
leaving arc by the last blocking arc of the cycle from its apex (found by marking
the path of one end to the root), which keeps the tree strongly feasible and
excludes cycling; the subtree cut off is hung again from the entering arc and its
potentials shift by one constant. The start is the tree where every
supply is disposed of and every demand bought virgin (strongly feasible: demands
without a quantity take no pair).

It is the start of the exact method, not a replacement for it:
:class:`~matcher.solve.pricing.PricedModel` takes the pairs of the final tree
into its model and hands the tree to HiGHS as the starting basis, then prices
every candidate pair at HiGHS's duals as always, so the optimum is proven by the
same test whatever this code returns. On the five parts of a 1e6-pair ``towns``
network (``benchmarks/generators.py``, about 2e5 pairs each) it took 0.09-0.13 s a
part against 0.8-1.1 s for HiGHS priced from each stream's best pair, at the same
optimum, and HiGHS then needed no iteration (measured 2026-12-07). It first solves
over each stream's best pairs (``first``), then over all from the tree found.

The kernel is compiled with numba (``cache=True``, ``nogil=True``, so parts run
in parallel on threads); where numba is not installed, :func:`available` is
False and parts are priced from their best pairs as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

__all__ = ["TransportTree", "available", "solve_transport"]

#: Arcs in a block of the entering-arc search, as a multiple of the square root of the arcs (LEMON's default: 1).
BLOCK_FACTOR = 1.0
#: Pivots of one call into the compiled kernel (a deadline is checked between calls).
CHUNK = 20_000
LOWER, TREE, UPPER = 1, 0, -1  # arc states (the sign of the flow change an entering arc makes)
UP, DOWN = 1, -1  # a tree arc from a node to its parent, or from its parent to it


@dataclass(frozen=True)
class TransportTree:
    """The basis the network simplex ended at.

    Attributes
    ----------
    pair_state, disposal_state, virgin_state : ndarray of int8
        Per pair, supply (its disposal arc) and demand (its virgin arc): 0 in the
        tree (basic), 1 at its lower bound, -1 at its upper bound.
    objective : float
        The cost of the flow found.
    optimal : bool
        Whether no arc was left with a negative reduced cost (False if the
        iteration limit was reached first; the tree is feasible all the same).
    pivots : int
        Simplex pivots made.
    """

    pair_state: np.ndarray
    disposal_state: np.ndarray
    virgin_state: np.ndarray
    objective: float
    optimal: bool
    pivots: int


def _kernel(  # noqa: C901, PLR0912, PLR0915 - one loop, as the method is written
    src: np.ndarray,
    dst: np.ndarray,
    cost: np.ndarray,
    cap: np.ndarray,
    flow: np.ndarray,
    state: np.ndarray,
    parent: np.ndarray,
    pred: np.ndarray,
    pdir: np.ndarray,
    pi: np.ndarray,
    first_child: np.ndarray,
    next_sib: np.ndarray,
    prev_sib: np.ndarray,
    m: int,
    block: int,
    max_pivots: int,
    eps: float,
    position: np.ndarray,
) -> tuple[int, bool]:
    """Pivot from the tree given until none of the first ``m`` arcs prices out (see the module's docstring);
    the arrays are updated in place (``position[0]``: the arc the entering-arc search goes on from).

    Returns the pivots made and whether the tree is optimal over those arcs.
    """
    n = parent.size
    stack = np.empty(n, dtype=np.int64)
    mark = np.zeros(n, dtype=np.int64)
    stamp = 0
    next_arc = position[0] if position[0] < m else 0
    pivots = 0
    while pivots < max_pivots:
        # --- entering arc: block search from where the last search ended
        best = 0.0
        enter = -1
        count = block
        e = next_arc
        for _ in range(m):
            st = state[e]
            if st != TREE:
                rc = st * (cost[e] - pi[src[e]] + pi[dst[e]])
                if rc < best and rc < -eps * (1.0 + abs(cost[e])):
                    best = rc
                    enter = e
            e += 1
            if e == m:
                e = 0
            count -= 1
            if count == 0:
                if enter >= 0:
                    break
                count = block
        if enter < 0:
            return pivots, True
        next_arc = e
        position[0] = e
        pivots += 1
        # --- the cycle: the entering arc and the tree path between its ends, through their apex
        if state[enter] == LOWER:
            first, second = src[enter], dst[enter]
        else:
            first, second = dst[enter], src[enter]
        stamp += 1  # the apex: the first node on the way up from `second` that is on the way up from `first`
        u = first
        while u >= 0:
            mark[u] = stamp
            u = parent[u]
        v = second
        while mark[v] != stamp:
            v = parent[v]
        join = v
        # --- leaving arc: the last blocking one in the cycle's direction (strongly feasible trees)
        delta = cap[enter]
        side = 0
        out = -1
        out_upper = False
        u = first
        while u != join:
            a = pred[u]
            if pdir[u] == DOWN:  # flow runs down this arc, towards `first`: it grows
                room = cap[a] - flow[a]
                at_upper = True
            else:
                room = flow[a]
                at_upper = False
            if room < delta:
                delta = room
                out = u
                side = 1
                out_upper = at_upper
            u = parent[u]
        u = second
        while u != join:
            a = pred[u]
            if pdir[u] == UP:  # flow runs up this arc, from `second` to the apex: it grows
                room = cap[a] - flow[a]
                at_upper = True
            else:
                room = flow[a]
                at_upper = False
            if room <= delta:
                delta = room
                out = u
                side = 2
                out_upper = at_upper
            u = parent[u]
        if delta == np.inf:  # an unbounded cycle: impossible when every supply and demand is finite
            return pivots, False
        # --- push delta around the cycle
        if delta > 0.0:
            val = state[enter] * delta
            flow[enter] += val
            u = src[enter]
            while u != join:
                flow[pred[u]] -= pdir[u] * val
                u = parent[u]
            u = dst[enter]
            while u != join:
                flow[pred[u]] += pdir[u] * val
                u = parent[u]
        if side == 0:  # the entering arc itself is the bottleneck: it moves to its other bound
            if state[enter] == LOWER:
                state[enter] = UPPER
                flow[enter] = cap[enter]
            else:
                state[enter] = LOWER
                flow[enter] = 0.0
            continue
        leaving = pred[out]
        state[enter] = TREE
        if out_upper:
            state[leaving] = UPPER
            flow[leaving] = cap[leaving]
        else:
            state[leaving] = LOWER
            flow[leaving] = 0.0
        # --- the subtree cut off below `out` hangs again from the entering arc, re-rooted at u_in
        if side == 1:
            u_in, v_in = first, second
        else:
            u_in, v_in = second, first
        w = u_in
        new_parent = v_in
        new_pred = enter
        new_dir = UP if src[enter] == u_in else DOWN
        while True:
            old_parent = parent[w]
            old_pred = pred[w]
            old_dir = pdir[w]
            # out of its old parent's children
            if prev_sib[w] >= 0:
                next_sib[prev_sib[w]] = next_sib[w]
            else:
                first_child[old_parent] = next_sib[w]
            if next_sib[w] >= 0:
                prev_sib[next_sib[w]] = prev_sib[w]
            # into its new parent's
            parent[w] = new_parent
            pred[w] = new_pred
            pdir[w] = new_dir
            head = first_child[new_parent]
            next_sib[w] = head
            prev_sib[w] = -1
            if head >= 0:
                prev_sib[head] = w
            first_child[new_parent] = w
            if w == out:
                break
            new_parent = w
            new_pred = old_pred
            new_dir = -old_dir
            w = old_parent
        # potentials of the moved subtree: all shift by what its new root's tree arc asks
        if pdir[u_in] == UP:
            sigma = pi[v_in] + cost[enter] - pi[u_in]
        else:
            sigma = pi[v_in] - cost[enter] - pi[u_in]
        top = 0
        stack[0] = u_in
        while top >= 0:
            x = stack[top]
            top -= 1
            pi[x] += sigma
            c = first_child[x]
            while c >= 0:
                top += 1
                stack[top] = c
                c = next_sib[c]
    return pivots, False


@cache
def _compiled() -> Any:
    """The kernel compiled by numba (cached on disk), or None where numba is not installed."""
    try:
        import numba
    except ImportError:
        return None
    try:
        return numba.njit(cache=True, nogil=True)(_kernel)
    except RuntimeError:  # no writable place for numba's cache (a read-only install): compiled in each process
        return numba.njit(nogil=True)(_kernel)


def available() -> bool:
    """Whether the compiled kernel can run here (numba installed)."""
    return _compiled() is not None


def solve_transport(
    s: np.ndarray,
    d: np.ndarray,
    c: np.ndarray,
    upper: np.ndarray,
    supply: np.ndarray,
    demand: np.ndarray,
    disposal: np.ndarray,
    virgin: np.ndarray,
    first: np.ndarray | None = None,
    max_pivots: int | None = None,
    deadline: float | None = None,
    compiled: bool = True,
) -> TransportTree:
    """Solve the transport problem of a pure part (see the module's docstring) by the network simplex.

    Parameters
    ----------
    s, d : ndarray of int
        Each pair's supply and demand (positions).
    c, upper : ndarray of float
        Each pair's cost per unit and upper bound (inf: none).
    supply, demand : ndarray of float
        Quantities :math:`q_s`, :math:`r_d` (non-negative, finite).
    disposal, virgin : ndarray of float
        Costs :math:`P_s`, :math:`Q_d` of disposing of a unit of each supply, buying one for each demand.
    first : ndarray of int, optional
        Pairs to solve over first (each stream's best, say); the search then goes on over every
        pair from the tree found. Most pivots happen in the first stage, where a search block is
        short.
    max_pivots : int, optional
        A bound on pivots of each stage (default: 20 times its arcs plus 10,000).
    deadline : float, optional
        A ``time.perf_counter()`` time after which no further run of pivots starts (the tree
        is returned as it is, feasible, not called optimal).
    compiled : bool
        Run numba's compiled kernel (False: the same code in Python, for tests on tiny instances).
    """
    ns, nd, npairs = supply.size, demand.size, s.size
    root = ns + nd
    n = root + 1
    kernel = _compiled() if compiled else _kernel
    if kernel is None:
        raise RuntimeError("numba is not installed")
    # the compiled kernel has no bounds checks: positions are checked here (and fit the int32 arc arrays)
    if root + npairs >= 2**31:
        raise ValueError("too many streams and pairs for one network simplex (2^31 arcs)")
    if npairs and not (0 <= s.min() and s.max() < ns and 0 <= d.min() and d.max() < nd):
        raise ValueError("a pair's supply or demand position is out of range")
    if first is not None:
        first = np.asarray(first)
        first = np.flatnonzero(first) if first.dtype == bool else np.unique(first.astype(np.int64))
        if first.size and not (0 <= first[0] and first[-1] < npairs):
            raise ValueError("`first` names a pair out of range")
    # arcs: disposal (s -> R) and virgin purchase (R -> d) first, then the pairs, those of `first` ahead
    # (each array written in place, slice by slice: a large part's arcs are not built twice)
    order = np.arange(npairs, dtype=np.int32) if first is None else _first_then_rest(first, npairs)
    arcs = root + npairs
    src, dst = np.empty(arcs, dtype=np.int32), np.empty(arcs, dtype=np.int32)  # node positions
    src[:ns], src[ns:root], src[root:] = np.arange(ns), root, s[order]
    dst[:ns], dst[ns:root], dst[root:] = root, ns + np.arange(nd), d[order]
    dst[root:] += ns
    cost, cap = np.empty(arcs), np.empty(arcs)
    cost[:ns], cost[ns:root], cost[root:] = disposal, virgin, c[order]
    cap[:root], cap[root:] = np.inf, upper[order]
    # pairs that can never carry flow (into a demand of no quantity: it would break the strongly feasible
    # start; no capacity) stay out: an infinite cost never prices out
    dead = (demand[dst[root:] - ns] <= 0) | (cap[root:] <= 0)
    cost[root:][dead] = np.inf
    del dead
    flow = np.zeros(arcs)
    flow[:ns], flow[ns:root] = supply, demand
    state = np.full(arcs, LOWER, dtype=np.int8)
    state[:root] = TREE
    # the start: every supply disposed of, every demand bought virgin
    parent = np.full(n, -1, dtype=np.int64)
    parent[:root] = root
    pred = np.append(np.arange(root), -1).astype(np.int64)
    pdir = np.concatenate([np.full(ns, UP), np.full(nd, DOWN), [0]]).astype(np.int64)
    pi = np.concatenate([disposal, -virgin, [0.0]]).astype(np.float64)
    first_child = np.full(n, -1, dtype=np.int64)
    first_child[root] = 0 if root else -1
    next_sib = np.concatenate([np.arange(1, root), [-1, -1]])[:n].astype(np.int64)
    prev_sib = np.concatenate([[-1], np.arange(root - 1), [-1]])[:n].astype(np.int64)
    pivots, optimal = 0, False
    position = np.zeros(1, dtype=np.int64)  # where the entering-arc search goes on from, across runs
    for m in dict.fromkeys([root + (npairs if first is None else first.size), src.size]):
        left = 20 * m + 10_000 if max_pivots is None else int(max_pivots)
        block = max(10, int(BLOCK_FACTOR * np.sqrt(m)))
        # in runs of CHUNK pivots, so that a deadline is seen before each
        while left > 0 and (deadline is None or time.perf_counter() < deadline):
            run = min(left, CHUNK)
            done, optimal = kernel(
                src, dst, cost, cap, flow, state, parent, pred, pdir, pi, first_child, next_sib, prev_sib,
                m, block, run, 1e-10, position,
            )  # fmt: skip
            pivots += done
            left -= done
            if optimal or done < run:
                break
        if not optimal:
            break
    live = np.isfinite(cost)
    objective = float(cost[live] @ flow[live])
    pair_state = np.empty(npairs, dtype=np.int8)
    pair_state[order] = state[root:]
    return TransportTree(
        pair_state=pair_state,
        disposal_state=state[:ns].copy(),
        virgin_state=state[ns:root].copy(),
        objective=objective,
        optimal=bool(optimal),
        pivots=int(pivots),
    )


def _first_then_rest(first: np.ndarray, n: int) -> np.ndarray:
    """Positions ``0..n-1`` with those of ``first`` ahead (in their order), then the others."""
    ahead = np.zeros(n, dtype=bool)
    ahead[first] = True
    return np.concatenate([first.astype(np.int32), np.flatnonzero(~ahead).astype(np.int32)])
