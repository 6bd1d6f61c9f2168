"""Serving the registry: waitress in this process, or in several worker processes sharing one socket.

One Python process runs one page at a time (the GIL), so a server with ``workers`` > 1 forks
that many copies of the loaded application after binding its socket: the kernel hands each
new connection to whichever worker accepts it first. Every worker is the same waitress server
with the same limits; the database is the only state they share (sessions, rate-limit counts
and audit events live there), and each opens its own connections after the fork. The parent
only supervises: a worker that dies is started again (unless workers keep dying at once, when
the server stops), SIGTERM or SIGINT stops them all, and a worker whose parent is gone stops.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["bind", "serve"]

#: A worker that dies this soon after it started counts as failing at start.
_EARLY_DEATH_SECONDS = 5.0
#: The server stops after this many workers in a row failed at start.
_MAX_EARLY_DEATHS = 5


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (IPv4 or IPv6), inheritable by forked workers.

    Raises
    ------
    OSError
        If the address cannot be resolved or is taken.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def serve(application: Any, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve ``application`` with waitress on ``host``:``port`` in ``workers`` processes (1: this one).

    ``options`` are waitress's (threads, body size limit, ...), the same in every worker.
    """
    import waitress

    if workers == 1:
        waitress.serve(application, host=host, port=port, **options)
        return
    if not hasattr(os, "fork"):
        raise OSError("--workers above 1 needs a system with fork (Linux, macOS); use --workers 1")
    sock = bind(host, port)
    from django.db import connections

    connections.close_all()  # each worker opens its own: a connection must never cross a fork

    def worker() -> None:
        parent = os.getppid()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _die_with_parent()
        threading.Thread(target=_exit_without_parent, args=(parent,), daemon=True).start()
        try:
            waitress.serve(application, sockets=[sock], **options)
        finally:
            os._exit(0)

    _supervise(worker, workers)


def _die_with_parent() -> None:
    """On Linux, have the kernel SIGKILL this worker the moment its parent dies (a killed server leaves
    no worker that could still finish a request); elsewhere the polling thread stops it within a second."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _exit_without_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _supervise(worker: Callable[[], None], count: int) -> None:
    """Keep ``count`` forked workers running until SIGTERM or SIGINT; then stop them and return."""
    started: dict[int, float] = {}
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:
            worker()  # never returns
        started[pid] = time.monotonic()

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in started:
            _signal(pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    early = 0
    try:
        for _ in range(count):
            start()
        while started:
            try:
                pid, _status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            began = started.pop(pid, None)
            if began is None or stopping:
                continue
            early = early + 1 if time.monotonic() - began < _EARLY_DEATH_SECONDS else 0
            if early >= _MAX_EARLY_DEATHS:
                print("symbiose serve: workers keep failing at start; stopping", file=sys.stderr)
                stop(signal.SIGTERM, None)
                continue
            start()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for pid in list(started):
            _signal(pid, signal.SIGTERM)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
