"""The ``symbiose`` command: a thin layer over the Python API.

Exit codes: 0 success; 1 bad input data (every problem listed as
``file:row:column: message``); 2 bad command-line usage; 3 the solver found
no solution (infeasible, time limit without a solution, solver error).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

import scenarios
from models import DataError, SymbioseError, load
from models.records import TABLES
from models.scenario import Scenario
from models.templates import write_templates

from .api import match
from .result import MatchResult, format_number
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
    from .compare import compare

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


def _run(
    path: Path,
    out: Path | None,
    xlsx: Path | None,
    as_json: bool,
    solver: str,
    time_limit: float | None,
    write_mps: Path | None,
) -> None:
    scenario, network = load(path)
    result = match(network, scenario, solver=solver, time_limit=time_limit, write_mps_to=write_mps)
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
