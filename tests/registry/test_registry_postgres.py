"""The registry on PostgreSQL: the server answers, and every in-process registry test passes on it.

The in-process tests of this folder run on SQLite in the main run; here they run again, in a
subprocess whose Django is set up on a fresh PostgreSQL database (``SYMBIOSE_TEST_REGISTRY_DB``).
The tests that start servers (marked ``live``) choose their backends themselves and are not repeated.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BACKEND
from pg import require_url

pytestmark = pytest.mark.skipif(BACKEND == "postgresql", reason="this is the PostgreSQL run itself")
HERE = Path(__file__).parent


def test_postgresql_answers() -> None:
    import psycopg

    url = require_url()
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            version = conn.execute("SHOW server_version_num").fetchone()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at SYMBIOSE_TEST_POSTGRES_URL cannot be reached: {exc}")
    assert version is not None and int(version[0]) >= 130000  # DROP DATABASE ... WITH (FORCE)


def test_the_registry_tests_pass_on_postgresql() -> None:
    require_url()
    env = {**os.environ, "SYMBIOSE_TEST_REGISTRY_DB": "postgresql"}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", str(HERE), "-q", "-x", "-p", "no:cacheprovider", "-m", "not live"),
            f"--ignore={Path(__file__)}",
        ],
        env=env,
        cwd=HERE.parents[1],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1], done.stdout[-2000:]
