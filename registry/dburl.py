"""Database URLs: ``sqlite:///path``, a plain file path, or ``postgresql://user:pw@host:port/db``.

>>> parse_db_url("symbiose.db")["ENGINE"]
'django.db.backends.sqlite3'
>>> cfg = parse_db_url("postgresql://me:s%40cret@db.example:5433/net")
>>> cfg["ENGINE"], cfg["USER"], cfg["PASSWORD"], cfg["HOST"], cfg["PORT"], cfg["NAME"]
('django.db.backends.postgresql', 'me', 's@cret', 'db.example', '5433', 'net')
>>> parse_db_url("mysql://x/y")
Traceback (most recent call last):
...
ValueError: unsupported database URL scheme 'mysql': use a SQLite file path, sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["DEFAULT_DB", "describe", "parse_db_url"]

#: The embedded database of ``symbiose serve`` when no URL is given: a SQLite file in the current folder.
DEFAULT_DB = "symbiose.db"

#: SQLite: write-ahead log (readers never wait for the writer), writers queue for up to 30 s,
#: every write transaction takes the write lock at its start (no deadlocked lock upgrades).
_SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}


def parse_db_url(url: str) -> dict[str, Any]:
    """The Django ``DATABASES['default']`` entry of a database URL (or SQLite file path).

    Raises
    ------
    ValueError
        For a scheme other than sqlite or postgresql, or a PostgreSQL URL without a database name.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("", "file") or (len(scheme) == 1 and url[1:3] in (":\\", ":/")):  # a path (or C:\...)
        return _sqlite(url.removeprefix("file://") if scheme == "file" else url)
    if scheme in ("sqlite", "sqlite3"):
        path = unquote(parts.path)
        return _sqlite(path[1:] if path.startswith("/") else path)  # sqlite:///rel.db, sqlite:////abs.db
    if scheme in ("postgres", "postgresql", "pgsql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError("a PostgreSQL URL names its database: postgresql://USER:PASSWORD@HOST/DB")
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "ATOMIC_REQUESTS": False,
        }
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: use a SQLite file path, sqlite:///PATH or "
        "postgresql://USER:PASSWORD@HOST/DB"
    )


def _sqlite(path: str) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(path).absolute()),
        "OPTIONS": dict(_SQLITE_OPTIONS),
        # a connection per server thread, kept between requests (opening one costs as much as a page)
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def describe(config: dict[str, Any]) -> str:
    """The database for a log line, without its password."""
    if config["ENGINE"].endswith("sqlite3"):
        return f"SQLite {config['NAME']}"
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"PostgreSQL {config.get('USER') or ''}@{host}{port}/{config['NAME']}"
