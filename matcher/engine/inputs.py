"""Per-stream numbers the matcher needs, resolved once from network, catalog and scenario.

Stream-level values (a disposal cost a member gave) override the catalog's;
catalog costs are converted into the scenario's currency; emissions are in
t CO2e per base unit. Everything is a column of a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models import Network, Parameters, Scenario

if TYPE_CHECKING:
    from .periods import Chains

__all__ = ["MatchInputs", "appended", "prepare"]


@dataclass(frozen=True)
class MatchInputs:
    """Supplies and demands with their cost coefficients, ready for candidate search.

    Attributes
    ----------
    supplies, demands : DataFrame
        Indexed by ``stream_id`` in network order; columns include ``member_id,
        resource, q`` (base units), ``unit_cost`` (currency per base unit of
        disposal or virgin purchase, carbon price included), ``unit_co2e_t``,
        ``lat, lon, max_distance_km`` (the stream's own, else its resource's
        ``reach_km``, within the scenario's), ``period``, ``kind`` (of a capacity), ``route`` (the resource
        travels by route: backhaul) with ``route_lat, route_lon, max_detour_km``
        (NaN off a route), and integer codes of the labels the
        candidate search compares (``member_code, period_code, resource_code``: int32,
        one factorization over supplies and demands, so equal labels have equal codes).
    rates : DataFrame
        Per resource key: ``mode``, ``cost_per_unit_km``, ``co2e_t_per_unit_km``
        (resource factor, else the scenario's mode parameter, else the catalog default).
    mode_rates : DataFrame
        Per mode: ``cost_per_unit_km``, ``co2e_t_per_unit_km``.
    chains : Chains or None
        Where the network has periods, storage or processes (:mod:`~matcher.engine.periods`): the
        supplies and demands are its streams per period and the ports of its stores and processes,
        and this holds their arrays; None otherwise (one row per stream, as always).
    """

    network: Network
    scenario: Scenario
    supplies: pd.DataFrame
    demands: pd.DataFrame
    rates: pd.DataFrame
    mode_rates: pd.DataFrame
    chains: Chains | None = None

    @property
    def periods(self) -> int:
        """Periods of the model (1 without a periods table)."""
        return 1 if self.chains is None else self.chains.n_periods

    @property
    def parameters(self) -> Parameters:
        """The scenario's parameters."""
        return self.scenario.parameters

    @property
    def currency(self) -> str:
        """Currency of every cost."""
        return self.scenario.currency


def prepare(network: Network, scenario: Scenario) -> MatchInputs:
    """Resolve every coefficient the LP needs, per stream, in one vectorised pass."""
    p = scenario.parameters
    table = network.catalog.table(scenario.currency)
    defaults = network.catalog.transport_defaults(scenario.currency)
    mode_rates = pd.DataFrame(defaults).T.rename(columns={"co2e_kg_per_unit_km": "co2e_t_per_unit_km"})
    mode_rates["co2e_t_per_unit_km"] /= 1000.0
    for mode, tp in p.transport.items():
        if tp.cost_per_unit_km is not None:
            mode_rates.loc[mode, "cost_per_unit_km"] = tp.cost_per_unit_km
        if tp.co2e_kg_per_unit_km is not None:
            mode_rates.loc[mode, "co2e_t_per_unit_km"] = tp.co2e_kg_per_unit_km / 1000.0
    # a capacity moves at its entry's own rates or not at all (onsite, remote: 0 per unit and km)
    capacity = table["category"].eq("capacity")
    rates = pd.DataFrame(
        {
            "mode": table["transport"],
            "cost_per_unit_km": table["transport_cost"]
            .fillna(table["transport"].map(mode_rates["cost_per_unit_km"]))
            .mask(capacity & table["transport_cost"].isna(), 0.0),
            "co2e_t_per_unit_km": (table["transport_co2e_kg"] / 1000.0)
            .fillna(table["transport"].map(mode_rates["co2e_t_per_unit_km"]))
            .mask(capacity & table["transport_co2e_kg"].isna(), 0.0),
        }
    )

    s = network.streams.join(network.members[["lat", "lon"]], on="member_id")
    s["q"] = s["quantity_base"].astype(float)
    cat = table.reindex(s["resource"])
    reach = pd.Series(cat["reach_km"].to_numpy(dtype=float), index=s.index)
    s["max_distance_km"] = s["max_distance_km"].fillna(reach).fillna(np.inf).clip(upper=p.max_distance_km)
    # backhaul: where each route or shipment ends, and how far a supply's truck may go out of its way
    s["route"] = pd.Series(cat["transport"].to_numpy(), index=s.index).eq("route")
    s["kind"] = pd.Series(cat["kind"].to_numpy(), index=s.index).astype(object)  # of a capacity, else None
    for col in ("route_lat", "route_lon", "max_detour_km"):
        if col not in s.columns:
            s[col] = np.nan
    detour = pd.Series(cat["max_detour_km"].to_numpy(dtype=float), index=s.index)
    s["max_detour_km"] = s["max_detour_km"].astype(float).fillna(detour).fillna(0.0).where(s["route"])
    s["period"] = s["period"].fillna("").astype(str)
    is_supply = s["direction"].eq("supply")
    disposal = s["disposal_cost"].fillna(pd.Series(cat["disposal_cost"].to_numpy(), index=s.index)).fillna(0.0)
    virgin = s["virgin_cost"].fillna(pd.Series(cat["virgin_cost"].to_numpy(), index=s.index)).fillna(0.0)
    co2_disposal = pd.Series(cat["disposal_co2e_kg"].to_numpy(), index=s.index).fillna(0.0) / 1000.0
    co2_virgin = pd.Series(cat["virgin_co2e_kg"].to_numpy(), index=s.index).fillna(0.0) / 1000.0
    s["money_cost"] = np.where(is_supply, disposal, virgin)
    s["unit_co2e_t"] = np.where(is_supply, co2_disposal, co2_virgin)
    s["unit_cost"] = s["money_cost"] + p.carbon_price * s["unit_co2e_t"]
    # tonnes of waste that would go to disposal (the "waste" objective)
    s["waste_t"] = (is_supply & s["category"].eq("waste") & s["base_unit"].eq("t")).astype(float)
    chains = None
    if network.seasons.active:  # streams per period, and the ports of stores and processes
        from .periods import expand

        sup, dem, chains = expand(s, network, p, table)
        s = pd.concat([sup, dem])
        is_supply = pd.Series(np.arange(len(s)) < len(sup), index=s.index)
    # labels as integer codes, factorized once: the candidate search compares numbers, not text
    for label in ("member_id", "period", "resource"):
        s[label.removesuffix("_id") + "_code"] = pd.factorize(s[label])[0].astype(np.int32)
    mask = is_supply.to_numpy()
    return MatchInputs(
        network=network,
        scenario=scenario,
        supplies=s[mask].copy(),
        demands=s[~mask].copy(),
        rates=rates,
        mode_rates=mode_rates,
        chains=chains,
    )


def appended(inputs: MatchInputs, one: MatchInputs, network: Network) -> tuple[MatchInputs, bool]:
    """``inputs`` with the one stream of ``one`` (:func:`prepare` of a network of that stream) after the others.

    Its label codes are those its member, period and resource already have in ``inputs`` (new
    labels get new codes); ``network`` is the network with the stream. Returns the inputs and
    whether the stream is a supply. Only the frame it joins is copied.
    """
    supply = len(one.supplies) == 1
    row = (one.supplies if supply else one.demands).copy()
    frames = (inputs.supplies, inputs.demands)
    for label in ("member_id", "period", "resource"):
        code = label.removesuffix("_id") + "_code"
        value = row[label].iat[0]
        same = np.concatenate([f[code].to_numpy()[f[label].to_numpy() == value] for f in frames])
        known = np.concatenate([f[code].to_numpy() for f in frames])
        row[code] = np.int32(same[0] if same.size else (known.max() + 1 if known.size else 0))
    if supply:
        return replace(inputs, network=network, supplies=pd.concat([inputs.supplies, row])), True
    return replace(inputs, network=network, demands=pd.concat([inputs.demands, row])), False
