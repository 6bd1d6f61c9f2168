"""The built-in resource catalog: coverage, sourced factors, EWC codes, scenario overrides."""

from __future__ import annotations

import pytest

from models import Catalog, DataError, Factor, ewc_table
from models.catalog import normalise_ewc


def test_at_least_30_resources_in_all_five_categories() -> None:
    cat = Catalog.builtin()
    assert len(cat) >= 30
    assert {r.category for r in cat.resources.values()} == {"energy", "water", "waste", "material", "capacity"}
    capacities = {k: r for k, r in cat.resources.items() if r.category == "capacity"}
    assert set(capacities) == {"backhaul", "storage_space", "equipment_time", "training_places", "expertise"}
    assert {k: (r.unit, r.kind) for k, r in capacities.items()} == {
        "backhaul": ("t*km", "backhaul"),
        "storage_space": ("m2", "storage_space"),
        "equipment_time": ("h", "equipment_time"),
        "training_places": ("seat", "training_places"),
        "expertise": ("h", "expertise"),
    }
    assert cat["backhaul"].transport == "route" and cat["expertise"].transport == "remote"


def _factors(cat: Catalog) -> list[tuple[str, Factor]]:
    out = [(f"currency {k}", f) for k, f in cat.currencies.items()]
    out += [(f"transport {m}.{k}", f) for m, fs in cat.transport.items() for k, f in fs.items()]
    for r in cat.resources.values():
        for name in type(r).model_fields:
            value = getattr(r, name)
            if isinstance(value, Factor):
                out.append((f"{r.key}.{name}", value))
    return out


def test_every_factor_carries_unit_source_and_year() -> None:
    factors = _factors(Catalog.builtin())
    assert len(factors) > 150
    for where, f in factors:
        assert f.unit and f.source and len(f.source) > 20, where  # a citation, not a source key
        assert 1990 <= f.year <= 2026, where


def test_every_resource_has_costs_and_emissions() -> None:
    for r in Catalog.builtin().resources.values():
        for name in ("disposal_cost", "virgin_cost", "disposal_co2e", "virgin_co2e"):
            assert getattr(r, name) is not None, (r.key, name)


def test_ewc_codes_of_wastes_exist_in_the_list_of_waste() -> None:
    table = ewc_table()
    assert len(table) == 842 and int(table["hazardous"].sum()) == 408
    for r in Catalog.builtin().resources.values():
        assert all(code in table.index for code in r.ewc)
        if r.category == "waste":
            assert r.ewc, r.key


def test_substitutes_resolve_and_costs_convert_currency() -> None:
    cat = Catalog.builtin()
    assert all(s.key in cat for r in cat.resources.values() for s in r.substitutes)
    eur, dkk = cat.table("EUR"), cat.table("DKK")
    assert dkk.loc["wood_waste", "virgin_cost"] == pytest.approx(eur.loc["wood_waste", "virgin_cost"] * 7.4589)


@pytest.mark.parametrize("code", ["17 05 03*", "170503", 170503, "17.05.03"])
def test_normalise_ewc(code: object) -> None:
    assert normalise_ewc(code) == "170503"


def test_scenario_overrides_only_named_fields_and_adds_resources() -> None:
    cat = Catalog.builtin().extended(
        {
            "resources": [
                {
                    "key": "wood_waste",
                    "disposal_cost": {"value": 99, "unit": "DKK/t", "source": "local quote", "year": 2026},
                },
                {
                    "key": "yeast_slurry",
                    "category": "waste",
                    "unit": "t",
                    "transport": "truck",
                    "ewc": ["02 07 04"],
                    "substitutes": [{"key": "animal_feed", "ratio": 0.2}],
                },
            ]
        }
    )
    assert cat["wood_waste"].disposal_cost.value == 99
    assert cat["wood_waste"].virgin_cost == Catalog.builtin()["wood_waste"].virgin_cost
    assert cat["yeast_slurry"].substitutes[0].key == "animal_feed"
    assert "yeast_slurry" not in Catalog.builtin()


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"key": "x", "category": "waste", "unit": "t", "transport": "truck", "ewc": ["99 99 99"]}, "unknown EWC"),
        ({"key": "wood_waste", "disposal_cost": 45}, "valid dictionary"),  # a bare number is refused
        ({"key": "wood_waste", "disposal_cost": {"value": 4, "unit": "EUR/m3", "source": "s", "year": 2020}}, "per t"),
        ({"key": "x", "category": "gas", "unit": "t", "transport": "truck"}, "category"),
        (
            {
                "key": "x",
                "category": "waste",
                "unit": "t",
                "transport": "truck",
                "substitutes": [{"key": "nothing", "ratio": 1}],
            },
            "not a resource",
        ),
        ({"key": "x", "category": "capacity", "unit": "h", "transport": "onsite"}, "needs its kind"),
        ({"key": "x", "category": "capacity", "kind": "storage_space", "unit": "h", "transport": "onsite"}, "in m2"),
        ({"key": "x", "category": "capacity", "kind": "expertise", "unit": "h", "transport": "truck"}, "travels by"),
        ({"key": "x", "category": "capacity", "kind": "expertise", "unit": "h", "transport": "route"}, "route"),
        ({"key": "x", "category": "waste", "unit": "seat", "transport": "truck"}, "belong to capacities"),
        ({"key": "x", "category": "waste", "unit": "t", "transport": "onsite"}, "belong to capacities"),
        (
            {
                "key": "x",
                "category": "capacity",
                "kind": "storage_space",
                "unit": "m2",
                "transport": "onsite",
                "reach_km": {"value": 5, "unit": "m", "source": "s", "year": 2020},
            },
            "distance in km",
        ),
        (
            {
                "key": "x",
                "category": "capacity",
                "kind": "expertise",
                "unit": "h",
                "transport": "remote",
                "substitutes": [{"key": "equipment_time", "ratio": 1}],
            },
            "replaces only its kind",
        ),
        ({"key": "wood_waste", "substitutes": [{"key": "storage_space", "ratio": 1}]}, "replaces only its kind"),
    ],
)
def test_bad_catalog_entries_are_listed(entry: dict, words: str) -> None:
    with pytest.raises(DataError) as err:
        Catalog.builtin().extended({"resources": [entry]})
    assert any(words in str(i) for i in err.value.issues), err.value.issues
