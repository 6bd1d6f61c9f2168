"""``symbiose serve`` and ``symbiose registry``: the registry from the command line.

The engine's command group finds these through the ``symbiose.commands`` entry
points and imports this module only when one of them is called or the commands
are listed; Django itself is imported only inside the commands.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from matcher.cli import _friendly

__all__ = ["registry", "serve"]

_DB_HELP = "Database: a SQLite file (default symbiose.db here) or postgresql://USER:PASSWORD@HOST/DB."


def _start(db: str | None) -> None:
    from .boot import setup

    try:
        setup(db)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--db") from None


#: The demo's users: (e-mail, role, member).
DEMO_USERS = (
    ("facilitator@demo.symbiose", "facilitator", None),
    ("company@demo.symbiose", "member", "M09"),
    ("planner@demo.symbiose", "planner", None),
)


def load_demo() -> list[tuple[str, str, str]]:
    """The bundled Hillerød network and one user per role in the (fresh) database; their logins."""
    import scenarios

    from . import services

    network = services.add_network("hillerod", "Hillerød (demo)", "DKK")
    services.import_folder(None, network, scenarios.path("hillerod"))
    logins = []
    for email, role, member in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        services.add_user(email, "hillerod", role, password, member)
        logins.append((email, role, password))
    return logins


@click.command()
@click.option("--db", help=_DB_HELP, envvar="SYMBIOSE_DATABASE_URL")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Threads per worker.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes sharing the port (one per core serves the most pages at once).",
)
@click.option("--demo", is_flag=True, help="A fresh database with the bundled Hillerød network and a user per role.")
@_friendly
def serve(db: str | None, host: str, port: int, threads: int, workers: int, demo: bool) -> None:
    """Start the registry's web pages and JSON API on a production WSGI server (waitress).

    The database is created and migrated on first start. With ``--workers N`` the server runs
    N processes sharing the port (each with ``--threads`` threads).
    """
    folder = None
    if demo:
        if db:
            raise click.UsageError("--demo starts on a fresh database of its own; leave out --db")
        folder = tempfile.TemporaryDirectory(prefix="symbiose-demo-")
        db = str(Path(folder.name) / "demo.db")
    _start(db)
    from django.conf import settings

    from .boot import migrate
    from .dburl import describe
    from .middleware import UPLOAD_OVERHEAD

    migrate()
    click.echo(f"database: {describe(settings.DATABASES['default'])}")
    if demo:
        click.echo("demo users (the network 'hillerod'):")
        for email, role, password in load_demo():
            click.echo(f"  {role:<12} {email:<28} password: {password}")
    from django.core.wsgi import get_wsgi_application

    from .serving import serve as run_server

    application = get_wsgi_application()
    each = f", {workers} worker processes" if workers > 1 else ""
    click.echo(f"serving on http://{host}:{port}/{each} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        run_server(
            application,
            host,
            port,
            workers,
            threads=threads,
            # the same bound as UploadLimitMiddleware: a body sent in chunks (no length given) stops here
            max_request_body_size=int(settings.MAX_UPLOAD_BYTES) + UPLOAD_OVERHEAD,
            ident="symbiose",
            clear_untrusted_proxy_headers=True,
            _quiet=True,
        )
    finally:
        if folder is not None:
            folder.cleanup()


@click.group()
@click.option("--db", help=_DB_HELP, envvar="SYMBIOSE_DATABASE_URL")
@click.pass_context
def registry(ctx: click.Context, db: str | None) -> None:
    """Manage the registry: schema, networks, users, imports, exports, tokens."""
    ctx.obj = {"db": db}


def _ready(ctx: click.Context) -> None:
    _start(ctx.obj["db"])
    from .boot import migrate

    migrate()


@registry.command()
@click.pass_context
@_friendly
def migrate(ctx: click.Context) -> None:
    """Create the schema or bring it up to date."""
    _ready(ctx)
    from django.conf import settings

    from .dburl import describe

    click.echo(f"{describe(settings.DATABASES['default'])}: schema up to date")


@registry.group()
def network() -> None:
    """Networks."""


@network.command(name="add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--currency", required=True, help="EUR, DKK, SEK, NOK ...")
@click.pass_context
@_friendly
def network_add(ctx: click.Context, slug: str, name: str, currency: str) -> None:
    """Add an empty network SLUG."""
    _ready(ctx)
    from . import services

    net = services.add_network(slug, name, currency.upper())
    click.echo(f"network {net.slug} added ({net.currency})")


@registry.group()
def user() -> None:
    """Users."""


@user.command(name="add")
@click.argument("email")
@click.option("--network", "network_slug", required=True)
@click.option("--role", type=click.Choice(["facilitator", "member", "planner"]), required=True)
@click.option("--member", "member_id", help="The member a company user (role member) belongs to.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from the first line of stdin.")
@click.pass_context
@_friendly
def user_add(
    ctx: click.Context, email: str, network_slug: str, role: str, member_id: str | None, password_stdin: bool
) -> None:
    """Add a user of one network with a role."""
    if not password_stdin:
        raise click.UsageError("give the password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    _ready(ctx)
    from . import services

    added = services.add_user(email, network_slug, role, password, member_id)
    click.echo(f"user {added.get_username()} added ({role} in {network_slug})")


@registry.command(name="import")
@click.argument("slug")
@click.argument("folder", type=click.Path(exists=True, path_type=Path))
@click.pass_context
@_friendly
def import_cmd(ctx: click.Context, slug: str, folder: Path) -> None:
    """Import a scenario folder into the network SLUG, all or nothing."""
    _ready(ctx)
    from . import services

    net = _network(slug)
    version = services.import_folder(None, net, folder)
    click.echo(f"imported {folder} into {slug}: data version {version}")


@registry.command(name="export")
@click.argument("slug")
@click.argument("folder", type=click.Path(path_type=Path))
@click.pass_context
@_friendly
def export_cmd(ctx: click.Context, slug: str, folder: Path) -> None:
    """Write the network SLUG as a scenario folder (symbiose match FOLDER gives the registry's match)."""

    _ready(ctx)
    from . import services

    net = _network(slug)
    for path in services.export_folder(None, net, folder):
        click.echo(f"wrote {path}")


@registry.command()
@click.argument("slug")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write a table (.csv or .xlsx) instead of printing JSON.",
)
@click.pass_context
@_friendly
def impact(ctx: click.Context, slug: str, out: Path | None) -> None:
    """Realised impact of the network SLUG: KPIs per year of its implemented exchanges, and the potential."""
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("give a .csv or .xlsx file", param_hint="--out")
    _ready(ctx)
    from matcher.results.export import write_csv, write_workbook
    from matcher.results.numbers import json_text

    from .proposals import impact_of, impact_table

    net = _network(slug)
    doc = impact_of(net)
    if out is None:
        click.echo(json_text(doc))
        return
    table = impact_table(doc, net.currency)
    if out.suffix.lower() == ".csv":
        write_csv(out, table)
    else:
        write_workbook(out, [("impact", table, False)])
    click.echo(f"wrote {out}")


@registry.command()
@click.argument("email")
@click.pass_context
@_friendly
def token(ctx: click.Context, email: str) -> None:
    """Print a new API token for the user EMAIL (for scripts: Authorization: Bearer TOKEN)."""
    _ready(ctx)
    from django.contrib.auth import get_user_model

    from models import DataError, Issue

    from .auth import new_token

    found = get_user_model().objects.filter(username=email.strip().lower(), is_active=True).first()
    if found is None:
        raise DataError([Issue("user", None, "email", f"no user {email!r}")])
    click.echo(new_token(found))


def _network(slug: str) -> Any:
    from models import DataError, Issue

    from .models import Network

    found = Network.objects.filter(slug=slug).first()
    if found is None:
        raise DataError([Issue("network", None, "slug", f"no network {slug!r}")])
    return found
