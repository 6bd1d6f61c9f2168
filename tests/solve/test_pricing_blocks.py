"""Pricing a few pairs at a time finds the same entering pairs and reduced costs as pricing all at once."""

from __future__ import annotations

import numpy as np
import pytest
from solve.test_general_pricing import general_network
from solve.test_netsimplex import pure_network

from matcher.engine.candidates import build_candidates
from matcher.engine.inputs import prepare
from matcher.solve.pricing import PricedModel
from models.examples import random_network, scenario_for


def _networks():
    yield "pure", pure_network(5, n_members=150)[1]
    yield "general", general_network(7, n_links=60)


@pytest.mark.parametrize(("name", "net"), list(_networks()))
def test_blocks_price_as_all_at_once(name: str, net) -> None:  # type: ignore[no-untyped-def]
    cand = build_candidates(prepare(net, scenario_for(max_distance_km=60.0)))
    model = PricedModel(cand, tree=False)
    assert bool(model.side[0].size) == (name == "general")
    sol = model.kept.solve()  # the first restricted model: many pairs still price out negative
    pi = sol.row_duals[model.kept_row]
    reduced = model.reduced_costs(pi)  # every pair at once (checked against the whole matrix elsewhere)
    tol = -1e-9 * np.maximum(1.0, np.abs(model.c_all))
    expected = np.flatnonzero((reduced < tol) & ~model.in_model & ~model.dead)
    assert expected.size > 10
    some = np.sort(np.random.default_rng(0).choice(model.n_pairs, model.n_pairs // 3, replace=False))
    for block in (3, 64, 1 << 18):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(PricedModel, "price_block", block)
            enter, rc = model._negative(pi)
            np.testing.assert_array_equal(enter, expected)
            np.testing.assert_allclose(rc, reduced[expected], rtol=1e-12, atol=1e-12)
            enter, rc = model._negative(pi, some)
            np.testing.assert_array_equal(enter, some[np.isin(some, expected)])
            np.testing.assert_allclose(rc, reduced[enter], rtol=1e-12, atol=1e-12)


def test_a_model_priced_in_small_blocks_reaches_the_same_optimum() -> None:
    _, net = random_network(9, n_members=40, n_streams=300, spread_deg=0.3)
    cand = build_candidates(prepare(net, scenario_for(max_distance_km=60.0)))
    whole = PricedModel(cand, tree=False)
    whole.solve()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(PricedModel, "price_block", 5)
        small = PricedModel(cand, tree=False)
        small.solve()
    assert small.solution.objective == pytest.approx(whole.solution.objective, rel=1e-12)
    assert small.order == whole.order  # the same pairs entered, in the same rounds
