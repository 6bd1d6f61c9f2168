"""The candidate stage on index arrays: the same pairs whichever way they are searched.

Small resource groups compare every combination, large ones use a k-d tree; one stream's pairs
can be searched alone (what ``WarmMatch.add_stream`` does). All must give the same pairs, with
the same columns, and the same partner counts per stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
