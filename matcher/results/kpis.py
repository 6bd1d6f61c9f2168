"""The network's key figures, each with its unit and the SDG target it serves (one table for every output).

Shared capacities (category ``capacity``) count in their own figures, by kind: backhaul
t*km and the CO2e its receivers' own trips would have emitted (detours subtracted, also
part of ``co2e_avoided_t``), storage m2, equipment and expertise hours, training seats.
They never count as waste diverted, virgin materials avoided or transport work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.candidates import Candidates
from .factors import within

__all__ = ["CAPACITY_KPIS", "KPIS", "Kpi", "exchange_kpis", "kpi_values", "total"]


@dataclass(frozen=True)
class Kpi:
    """How a key figure is shown: ``unit`` (``currency`` means the scenario's), SDG target, label, description."""

    unit: str
    sdg_target: str
    label: str
    description: str


#: Every KPI, in the order outputs show them.
KPIS: dict[str, Kpi] = {
    "savings": Kpi("currency", "8.4", "Savings", "total cost saved against the baseline (resource efficiency)"),
    "waste_diverted_t": Kpi("t", "12.5", "Waste diverted", "waste exchanged instead of disposed"),
    "virgin_avoided_t": Kpi("t", "12.2", "Virgin materials avoided", "virgin materials not bought"),
    "water_reused_m3": Kpi("m3", "6.4", "Water reused", "virgin water replaced by exchanged water"),
    "energy_recovered_mwh": Kpi("MWh", "7.3", "Energy recovered", "energy needs met by surplus energy"),
    "co2e_avoided_t": Kpi("t CO2e", "13.2", "CO2e avoided", "emissions avoided, transport emissions subtracted"),
    "savings_on_estimates": Kpi(
        "currency",
        "8.4",
        "Savings on estimates",
        "the part of the savings that terms on published factors alone do not account for: per exchange, its "
        "terms with a factor marked as an estimate, summed and kept between 0 and its saving; the exchanges' "
        "parts added up and kept between 0 and the savings (costs of stores and processes are taken from the "
        "published part first), so never more than the savings",
    ),
    "co2e_avoided_on_estimates_t": Kpi(
        "t CO2e",
        "13.2",
        "CO2e on estimates",
        "the part of the CO2e avoided that terms on published factors alone do not account for: per exchange, "
        "its avoided-disposal, avoided-virgin and transport terms with a factor marked as an estimate, summed "
        "and kept between 0 and its CO2e avoided (all of it where published transport emissions outweigh the "
        "published avoided ones); the exchanges' parts added up and kept between 0 and the CO2e avoided",
    ),
    "transport_tkm": Kpi("t*km", "9.4", "Transport work", "road and pipe transport work of mass exchanged"),
    "backhaul_tkm": Kpi(
        "t*km", "9.4", "Backhaul used", "shipments carried in trucks' spare load on their routes (capacity)"
    ),
    "backhaul_co2e_avoided_t": Kpi(
        "t CO2e", "9.4", "CO2e avoided by backhaul", "the receivers' own trips avoided, detours subtracted"
    ),
    "storage_space_shared_m2": Kpi("m2", "9.4", "Storage space shared", "idle floor space used by another member"),
    "equipment_time_shared_h": Kpi("h", "9.4", "Equipment time shared", "spare equipment hours used by another member"),
    "training_places_shared": Kpi(
        "seat", "8.5/4.4", "Training places shared", "training and apprenticeship seats filled across members"
    ),
    "expertise_shared_h": Kpi("h", "17.17", "Expertise shared", "specialists' hours given to another member"),
    "exchanges": Kpi("count", "17.17", "Exchanges", "supply-demand pairs that exchange"),
    "members_involved": Kpi("count", "17.17", "Members involved", "members in at least one exchange"),
}


#: The KPIs of shared capacities (a report leaves their cards out where a network has no capacity stream).
CAPACITY_KPIS = (
    "backhaul_tkm",
    "backhaul_co2e_avoided_t",
    "storage_space_shared_m2",
    "equipment_time_shared_h",
    "training_places_shared",
    "expertise_shared_h",
)


def total(frame: pd.DataFrame, a: str, b: str) -> float:
    """``sum(frame[a] * frame[b])`` (a baseline: quantities times unit costs or emissions)."""
    return float(frame[a].to_numpy(dtype=float) @ frame[b].to_numpy(dtype=float))


def kpi_values(
    cand: Candidates, x: np.ndarray, y: np.ndarray, z: np.ndarray, ex: pd.DataFrame, savings: float
) -> dict[str, float | int]:
    inp = cand.inputs
    sup, dem, e = inp.supplies, inp.demands, cand.edges
    s, d = e["s"].to_numpy(), e["d"].to_numpy()
    delivered = x * e["ratio"].to_numpy()
    s_unit, d_unit = sup["base_unit"].to_numpy()[s], dem["base_unit"].to_numpy()[d]
    s_cat, d_cat = sup["category"].to_numpy()[s], dem["category"].to_numpy()[d]
    if inp.chains is not None:  # what members' streams gave and received, not what went into or out of stores
        s_cat = np.where(sup["origin"].to_numpy()[s] == "stream", s_cat, "")
        d_cat = np.where(dem["origin"].to_numpy()[d] == "stream", d_cat, "")
        d_unit = np.where(dem["origin"].to_numpy()[d] == "stream", d_unit, "")
    co2_base = float(total(sup, "q", "unit_co2e_t") + total(dem, "q", "unit_co2e_t"))
    co2_opt = float(
        y @ sup["unit_co2e_t"].to_numpy() + z @ dem["unit_co2e_t"].to_numpy() + x @ e["transport_co2e_t"].to_numpy()
    )
    members = set(ex["from_member"]) | set(ex["to_member"])
    kind = sup["kind"].to_numpy()[s] if "kind" in sup.columns else np.full(len(e), None, dtype=object)
    backhaul = kind == "backhaul"
    gain_co2 = (
        sup["unit_co2e_t"].to_numpy()[s]
        + e["ratio"].to_numpy() * dem["unit_co2e_t"].to_numpy()[d]
        - e["transport_co2e_t"].to_numpy()
    )
    n_exchanges = int(len(ex))
    if inp.chains is not None and len(ex):  # a pair that exchanges in several periods is one exchange
        keys = ex[["supply_stream", "demand_stream"]]
        n_exchanges = int(len(keys.drop_duplicates()))
    return {
        "savings": savings,
        "waste_diverted_t": float(x[(s_cat == "waste") & (s_unit == "t")].sum()),
        "virgin_avoided_t": float(delivered[d_unit == "t"].sum()),
        "water_reused_m3": float(delivered[(d_cat == "water") & (d_unit == "m3")].sum()),
        "energy_recovered_mwh": float(delivered[(d_cat == "energy") & (d_unit == "MWh")].sum()),
        "co2e_avoided_t": co2_base - co2_opt,
        # the exchanges' parts on estimates, never more than the figure they are a part of (factors.py)
        "savings_on_estimates": float(within(ex["saving_on_estimates"].sum(), savings)) if len(ex) else 0.0,
        "co2e_avoided_on_estimates_t": (
            float(within(ex["co2e_avoided_on_estimates_t"].sum(), co2_base - co2_opt)) if len(ex) else 0.0
        ),
        "transport_tkm": float((x * e["distance_km"].to_numpy())[s_unit == "t"].sum()),
        "backhaul_tkm": float(x[backhaul].sum()),
        "backhaul_co2e_avoided_t": float((gain_co2 * x)[backhaul].sum()),
        "storage_space_shared_m2": float(delivered[kind == "storage_space"].sum()),
        "equipment_time_shared_h": float(delivered[kind == "equipment_time"].sum()),
        "training_places_shared": float(delivered[kind == "training_places"].sum()),
        "expertise_shared_h": float(delivered[kind == "expertise"].sum()),
        "exchanges": n_exchanges,
        "members_involved": int(len(members)),
    }


#: KPIs that are sums of an exchange column (provenance: the part resting on estimates), kept between 0 and the
#: sum of the column of the figure they are a part of.
_ON_ESTIMATES = {
    "savings_on_estimates": ("saving_on_estimates", "saving"),
    "co2e_avoided_on_estimates_t": ("co2e_avoided_on_estimates_t", "co2e_avoided_t"),
}


def exchange_kpis(
    exchanges: pd.DataFrame, categories: Mapping[str, str], kinds: Mapping[str, str | None] | None = None
) -> dict[str, float | int]:
    """The KPIs of a set of exchanges alone (rows of ``MatchResult.exchanges``, at any quantities).

    Each exchange counts what it diverts, avoids and saves; summed over every exchange of a
    match this gives the match's own KPIs (its saving against the baseline and its avoided
    CO2e are sums over its exchanges). Realised impact is this over the exchanges that run,
    at their actual quantities. ``categories`` maps each resource key to its category
    (``waste``, ``water``, ``energy``, ``material``, ``capacity``) and ``kinds`` each capacity's
    kind (``backhaul``, ``storage_space``, ...).

    >>> ex = pd.DataFrame({"from_member": ["A"], "to_member": ["B"], "resource": ["wood_waste"],
    ...     "demand_resource": ["wood_chips"], "quantity": [100.0], "unit": ["t"], "delivered": [90.0],
    ...     "delivered_unit": ["t"], "distance_km": [10.0], "co2e_avoided_t": [5.0], "saving": [700.0]})
    >>> exchange_kpis(ex, {"wood_waste": "waste", "wood_chips": "material"})["transport_tkm"]
    1000.0
    """
    ex = exchanges
    if ex.empty:
        return {k: (0 if k in ("exchanges", "members_involved") else 0.0) for k in KPIS}
    q = ex["quantity"].to_numpy(dtype=float)
    delivered = ex["delivered"].to_numpy(dtype=float)
    s_unit, d_unit = ex["unit"].to_numpy(), ex["delivered_unit"].to_numpy()
    s_cat = ex["resource"].map(categories).to_numpy()
    d_cat = ex["demand_resource"].map(categories).to_numpy()
    members = set(ex["from_member"]) | set(ex["to_member"])
    kind = ex["resource"].map(dict(kinds or {})).to_numpy()
    co2 = ex["co2e_avoided_t"].to_numpy(dtype=float)
    return {
        "savings": float(ex["saving"].to_numpy(dtype=float).sum()),
        "waste_diverted_t": float(q[(s_cat == "waste") & (s_unit == "t")].sum()),
        "virgin_avoided_t": float(delivered[d_unit == "t"].sum()),
        "water_reused_m3": float(delivered[(d_cat == "water") & (d_unit == "m3")].sum()),
        "energy_recovered_mwh": float(delivered[(d_cat == "energy") & (d_unit == "MWh")].sum()),
        "co2e_avoided_t": float(ex["co2e_avoided_t"].to_numpy(dtype=float).sum()),
        "transport_tkm": float((q * ex["distance_km"].to_numpy(dtype=float))[s_unit == "t"].sum()),
        "backhaul_tkm": float(q[kind == "backhaul"].sum()),
        "backhaul_co2e_avoided_t": float(co2[kind == "backhaul"].sum()),
        "storage_space_shared_m2": float(delivered[kind == "storage_space"].sum()),
        "equipment_time_shared_h": float(delivered[kind == "equipment_time"].sum()),
        "training_places_shared": float(delivered[kind == "training_places"].sum()),
        "expertise_shared_h": float(delivered[kind == "expertise"].sum()),
        "exchanges": int(len(ex)),
        "members_involved": int(len(members)),
        **{
            k: (
                float(within(ex[column].to_numpy(dtype=float).sum(), ex[whole].to_numpy(dtype=float).sum()))
                if column in ex.columns
                else float("nan")
            )
            for k, (column, whole) in _ON_ESTIMATES.items()
        },
    }
