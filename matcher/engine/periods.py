r"""Periods, storage and processes in the engine: streams per period, and the ports of stores and processes.

A network with periods (or with storage or processes) is matched as one LP over every period
(:func:`expand`). Each stream becomes one row of the supplies or demands per period it is active in
(keyed ``<stream_id>@<period>``), holding its share of the amount; a candidate pair joins two rows
of the same period, so every balance row of the one-period model holds in each period. A store
``k`` has, per period, a charge port (a demand of its resource) and a discharge port (a supply); a
process ``p`` has, per period, a port for each of its inputs (demands) and outputs (supplies).
Ports exchange like streams of their member, and always with that member's own streams at zero
distance (never with their own store or process); their balance rows hold a column instead of a
fixed quantity. With level :math:`L`, charge :math:`C`, discharge :math:`D`, throughput
:math:`P` and hours :math:`h_t` (cyclic: :math:`t-1` of the first period is the last):

.. math::

    & \sum_{e \in \delta^-(c_{kt})} a_e x_e - C_{kt} = 0, \qquad
      \sum_{e \in \delta^+(d_{kt})} x_e - D_{kt} = 0 && \text{(store ports)} \\
    & L_{kt} = (1 - \lambda_k)^{h_t} L_{k,t-1} + \eta^{in}_k C_{kt} - D_{kt} / \eta^{out}_k
      && \text{(store balance)} \\
    & 0 \le L_{kt} \le \bar L_k,\; 0 \le C_{kt} \le \bar C_k h_t,\; 0 \le D_{kt} \le \bar D_k h_t \\
    & \sum_{e \in \delta^-(i_{pt})} a_e x_e + z_{i_{pt}} - \rho_i P_{pt} = 0, \qquad
      \sum_{e \in \delta^+(o_{pt})} x_e + y_{o_{pt}} - \rho_o P_{pt} = 0 && \text{(process ports)} \\
    & 0 \le P_{pt} \le \bar P_p h_t

A process input may be bought virgin (:math:`z`) only where its flow gives a ``virgin_cost``; an
output goes to disposal (:math:`y`) at its ``disposal_cost`` (the catalog's by default); a store's
ports have neither. The objective adds ``cost_per_unit`` per unit discharged and per unit of
throughput. The balance rows of ports are the ordinary balance rows; the store balances are side
rows (:class:`~matcher.engine.formulation.RowLayout`), so pricing keeps them in its restricted model
and prices pairs exactly as before: a pair has no entry in them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import DataError, Issue, Network, Parameters
from models.seasons import stream_period_shares

__all__ = ["Chains", "expand"]


@dataclass(frozen=True)
class Chains:
    """Periods, stores and processes as arrays, with the positions of their ports among supplies and demands.

    Attributes
    ----------
    labels, hours : periods in time order (one unnamed period of a year without a periods table)
    storage_ids : ids of the stores; ``capacity`` (base units), ``max_charge`` and
        ``max_discharge`` (base units per hour, inf where unlimited), ``eta_in``, ``eta_out``,
        ``loss`` (per hour) and ``storage_cost`` (per unit discharged) per store
    charge_at, discharge_at : (stores, periods) positions of the charge port among the demands
        and of the discharge port among the supplies
    process_ids : ids of the processes; ``process_capacity`` (base units of the reference per
        hour) and ``process_cost`` (per unit of throughput) per process
    port_process, port_t, port_supply, port_position, port_ratio : per process port, its process,
        period, side (supply: an output), position among the supplies or demands and ratio
    """

    labels: tuple[str, ...]
    hours: np.ndarray
    storage_ids: np.ndarray
    capacity: np.ndarray
    max_charge: np.ndarray
    max_discharge: np.ndarray
    eta_in: np.ndarray
    eta_out: np.ndarray
    loss: np.ndarray
    storage_cost: np.ndarray
    charge_at: np.ndarray
    discharge_at: np.ndarray
    process_ids: np.ndarray
    process_capacity: np.ndarray
    process_cost: np.ndarray
    port_process: np.ndarray
    port_t: np.ndarray
    port_supply: np.ndarray
    port_position: np.ndarray
    port_ratio: np.ndarray
    named: bool = True
    """Whether the periods come from a periods table (row keys then carry ``@<period>``)."""

    @property
    def n_periods(self) -> int:
        """Periods of the year."""
        return int(self.hours.size)

    @property
    def n_storage(self) -> int:
        """Stores."""
        return int(self.storage_ids.size)

    @property
    def n_processes(self) -> int:
        """Processes."""
        return int(self.process_ids.size)

    @property
    def n_columns(self) -> int:
        """Columns after the binaries: level, charge, discharge per store and period, throughput per process
        and period."""
        return (3 * self.n_storage + self.n_processes) * self.n_periods

    @property
    def n_rows(self) -> int:
        """Store balance rows: one per store and period."""
        return self.n_storage * self.n_periods

    @property
    def has_ports(self) -> bool:
        """Whether there is any store or process (rows and columns beyond pairs, disposal and virgin purchase)."""
        return bool(self.n_storage or self.n_processes)

    def decay(self) -> np.ndarray:
        """(stores, periods) share of the content kept through each period: ``(1 - loss)^{h_t}``."""
        return (1.0 - self.loss[:, None]) ** self.hours[None, :]

    def suffix(self) -> np.ndarray:
        """``@<period>`` per period where periods are named, else empty."""
        return np.array([f"@{p}" if self.named else "" for p in self.labels], dtype=object)

    def column_names(self) -> np.ndarray:
        """Names of the columns after the binaries, in order."""
        suf = self.suffix()
        k = np.repeat(self.storage_ids.astype(str), self.n_periods).astype(object) + np.tile(suf, self.n_storage)
        p = np.repeat(self.process_ids.astype(str), self.n_periods).astype(object) + np.tile(suf, self.n_processes)
        return np.concatenate(["level_" + k, "charge_" + k, "discharge_" + k, "throughput_" + p]).astype(object)

    def row_names(self) -> np.ndarray:
        """Names of the store balance rows, in order (store-major)."""
        suf = self.suffix()
        k = np.repeat(self.storage_ids.astype(str), self.n_periods).astype(object) + np.tile(suf, self.n_storage)
        return ("storage_" + k).astype(object)


def _empty_chains(labels: tuple[str, ...], hours: np.ndarray, named: bool) -> dict[str, object]:
    none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    t = hours.size
    return dict(
        labels=labels,
        hours=hours,
        storage_ids=np.zeros(0, dtype=object),
        capacity=none_f,
        max_charge=none_f,
        max_discharge=none_f,
        eta_in=none_f,
        eta_out=none_f,
        loss=none_f,
        storage_cost=none_f,
        charge_at=np.zeros((0, t), dtype=np.int64),
        discharge_at=np.zeros((0, t), dtype=np.int64),
        process_ids=np.zeros(0, dtype=object),
        process_capacity=none_f,
        process_cost=none_f,
        port_process=none_i,
        port_t=none_i,
        port_supply=np.zeros(0, dtype=bool),
        port_position=none_i,
        port_ratio=none_f,
        named=named,
    )


def expand(
    s: pd.DataFrame, network: Network, p: Parameters, table: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, Chains]:
    """Streams per period and the ports of stores and processes, as supplies and demands.

    Parameters
    ----------
    s : DataFrame
        One row per stream, indexed by ``stream_id``, with the columns
        :func:`~matcher.engine.inputs.prepare` resolved (``q`` the stream's whole amount).
    network : Network
    p : Parameters
    table : DataFrame
        The catalog's table in the scenario's currency.

    Returns
    -------
    supplies, demands : DataFrame
        Row keys as index; columns of ``s`` and ``stream_id`` (the stream's, store's or
        process's id), ``period``, ``t`` (period position), ``origin`` (``stream``, ``storage``,
        ``process``), ``port_code`` (-1 for streams, else one code per store or process) and
        ``slack_open`` (whether disposal or virgin purchase may take the row's rest).
    chains : Chains
    """
    sea = network.seasons
    named = sea.periods is not None
    labels = tuple(sea.labels) if named else ("",)
    hours = sea.hours
    n_t = hours.size
    shares, _ = stream_period_shares(network.streams.reindex(s.index), sea)
    n = len(s)
    which = np.repeat(np.arange(n), n_t)
    t = np.tile(np.arange(n_t), n)
    share = shares.ravel()
    on = share > 0
    rows = s.iloc[which[on]].copy()
    rows["q"] = rows["q"].to_numpy(dtype=float) * share[on]
    rows["min_quantity_base"] = rows["min_quantity_base"].to_numpy(dtype=float) * share[on]
    rows["stream_id"] = s.index.to_numpy()[which[on]]
    rows["t"] = t[on]
    if named:
        label = np.asarray(labels, dtype=object)[t[on]]
        rows["period"] = label
        rows.index = pd.Index(rows["stream_id"].astype(str) + "@" + label.astype(str), name=s.index.name)
    rows["origin"] = "stream"
    rows["port_code"] = np.int32(-1)
    rows["slack_open"] = True

    members = network.members
    ports: list[pd.DataFrame] = []
    store = sea.storage
    proc = sea.processes
    flows = sea.process_flows
    suf = np.array([f"@{x}" if named else "" for x in labels], dtype=object)
    code0 = 0

    def port_rows(
        ids: np.ndarray, member: np.ndarray, resource: np.ndarray, direction: str, tag: np.ndarray
    ) -> pd.DataFrame:
        """One row per (port, period)."""
        k = ids.size
        frame = pd.DataFrame(
            {
                "member_id": np.repeat(member, n_t),
                "direction": direction,
                "resource": np.repeat(resource, n_t),
                "stream_id": np.repeat(ids, n_t),
                "t": np.tile(np.arange(n_t), k),
                "period": np.tile(np.asarray(labels, dtype=object), k),
            },
            index=pd.Index(np.repeat(tag, n_t).astype(object) + np.tile(suf, k), name=s.index.name),
        )
        res = frame["resource"]
        frame["base_unit"] = res.map(table["unit"]).to_numpy()
        frame["category"] = res.map(table["category"]).to_numpy()
        frame["q"] = 0.0
        frame["quantity_base"] = 0.0
        frame["min_quantity_base"] = np.nan
        frame["hazardous"] = False
        frame["max_distance_km"] = p.max_distance_km
        frame["lat"] = frame["member_id"].map(members["lat"]).to_numpy(dtype=float)
        frame["lon"] = frame["member_id"].map(members["lon"]).to_numpy(dtype=float)
        return frame

    sid = np.asarray(store.index, dtype=object)
    if sid.size:
        for direction in ("demand", "supply"):  # the charge port, then the discharge port
            frame = port_rows(sid, store["member_id"].to_numpy(), store["resource"].to_numpy(), direction, sid)
            frame["origin"] = "storage"
            frame["port_code"] = (code0 + np.repeat(np.arange(sid.size), n_t)).astype(np.int32)
            frame["slack_open"] = False
            for col in ("money_cost", "unit_co2e_t", "unit_cost", "waste_t"):
                frame[col] = 0.0
            ports.append(frame)
    code0 += sid.size
    pid = np.asarray(proc.index, dtype=object)
    if pid.size and len(flows):
        f = flows.reset_index(drop=True)
        cat = table.reindex(f["resource"].to_numpy())
        out = f["direction"].eq("output").to_numpy()
        code_of = pd.Series(np.arange(pid.size), index=pid)
        for direction, side in (("demand", ~out), ("supply", out)):
            g = f[side]
            if g.empty:
                continue
            c = cat[side]
            tag = (g["process_id"].astype(str) + ":" + g["resource"].astype(str)).to_numpy(dtype=object)
            frame = port_rows(
                g["process_id"].to_numpy(dtype=object),
                proc["member_id"].reindex(g["process_id"]).to_numpy(),
                g["resource"].to_numpy(),
                direction,
                tag,
            )
            frame["origin"] = "process"
            frame["port_code"] = (code0 + np.repeat(code_of[g["process_id"]].to_numpy(), n_t)).astype(np.int32)
            if direction == "supply":
                money = g["disposal_cost"].fillna(pd.Series(c["disposal_cost"].to_numpy(), index=g.index)).fillna(0.0)
                co2 = c["disposal_co2e_kg"].fillna(0.0).to_numpy() / 1000.0
                open_ = np.ones(len(g), dtype=bool)
                waste = ((c["category"] == "waste") & (c["unit"] == "t")).to_numpy(dtype=float)
            else:
                open_ = g["virgin_cost"].notna().to_numpy()
                money = g["virgin_cost"].fillna(0.0)
                co2 = np.where(open_, c["virgin_co2e_kg"].fillna(0.0).to_numpy() / 1000.0, 0.0)
                waste = np.zeros(len(g))
            frame["slack_open"] = np.repeat(open_, n_t)
            frame["money_cost"] = np.repeat(money.to_numpy(dtype=float), n_t)
            frame["unit_co2e_t"] = np.repeat(co2, n_t)
            frame["unit_cost"] = frame["money_cost"] + p.carbon_price * frame["unit_co2e_t"]
            frame["waste_t"] = np.repeat(waste, n_t)
            frame["port_ratio"] = np.repeat(g["ratio"].to_numpy(dtype=float), n_t)
            ports.append(frame)

    both = pd.concat([rows, *ports])
    for col in rows.columns[rows.dtypes.eq(bool).to_numpy()]:  # flags a port lacks are off (not NaN, read as True)
        both[col] = both[col].fillna(False).astype(bool)
    keys = both["direction"] + "|" + both.index.astype(str)
    if keys.duplicated().any():
        twice = sorted(set(both.index[keys.duplicated().to_numpy()].astype(str)))[:3]
        raise DataError(
            [
                Issue("", None, "", f"stream, storage and process ids give the same row key {k!r}; rename one")
                for k in twice
            ]
        )
    supply = both["direction"].eq("supply").to_numpy()
    sup, dem = both[supply].copy(), both[~supply].copy()
    chains = _chains(sup, dem, network, labels, hours, named)
    return sup, dem, chains


def _chains(
    sup: pd.DataFrame, dem: pd.DataFrame, network: Network, labels: tuple[str, ...], hours: np.ndarray, named: bool
) -> Chains:
    """The arrays of :class:`Chains`, with the ports' positions among ``sup`` and ``dem``."""
    sea = network.seasons
    n_t = hours.size
    out = _empty_chains(labels, hours, named)
    store = sea.storage
    if len(store):
        ids = np.asarray(store.index, dtype=object)
        pos = pd.Series(np.arange(ids.size), index=ids)

        def at(frame: pd.DataFrame) -> np.ndarray:
            grid = np.full((ids.size, n_t), -1, dtype=np.int64)
            mine = np.flatnonzero(frame["origin"].eq("storage").to_numpy())
            k = pos[frame["stream_id"].to_numpy()[mine]].to_numpy()
            grid[k, frame["t"].to_numpy()[mine].astype(np.int64)] = mine
            return grid

        out.update(
            storage_ids=ids,
            capacity=store["capacity_base"].to_numpy(dtype=float),
            max_charge=store["max_charge_base"].to_numpy(dtype=float),
            max_discharge=store["max_discharge_base"].to_numpy(dtype=float),
            eta_in=store["eta_in"].to_numpy(dtype=float),
            eta_out=store["eta_out"].to_numpy(dtype=float),
            loss=store["loss"].to_numpy(dtype=float),
            storage_cost=store["cost"].to_numpy(dtype=float),
            charge_at=at(dem),
            discharge_at=at(sup),
        )
    proc = sea.processes
    if len(proc):
        ids = np.asarray(proc.index, dtype=object)
        pos = pd.Series(np.arange(ids.size), index=ids)
        parts = []
        for frame, is_supply in ((sup, True), (dem, False)):
            mine = np.flatnonzero(frame["origin"].eq("process").to_numpy())
            parts.append(
                (
                    pos[frame["stream_id"].to_numpy()[mine]].to_numpy(dtype=np.int64),
                    frame["t"].to_numpy()[mine].astype(np.int64),
                    np.full(mine.size, is_supply),
                    mine.astype(np.int64),
                    frame["port_ratio"].to_numpy(dtype=float)[mine],
                )
            )
        out.update(
            process_ids=ids,
            process_capacity=proc["capacity_base"].to_numpy(dtype=float),
            process_cost=proc["cost"].to_numpy(dtype=float),
            port_process=np.concatenate([a[0] for a in parts]),
            port_t=np.concatenate([a[1] for a in parts]),
            port_supply=np.concatenate([a[2] for a in parts]),
            port_position=np.concatenate([a[3] for a in parts]),
            port_ratio=np.concatenate([a[4] for a in parts]),
        )
    return Chains(**out)  # type: ignore[arg-type]
