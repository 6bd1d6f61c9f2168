"""The candidate stage on index arrays: the same pairs whichever way they are searched.

Small resource groups compare every combination, large ones use a k-d tree; one stream's pairs
can be searched alone (what ``WarmMatch.add_stream`` does). All must give the same pairs, with
the same columns, and the same partner counts per stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from solve.test_netsimplex import pure_network

import matcher.engine.candidates as candidates
from matcher.engine.candidates import STAGES, build_candidates, stream_candidates
from matcher.engine.inputs import prepare
from models import Network
from models.examples import random_network, scenario_for


def _network(seed: int) -> Network:
    """A random network with periods, hazardous waste, quality limits and links of their own values."""
    _, net = random_network(seed, n_members=15, n_streams=90, spread_deg=0.4)
    frames = net.to_frames()
    rng = np.random.default_rng(seed)
    streams = frames["streams"]
    streams["period"] = rng.choice(["", "winter", "summer"], len(streams))
    members = frames["members"]["member_id"].to_numpy()
    n = 10
    links = pd.DataFrame(
        {
            "from_member": rng.choice(members, n),
            "to_member": rng.choice(members, n),
            "distance_km": np.where(np.arange(n) % 2, 5.0, np.nan),
            "cost_per_unit": np.where(np.arange(n) % 3 == 0, 0.5, np.nan),
            "capacity": np.where(np.arange(n) % 2 == 0, 100.0, np.nan),
            "mode": np.where(np.arange(n) % 4 == 0, "pipe", None),
        }
    )
    links = links[links["from_member"] != links["to_member"]].drop_duplicates(["from_member", "to_member"])
    return Network.from_frames(frames["members"], streams, links, net.catalog)


def _sorted(edges: pd.DataFrame) -> pd.DataFrame:
    out = edges.assign(mode=edges["mode"].astype(object)).sort_values(["s", "d"]).reset_index(drop=True)
    return out.astype({"s": np.int64, "d": np.int64, "link": np.int64})


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([30.0, 60.0]), st.booleans())
def test_a_k_d_tree_and_every_combination_find_the_same_pairs(seed: int, reach: float, internal: bool) -> None:
    net = _network(seed)
    inputs = prepare(net, scenario_for(max_distance_km=reach, allow_internal=internal))
    brute = build_candidates(inputs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates, "BRUTE_FORCE_MAX", 0)  # every group through the k-d tree
        tree = build_candidates(inputs)
    pd.testing.assert_frame_equal(_sorted(brute.edges), _sorted(tree.edges), rtol=1e-12)
    pd.testing.assert_frame_equal(brute.kept_supply, tree.kept_supply)
    pd.testing.assert_frame_equal(brute.kept_demand, tree.kept_demand)
    pd.testing.assert_series_equal(brute.quality_failed.sort_index(), tree.quality_failed.sort_index())
    assert brute.edges["s"].dtype == np.int32 and brute.edges["link"].dtype == np.int32
    assert brute.edges["transport_cost"].dtype == np.float64


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["distance", "links"]))
def test_one_stream_searched_alone_finds_its_pairs_of_the_whole_search(seed: int, mode: str) -> None:
    net = _network(seed)
    inputs = prepare(net, scenario_for(max_distance_km=40.0, candidates=mode))
    whole = build_candidates(inputs)
    e = _sorted(whole.edges)
    for supply, frame, kept in ((True, inputs.supplies, whole.kept_supply), (False, inputs.demands, whole.kept_demand)):
        for position in range(len(frame)):
            alone, counts, _, _ = stream_candidates(inputs, position, supply)
            mine = e[(e["s"] if supply else e["d"]) == position].reset_index(drop=True)
            pd.testing.assert_frame_equal(_sorted(alone), mine, rtol=1e-12)
            for stage in STAGES[1:]:  # its own partners at each stage are those the whole search counted
                own = counts[stage][0 if supply else 1][position]
                assert own == kept.iloc[position][stage], (supply, position, stage)


def _stage_columns(inputs) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The pair table as the stages computed its columns (no second pass): every chunk's own columns."""
    search = candidates._Search.of(inputs)
    groups = candidates._group_pairs(inputs)
    nd = len(inputs.demands)
    linked = candidates.with_fixed(candidates._link_chunk(inputs, groups), inputs)
    keys = np.unique(linked.s.astype(np.int64) * nd + linked.d)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in candidates.EDGE_COLUMNS}
    for chunk in candidates._chain(linked, inputs, groups, keys):
        cols, _, _ = search.run(chunk)
        for k in candidates.EDGE_COLUMNS:
            parts[k].append(np.array(cols[k], copy=True))
    return candidates._table(parts, search.rates.modes)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["random", "capacities", "backhaul", "pure"]), st.booleans())
@example(seed=1, kind="pure", grouped=True)
def test_the_table_written_once_holds_the_columns_the_stages_computed(seed: int, kind: str, grouped: bool) -> None:
    """The stages keep each pair's position, ratio, distance and link; costs are computed again into the table
    (in component order from ``GROUPED_MIN`` pairs), and a column of one value for every pair is held once.
    Every value must be the one the stages computed."""
    from models.examples import backhaul_route, capacity_network

    if kind == "pure":  # no link, no substitute: ratio, link, capacity and fixed cost are the same for every pair
        scenario, net = pure_network(seed, n_members=60)
    elif kind == "random":
        scenario, net = scenario_for(max_distance_km=60.0), _network(seed)
    elif kind == "capacities":
        scenario, net = capacity_network(seed, n_members=10, n_streams=30)
    else:
        scenario, net = backhaul_route(offset_km=seed % 5, max_detour_km=1.0 + seed % 7)
    inputs = prepare(net, scenario)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates, "GROUPED_MIN", 0 if grouped else 10**12)
        table = build_candidates(inputs).edges
    expected = _stage_columns(inputs)
    pd.testing.assert_frame_equal(_sorted(table), _sorted(expected), check_exact=True)
    once = {k for k in table.columns if table[k].to_numpy().strides == (0,)}
    if grouped and kind == "pure" and len(table):
        assert once == {"ratio", "link", "capacity", "fixed_cost"}
    elif not grouped:
        assert not once
    if grouped and len(table):  # each connected component's pairs are one run of the table
        from matcher.engine.graph import components

        label, _ = components(candidates.Candidates(inputs, table, pd.DataFrame(), pd.DataFrame()))
        along = label[table["s"].to_numpy()]
        starts = np.flatnonzero(np.r_[True, along[1:] != along[:-1]])
        assert np.unique(along[starts]).size == starts.size


def test_a_part_of_one_component_shares_the_table_and_solves_as_a_copy_would() -> None:
    """In a large match, each part that is one component takes a slice of the pair table (no copy)."""
    import matcher
    from matcher.engine.candidates import find_candidates
    from matcher.engine.graph import components
    from matcher.solve.decompose import DecomposedModel, _sub, split

    _, net = random_network(7, n_members=80, n_streams=600, spread_deg=1.5)
    scenario = scenario_for(max_distance_km=40.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates, "GROUPED_MIN", 0)
        cand = find_candidates(net, scenario)
        model = DecomposedModel(cand, workers=2, min_pairs=100)
        whole = cand.edges["transport_cost"].to_numpy()
        shared = [np.shares_memory(m.cand.edges["transport_cost"].to_numpy(), whole) for m in model.models]
        big = [m.n_pairs >= 100 for m in model.models]
        assert sum(big) >= 2
        assert shared[: sum(big)] == big[: sum(big)] and all(shared[: sum(big)])
        for part in split(cand, 2, min_pairs=100, found=components(cand)):  # a slice or a copy: the same table
            sliced = _sub(cand, part).edges
            copied = cand.edges.iloc[part.edges].reset_index(drop=True)
            assert (sliced["s"].to_numpy() >= 0).all()
            pd.testing.assert_frame_equal(sliced.drop(columns=["s", "d"]), copied.drop(columns=["s", "d"]))
        model.solve()
        grouped = model.solved()[2].objective
    assert grouped == pytest.approx(matcher.match(net, scenario).solver_objective, rel=1e-9)


def test_the_components_the_candidate_stage_found_serve_only_the_table_they_describe() -> None:
    from dataclasses import replace

    from matcher.engine.blocks import pair_components
    from matcher.engine.candidates import find_candidates
    from matcher.engine.graph import components

    _, net = random_network(11, n_members=60, n_streams=400, spread_deg=1.2)
    scenario = scenario_for(max_distance_km=40.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates, "GROUPED_MIN", 0)
        cand = find_candidates(net, scenario)
    assert cand.blocks is not None and cand.blocks[0] is cand.edges

    def fresh(c: candidates.Candidates) -> tuple[np.ndarray, np.ndarray]:
        e = c.edges
        row = np.where((e["link"] >= 0) & np.isfinite(e["capacity"]), e["link"], -1)
        return pair_components(e["s"].to_numpy(), e["d"].to_numpy(), row, len(c.inputs.supplies), len(c.inputs.demands))

    def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
        return len(set(zip(a.tolist(), b.tolist()))) == len(set(a.tolist())) == len(set(b.tolist()))

    label, pairs = components(cand)
    assert label is cand.blocks[1] and same_partition(label, fresh(cand)[0]) and pairs.sum() == len(cand.edges)
    fewer = replace(cand, edges=cand.edges.iloc[: len(cand.edges) // 3].reset_index(drop=True))
    label, pairs = components(fewer)  # another table: found again
    assert label is not cand.blocks[1] and pairs.sum() == len(fewer.edges)
    assert same_partition(label, fresh(fewer)[0])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.booleans(), max_size=30), st.floats(0.1, 10.0))
def test_a_chunk_keeps_a_value_held_once_as_one_value(mask: list[bool], ratio: float) -> None:
    n = len(mask)
    chunk = candidates._Chunk(
        np.arange(n, dtype=np.int32),
        np.arange(n, dtype=np.int32)[::-1].copy(),
        candidates._one(ratio, n, float),
        np.linspace(0.0, 1.0, n),
        candidates._one(-1, n, np.int32),
    )
    plain = [np.array(getattr(chunk, k)) for k in ("s", "d", "ratio", "km", "link")]
    m = np.array(mask, dtype=bool)
    dropped = chunk.keep(m)
    assert dropped == (not m.all())
    for k, full in zip(("s", "d", "ratio", "km", "link"), plain):
        got = getattr(chunk, k)
        np.testing.assert_array_equal(got, full[m] if dropped else full)
        assert got.dtype == full.dtype
    if dropped and m.any():
        assert chunk.ratio.strides == chunk.link.strides == (0,)
