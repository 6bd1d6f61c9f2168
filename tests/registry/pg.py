"""PostgreSQL for the registry tests: a fresh database per run, made from the URL that CI exports.

``SYMBIOSE_TEST_POSTGRES_URL`` (``.ci/postgres.sh`` prints it) names a server and a role that may
create databases; each run gets a database of its own, dropped at the end, so runs side by side
never share rows. ``SYMBIOSE_REQUIRE_POSTGRES=1`` (CI) turns a missing or unreachable server into a
failure instead of a skip.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest

URL = os.environ.get("SYMBIOSE_TEST_POSTGRES_URL", "")
REQUIRED = os.environ.get("SYMBIOSE_REQUIRE_POSTGRES") == "1"


def with_database(url: str, name: str) -> str:
    """``url`` naming the database ``name`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def require_url() -> str:
    """The server's URL, or a skip (a failure when PostgreSQL is required)."""
    if not URL:
        message = "SYMBIOSE_TEST_POSTGRES_URL is not set (tests/run.sh starts PostgreSQL as root; CI requires it)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    return URL


def create_database() -> str:
    """A new, empty database on the test server; its URL."""
    import psycopg

    name = f"symbiose_t_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(require_url(), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(URL, name)


def drop_database(url: str) -> None:
    """Drop a database that :func:`create_database` made (closing whatever is still connected)."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    assert name.startswith("symbiose_t_"), name
    with psycopg.connect(URL, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
