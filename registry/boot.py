"""Start Django for the registry: the database URL, migrations, the signing key.

``symbiose serve`` and ``symbiose registry`` call :func:`setup` before anything
else of Django is imported; engine commands never import this module.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from models.errors import SymbioseError

__all__ = ["DatabaseUnavailable", "ensure_secret_key", "migrate", "setup"]

_ready: str | None = None


class DatabaseUnavailable(SymbioseError):
    """The database cannot be reached or opened."""


def setup(db_url: str | None = None) -> dict[str, Any]:
    """Configure Django for the database ``db_url`` (or ``SYMBIOSE_DATABASE_URL``, or ``symbiose.db``).

    Returns the database configuration. Calling it again with the same URL does nothing; one
    process serves one database.

    Raises
    ------
    ValueError
        For a database URL of an unsupported kind.
    """
    global _ready
    from .dburl import DEFAULT_DB, parse_db_url

    url = db_url or os.environ.get("SYMBIOSE_DATABASE_URL") or DEFAULT_DB
    config = parse_db_url(url)  # fails here, before Django, on a bad URL
    if _ready is not None:
        if _ready != url:
            raise RuntimeError("the registry is already set up for another database in this process")
        from django.conf import settings

        return dict(settings.DATABASES["default"])
    os.environ["SYMBIOSE_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    import django

    django.setup()
    _ready = url
    return config


def migrate(verbosity: int = 0) -> None:
    """Create or bring the schema up to date (idempotent), then make sure a signing key exists.

    Raises
    ------
    DatabaseUnavailable
        If the database cannot be reached.
    """
    from django.core.management import call_command
    from django.db import OperationalError, connection

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        raise DatabaseUnavailable(" ".join(str(exc).split())) from None
    call_command("migrate", interactive=False, verbosity=verbosity)
    ensure_secret_key()


def ensure_secret_key() -> None:
    """Use ``SYMBIOSE_SECRET_KEY``, else the key kept in the database (generated on first start)."""
    from django.conf import settings
    from django.db import IntegrityError, transaction

    from .models import Setting

    if os.environ.get("SYMBIOSE_SECRET_KEY"):
        settings.SECRET_KEY = os.environ["SYMBIOSE_SECRET_KEY"]
        return
    found = Setting.objects.filter(key="secret_key").first()
    if found is None:
        try:
            with transaction.atomic():
                found = Setting.objects.create(key="secret_key", value=secrets.token_urlsafe(50))
        except IntegrityError:  # another process made it first
            found = Setting.objects.get(key="secret_key")
    settings.SECRET_KEY = found.value


def ready_for_requests(db_url: str | None = None) -> None:
    """Set up, migrate, and load the signing key: everything a server needs before its first request."""
    setup(db_url)
    migrate()
