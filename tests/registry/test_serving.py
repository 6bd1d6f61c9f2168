"""``symbiose serve --workers N``: N processes share the port; the server keeps them running and stops them.

Against the live server in a subprocess (Linux: the workers are found through ``/proc``).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from live import Server, call, prepare

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

API = "/api/v1/networks/hillerod"


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (zombies not counted)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def children_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (not gone, not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())


def test_workers_share_the_port_are_replaced_and_stop_with_the_server(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'served.db'}"
    logins = prepare(db)
    server = Server(db, workers=3).start()
    assert server.proc is not None
    try:
        assert wait_until(lambda: len(children(server.proc.pid)) == 3), children(server.proc.pid)
        workers = children(server.proc.pid)
        # every request is answered, whichever worker takes it, and each sees the same database
        replies = [call(server, "GET", f"{API}/members", logins["facilitator"]) for _ in range(12)]
        assert {r.status for r in replies} == {200}
        assert len({r.body for r in replies}) == 1

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: victim not in children(server.proc.pid) and len(children(server.proc.pid)) == 3)
        assert children(server.proc.pid) - workers  # a new worker took its place
        assert call(server, "GET", f"{API}/members", logins["facilitator"]).status == 200
        workers = children(server.proc.pid)
    finally:
        server.stop()
    assert server.proc.returncode is not None
    assert wait_until(lambda: not any(children_alive(pid) for pid in workers))


def test_killing_the_server_kills_its_workers(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'served.db'}"
    prepare(db)
    server = Server(db, workers=2).start()
    assert server.proc is not None
    assert wait_until(lambda: len(children(server.proc.pid)) == 2)
    workers = children(server.proc.pid)
    server.kill()  # SIGKILL of the parent: no chance to stop its workers itself
    assert wait_until(lambda: not any(children_alive(pid) for pid in workers), timeout=10)


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    import socket
    import subprocess

    from live import SYMBIOSE

    db = f"sqlite:///{tmp_path / 'served.db'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [SYMBIOSE, "serve", "--db", db, "--port", str(port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error:" in done.stderr and "in use" in done.stderr.lower()
