"""The ``symbiose`` command: a thin layer over the Python API.

Exit codes: 0 success; 1 bad input data (every problem listed as
``file:row:column: message``); 2 bad command-line usage; 3 the solver found
no solution (infeasible, time limit without a solution, solver error).
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

import scenarios
from models import DataError, SymbioseError, load
from models.io import load_network
from models.records import TABLES
from models.scenario import Scenario
from models.templates import write_templates

from .api import match
from .result import MatchResult, format_number, json_number
from .solvers import available_solvers

F = TypeVar("F", bound=Callable[..., Any])


def _friendly(func: F) -> F:
    """Turn expected errors into messages and exit codes, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataError as exc:
            for issue in exc.issues:
                click.echo(str(issue), err=True)
            click.echo(f"{len(exc.issues)} problem(s); nothing was loaded.", err=True)
            sys.exit(1)
        except (SymbioseError, FileExistsError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symbiose")
def main() -> None:
    """symbiose: find the exchanges of surplus heat, water, waste and materials
    between the members of an industrial-symbiosis network."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_friendly
def validate(paths: tuple[Path, ...]) -> None:
    """Check a scenario folder, a scenario file, a workbook, JSON or CSV files.

    Prints every problem as file:row:column: message and exits 1, or prints a
    one-line summary and exits 0.
    """
    scenario, network = load(*paths)
    click.echo(f"{scenario.name}: OK. {network.summary()}")


@main.command()
@click.option("--table", type=click.Choice([*TABLES, "scenario", "all"]), default="all", show_default=True)
def schema(table: str) -> None:
    """Print the JSON Schema of the tables (members, streams, links) and scenario files."""
    models: dict[str, Any] = {**TABLES, "scenario": Scenario}
    chosen = models if table == "all" else {table: models[table]}
    doc = {k: m.model_json_schema() for k, m in chosen.items()}
    click.echo(json.dumps(doc if table == "all" else doc[table], indent=1, ensure_ascii=False))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite existing template files.")
@_friendly
def template(folder: Path, force: bool) -> None:
    """Write empty members, streams and links templates (CSV and XLSX) into FOLDER."""
    for path in write_templates(folder, overwrite=force):
        click.echo(f"wrote {path}")


def _solver_choice() -> click.Choice:
    return click.Choice(sorted(available_solvers()), case_sensitive=False)


def _match_options(func: F) -> F:
    options = [
        click.option(
            "--out",
            type=click.Path(file_okay=False, path_type=Path),
            help="Write exchanges.csv, members.csv, streams.csv and kpis.json here.",
        ),
        click.option(
            "--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="Write the result as one workbook."
        ),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else."),
        click.option("--solver", type=_solver_choice(), default="highs", show_default=True),
        click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds."),
        click.option(
            "--write-mps", type=click.Path(dir_okay=False, path_type=Path), help="Also write the whole model as MPS."
        ),
        click.option("--quiet", is_flag=True, help="No progress display (there is none off a terminal either)."),
    ]
    for opt in reversed(options):
        func = opt(func)
    return func


@main.command(name="match")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@_match_options
@_friendly
def match_cmd(path: Path, **opts: Any) -> None:
    """Find the best exchanges in a scenario folder (or file) PATH."""
    _run(path, **opts)


@main.command()
@_match_options
@_friendly
def demo(**opts: Any) -> None:
    """Match the bundled Hillerød-style scenario."""
    _run(scenarios.path("hillerod"), **opts)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML report to write.",
)
@click.option("--anonymise", is_flag=True, help="Pseudonyms for members and streams; rounded quantities and places.")
@click.option(
    "--png",
    "png",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write PNG and SVG images of the map and Sankey diagrams here (uses Chromium).",
)
@click.option("--solver", type=_solver_choice(), default="highs", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds.")
@_friendly
def report(path: Path, out: Path, anonymise: bool, png: Path | None, solver: str, time_limit: float | None) -> None:
    """Match PATH and write a self-contained HTML report (map, Sankey, KPI cards, tables)."""
    from .report import write_images, write_report

    scenario, network = load(path)
    result = match(network, scenario, solver=solver, time_limit=time_limit)
    if not result.status.has_solution:
        click.echo(render(result))
        sys.exit(3)
    click.echo(f"wrote {write_report(result, out, anonymise=anonymise)}")
    if png is not None:
        for p in write_images(result, png, anonymise=anonymise):
            click.echo(f"wrote {p}")


@main.command(name="compare")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the comparison as .csv or .xlsx.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML comparison page.")
@click.option("--anonymise", is_flag=True, help="With --html: pseudonyms and rounded figures.")
@click.option("--solver", type=_solver_choice(), default="highs", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per scenario.")
@_friendly
def compare_cmd(
    paths: tuple[Path, ...],
    as_json: bool,
    out: Path | None,
    html: Path | None,
    anonymise: bool,
    solver: str,
    time_limit: float | None,
) -> None:
    """Match two or more scenarios and compare them with the first."""
    from .comparison import compare

    if len(paths) < 2:
        raise click.UsageError("compare needs at least two scenarios")
    results = []
    for path in paths:
        scenario, network = load(path)
        results.append(match(network, scenario, solver=solver, time_limit=time_limit))
    failed = [r.scenario.name for r in results if not r.status.has_solution]
    if failed:
        click.echo(f"no solution for: {', '.join(failed)}", err=True)
        sys.exit(3)
    try:
        comparison = compare(results)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if out is not None:
        comparison.to_file(out)
    if html is not None:
        comparison.to_html(html, anonymise=anonymise)
    if as_json:
        click.echo(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=1))
        return
    k = comparison.kpis
    table = pd.DataFrame({"figure": k.index})
    for col in k.columns:
        table[col] = [format_number(v) if "%" not in col else (f"{v:+.1f}" if pd.notna(v) else "–") for v in k[col]]
    click.echo(_table(table, right=tuple(k.columns)))
    counts = comparison.exchanges["change"].value_counts()
    click.echo(
        f"\nExchanges against {comparison.names[0]}: "
        + ", ".join(f"{counts.get(c, 0)} {c}" for c in ("added", "removed", "changed", "same"))
    )
    for written in (out, html):
        if written is not None:
            click.echo(f"wrote {written}")


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@_friendly
def show(path: Path) -> None:
    """Print the fully resolved scenario (with everything it extends), as YAML."""
    scenario = Scenario.from_yaml(path)
    click.echo(scenario.to_yaml().rstrip())
    network = load_network(scenario)
    click.echo(f"# network: {network.summary()}")


def _plot(figure: Any, path: Path) -> None:
    """Write a plotly figure as self-contained HTML, or as PNG/SVG (through Chromium)."""
    if path.suffix.lower() in (".png", ".svg", ".pdf"):
        figure.write_image(str(path))
    else:
        figure.write_html(str(path), include_plotlyjs=True, full_html=True)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--x", "x", type=click.Choice(["cost", "co2e", "waste"]), default="cost", show_default=True)
@click.option("--y", "y", type=click.Choice(["cost", "co2e", "waste"]), default="co2e", show_default=True)
@click.option("--points", type=click.IntRange(min=2, max=500), default=11, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the front as CSV.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), help="Write a plot (.html, .png or .svg).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per point.")
@_friendly
def pareto(
    path: Path,
    x: str,
    y: str,
    points: int,
    as_json: bool,
    out: Path | None,
    plot: Path | None,
    time_limit: float | None,
) -> None:
    """Trade-off between two objectives by the epsilon-constraint method (each point optimal for its bound)."""
    from .pareto import pareto_front

    if x == y:
        raise click.UsageError("--x and --y must differ")
    scenario, network = load(path)
    front = pareto_front(network, scenario, x=x, y=y, points=points, time_limit=time_limit)
    if out is not None:
        front.to_csv(out, index=False)
    if plot is not None:
        import plotly.graph_objects as go

        fig = go.Figure(go.Scatter(x=front[x], y=front[y], mode="lines+markers"))
        fig.update_layout(title=f"{scenario.name}: {x} against {y}", xaxis_title=x, yaxis_title=y)
        _plot(fig, plot)
    if as_json:
        points_out = [{x: json_number(r[x]), y: json_number(r[y]), "status": r["status"]} for _, r in front.iterrows()]
        click.echo(json.dumps({"x": x, "y": y, "points": points_out}, indent=1))
        return
    click.echo(_table(front.assign(**{c: front[c].map(format_number) for c in (x, y, "bound")}), right=(x, y, "bound")))


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--exchanges", is_flag=True, help="Also forbid each exchange in turn.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per re-solve.")
@_friendly
def resilience(path: Path, exchanges: bool, as_json: bool, time_limit: float | None) -> None:
    """Rank members by how much of the network's saving depends on them."""
    from .resilience import resilience as run

    scenario, network = load(path)
    base, members, ex = run(network, scenario, exchanges=exchanges, time_limit=time_limit)
    if as_json:
        doc: dict[str, Any] = {
            "base_savings": base,
            "members": json.loads(
                members[["member_id", "savings_without", "savings_lost", "share_pct", "status"]].to_json(
                    orient="records"
                )
            ),
        }
        if ex is not None:
            doc["exchanges"] = json.loads(ex.to_json(orient="records"))
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    click.echo(f"{scenario.name}: saving {format_number(base)} {scenario.currency}; without each member:")
    view = members.assign(
        savings_without=members["savings_without"].map(format_number),
        savings_lost=members["savings_lost"].map(format_number),
        share_pct=members["share_pct"].map("{:.1f}".format),
    )[["member_id", "name", "savings_lost", "share_pct", "savings_without", "status"]]
    click.echo(_table(view, right=("savings_lost", "share_pct", "savings_without")))
    if ex is not None and len(ex):
        click.echo("\nWithout each exchange:")
        click.echo(
            _table(
                ex.assign(
                    savings_lost=ex["savings_lost"].map(format_number),
                    savings_without=ex["savings_without"].map(format_number),
                ),
                right=("savings_lost", "savings_without"),
            )
        )


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the prices as CSV.")
@_friendly
def prices(path: Path, as_json: bool, out: Path | None) -> None:
    """Fair transfer prices per exchange (from the duals) and each member's share, beside a 50/50 split."""
    from .prices import member_shares, transfer_prices

    scenario, network = load(path)
    result = match(network, scenario)
    if not result.status.has_solution:
        click.echo(render(result))
        sys.exit(3)
    tp, ms = transfer_prices(result), member_shares(result)
    if out is not None:
        tp.to_csv(out, index=False)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "currency": result.currency,
                    "exchanges": json.loads(tp.to_json(orient="records")),
                    "members": json.loads(ms.reset_index().to_json(orient="records")),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    cols = ["transfer_price", "transfer_payment", "saving", "supplier_share", "receiver_share"]
    view = tp.assign(**{c: tp[c].map(format_number) for c in cols})[["from_member", "to_member", "resource", *cols]]
    click.echo(f"Transfer prices in {result.currency} per unit of supply, paid by the receiver to the supplier:")
    click.echo(_table(view, right=tuple(cols)))


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    help="NAME=START:STOP:STEP or NAME=V1,V2,...; NAME is parameters.X, catalog.RESOURCE.FACTOR "
    "or scale.STREAM_ID. Repeat for a grid.",
)
@click.option("--workers", type=click.IntRange(min=1), help="Local worker processes (default: all cores).")
@click.option("--dask", "dask_address", help="Run on Dask: 'local' for a LocalCluster, or tcp://HOST:PORT.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write one row per run as CSV.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plot each KPI against the first parameter (.html, .png or .svg).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON to stdout, nothing else.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--solver", type=_solver_choice(), default="highs", show_default=True)
@click.option(
    "--cold",
    is_flag=True,
    help="Solve every point from scratch (by default each starts from the basis of the point before it).",
)
@_friendly
def sweep(
    path: Path,
    params: tuple[str, ...],
    workers: int | None,
    dask_address: str | None,
    out: Path | None,
    plot: Path | None,
    as_json: bool,
    quiet: bool,
    solver: str,
    cold: bool,
) -> None:
    """Match the scenario at every point of a parameter grid, in parallel."""
    from .sweep import grid, parse_param
    from .sweep import sweep as run

    try:
        parsed = [parse_param(p) for p in params]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--param") from None
    n = len(grid(parsed))
    show_bar = not quiet and not as_json and sys.stderr.isatty()
    with click.progressbar(length=n, label=f"{n} runs", file=sys.stderr, hidden=not show_bar) as bar:
        table = run(path, parsed, workers=workers, dask=dask_address, solver=solver, progress=bar.update, warm=not cold)
    if out is not None:
        table.to_csv(out, index=False)
    if plot is not None:
        _plot(_sweep_figure(table, parsed[0][0]), plot)
    if as_json:
        click.echo(table.to_json(orient="records", force_ascii=False, indent=1))
        return
    names = [p for p, _ in parsed]
    view = table[[*names, "status", "savings", "co2e_avoided_t", "exchanges", "message"]].copy()
    for c in ("savings", "co2e_avoided_t", "exchanges"):
        view[c] = view[c].map(format_number)
    click.echo(_table(view, right=(*names, "savings", "co2e_avoided_t", "exchanges")))
    failed = int((table["status"] == "failed").sum())
    if failed:
        click.echo(f"{failed} of {n} runs failed; their messages are in the last column.", err=True)


def _sweep_figure(table: pd.DataFrame, param: str) -> Any:
    from plotly.subplots import make_subplots

    from .result import KPI_INFO

    keys = list(KPI_INFO)
    fig = make_subplots(rows=(len(keys) + 2) // 3, cols=3, subplot_titles=keys)
    ok = table[table["status"] != "failed"]
    for i, k in enumerate(keys):
        fig.add_scatter(
            x=ok[param], y=ok[k], mode="lines+markers", name=k, row=i // 3 + 1, col=i % 3 + 1, showlegend=False
        )
    fig.update_layout(height=300 * ((len(keys) + 2) // 3), title=f"KPIs against {param}")
    return fig


def _progress(quiet: bool) -> Callable[[str], None]:
    """A one-line progress display on stderr, with elapsed seconds; silent off a terminal or when quiet."""
    if quiet or not sys.stderr.isatty():
        return lambda _: None
    start = time.perf_counter()

    def show(step: str) -> None:
        line = f"{time.perf_counter() - start:6.1f} s  {step}" if step else ""
        click.echo(f"\r\033[K{line}", err=True, nl=not step)

    return show


def _run(
    path: Path,
    out: Path | None,
    xlsx: Path | None,
    as_json: bool,
    solver: str,
    time_limit: float | None,
    write_mps: Path | None,
    quiet: bool,
) -> None:
    progress = _progress(quiet)
    progress("reading the tables")
    scenario, network = load(path)
    result = match(network, scenario, solver=solver, time_limit=time_limit, write_mps_to=write_mps, progress=progress)
    progress("")
    if out is not None and result.status.has_solution:
        result.to_csv(out)
    if xlsx is not None and result.status.has_solution:
        result.to_xlsx(xlsx)
    if as_json:
        click.echo(result.to_json())
    else:
        click.echo(render(result))
        if out is not None and result.status.has_solution:
            click.echo(f"\nWrote exchanges.csv, members.csv, streams.csv and kpis.json to {out}")
    if not result.status.has_solution:
        sys.exit(3)


def _table(frame: pd.DataFrame, right: tuple[str, ...] = ()) -> str:
    """Text columns left-aligned, the ``right`` columns right-aligned."""
    widths = {c: max([len(str(c))] + [len(str(v)) for v in frame[c]]) for c in frame.columns}
    fmt = {
        c: (lambda v, w=widths[c]: str(v).rjust(w)) if c in right else (lambda v, w=widths[c]: str(v).ljust(w))
        for c in frame.columns
    }
    header = "  ".join(str(c).rjust(widths[c]) if c in right else str(c).ljust(widths[c]) for c in frame.columns)
    body = ["  ".join(fmt[c](v) for c, v in zip(frame.columns, row)) for row in frame.itertuples(index=False)]
    return "\n".join(line.rstrip() for line in [header, *body])


def render(result: MatchResult) -> str:
    """A readable terminal report of a match."""
    cur = result.currency
    lines = [f"{result.scenario.name}: {result.status.value} ({result.solver} {result.solver_version})"]
    if not result.status.has_solution:
        lines.append(result.message)
        return "\n".join(lines)
    pct = 100 * result.savings / result.baseline_cost if result.baseline_cost else float("nan")
    lines += [
        f"Total cost {format_number(result.objective)} {cur}; "
        f"without exchanges {format_number(result.baseline_cost)} {cur}; "
        f"saving {format_number(result.savings)} {cur} ({pct:.1f} %)",
        "",
        f"Exchanges ({len(result.exchanges)})",
    ]
    names = result.network.members["name"]
    ex = result.exchanges
    if len(ex):
        table = pd.DataFrame(
            {
                "from": ex["from_member"] + " " + ex["from_member"].map(names).str.slice(0, 22),
                "to": ex["to_member"] + " " + ex["to_member"].map(names).str.slice(0, 22),
                "resource": ex["resource"],
                "quantity": ex["quantity"].map(format_number) + " " + ex["unit"],
                "km": ex["distance_km"].map("{:.1f}".format),
                f"saving {cur}": ex["saving"].map(format_number),
            }
        )
        lines.append(_table(table, right=("quantity", "km", f"saving {cur}")))
    lines += ["", "Key figures"]
    kt = result.kpi_table
    kt = pd.DataFrame(
        {
            "figure": kt["kpi"],
            "value": kt["value"].map(format_number),
            "unit": kt["unit"],
            "SDG target": kt["sdg_target"],
        }
    )
    lines.append(_table(kt, right=("value",)))
    un = result.unmatched
    if len(un):
        lines += ["", f"Left unmatched or partly matched ({len(un)})"]
        t = pd.DataFrame(
            {
                "stream": un.index,
                "resource": un["resource"],
                "left": un["left"].map(format_number) + " " + un["unit"],
                "why": un["reason"],
            }
        )
        lines.append(_table(t, right=("left",)))
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
