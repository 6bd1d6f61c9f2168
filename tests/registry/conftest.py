"""The registry under test: Django on a fresh SQLite file, and a world of two networks and every role.

The world (networks, members, users, a token each) is built once per session and committed;
every test runs inside a transaction that is rolled back (Django's request signals that would
close the connection are disconnected, as django.test.TestCase does).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import scenarios

PASSWORD = "correct horse battery staple"

#: role key -> (network, role, member)
USERS = {
    "facilitator": ("hillerod", "facilitator", None),
    "member": ("hillerod", "member", "M09"),
    "member2": ("hillerod", "member", "M02"),
    "planner": ("hillerod", "planner", None),
    "other_facilitator": ("kalundborg", "facilitator", None),
    "other_member": ("kalundborg", "member", None),
}


@dataclass
class World:
    """Two networks and a user of every role; ``tokens`` by role key."""

    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    other_member_id: str = ""


_TMP = tempfile.TemporaryDirectory(prefix="symbiose-registry-tests-")


#: The database the in-process tests run on: ``sqlite`` (always), or ``postgresql`` when
#: tests/registry/test_registry_postgres.py runs this folder again against the CI server.
BACKEND = os.environ.get("SYMBIOSE_TEST_REGISTRY_DB", "sqlite")


@pytest.fixture(scope="session")
def django_ready() -> Iterator[None]:
    """Django set up on a fresh SQLite file in WAL mode (or a fresh PostgreSQL database), migrated."""
    from registry.boot import migrate, setup

    if BACKEND == "postgresql":
        from pg import create_database, drop_database

        url = create_database()
        setup(url)
        migrate()
        yield
        from django.db import connections

        connections.close_all()
        drop_database(url)
        return
    setup(f"sqlite:///{Path(_TMP.name) / 'test.db'}")
    migrate()
    yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: starts symbiose serve in a subprocess (run once, on every backend)")


@pytest.fixture(scope="session")
def world(django_ready: None) -> World:
    """hillerod (the bundled scenario) and kalundborg, with one user per role and another network's users."""
    from registry import services
    from registry.auth import new_token
    from registry.models import Member, Network

    w = World()
    for slug in ("hillerod", "kalundborg"):
        if not Network.objects.filter(slug=slug).exists():
            net = services.add_network(slug, slug.title(), "DKK")
            services.import_folder(None, net, scenarios.path(slug))
    w.other_member_id = Member.objects.filter(network__slug="kalundborg").order_by("position").first().member_id
    from django.contrib.auth import get_user_model

    for key, (slug, role, member) in USERS.items():
        email = f"{key}@test.symbiose"
        user = get_user_model().objects.filter(username=email).first()
        if user is None:
            user = services.add_user(
                email, slug, role, PASSWORD, member or (w.other_member_id if role == "member" else None)
            )
        w.emails[key] = email
        w.tokens[key] = new_token(user)
    return w


@pytest.fixture
def db(world: World) -> Iterator[World]:
    """The world, inside a transaction rolled back after the test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, transaction

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with transaction.atomic():
            yield world
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def client(db: World) -> Any:
    """A Django test client (no CSRF enforcement: bearer tokens and form posts as the browser tests do)."""
    from django.test import Client

    return Client()


def bearer(world: World, key: str | None) -> dict[str, str]:
    """Request headers for the role ``key`` (None: anonymous)."""
    return {} if key is None else {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[key]}"}


def counts() -> dict[str, int]:
    """Rows of every table that a write could change."""
    from registry.models import Link, MatchRun, Member, Network, Stream, Submission

    return {m.__name__: m.objects.count() for m in (Network, Member, Stream, Submission, Link, MatchRun)} | {
        "data_versions": sum(Network.objects.values_list("data_version", flat=True))
    }


os.environ.setdefault("SYMBIOSE_LOGIN_MAX_FAILURES", "5")
