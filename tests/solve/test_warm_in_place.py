"""Warm paths that stay warm: a stream changed, added or removed touches only what it must.

``WarmMatch.change_stream`` changes one row bound and shares the network's tables;
``add_stream`` and ``remove_stream`` search the candidate pairs of that one stream and add or
remove its row and columns in the kept model of its part. Each must reach the optimum of a cold
match of the changed network, without a whole candidate search and without a new model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_result
from test_general_pricing import general_network

import matcher
import matcher.api
import matcher.engine.candidates as candidates
from matcher import match
from matcher.solve.decompose import DecomposedModel
from models import Network
from models.examples import random_network, scenario_for


def _frames(net: Network) -> dict[str, pd.DataFrame]:
    return net.to_frames()


def _cold(net: Network, streams: pd.DataFrame, scenario) -> float:  # type: ignore[no-untyped-def]
    frames = _frames(net)
    links = frames["links"] if len(frames["links"]) else None
    return match(Network.from_frames(frames["members"], streams, links, net.catalog), scenario).solver_objective


def _alone(call, *args):  # type: ignore[no-untyped-def]
    """``call(*args)`` with the whole-network candidate search refused (a warm path must not need it)."""

    def refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the whole network was searched again")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates, "build_candidates", refuse)
        mp.setattr(matcher.api, "find_candidates", refuse)
        return call(*args)


def _kept(warm: matcher.WarmMatch) -> list[object]:
    assert isinstance(warm.model, DecomposedModel)
    return [m.kept for m in warm.model.models]


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.booleans(), st.booleans(), st.data())
def test_streams_added_and_removed_in_place_equal_cold_matches(
    seed: int, general: bool, grouped: bool, data: st.DataObject
) -> None:
    """``grouped``: the pair tables are written in component order, their columns of one value held once
    (:data:`~matcher.engine.candidates.GROUPED_MIN`), as in a large match."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(candidates, "GROUPED_MIN", 0 if grouped else 10**12)
        _added_and_removed(seed, general, grouped, data)


def _added_and_removed(seed: int, general: bool, grouped: bool, data: st.DataObject) -> None:
    if general:  # blended limits and link capacities: side rows in the kept models
        net = general_network(seed, n_links=20)
    else:
        _, net = random_network(seed, n_members=20, n_streams=120, spread_deg=0.2)
        frames = _frames(net)
        net = Network.from_frames(
            frames["members"], frames["streams"].drop(columns=["q_cod_ppm_max"], errors="ignore"), None, net.catalog
        )
    scenario = scenario_for(max_distance_km=50.0)
    streams = _frames(net)["streams"]
    warm = matcher.WarmMatch(net, scenario)
    if warm.result().status is not matcher.Status.OPTIMAL:
        return  # a chloride limit no mix meets: nothing to compare
    model, kept = warm.model, _kept(warm)
    if grouped and not general:  # no link: capacity and fixed cost are held once in the pair table
        table = warm.model.cand.edges
        assert table["capacity"].to_numpy().strides == table["fixed_cost"].to_numpy().strides == (0,)

    gone = data.draw(st.sampled_from(list(streams["stream_id"])))
    removed = _alone(warm.remove_stream, gone)
    streams = streams[streams["stream_id"] != gone]
    assert removed.solver_objective == pytest.approx(_cold(net, streams, scenario), rel=1e-9, abs=1e-6)
    assert gone not in removed.streams.index and gone not in removed.network.streams.index
    check_result(removed)

    template = streams.iloc[data.draw(st.integers(0, len(streams) - 1))].dropna().to_dict()
    new = {**template, "stream_id": "NEW", "quantity": data.draw(st.floats(1.0, 5000.0))}
    added = warm.add_stream(new)  # in place, or built again where its pairs join two parts
    streams = pd.concat([streams, pd.DataFrame([new])], ignore_index=True)
    assert added.solver_objective == pytest.approx(_cold(net, streams, scenario), rel=1e-9, abs=1e-6)
    check_result(added)

    back = dict(_frames(net)["streams"].set_index("stream_id").loc[gone].dropna(), stream_id=gone)
    again = warm.add_stream(back)  # the removed id again: a new stream, not its old row
    streams = pd.concat([streams, pd.DataFrame([back])], ignore_index=True)
    assert again.solver_objective == pytest.approx(_cold(net, streams, scenario), rel=1e-9, abs=1e-6)

    sid = data.draw(st.sampled_from(list(streams["stream_id"])))
    factor = data.draw(st.floats(0.1, 3.0))
    quantity = float(streams.loc[streams["stream_id"] == sid, "quantity"].iloc[0]) * factor
    changed = _alone(warm.change_stream, sid, quantity)
    streams.loc[streams["stream_id"] == sid, "quantity"] = quantity
    assert changed.solver_objective == pytest.approx(_cold(net, streams, scenario), rel=1e-9, abs=1e-6)
    check_result(changed)
    if warm.model is model:  # in place: every part's kept model is the one it had (new parts may follow)
        assert _kept(warm)[: len(kept)] == kept


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.data())
def test_a_stream_added_to_one_part_enters_its_kept_model_without_any_search(seed: int, data: st.DataObject) -> None:
    # one resource without substitutes, one region: every new stream's pairs stay in one part
    _, net = random_network(seed, n_members=20, n_streams=120, spread_deg=0.2)
    frames = _frames(net)
    streams = frames["streams"][frames["streams"]["resource"].eq("wood_waste")].drop(
        columns=["q_cod_ppm_max"], errors="ignore"
    )
    net = Network.from_frames(frames["members"], streams, None, net.catalog)
    scenario = scenario_for(max_distance_km=80.0)
    warm = matcher.WarmMatch(net, scenario)
    model, kept = warm.model, _kept(warm)
    template = streams.iloc[data.draw(st.integers(0, len(streams) - 1))].dropna().to_dict()
    new = {**template, "stream_id": "NEW", "quantity": data.draw(st.floats(1.0, 5000.0))}
    added = _alone(warm.add_stream, new)
    assert warm.model is model and _kept(warm)[: len(kept)] == kept
    streams = pd.concat([streams, pd.DataFrame([new])], ignore_index=True)
    assert added.solver_objective == pytest.approx(_cold(net, streams, scenario), rel=1e-9, abs=1e-6)
    check_result(added)


def test_a_change_shares_every_column_it_does_not_touch() -> None:
    _, net = random_network(4, n_members=15, n_streams=80)
    warm = matcher.WarmMatch(net, scenario_for(max_distance_km=60.0))
    before = warm.model.cand.inputs
    sid = str(net.streams.index[0])
    warm.model.set_quantity(sid, 12.5)
    after = warm.model.cand.inputs
    frame_before = before.supplies if sid in before.supplies.index else before.demands
    frame_after = after.supplies if sid in after.supplies.index else after.demands
    assert frame_after.at[sid, "q"] == 12.5 and frame_before.at[sid, "q"] != 12.5  # the old frame is unchanged
    assert np.shares_memory(frame_after["unit_cost"].to_numpy(), frame_before["unit_cost"].to_numpy())
    assert np.shares_memory(after.network.streams["resource"].to_numpy(), before.network.streams["resource"].to_numpy())
    assert after.network.streams.at[sid, "quantity_base"] == 12.5


def test_an_added_stream_with_a_taken_id_or_a_bad_row_changes_nothing() -> None:
    net = general_network(3)
    scenario = scenario_for(max_distance_km=50.0)
    warm = matcher.WarmMatch(net, scenario)
    before = warm.result().solver_objective
    row = _frames(net)["streams"].iloc[0].dropna().to_dict()
    with pytest.raises(matcher.SymbioseError, match="already a stream"):
        warm.add_stream(row)
    with pytest.raises(matcher.SymbioseError, match="quantity"):
        warm.add_stream({**row, "stream_id": "NEW", "quantity": -1})
    with pytest.raises(matcher.SymbioseError, match="member"):
        warm.add_stream({**row, "stream_id": "NEW", "member_id": "NOBODY"})
    assert warm.result().solver_objective == before and "NEW" not in warm.network.streams.index


def _tables(result: matcher.MatchResult) -> dict[str, object]:
    return {
        "objective": result.objective,
        "solver_objective": result.solver_objective,
        "exchanges": result.exchanges.drop(columns=["saving_factors", "co2e_factors"]),
        "streams": result.streams,
        "members": result.members,
        "kpis": result.kpis,
    }


def _same(a: dict[str, object], b: dict[str, object]) -> None:
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-9, abs=1e-6)
    assert a["solver_objective"] == pytest.approx(b["solver_objective"], rel=1e-9, abs=1e-6)
    for name in ("exchanges", "streams", "members"):
        x, y = a[name], b[name]
        assert isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame)
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-7, atol=1e-6)
    assert a["kpis"] == pytest.approx(b["kpis"], rel=1e-7, abs=1e-6)


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([{"cost": 1.0}, {"cost": 1.0, "co2e": 150.0}, {"co2e": 1.0}]))
def test_a_result_read_after_later_changes_shows_the_match_it_came_from(seed: int, weights: dict[str, float]) -> None:
    """A warm result's tables are read on first use: they must be those of its own solve, not of a later one.

    Two kept matches take the same changes; one reads each result at once, the other only after all
    of them (the solves are the same, so must the tables be)."""
    _, net = random_network(seed, n_members=20, n_streams=120, spread_deg=0.2)
    scenario = scenario_for(max_distance_km=60.0, objective=weights)
    streams = _frames(net)["streams"]
    sid, gone = str(streams["stream_id"].iloc[0]), str(streams["stream_id"].iloc[1])
    new = {**streams.iloc[2].dropna().to_dict(), "stream_id": "NEW"}
    q = float(streams["quantity"].iloc[0])

    def steps(warm: matcher.WarmMatch, read: bool) -> list[object]:
        out = []
        for call, *args in (
            (warm.change_stream, sid, 0.5 * q),
            (warm.remove_stream, gone),
            (warm.add_stream, new),
            (warm.change_stream, sid, 3.0 * q),
        ):
            result = call(*args)
            out.append(_tables(result) if read else result)
        return out

    at_once = steps(matcher.WarmMatch(net, scenario), read=True)
    later = steps(matcher.WarmMatch(net, scenario), read=False)
    for now, result in zip(at_once, later):
        assert isinstance(result, matcher.MatchResult)
        _same(_tables(result), now)  # type: ignore[arg-type]
        check_result(result)
    # the objectives known before any table is read: the optimum of a cold match (check_result: and the money
    # cost the tables add up to; that cost is the optimum's only where money is the whole objective)
    cold, warm = match(net, scenario), matcher.WarmMatch(net, scenario).result()
    assert warm.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9, abs=1e-6)
    if weights == {"cost": 1.0}:
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-6)
    check_result(warm)


def test_a_deferred_result_is_read_once_whatever_the_threads_and_pickles_whole() -> None:
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    from matcher.results.result import DEFERRED_FIELDS, deferred_result

    _, net = random_network(3, n_members=15, n_streams=80)
    scenario = scenario_for(max_distance_km=60.0)
    full = match(net, scenario)
    calls = []

    def load() -> matcher.MatchResult:
        calls.append(1)
        return full

    head = {k: v for k, v in vars(full).items() if k not in DEFERRED_FIELDS}
    with pytest.raises(TypeError, match="objective"):
        deferred_result(load, **{k: v for k, v in head.items() if k != "objective"})
    lazy = deferred_result(load, **head)
    assert not calls and lazy.savings == full.savings  # the head needs no reading
    with ThreadPoolExecutor(4) as pool:
        frames = list(pool.map(lambda _: lazy.exchanges, range(8)))
    assert len(calls) == 1 and all(f is full.exchanges for f in frames)
    assert "results" in lazy.timings and lazy.basis is full.basis
    lazy.exchanges = lazy.exchanges.iloc[:0]  # a table can be set like any field
    assert lazy.exchanges.empty and len(calls) == 1
    again = pickle.loads(pickle.dumps(deferred_result(load, **head)))  # read before pickling
    assert len(calls) == 2 and type(again).__name__ == "_Deferred"
    pd.testing.assert_frame_equal(again.streams, full.streams)
    assert again.to_json() == full.to_json()
