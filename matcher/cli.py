"""The ``symbiose`` command: a thin layer over the Python API.

Exit codes: 0 success; 1 bad input data (every problem listed as
``file:row:column: message``) or an output that cannot be written; 2 bad
command-line usage; 3 the solver found no solution (infeasible, time limit
without a solution, solver error).

Every output a command writes is checked before the first is written and
before any solve (:mod:`matcher.outputs`); each is written completely or not
at all (:mod:`models.files`), and a SIGTERM unwinds like Ctrl-C, so no
temporary file is left behind.
"""

from __future__ import annotations

import errno
import functools
import gc
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

import scenarios
from models import DataError, SymbioseError, load
from models.files import atomic_folder
from models.io import load_network
from models.records import SEASON_TABLES, TABLES
from models.scenario import Scenario
from models.templates import TEMPLATE_FILES, write_templates

from .api import METHODS, compare, run
from .engine.objective import OBJECTIVES
from .errors import InvalidOption, NoSolution
from .outputs import CSV, HTML, IMAGES, MPS, PLOT, RESULTS, TABLE, TEMPLATES, XLSX, check_outputs
from .planning import MAX_POINTS
from .report.text import match_text
from .results.numbers import json_text
from .solve import solver_names

if TYPE_CHECKING:
    from .results.result import MatchResult

# The planning tools, the HTML report and its figures, exports and transfer prices are imported by the commands
# that use them: a match never loads them.

F = TypeVar("F", bound=Callable[..., Any])

#: Error class -> exit code, most specific first: 1 bad input or an output that cannot be written, 2 usage,
#: 3 no solution.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (DataError, 1),
    (NoSolution, 3),
    (InvalidOption, 2),
    (SymbioseError, 1),
    (FileExistsError, 1),
    (OSError, 1),
)


def exit_code(exc: BaseException) -> int | None:
    """The exit code of an expected error, or None for an unexpected one."""
    return next((code for cls, code in EXIT_CODES if isinstance(exc, cls)), None)


def _friendly(func: F) -> F:
    """Turn expected errors into messages and exit codes (:data:`EXIT_CODES`), never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (SymbioseError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # stdout closed by the reader (``| head``): click ends quietly
            if isinstance(exc, DataError):
                for issue in exc.issues:
                    click.echo(str(issue), err=True)
                click.echo(f"{len(exc.issues)} problem(s); nothing was loaded.", err=True)
            else:
                click.echo(f"error: {_message(exc)}", err=True)
            sys.exit(exit_code(exc) or 1)

    return wrapper  # type: ignore[return-value]


def _message(exc: BaseException) -> str:
    """One line for an expected error (an OS error as ``file: reason``, without its errno)."""
    if isinstance(exc, OSError):
        text = f"{exc.filename}: {exc.strerror}" if exc.strerror and exc.filename else exc.strerror or str(exc)
        return " ".join(text.split())
    return str(exc)


def _echo_json(doc: Any) -> None:
    """One strict JSON document (no NaN or Infinity tokens) on stdout."""
    click.echo(json_text(doc))


def _exit_on_sigterm() -> Callable[[], None]:
    """Let SIGTERM unwind like Ctrl-C (temporary outputs are removed on the way); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    pid = os.getpid()

    def handler(signum: int, frame: Any) -> None:
        if os.getpid() != pid:  # a forked child: end as by default
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


#: Entry-point group through which other packages add commands (the registry adds ``serve`` and ``registry``).
PLUGIN_GROUP = "symbiose.commands"


class _Commands(click.Group):
    """The command group, with the commands of :data:`PLUGIN_GROUP`, each imported only when it is
    called or the commands are listed (so engine commands never import what a plugin needs)."""

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP) if ep.name not in self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None:
            plugin = self._plugins().get(cmd_name)
            found = plugin.load() if plugin is not None else None
        return found


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symbiose")
@click.pass_context
def main(ctx: click.Context) -> None:
    """symbiose: find the exchanges of surplus heat, water, waste and materials
    between the members of an industrial-symbiosis network."""
    ctx.call_on_close(_exit_on_sigterm())


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
@click.option(
    "--table", type=click.Choice([*TABLES, *SEASON_TABLES, "scenario", "all"]), default="all", show_default=True
)
def schema(table: str) -> None:
    """Print the JSON Schema of the tables (members, streams, links, periods, profiles, storage, processes,
    process_flows) and scenario files."""
    models: dict[str, Any] = {**TABLES, **SEASON_TABLES, "scenario": Scenario}
    chosen = models if table == "all" else {table: models[table]}
    doc = {k: m.model_json_schema() for k, m in chosen.items()}
    click.echo(json.dumps(doc if table == "all" else doc[table], indent=1, ensure_ascii=False))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite existing template files.")
@_friendly
def template(folder: Path, force: bool) -> None:
    """Write empty members, streams and links templates (CSV and XLSX) into FOLDER."""
    check_outputs(("FOLDER", folder, TEMPLATES))
    existing = [folder / name for name in TEMPLATE_FILES if (folder / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} exists; choose an empty folder or overwrite (--force)")
    for path in atomic_folder(folder, write_templates, owns=None):
        click.echo(f"wrote {path}")


def _solver_choice() -> click.Choice:
    # the names only: whether a backend runs here (CBC: its program starts) is asked when it is used,
    # not by every command at start-up
    return click.Choice(solver_names(), case_sensitive=False)


def _match_options(func: F) -> F:
    options = [
        click.option(
            "--out",
            type=click.Path(path_type=Path),
            help="Write exchanges.csv, members.csv, streams.csv, factors.csv and kpis.json here.",
        ),
        click.option("--xlsx", type=click.Path(path_type=Path), help="Write the result as one workbook."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else."),
        click.option("--solver", type=_solver_choice(), default="highs", show_default=True),
        click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds."),
        click.option("--write-mps", type=click.Path(path_type=Path), help="Also write the whole model as MPS."),
        click.option(
            "--method",
            type=click.Choice(METHODS),
            default="auto",
            show_default=True,
            help="pricing: over the candidate pairs; search: over pairs searched at the duals, never all held"
            " (for regions of 1e8 pairs); whole: every pair at once; auto chooses.",
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
    type=click.Path(path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML report to write.",
)
@click.option("--anonymise", is_flag=True, help="Pseudonyms for members and streams; rounded quantities and places.")
@click.option(
    "--png",
    "png",
    type=click.Path(path_type=Path),
    help="Also write PNG and SVG images of the map and Sankey diagrams here (uses Chromium).",
)
@click.option("--solver", type=_solver_choice(), default="highs", show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds.")
@_friendly
def report(path: Path, out: Path, anonymise: bool, png: Path | None, solver: str, time_limit: float | None) -> None:
    """Match PATH and write a self-contained HTML report (map, Sankey, KPI cards, tables)."""
    from .report import write_images, write_report
    from .report.anonymise import Pseudonyms

    check_outputs(("--out", out, HTML), ("--png", png, IMAGES))
    result = _solved(run(path, solver=solver, time_limit=time_limit, progress=_progress(False)))
    names = Pseudonyms.of([result]) if anonymise else None  # the same pseudonyms in the page and the images
    images = [] if png is None else write_images(result, png, anonymise=anonymise, names=names)  # may fail: first
    written = [*images, write_report(result, out, anonymise=anonymise, names=names)]
    for p in written:
        click.echo(f"wrote {p}")


@main.command(name="compare")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the comparison as .csv or .xlsx.")
@click.option("--html", type=click.Path(path_type=Path), help="Write an HTML comparison page.")
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
    if len(paths) < 2:
        raise click.UsageError("compare needs at least two scenarios")
    from .report import write_comparison
    from .report.text import comparison_text

    check_outputs(("--out", out, TABLE), ("--html", html, HTML))
    progress = _progress(as_json)
    comparison = compare(list(paths), solver=solver, time_limit=time_limit, progress=progress)
    progress("")
    if out is not None:
        comparison.to_file(out)
    if html is not None:
        write_comparison(comparison, html, anonymise=anonymise)
    if as_json:
        _echo_json(comparison.to_dict())
        return
    click.echo(comparison_text(comparison))
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


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--x", "x", type=click.Choice(list(OBJECTIVES)), default="cost", show_default=True)
@click.option("--y", "y", type=click.Choice(list(OBJECTIVES)), default="co2e", show_default=True)
@click.option("--points", type=click.IntRange(min=2, max=500), default=11, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the front as CSV.")
@click.option("--plot", type=click.Path(path_type=Path), help="Write a plot (.html, .png, .svg or .pdf).")
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
    if x == y:
        raise click.UsageError("--x and --y must differ")
    from .planning.pareto import pareto_front
    from .report import write_figure
    from .report.text import pareto_text
    from .results.export import write_csv

    check_outputs(("--out", out, CSV), ("--plot", plot, PLOT))
    scenario, network = load(path)
    bar = _counter("points", quiet=as_json)
    front = pareto_front(network, scenario, x=x, y=y, points=points, time_limit=time_limit, progress=bar)
    bar(0, 0)
    if out is not None:
        write_csv(out, front.to_frame())
    if plot is not None:
        write_figure(front.plot(), plot)
    if as_json:
        _echo_json(front.to_dict())
        return
    click.echo(pareto_text(front))


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--exchanges", is_flag=True, help="Also forbid each exchange in turn.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per re-solve.")
@_friendly
def resilience(path: Path, exchanges: bool, as_json: bool, time_limit: float | None) -> None:
    """Rank members by how much of the network's saving depends on them."""
    from .planning.resilience import resilience as find_resilience
    from .report.text import resilience_text

    scenario, network = load(path)
    bar = _counter("re-solves", quiet=as_json)
    result = find_resilience(network, scenario, exchanges=exchanges, time_limit=time_limit, progress=bar)
    bar(0, 0)
    if as_json:
        _echo_json(result.to_dict())
        return
    click.echo(resilience_text(result))


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document to stdout, nothing else.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the prices as CSV.")
@_friendly
def prices(path: Path, as_json: bool, out: Path | None) -> None:
    """Fair transfer prices per exchange (from the duals) and each member's share, beside a 50/50 split."""
    from .report.text import prices_text
    from .results.export import write_csv
    from .results.prices import transfer_prices

    check_outputs(("--out", out, CSV))
    tp = transfer_prices(_solved(run(path)))
    if out is not None:
        write_csv(out, tp.to_frame())
    if as_json:
        _echo_json(tp.to_dict())
        return
    click.echo(prices_text(tp))


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
@click.option("--out", type=click.Path(path_type=Path), help="Write one row per run as CSV.")
@click.option(
    "--plot",
    type=click.Path(path_type=Path),
    help="Plot each KPI against the first parameter (.html, .png, .svg or .pdf).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON to stdout, nothing else.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--solver", type=_solver_choice(), default="highs", show_default=True)
@click.option(
    "--cold",
    is_flag=True,
    help="Solve every point from scratch (by default each starts from the basis of the point before it).",
)
@click.option(
    "--max-points",
    type=click.IntRange(min=1),
    default=MAX_POINTS,
    show_default=True,
    help="Refuse grids with more points (a guard against a typo asking for millions).",
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
    max_points: int,
) -> None:
    """Match the scenario at every point of a parameter grid, in parallel."""
    from .planning.sweep import grid_size, parse_param
    from .planning.sweep import sweep as run_sweep
    from .report import write_figure
    from .report.text import sweep_text
    from .results.export import write_csv

    try:
        parsed = [parse_param(p) for p in params]
    except InvalidOption as exc:
        raise click.BadParameter(str(exc), param_hint="--param") from None
    n = grid_size(parsed)
    if n > max_points:  # before reading anything
        raise click.BadParameter(f"the grid has {n:,} points, more than {max_points:,}", param_hint="--max-points")
    check_outputs(("--out", out, CSV), ("--plot", plot, PLOT))
    scenario, network = load(path)
    show_bar = not quiet and not as_json and sys.stderr.isatty()
    with click.progressbar(length=n, label=f"{n} runs", file=sys.stderr, hidden=not show_bar) as bar:
        result = run_sweep(
            network,
            scenario,
            parsed,
            workers=workers,
            dask=dask_address,
            solver=solver,
            progress=bar.update,
            warm=not cold,
            max_points=max_points,
        )
    if out is not None:
        write_csv(out, result.to_frame())
    if plot is not None:
        write_figure(result.plot(), plot)
    if as_json:
        _echo_json(result.to_dict())
        return
    click.echo(sweep_text(result))
    if result.failed:
        click.echo(f"{result.failed} of {n} runs failed; their messages are in the last column.", err=True)


def _progress(quiet: bool) -> Callable[[str], None]:
    """A one-line progress display on stderr, with elapsed seconds; silent off a terminal or when quiet."""
    if quiet or not sys.stderr.isatty():
        return lambda _: None
    start = time.perf_counter()

    def show(step: str) -> None:
        line = f"{time.perf_counter() - start:6.1f} s  {step}" if step else ""
        click.echo(f"\r\033[K{line}", err=True, nl=not step)

    return show


def _counter(what: str, quiet: bool) -> Callable[[int, int], None]:
    """A one-line ``done/total`` counter on stderr (silent off a terminal or when quiet); ``(0, 0)`` clears it."""
    if quiet or not sys.stderr.isatty():
        return lambda done, total: None

    def show(done: int, total: int) -> None:
        click.echo(f"\r\033[K{done:,}/{total:,} {what}" if total else "\r\033[K", err=True, nl=False)

    return show


def _solved(result: MatchResult) -> MatchResult:
    """The result, or :class:`NoSolution` (exit 3) after printing why."""
    if not result.status.has_solution:
        click.echo(match_text(result))
        raise NoSolution(result.status.value, f"{result.scenario.name}: {result.status.value}")
    return result


def _run(
    path: Path,
    out: Path | None,
    xlsx: Path | None,
    as_json: bool,
    solver: str,
    time_limit: float | None,
    write_mps: Path | None,
    method: str,
    quiet: bool,
) -> None:
    if write_mps is not None and not write_mps.suffix:
        write_mps = write_mps.with_suffix(".mps")  # as write_mps names it
    check_outputs(("--out", out, RESULTS), ("--xlsx", xlsx, XLSX), ("--write-mps", write_mps, MPS))
    progress = _progress(quiet)
    result = run(path, solver=solver, time_limit=time_limit, write_mps_to=write_mps, progress=progress, method=method)
    progress("")
    if out is not None and result.status.has_solution:
        result.to_csv(out)
    if xlsx is not None and result.status.has_solution:
        result.to_xlsx(xlsx)
    if as_json:
        click.echo(result.to_json())
    else:
        click.echo(match_text(result))
        if out is not None and result.status.has_solution:
            click.echo(f"\nWrote exchanges.csv, members.csv, streams.csv, factors.csv and kpis.json to {out}")
    if not result.status.has_solution:
        sys.exit(3)


def command() -> None:
    """The ``symbiose`` program: :func:`main`, then the process ends without a last garbage collection over
    the whole heap (``gc.freeze``: atexit handlers and flushing still run). That collection found nothing to
    free and cost about 0.08 s of a small match's 0.66 s; :func:`main` called in a process that goes on
    (tests, scripts) leaves the collector alone."""
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    command()
