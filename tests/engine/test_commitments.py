"""Fixed exchanges (running in reality) and excluded pairs: kept as they are, never proposed, checked on input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_result

import matcher
import models
from matcher.api import build
from matcher.cli import main
from matcher.solve.pricing import pricing_applies
from models.examples import heat_pair, pure_flow, random_network


def _pair_rows(ex: pd.DataFrame, s: str, d: str) -> pd.DataFrame:
    return ex[(ex["supply_stream"] == s) & (ex["demand_stream"] == d)]


@st.composite
def flow_with_commitments(draw: st.DrawFn) -> tuple:
    ns, nd = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    q = [draw(st.integers(1, 50)) * 10.0 for _ in range(ns)]
    r = [draw(st.integers(1, 50)) * 10.0 for _ in range(nd)]
    pairs = [(i, j) for i in range(ns) for j in range(nd)]
    links = [(i, j, float(draw(st.integers(0, 30)))) for (i, j) in pairs if draw(st.booleans()) or (i, j) == (0, 0)]
    w = [float(draw(st.integers(0, 40))) for _ in range(ns)]
    v = [float(draw(st.integers(0, 40))) for _ in range(nd)]
    fi, fj, cost = links[0]
    share = draw(st.sampled_from([0.1, 0.5, 1.0]))
    fixed = share * min(q[fi], r[fj])
    excluded = draw(st.sampled_from([(i, j) for i, j, _ in links[1:]])) if len(links) > 1 else None
    return q, r, links, w, v, (fi, fj, cost, fixed), excluded


@settings(max_examples=20, deadline=None)
@given(flow_with_commitments())
def test_fixed_flow_is_kept_and_the_rest_equals_the_reduced_network(case: tuple) -> None:
    """The fixed exchange is in the result at its quantity; the rest costs what the reduced network costs
    when solved by hand (its streams less the fixed quantity); an excluded pair never carries flow and the
    optimum equals the network without that pair's link."""
    q, r, links, w, v, (fi, fj, cost, fixed), excluded = case
    scenario, network = pure_flow(q, r, links, w, v)
    fixed_table = pd.DataFrame(
        {"supply_stream": [f"s{fi}"], "demand_stream": [f"d{fj}"], "quantity": [fixed], "unit": ["t"]}
    )
    excl = (
        pd.DataFrame({"supply_stream": [f"s{excluded[0]}"], "demand_stream": [f"d{excluded[1]}"]}) if excluded else None
    )
    result = matcher.match(network, scenario, fixed_exchanges=fixed_table, excluded_pairs=excl)
    check_result(result)
    ex = result.exchanges
    kept = _pair_rows(ex, f"s{fi}", f"d{fj}")
    assert len(kept) == 1 and bool(kept["implemented"].iat[0]) and kept["quantity"].iat[0] == pytest.approx(fixed)
    assert not ex.loc[ex["implemented"].astype(bool)].drop(kept.index).shape[0]
    if excluded:
        assert _pair_rows(ex, f"s{excluded[0]}", f"d{excluded[1]}").empty

    # by hand: the network with the fixed quantity taken off both streams, the fixed pair (it carries exactly
    # its quantity) and the excluded pair gone
    q2, r2 = list(q), list(r)
    q2[fi] -= fixed
    r2[fj] -= fixed
    rest = [lk for lk in links if (lk[0], lk[1]) not in (excluded, (fi, fj))]
    expected = fixed * cost
    keep_s = [i for i in range(len(q)) if q2[i] > 1e-9]
    keep_d = [j for j in range(len(r)) if r2[j] > 1e-9]
    s_pos = {i: k for k, i in enumerate(keep_s)}
    d_pos = {j: k for k, j in enumerate(keep_d)}
    sub_links = [(s_pos[i], d_pos[j], c) for i, j, c in rest if i in s_pos and j in d_pos]
    if sub_links:
        sc2, net2 = pure_flow(
            [q2[i] for i in keep_s], [r2[j] for j in keep_d], sub_links, [w[i] for i in keep_s], [v[j] for j in keep_d]
        )
        expected += matcher.match(net2, sc2).objective
    else:  # nothing left to exchange: the rest is disposed and bought virgin
        expected += sum(a * b for a, b in zip(q2, w)) + sum(a * b for a, b in zip(r2, v))
    assert result.objective == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_fixed_flow_equals_the_whole_lp_with_bounds_solved_by_scipy() -> None:
    """The same optimum as the whole LP of the free network with the pair's column bounded by hand,
    solved by scipy's linprog (an independent solve of the arrays)."""
    from scipy.optimize import linprog

    for seed in range(30):
        scenario, network = random_network(seed, n_members=10, n_streams=60)
        cand, lp, _ = build(network, scenario)
        if pricing_applies(cand) and len(cand.edges) > 40:
            break
    free = matcher.match(network, scenario, method="whole")
    top = free.exchanges.iloc[0]
    pair = cand.edges.index[
        (network.supplies.index[cand.edges["s"]] == top["supply_stream"])
        & (network.demands.index[cand.edges["d"]] == top["demand_stream"])
    ]
    supplies = cand.inputs.supplies.index.to_numpy()[cand.edges["s"].to_numpy()]
    demands = cand.inputs.demands.index.to_numpy()[cand.edges["d"].to_numpy()]
    e = int(np.flatnonzero((supplies == top["supply_stream"]) & (demands == top["demand_stream"]))[0])
    del pair
    fixed = top["quantity"] / 3
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[e] = upper[e] = fixed
    A = lp.A.tocsr()
    eq = lp.row_lower == lp.row_upper
    ub_rows = ~eq & np.isfinite(lp.row_upper)
    lb_rows = ~eq & np.isfinite(lp.row_lower)
    import scipy.sparse as sp

    res = linprog(
        lp.components["cost"],
        A_ub=sp.vstack([A[ub_rows], -A[lb_rows]]),
        b_ub=np.concatenate([lp.row_upper[ub_rows], -lp.row_lower[lb_rows]]),
        A_eq=A[eq],
        b_eq=lp.row_lower[eq],
        bounds=list(zip(lower, upper)),
        method="highs-ipm",
    )
    assert res.status == 0
    table = pd.DataFrame(
        {
            "supply_stream": [top["supply_stream"]],
            "demand_stream": [top["demand_stream"]],
            "quantity": [fixed],
            "unit": [top["unit"]],
        }
    )
    for method in ("whole", "pricing", "search"):
        result = matcher.match(network, scenario, method=method, fixed_exchanges=table)
        check_result(result)
        assert result.objective == pytest.approx(res.fun, rel=1e-7)
        assert result.objective >= free.objective - 1e-6 * abs(free.objective)
        row = _pair_rows(result.exchanges, top["supply_stream"], top["demand_stream"])
        assert row["quantity"].tolist() == pytest.approx([fixed]) and row["implemented"].tolist() == [True]


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.data())
def test_excluded_pairs_never_appear_whatever_the_method(seed: int, data: st.DataObject) -> None:
    scenario, network = random_network(seed, n_members=8, n_streams=30)
    free = matcher.match(network, scenario)
    if free.exchanges.empty:
        return
    ex = free.exchanges
    chosen = data.draw(st.lists(st.integers(0, len(ex) - 1), min_size=1, max_size=3, unique=True))
    excluded = ex.iloc[chosen][["supply_stream", "demand_stream"]].reset_index(drop=True)
    methods = ["whole"]
    if pricing_applies(build(network, scenario)[0]):
        methods += ["pricing", "search"]
    objectives = []
    for method in methods:
        result = matcher.match(network, scenario, method=method, excluded_pairs=excluded)
        check_result(result)
        got = set(zip(result.exchanges["supply_stream"], result.exchanges["demand_stream"]))
        assert not got & set(zip(excluded["supply_stream"], excluded["demand_stream"]))
        assert result.objective >= free.objective - 1e-6 * max(1.0, abs(free.objective))
        assert not result.exchanges["implemented"].any()
        objectives.append(result.objective)
    assert objectives == pytest.approx([objectives[0]] * len(objectives), rel=1e-7)


def test_a_fixed_exchange_beyond_reach_and_at_a_loss_is_kept() -> None:
    """Reality wins over the rules: a pair the candidate search would drop (too far, not paying) is kept."""
    scenario, network = heat_pair(distance_km=300.0)
    assert matcher.match(network, scenario).exchanges.empty
    fixed = pd.DataFrame({"supply_stream": ["s"], "demand_stream": ["d"], "quantity": [100.0], "unit": ["MWh"]})
    result = matcher.match(network, scenario, fixed_exchanges=fixed)
    check_result(result)
    assert result.exchanges[["quantity", "implemented"]].values.tolist() == [[100.0, True]]
    assert result.savings < 0  # it costs more than it saves; it runs anyway
    doc = json.loads(result.to_json())
    assert doc["exchanges"][0]["implemented"] is True and doc["exchanges"][0]["quantity"] == 100.0


def test_fixed_and_excluded_from_a_scenario_folder_and_the_cli(tmp_path: Path) -> None:
    import scenarios

    folder = tmp_path / "hillerod"
    import shutil

    shutil.copytree(scenarios.path("hillerod"), folder, ignore=shutil.ignore_patterns("reference", "*.png"))
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    text += "fixed_exchanges: fixed_exchanges.csv\nexcluded_pairs: excluded_pairs.csv\n"
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    (folder / "fixed_exchanges.csv").write_text(
        "supply_stream;demand_stream;quantity;unit\nS05;D09;1 000;MWh\n", encoding="utf-8"
    )
    (folder / "excluded_pairs.csv").write_text("supply_stream,demand_stream,reason\nS16,D14,price\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["match", str(folder), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    fixed = [e for e in doc["exchanges"] if e["implemented"]]
    assert [(e["supply_stream"], e["demand_stream"], e["quantity"]) for e in fixed] == [("S05", "D09", 1000.0)]
    assert not [e for e in doc["exchanges"] if (e["supply_stream"], e["demand_stream"]) == ("S16", "D14")]
    assert all(e["implemented"] is False for e in doc["exchanges"] if e not in fixed)
    text = CliRunner().invoke(main, ["match", str(folder)]).output
    assert [line.split()[:2] for line in text.splitlines() if line.startswith("running")] == [["running", "M04"]]
    # the same from Python
    scenario, network = models.load(folder)
    assert network.fixed_exchanges["quantity_base"].tolist() == [1000.0]
    assert network.excluded_pairs["reason"].tolist() == ["price"]

    # every mistake named by file, row and column; exit 1, no traceback, nothing matched
    (folder / "fixed_exchanges.csv").write_text(
        "supply_stream,demand_stream,quantity,unit\n"
        "S05,D09,1000,MWh\n"
        "NOPE,D09,5,MWh\n"  # row 3: unknown stream
        "D09,S05,5,MWh\n"  # row 4: directions swapped
        "S05,D09,5,MWh\n"  # row 5: the pair again
        "S11,D03,5,parsecs\n"  # row 6: unit
        "S11,D09,5,t\n"  # row 7: wood waste cannot heat a building
        "S13,D10,lots,t\n",  # row 8: not a number
        encoding="utf-8",
    )
    (folder / "excluded_pairs.csv").write_text("supply_stream,demand_stream\nS05,D09\nS16,GONE\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["match", str(folder)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    for where in (
        "fixed_exchanges.csv:3:supply_stream",
        "fixed_exchanges.csv:4:supply_stream",
        "fixed_exchanges.csv:4:demand_stream",
        "fixed_exchanges.csv:5:demand_stream",
        "fixed_exchanges.csv:8:quantity",
        "excluded_pairs.csv:2:demand_stream",
        "excluded_pairs.csv:3:demand_stream",
    ):
        assert where in r.output, (where, r.output)
    (folder / "fixed_exchanges.csv").write_text(
        "supply_stream,demand_stream,quantity,unit\nS11,D03,5,parsecs\nS11,D09,5,t\nS13,D10,99999,t\n",
        encoding="utf-8",
    )
    (folder / "excluded_pairs.csv").write_text("supply_stream,demand_stream\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["match", str(folder)])
    assert r.exit_code == 1
    for where in ("fixed_exchanges.csv:2:unit", "fixed_exchanges.csv:3:demand_stream"):
        assert where in r.output, (where, r.output)
    (folder / "fixed_exchanges.csv").write_text(
        "supply_stream,demand_stream,quantity,unit\nS13,D10,99999,t\n", encoding="utf-8"
    )
    r = CliRunner().invoke(main, ["match", str(folder)])
    assert r.exit_code == 1 and "fixed_exchanges.csv:2:quantity" in r.output and "takes" not in r.output


def test_a_variant_that_removes_a_stream_drops_its_commitments() -> None:
    scenario, network = pure_flow([10.0, 10.0], [10.0], [(0, 0, 1.0), (1, 0, 2.0)], [5.0, 5.0], [9.0])
    network = network.with_commitments(
        pd.DataFrame({"supply_stream": ["s0"], "demand_stream": ["d0"], "quantity": [4.0], "unit": ["t"]}),
        pd.DataFrame({"supply_stream": ["s1"], "demand_stream": ["d0"]}),
    )
    from models.io import apply_changes
    from models.scenario import Changes

    after = apply_changes(network, Changes(remove_streams=["s0"]))
    assert after.fixed_exchanges.empty and after.excluded_pairs["supply_stream"].tolist() == ["s1"]
    assert apply_changes(network, Changes(remove_streams=["s1"])).excluded_pairs.empty
    kept = apply_changes(network, Changes(scale_streams={"s1": 2.0}))
    assert kept.fixed_exchanges["supply_stream"].tolist() == ["s0"] and len(kept.excluded_pairs) == 1
    result = matcher.match(kept, scenario)
    assert result.exchanges[["supply_stream", "quantity", "implemented"]].values.tolist() == [["s0", 4.0, True]]


@pytest.mark.parametrize("name", ["hillerod", "kalundborg"])
def test_kpis_of_the_exchanges_alone_are_the_match_kpis(name: str) -> None:
    """exchange_kpis (realised impact counts the exchanges that run with it) gives a match's own KPIs."""
    import scenarios
    from matcher.results.kpis import exchange_kpis

    scenario, network = models.load(scenarios.path(name))
    result = matcher.match(network, scenario)
    categories = {k: r.category for k, r in network.catalog.resources.items()}
    kinds = {k: r.kind for k, r in network.catalog.resources.items()}
    got = exchange_kpis(result.exchanges, categories, kinds)
    assert set(got) == set(result.kpis)
    for key, value in result.kpis.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-6), key
    half = result.exchanges.assign(
        **{c: result.exchanges[c] / 2 for c in ("quantity", "delivered", "saving", "co2e_avoided_t")}
    )
    assert exchange_kpis(half, categories, kinds)["co2e_avoided_t"] == pytest.approx(result.kpis["co2e_avoided_t"] / 2)
