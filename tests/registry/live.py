"""``symbiose serve`` in a subprocess, and a small HTTP client for it (tests that need a real server).

:class:`Server` starts the registry on a database URL and a free port, reads what it prints, and
can be stopped or killed (SIGKILL) and started again on the same database. :func:`prepare` fills
a fresh database in a subprocess of its own (the test process keeps its own Django database):
the bundled Hillerød network, a facilitator and one company user per member, and their tokens.
Run as a script (``python live.py URL``) it does the same and prints the logins as JSON.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SYMBIOSE = str(Path(sys.executable).with_name("symbiose"))
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """The registry served by waitress in a child process."""

    db: str | None
    env: dict[str, str] = field(default_factory=dict)
    demo: bool = False
    threads: int = 8
    workers: int = 1
    port: int = 0
    proc: subprocess.Popen[str] | None = None
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    _readers: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> Server:
        """Start and wait until the port answers."""
        self.port = free_port()
        args = [SYMBIOSE, "serve", "--port", str(self.port), "--threads", str(self.threads)]
        args += ["--workers", str(self.workers)]
        args += ["--demo"] if self.demo else ["--db", str(self.db)]
        # the test process's own database and test hooks stay out of the server
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SYMBIOSE_FAULT") and k not in ("SYMBIOSE_DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        }
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "SYMBIOSE_ALLOWED_HOSTS": "127.0.0.1,localhost", **self.env},
        )
        self._readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.proc.stdout, self.proc.stderr)
        ]
        for reader in self._readers:
            reader.start()
        self.wait_for("serving on", timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"the server did not start: {self.seen[-20:]}") from None
                time.sleep(0.1)

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first line (from now, or seen already) that holds ``text``."""
        for line in self.seen:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the server never said {text!r}; it said: {self.seen[-20:]}")
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.proc is not None and self.proc.poll() is not None and self.lines.empty():
                    raise RuntimeError(f"the server ended ({self.proc.returncode}): {self.seen[-20:]}") from None
                continue
            self.seen.append(line)
            if text in line:
                return line

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind in the server."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        assert self.proc is not None
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
                return
            self._close()


# ----------------------------------------------------------------------------------- HTTP
@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    server: Server,
    method: str,
    path: str,
    token: str | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
    timeout: float = 300,
) -> Reply:
    """One request; any HTTP status is a reply, a dropped connection an exception."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(server.url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read())


def submit(
    server: Server, token: str, csv_text: str, name: str = "streams.csv", timeout: float = 300, slug: str = "hillerod"
) -> Reply:
    """``POST .../submissions`` with the file as the multipart field ``file``."""
    boundary = secrets.token_hex(16)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n{csv_text}\r\n--{boundary}--\r\n"
    ).encode()
    return call(
        server,
        "POST",
        f"/api/v1/networks/{slug}/submissions",
        token,
        body,
        f"multipart/form-data; boundary={boundary}",
        timeout,
    )


def streams_csv(rows: list[dict[str, Any]], quantity: Any) -> str:
    """A member's streams (as the API gives them) as the template's CSV, every quantity set by ``quantity(row)``."""
    import csv
    import io

    columns = ["stream_id", "member_id", "direction", "resource", "quantity", "unit"]
    columns += sorted({k for r in rows for k in r} - {*columns, "quantity_base", "base_unit"})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([quantity(row) if c == "quantity" else row.get(c, "") for c in columns])
    return out.getvalue()


# ----------------------------------------------------------------------------------- setup
def prepare(db: str) -> dict[str, Any]:
    """Fill the database ``db`` (migrated first): hillerod, a facilitator, a company user per member with streams.

    Returns ``{"facilitator": token, "members": {member_id: token}}``.
    """
    done = subprocess.run(
        [sys.executable, __file__, db],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k not in ("SYMBIOSE_DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _prepare_here(db: str) -> dict[str, Any]:
    from registry.boot import migrate, setup

    setup(db)
    migrate()
    import scenarios
    from registry import services
    from registry.auth import new_token
    from registry.models import Stream

    network = services.add_network("hillerod", "Hillerød", "DKK")
    services.import_folder(None, network, scenarios.path("hillerod"))
    facilitator = services.add_user("facilitator@live.test", "hillerod", "facilitator", PASSWORD)
    members = {}
    for member_id in sorted(set(Stream.objects.filter(current=True).values_list("member__member_id", flat=True))):
        user = services.add_user(f"{member_id.lower()}@live.test", "hillerod", "member", PASSWORD, member_id)
        members[member_id] = new_token(user)
    return {"facilitator": new_token(facilitator), "members": members}


if __name__ == "__main__":
    print(json.dumps(_prepare_here(sys.argv[1])))
