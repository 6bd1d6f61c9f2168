"""Many members submitting at once while matches run, and a server killed in the middle of a submission.

Against a real ``symbiose serve`` (waitress, 8 threads) on SQLite in WAL mode and on PostgreSQL:
every accepted submission is a version of its own, nothing is lost or mixed (each match run solved
exactly the data of the version it records, rebuilt here from the stored history), and a server
killed with SIGKILL while a submission is written but not committed keeps the previous version
whole and takes the next submission as if nothing had happened.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from live import Server, call, prepare, streams_csv, submit
from pg import create_database, drop_database, require_url

pytestmark = pytest.mark.live
API = "/api/v1/networks/hillerod"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}"
        return
    require_url()
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


def rows_of(db: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the server's database, read directly (not through the server)."""
    if db.startswith("sqlite"):
        with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
            return list(conn.execute(sql))
    import psycopg

    with psycopg.connect(db) as conn:
        return list(conn.execute(sql))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def check_runs_saw_whole_versions(db: str) -> int:
    """Every match run's streams are exactly those current at its data version; the number of runs."""
    members = dict(rows_of(db, "SELECT id, member_id FROM registry_member"))
    subs = rows_of(
        db, "SELECT id, member_id, data_version FROM registry_submission WHERE state = 'accepted' ORDER BY data_version"
    )
    by_sub: dict[int, dict[str, float]] = {}
    for sub_id, stream_id, quantity in rows_of(db, "SELECT submission_id, stream_id, quantity FROM registry_stream"):
        by_sub.setdefault(sub_id, {})[stream_id] = float(quantity)
    runs = rows_of(db, "SELECT id, data_version, inputs FROM registry_matchrun")
    for run_id, version, inputs in runs:
        current: dict[int, int] = {}
        for sub_id, member, data_version in subs:
            if data_version <= version:
                current[member] = sub_id  # the latest accepted version of each member at the run's version
        expected = {s: q for sub_id in current.values() for s, q in by_sub.get(sub_id, {}).items()}
        frame = pd.read_csv(io.StringIO(_json(inputs)["streams.csv"]), dtype={"stream_id": str})
        seen = dict(zip(frame["stream_id"], frame["quantity"].astype(float)))
        assert seen == expected, f"run {run_id} at data version {version} solved streams of other versions"
        assert set(frame["member_id"]) <= set(members.values())
    return len(runs)


def test_members_submit_at_once_while_matches_run(database: str) -> None:
    logins = prepare(database)
    server = Server(database, threads=8, workers=2).start()  # two processes writing at once
    try:
        first = {m: call(server, "GET", f"{API}/streams", t).json() for m, t in list(logins["members"].items())[:8]}
        start_version = call(server, "GET", f"{API}/submissions", logins["facilitator"]).json()
        errors: list[str] = []
        accepted: dict[str, list[tuple[int, float]]] = {m: [] for m in first}

        def member(member_id: str, worker: int) -> None:
            token = logins["members"][member_id]
            for k in range(2):
                marker = 1000.0 + 10 * worker + k  # which submission a quantity came from
                reply = submit(server, token, streams_csv(first[member_id], lambda _r, m=marker: m))
                if reply.status != 201:
                    errors.append(f"{member_id}: {reply.status} {reply.body[:300]!r}")
                    continue
                doc = reply.json()
                assert doc["streams"] == len(first[member_id])
                accepted[member_id].append((doc["version"], marker))

        def facilitator() -> None:
            for _ in range(3):
                reply = call(server, "POST", f"{API}/matches", logins["facilitator"], b"{}", "application/json")
                if reply.status != 201:
                    errors.append(f"match: {reply.status} {reply.body[:300]!r}")

        threads = [threading.Thread(target=facilitator)]
        threads += [threading.Thread(target=member, args=(m, w)) for m in first for w in (0, 1)]  # two clients each
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=900)
        assert not errors, errors
        for member_id, streams in first.items():
            versions = sorted(accepted[member_id])
            assert [v for v, _ in versions] == [2, 3, 4, 5], (member_id, versions)  # each its own version
            last_marker = versions[-1][1]
            now = call(server, "GET", f"{API}/streams", logins["members"][member_id]).json()
            assert sorted(s["stream_id"] for s in now) == sorted(s["stream_id"] for s in streams)
            assert {s["quantity"] for s in now} == {last_marker}  # the last version whole, nothing of another
        history = call(server, "GET", f"{API}/submissions", logins["facilitator"]).json()
        known = {h["id"] for h in start_version}
        new = [h for h in history if h["state"] == "accepted" and h["id"] not in known]
        assert len(new) == 4 * len(first)
        assert len({h["data_version"] for h in new}) == len(new)  # one data version per accepted change
        assert min(h["data_version"] for h in new) > max(h["data_version"] for h in start_version)
        currents = [h["member_id"] for h in history if h["current"]]
        assert len(currents) == len(set(currents))
    finally:
        server.stop()
    assert check_runs_saw_whole_versions(database) == 3


@pytest.mark.parametrize("workers", [1, 2])
def test_a_server_killed_during_a_submission_keeps_the_previous_version(database: str, workers: int) -> None:
    logins = prepare(database)
    member_id, token = next(iter(logins["members"].items()))
    # with workers, the server's own process is killed: the worker writing the submission must die with it
    server = Server(database, env={"SYMBIOSE_FAULT_PAUSE_IN_SUBMISSION": "120"}, workers=workers).start()
    try:
        before = call(server, "GET", f"{API}/streams", token).json()
        history = call(server, "GET", f"{API}/submissions", token).json()
        outcome: list[Any] = []

        def doomed() -> None:
            try:
                outcome.append(submit(server, token, streams_csv(before, lambda _r: 777.0), timeout=200))
            except OSError as exc:  # the connection dies with the server
                outcome.append(exc)

        t = threading.Thread(target=doomed)
        t.start()
        server.wait_for("fault: submission written, not committed", timeout=120)
        server.kill()
        t.join(timeout=60)
        assert outcome and isinstance(outcome[0], OSError), outcome
    finally:
        server.stop()
    server = Server(database).start()  # the same database, no fault
    try:
        assert call(server, "GET", f"{API}/streams", token).json() == before
        assert call(server, "GET", f"{API}/submissions", token).json() == history
        after = submit(server, token, streams_csv(before, lambda _r: 778.0))
        assert after.status == 201 and after.json()["version"] == history[0]["version"] + 1
        assert {s["quantity"] for s in call(server, "GET", f"{API}/streams", token).json()} == {778.0}
    finally:
        server.stop()
    if database.startswith("sqlite"):
        assert rows_of(database, "PRAGMA integrity_check") == [("ok",)]
    stored = rows_of(database, "SELECT quantity FROM registry_stream WHERE quantity = 777.0")
    assert stored == []  # nothing of the killed submission was kept
    assert member_id


def _raw(server: Server, head: bytes, chunks: list[bytes]) -> bytes:
    """Send a request by hand (a length far beyond the body, or a body in chunks) and read the answer."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
        s.sendall(head)
        try:
            for chunk in chunks:
                s.sendall(chunk)
        except OSError:  # the server stopped reading: it has answered already
            pass
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except OSError:
            pass
    return answer


def test_huge_uploads_are_refused_before_they_are_read(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'big.db'}"
    logins = prepare(db)
    token = next(iter(logins["members"].values()))
    server = Server(db, env={"SYMBIOSE_MAX_UPLOAD_BYTES": "100000"}).start()
    head = (
        f"POST {API}/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: multipart/form-data; boundary=zz\r\n"
    ).encode()
    try:
        # a length of 10 GB announced: refused at once, nothing read
        answer = _raw(server, head + b"Content-Length: 10000000000\r\n\r\n", [b"x" * 1000])
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        # no length, 400 kB in chunks: the server stops at the limit
        piece = b"x" * 40_000
        chunks = [b"%x\r\n%s\r\n" % (len(piece), piece)] * 10 + [b"0\r\n\r\n"]
        answer = _raw(server, head + b"Transfer-Encoding: chunked\r\n\r\n", chunks)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        # just below the limit the upload is read, and its mistakes listed
        small = submit(server, token, "stream_id,member_id\n" + "S1,\n" * 10_000)
        assert small.status == 422 and small.json()["errors"]
    finally:
        server.stop()
    assert rows_of(db, "SELECT count(*) FROM registry_submission WHERE version > 1") == [(0,)]
