"""Parameter sweeps: one match per point of a grid, in parallel, results in input order.

A parameter is a dotted path into the scenario:

* ``parameters.<name>`` (``parameters.carbon_price``, ``parameters.max_distance_km``, ...);
* ``catalog.<resource>.<factor>``: the value of a catalog factor
  (``catalog.bottom_ash.disposal_cost``, in the factor's own unit);
* ``scale.<stream_id>``: a factor on one stream's quantity (in the network as given).

Values are ``start:stop:step`` (stop included) or a comma-separated list.
The grid is cut into runs of neighbouring points (the last parameter varies
fastest), and each run goes to a local worker process or to a Dask cluster
(``local`` for a LocalCluster, or the address of a running scheduler). Within
a run, each point's simplex starts from the basis of the point before
(:mod:`matcher.solve.basis`): the optimum is the same, found in fewer iterations.
A point that fails is recorded (status ``failed``) with its message; the others complete.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import Network, Scenario, SymbioseError
from models.io import apply_changes
from models.scenario import Changes

from ..api import match
from ..errors import InvalidOption
from ..results.kpis import KPIS
from ..results.numbers import records
from ..solve.basis import Basis
from . import MAX_POINTS

__all__ = ["MAX_POINTS", "Sweep", "apply_point", "chunks", "grid", "grid_size", "parse_param", "run_chain", "sweep"]

#: Status of a point that could not be matched (bad values, a factor that does not exist).
FAILED = "failed"


@dataclass
class Sweep:
    """The runs of a sweep, one row per grid point in grid order.

    Attributes
    ----------
    parameters : list of str
        The swept names, in the order given.
    runs : DataFrame
        A column per parameter, then ``status``, ``objective``, every KPI and ``message``.
    """

    parameters: list[str]
    runs: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per run."""
        return self.runs

    def to_dict(self) -> dict[str, Any]:
        """The ``sweep --json`` document: ``{"parameters": [...], "runs": [...]}``."""
        return {"parameters": list(self.parameters), "runs": records(self.runs)}

    @property
    def failed(self) -> int:
        """Runs that failed."""
        return int((self.runs["status"] == FAILED).sum())

    def plot(self) -> Any:
        """Each KPI against the first parameter (a plotly figure)."""
        from ..report.figures import sweep_figure

        return sweep_figure(self.runs, self.parameters[0])


def parse_param(spec: str) -> tuple[str, list[float]]:
    """``"parameters.carbon_price=0:500:25"`` -> ``("parameters.carbon_price", [0, 25, ..., 500])``.

    >>> parse_param("parameters.carbon_price=0:100:50")
    ('parameters.carbon_price', [0.0, 50.0, 100.0])
    >>> parse_param("scale.S01=0.5,1,2")
    ('scale.S01', [0.5, 1.0, 2.0])
    >>> parse_param("carbon_price")
    Traceback (most recent call last):
    ...
    matcher.errors.InvalidOption: expected NAME=START:STOP:STEP or NAME=V1,V2,...; got 'carbon_price'
    """
    name, sep, values = spec.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise InvalidOption(f"expected NAME=START:STOP:STEP or NAME=V1,V2,...; got {spec!r}")
    name = name.strip()
    if not name.startswith(("parameters.", "catalog.", "scale.")):
        raise InvalidOption(f"{name!r}: a swept parameter starts with parameters., catalog. or scale.")
    try:
        if ":" in values:
            start, stop, step = (float(v) for v in values.split(":"))
            if not (np.isfinite([start, stop, step]).all() and step > 0 and stop >= start):
                raise ValueError
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            if n > MAX_POINTS:
                raise InvalidOption(f"{name}: {values} has {n:,} values, more than {MAX_POINTS:,}; use a larger step")
            return name, [float(round(start + i * step, 12)) for i in range(n)]
        listed = [float(v) for v in values.split(",")]
        if not np.isfinite(listed).all() or len(listed) > MAX_POINTS:
            raise ValueError
        return name, listed
    except InvalidOption:
        raise
    except ValueError:
        raise InvalidOption(
            f"{name}: values must be finite numbers, START:STOP:STEP with STEP > 0 or V1,V2,..."
        ) from None


def grid_size(params: Sequence[tuple[str, list[float]]]) -> int:
    """How many points the grid of ``params`` has (without building it)."""
    return int(np.prod([len(v) for _, v in params], dtype=float)) if params else 0


def grid(params: Sequence[tuple[str, list[float]]]) -> list[dict[str, float]]:
    """Every combination of the parameters' values, the first parameter varying slowest."""
    names = [n for n, _ in params]
    return [dict(zip(names, combo)) for combo in itertools.product(*(v for _, v in params))]


def apply_point(network: Network, scenario: Scenario, assignment: dict[str, float]) -> tuple[Network, Scenario]:
    """The network and scenario of one grid point.

    Raises
    ------
    DataError
        If a value is invalid for its parameter, or a stream or catalog factor does not exist.
    """
    params = scenario.parameters.model_dump(mode="json", exclude_none=True)
    catalog: list[dict[str, Any]] = []
    scale: dict[str, float] = {}
    for name, value in assignment.items():
        head, _, rest = name.partition(".")
        if head == "parameters":
            node = params
            *parents, leaf = rest.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = value
        elif head == "catalog":
            key, _, factor = rest.partition(".")
            current = getattr(network.catalog[key], factor, None) if key in network.catalog else None
            if current is None or not hasattr(current, "model_dump"):
                raise SymbioseError(f"catalog.{key}.{factor}: no such factor in the catalog")
            whole = {**current.model_dump(), "value": value, "source": "value set by a sweep", "year": 2026}
            catalog.append({"key": key, factor: whole})
        elif head == "scale":
            scale[rest] = value
    if params != scenario.parameters.model_dump(mode="json", exclude_none=True):
        doc = scenario.model_dump(mode="json", exclude_none=True)
        scenario = Scenario.from_dict({**doc, "parameters": params}, folder=scenario.folder)
    if catalog:
        cat = network.catalog.extended({"resources": catalog}, file="sweep")
        network = Network(
            network.members,
            network.streams,
            network.links,
            cat,
            network.fixed_exchanges,
            network.excluded_pairs,
            network.seasons,
        )
    if scale:
        network = apply_changes(network, Changes(scale_streams=scale))
    return network, scenario


def run_chain(
    network: Network, scenario: Scenario, points: Sequence[dict[str, float]], solver: str = "highs", warm: bool = True
) -> list[dict[str, Any]]:
    """Points one after another, each (with ``warm``) starting from the basis of the last one solved."""
    rows, basis = [], None
    for point in points:
        row, found = _run(network, scenario, point, solver, basis if warm else None)
        basis = found or basis
        rows.append(row)
    return rows


def _run(
    network: Network, scenario: Scenario, assignment: dict[str, float], solver: str, start: Basis | None
) -> tuple[dict[str, Any], Basis | None]:
    """One point; never raises: a failure is returned as a row with its message."""
    row: dict[str, Any] = dict(assignment)
    try:
        net, scen = apply_point(network, scenario, assignment)
        # one thread per point: the points themselves run in parallel
        result = match(net, scen, solver=solver, start=start, workers=1)
        row.update(
            {
                "status": result.status.value,
                "objective": result.objective,
                "savings": result.savings,
                **{k: result.kpis.get(k, np.nan) for k in KPIS},
                "message": "",
            }
        )
        return row, result.basis
    except Exception as exc:  # a failing point is recorded, the sweep goes on
        text = "; ".join(str(i) for i in getattr(exc, "issues", [])) or str(exc)
        row.update(
            {
                "status": FAILED,
                "objective": np.nan,
                "savings": np.nan,
                **{k: np.nan for k in KPIS},
                "message": f"{type(exc).__name__}: {text}",
            }
        )
        return row, None


def chunks(points: list[dict[str, float]], workers: int) -> list[list[dict[str, float]]]:
    """Runs of neighbouring points: one per worker, up to four per worker when there are many points.

    Longer runs re-use more bases; more runs keep the workers busy to the end and the progress bar moving.

    >>> [len(c) for c in chunks([{}] * 10, workers=2)]
    [5, 5]
    >>> [len(c) for c in chunks([{}] * 40, workers=2)]
    [5, 5, 5, 5, 5, 5, 5, 5]
    >>> [len(c) for c in chunks([{}] * 3, workers=1)]
    [3]
    """
    workers = max(workers, 1)
    n = min(len(points), 4 * workers, max(workers, len(points) // 4))
    return [[points[i] for i in part] for part in np.array_split(np.arange(len(points)), n)] if n else []


def sweep(
    network: Network,
    scenario: Scenario,
    params: Sequence[tuple[str, list[float]]],
    workers: int | None = None,
    dask: str | None = None,
    solver: str = "highs",
    progress: Callable[[int], None] | None = None,
    warm: bool = True,
    max_points: int = MAX_POINTS,
) -> Sweep:
    """Run every point of the grid; one row per point, in grid order.

    Parameters
    ----------
    network, scenario : the base of every point
    params : list of (name, values), e.g. from :func:`parse_param`
    workers : int, optional
        Local worker processes (default: the machine's cores).
    dask : str, optional
        ``"local"`` for a Dask LocalCluster, or a scheduler address ``tcp://host:port``.
    progress : callable, optional
        Called with the number of points finished, as each run of points ends.
    warm : bool
        Start each point from the basis of the point before it in its run
        (default); ``False`` solves every point from scratch.
    max_points : int
        Refuse grids with more points (a safeguard against a typo that asks for millions).

    Raises
    ------
    InvalidOption
        If no parameter is given, or the grid has more than ``max_points`` points.
    SymbioseError
        If the Dask scheduler cannot be reached.
    """
    if not params:
        raise InvalidOption("a sweep needs at least one parameter")
    n = grid_size(params)
    if n > max_points:
        raise InvalidOption(f"the grid has {n:,} points, more than {max_points:,}; raise the limit to run it")
    points = grid(params)
    n_workers = workers or os.cpu_count() or 1
    runs = chunks(points, 2 if dask else n_workers)
    if dask:
        done = _dask_map(network, scenario, runs, dask, solver, warm, progress)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = [pool.submit(run_chain, network, scenario, run, solver, warm) for run in runs]
            for f in as_completed(futures):
                if progress is not None:
                    progress(len(f.result()))
            done = [f.result() for f in futures]
    names = [n for n, _ in params]
    columns = [*names, "status", "objective", *KPIS, "message"]
    return Sweep(names, pd.DataFrame([row for rows in done for row in rows], columns=columns))


def _dask_map(
    network: Network,
    scenario: Scenario,
    runs: list[list[dict[str, float]]],
    address: str,
    solver: str,
    warm: bool,
    progress: Callable[[int], None] | None,
) -> list[list[dict[str, Any]]]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        if address == "local"
        else None
    )
    try:
        client = Client(cluster if cluster is not None else address, timeout="15s")
    except Exception as exc:  # a nonsense address, or nothing listening there
        if cluster is not None:
            cluster.close()
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SymbioseError(f"cannot reach a Dask scheduler at {address!r}: {why}") from None
    try:
        n = len(runs)
        futures = client.map(run_chain, [network] * n, [scenario] * n, runs, [solver] * n, [warm] * n, pure=False)
        for f in as_completed(futures):
            if progress is not None:
                progress(len(f.result()))
        return list(client.gather(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
