"""Provenance of every figure: recomputed here from ``match --json``'s factors and exchanges alone.

This test knows nothing of :mod:`matcher.results.factors`: it reads the JSON document a user
gets, finds each exchange's factors by the ids it lists, and recomputes every money and CO2e
figure of the exchange, the savings and CO2e KPIs and the parts of them that rest on estimates,
within 1e-9 relative. It also checks that no factor of the shipped catalog cites this project's
own documents.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
import scenarios
from matcher.cli import main
from models import Catalog, Factor
from models.examples import random_network

REL = 1e-9

MEMBERS = """member_id,name,sector,lat,lon
A,Alpha Mill,C16,59.30,18.00
B,Beta Heat,D35,59.32,18.05
C,Gamma Build,F41,59.35,18.02
D,Delta Farm,A01,59.28,18.10
"""
STREAMS = """stream_id,member_id,direction,resource,quantity,unit,disposal_cost,virgin_cost
W1,A,supply,wood_waste,800,t,,
W2,D,demand,wood_chips,700,t,,
G1,A,supply,fgd_gypsum,500,t,,
G2,C,demand,gypsum,400,t,,310
H1,A,supply,heat_medium,9000,MWh,,
H2,B,demand,heat_low,8000,MWh,,
P1,B,supply,plastic_pe,50000,kg,2400,
P2,C,demand,plastic_pe,40,t,,
Q1,A,supply,process_water,2000,t,,
Q2,D,demand,process_water,1500,m3,,
"""
LINKS = """from_member,to_member,cost_per_unit,fixed_cost,capacity,mode
A,B,,150000,,pipe
B,C,95,,,truck
"""
SCENARIO = """name: Provenance test network
currency: SEK
members: members.csv
streams: streams.csv
links: links.csv
catalog:
  - {key: fgd_gypsum, disposal_cost: se_landfill_tax}
  - key: wood_chips
    virgin_cost: {value: 1450, unit: SEK/t, source: "quote from the Delta Farm supplier, 2026", year: 2026}
parameters:
  carbon_price: 300
  max_distance_km: 50
  transport:
    truck: {cost_per_unit_km: 0.9}
"""


def _write(folder: Path) -> Path:
    folder.mkdir()
    for name, text in (
        ("members.csv", MEMBERS),
        ("streams.csv", STREAMS),
        ("links.csv", LINKS),
        ("scenario.yaml", SCENARIO),
    ):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _match_json(path: Path) -> dict[str, Any]:
    r = CliRunner().invoke(main, ["match", str(path), "--json"])
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.stdout))


def _close(a: float, b: float, scale: float = 0.0) -> bool:
    """Equal within 1e-9 relative to the larger of the two (or of ``scale``, the size of the terms summed)."""
    return abs(a - b) <= REL * max(abs(a), abs(b), abs(scale), 1e-12)


class Recompute:
    """Each exchange's figures from the factor table and the ids the exchange lists."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.factors = {f["id"]: f for f in doc["factors"]}
        self.currency = doc["currency"]
        carbon = self.factors.get("carbon_price")
        self.p = carbon["value"] if carbon else 0.0

    def one(self, ids: list[str], kind: str) -> dict[str, Any] | None:
        found = [self.factors[i] for i in ids if i.split(":", 1)[0] == kind]
        assert len(found) <= 1, (kind, ids)
        return found[0] if found else None

    def money(self, f: dict[str, Any] | None) -> float:
        """A monetary factor in the result's currency (rates are units per EUR)."""
        if f is None:
            return 0.0
        code = f["unit"].split("/", 1)[0]
        if code == self.currency:
            return float(f["value"])
        rate = {c: self.factors[f"currency:{c}"]["value"] for c in (code, self.currency)}
        return float(f["value"]) * rate[self.currency] / rate[code]

    @staticmethod
    def co2(f: dict[str, Any] | None) -> float:
        return 0.0 if f is None else float(f["value"]) / 1000.0  # kg CO2e -> t

    def terms(self, e: dict[str, Any]) -> tuple[dict[str, tuple[float, list[dict[str, Any]]]], dict[str, Any]]:
        """The exchange's money and CO2e terms, each with the factors it rests on."""
        s_ids, c_ids = e["saving_factors"], e["co2e_factors"]
        x, km = e["quantity"], e["distance_km"]
        shipment = self.one(s_ids, "shipment_km")  # backhaul: the detour over the shipment's length, per t*km
        if shipment is not None:
            assert shipment["id"] in e["co2e_factors"]
            km = km / float(shipment["value"])
        sub = self.one(s_ids, "substitute_ratio")
        ratio = 1.0 if sub is None else float(sub["value"])
        disp, virg = self.one(s_ids, "disposal_cost"), self.one(s_ids, "virgin_cost")
        tc = self.one(s_ids, "transport_cost")
        dco2, vco2, tco2 = (self.one(c_ids, k) for k in ("disposal_co2e", "virgin_co2e", "transport_co2e"))
        assert tc is not None and tco2 is not None, e
        rates = [self.factors[i] for i in s_ids if i.startswith("currency:")]
        fx = lambda f: [f, *rates] if f is not None and not f["unit"].startswith(self.currency + "/") else [f]  # noqa: E731
        per_unit = ":link/" in tc["id"]
        carbon = [self.factors["carbon_price"]] if self.p else []
        money = {
            "disposal": (self.money(disp) * x, fx(disp)),
            "virgin": (self.money(virg) * ratio * x, [*fx(virg), sub]),
            "transport": (-self.money(tc) * (1.0 if per_unit else km) * x, fx(tc)),
            "fixed": (-e["fixed_cost"], [self.one(s_ids, "fixed_cost")]),
            "carbon_disposal": (self.p * self.co2(dco2) * x, [*carbon, dco2]),
            "carbon_virgin": (self.p * ratio * self.co2(vco2) * x, [*carbon, vco2, sub]),
            "carbon_transport": (-self.p * self.co2(tco2) * km * x, [*carbon, tco2]),
        }
        figures = {
            "ratio": ratio,
            "transport_cost": -money["transport"][0],
            "co2e_t": self.co2(tco2) * km * x,
            "avoided_disposal_cost": money["disposal"][0],
            "avoided_virgin_cost": money["virgin"][0],
            "co2e_avoided_t": (self.co2(dco2) + ratio * self.co2(vco2)) * x - self.co2(tco2) * km * x,
            "co2e_on_estimates": sum(
                amount
                for amount, fs in (
                    (self.co2(dco2) * x, [dco2]),
                    (ratio * self.co2(vco2) * x, [vco2, sub]),
                    (-self.co2(tco2) * km * x, [tco2]),
                )
                if any(f is not None and f["estimate"] for f in fs)
            ),
        }
        return money, figures


def _check(doc: dict[str, Any]) -> None:
    calc = Recompute(doc)
    assert doc["status"] == "optimal" and doc["exchanges"]
    assert all(set(f) == {"id", "what", "value", "unit", "source", "year", "estimate"} for f in doc["factors"])
    assert all(isinstance(f["estimate"], bool) and f["source"] for f in doc["factors"])
    assert len({f["id"] for f in doc["factors"]}) == len(doc["factors"])
    total = {"saving": 0.0, "co2e": 0.0, "saving_est": 0.0, "co2e_est": 0.0, "scale": 0.0}
    for e in doc["exchanges"]:
        assert set(e["saving_factors"]) <= set(calc.factors) and set(e["co2e_factors"]) <= set(calc.factors)
        money, fig = calc.terms(e)
        assert _close(e["delivered"], fig["ratio"] * e["quantity"])
        for key in ("transport_cost", "co2e_t", "avoided_disposal_cost", "avoided_virgin_cost"):
            assert _close(e[key], fig[key]), (key, e[key], fig[key])
        scale_c = max(abs(e["co2e_avoided_t"]), e["co2e_t"])
        assert _close(e["co2e_avoided_t"], fig["co2e_avoided_t"], scale_c), e
        saving = sum(a for a, _ in money.values())
        scale = sum(abs(a) for a, _ in money.values())
        assert _close(e["saving"], saving, scale), (e["saving"], saving)
        on_est = sum(a for a, fs in money.values() if any(f is not None and f["estimate"] for f in fs))
        assert _close(e["saving_on_estimates"], on_est, scale), (e["saving_on_estimates"], on_est)
        assert _close(e["co2e_avoided_on_estimates_t"], fig["co2e_on_estimates"], scale_c)
        for key, value in (("saving", saving), ("co2e", fig["co2e_avoided_t"]), ("saving_est", on_est)):
            total[key] += value
        total["co2e_est"] += fig["co2e_on_estimates"]
        total["scale"] += scale
    k = doc["kpis"]
    # stores and processes cost and emit beyond their exchanges (their own figures: operation, disposal, purchase)
    chain = doc.get("chain_costs", [])
    total["saving"] -= sum(c["cost"] for c in chain)
    total["co2e"] -= sum(c["co2e_t"] for c in chain)
    assert _close(k["savings"], total["saving"], total["scale"]) and _close(
        doc["savings"], total["saving"], total["scale"]
    )
    assert _close(
        k["co2e_avoided_t"], total["co2e"], sum(abs(e["co2e_t"]) for e in doc["exchanges"]) + abs(total["co2e"])
    )
    assert _close(k["savings_on_estimates"], total["saving_est"], total["scale"])
    assert _close(k["co2e_avoided_on_estimates_t"], total["co2e_est"], abs(total["co2e"]))
    # the link's fixed cost is shared by its exchanges in full
    for f in doc["factors"]:
        if f["id"].startswith("fixed_cost:link/"):
            shares = [e["fixed_cost"] for e in doc["exchanges"] if f["id"] in e["saving_factors"]]
            assert _close(sum(shares), f["value"])


@pytest.mark.parametrize("name", sorted(scenarios.names()))
def test_bundled_figures_recompute_from_their_factors(name: str) -> None:
    _check(_match_json(scenarios.path(name)))


def test_every_kind_of_factor_recomputes(tmp_path: Path) -> None:
    """Carbon price, a scenario's own transport rate and catalog entry, a tax by name, members' own costs,
    link costs (per unit and fixed), substitutes, a volume converted by density, and two currency rates."""
    doc = _match_json(_write(tmp_path / "net"))
    _check(doc)
    f = {x["id"]: x for x in doc["factors"]}
    assert f["carbon_price"]["value"] == 300 and f["carbon_price"]["unit"] == "SEK/tCO2e"
    truck = f["transport_cost:mode/truck"]
    assert truck["value"] == 0.9 and truck["estimate"] and truck["year"] is None
    assert "parameters.transport.truck.cost_per_unit_km" in truck["source"]
    assert f["disposal_cost:fgd_gypsum"]["value"] == 744 and "1999:673" in f["disposal_cost:fgd_gypsum"]["source"]
    chips = f["virgin_cost:wood_chips"]
    assert chips["source"] == "quote from the Delta Farm supplier, 2026" and not chips["estimate"]
    assert f["disposal_cost:stream/P1"]["value"] == 2400 and f["disposal_cost:stream/P1"]["unit"] == "SEK/t"
    assert f["virgin_cost:stream/G2"]["value"] == 310
    assert f["transport_cost:link/B/C"]["value"] == 95 and f["fixed_cost:link/A/B"]["value"] == 150000
    assert f["substitute_ratio:wood_waste/wood_chips"]["value"] == 0.9
    assert "density:process_water" in f
    assert f["currency:SEK"]["value"] == 11.4325 and "currency:EUR" in f
    used = {i for e in doc["exchanges"] for i in e["saving_factors"]}
    assert {"transport_cost:link/B/C", "fixed_cost:link/A/B", "disposal_cost:stream/P1", "carbon_price"} <= used
    assert 0 < doc["kpis"]["savings_on_estimates"] < doc["kpis"]["savings"]


_OWN_DOCUMENTS = re.compile(r"symbiose|design\.md|readme|style\.md|\bdesign\b", re.IGNORECASE)


def _catalog_factors(cat: Catalog) -> list[tuple[str, Factor]]:
    out = [(f"currency {k}", f) for k, f in cat.currencies.items()]
    out += [(f"tax {k}", f) for k, f in cat.taxes.items()]
    out += [(f"transport {m}.{k}", f) for m, fs in cat.transport.items() for k, f in fs.items()]
    for r in cat.resources.values():
        out += [(f"{r.key}.{n}", v) for n in type(r).model_fields if isinstance(v := getattr(r, n), Factor)]
    return out


def test_no_catalog_factor_cites_this_projects_own_documents() -> None:
    cat = Catalog.builtin()
    for name in scenarios.names():
        from models import load

        scenario, net = load(scenarios.path(name))
        cat_s = net.catalog
        for where, f in _catalog_factors(cat_s):
            assert not _OWN_DOCUMENTS.search(f.source), (name, where, f.source)
    factors = _catalog_factors(cat)
    assert len(factors) > 150
    for where, f in factors:
        assert not _OWN_DOCUMENTS.search(f.source), (where, f.source)
        assert f.estimate or not f.source.startswith("estimate:"), where
    # the figures the publications give, not the rounded ones the design note carried
    assert cat.transport["truck"]["co2e_kg_per_unit_km"].value == 0.12366
    assert cat.taxes["dk_landfill_tax"].value == 475 and cat.taxes["dk_landfill_tax"].unit == "DKK/t"
    assert cat.taxes["se_landfill_tax"].value == 744 and cat.taxes["se_landfill_tax"].year == 2025
    assert math.isclose(cat.taxes["no_incineration_tax"].value, 882 * 0.5498)
    assert cat["bottom_ash"].disposal_cost == cat.taxes["dk_landfill_tax"]
    assert cat.transport["truck"]["cost_per_unit_km"].estimate  # no primary figure found: stays an estimate


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), carbon=st.sampled_from([0.0, 85.0, 1200.0]))
def test_random_networks_recompute_from_their_factors(seed: int, carbon: float) -> None:
    """Any network (its members' own costs, links, substitutes) and carbon price: the JSON recomputes."""
    scenario, net = random_network(seed)
    scenario = scenario.model_copy(
        update={"parameters": scenario.parameters.model_copy(update={"carbon_price": carbon})}
    )
    result = matcher.match(net, scenario)
    if not len(result.exchanges):
        assert result.kpis["savings_on_estimates"] == 0.0
        return
    _check(json.loads(result.to_json()))


def test_the_terminal_says_how_much_rests_on_estimates() -> None:
    r = CliRunner().invoke(main, ["match", str(scenarios.path("kalundborg"))])
    assert r.exit_code == 0, r.output
    doc = _match_json(scenarios.path("kalundborg"))
    est = doc["kpis"]["savings_on_estimates"]
    share = round(100 * est / doc["savings"])
    assert f"of which {est:,.0f} DKK ({share} %) rest on factors marked as estimates" in r.stdout
    assert "savings_on_estimates" in r.stdout and "co2e_avoided_on_estimates_t" in r.stdout
