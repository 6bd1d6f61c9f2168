"""The registry's goals, measured against ``symbiose serve`` through HTTP as its users reach it.

    python benchmarks/registry.py [--members 1000] [--clients 20] [--requests 50] [--db URL] [--workers 1] [--threads 8]

On a fresh database (a SQLite file in a temporary folder, or ``--db postgresql://...``, which must
be empty) it imports a region of ``--members`` members (``regions.py``, fixed seed) and measures:

* ``stream page``: ``--clients`` browsers, each signed in as a company user with a session, asking
  for their own stream's page ``--requests`` times one after another, all at once (latency of each
  request: p50, p95, max; and requests per second);
* ``submission 200 rows``: a company user posting a 200-row streams file to the API (validated by
  the engine's intake and stored as a new version), ``--repeat`` times;
* ``match``: the facilitator's ``POST /api/v1/networks/{slug}/matches`` on the whole registry (the
  snapshot, the solve, the stored run; end to end), then one member's submission changing one
  stream's quantity and the same request again (``match after one submission``; the server keeps
  the first run's model and re-solves it warm, ``registry/warm.py``: the path each run took is read
  from the stored runs).

Times are wall-clock seconds on the machine it runs on; it prints a markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
# this script is named like the package: the package is imported first, then the script's folder
# joins the path for the benchmark generators (and the live-server helpers of the tests)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import registry.boot  # noqa: E402, F401

sys.path += [str(HERE), str(HERE.parent / "tests" / "registry")]

from live import Server, call, streams_csv, submit  # noqa: E402
from regions import region  # noqa: E402

PASSWORD = "correct horse battery staple"
SLUG = "bench"


def scenario_folder(members: int, folder: Path) -> Path:
    """The region as a scenario folder."""
    scenario, network = region(members, seed=7)
    network.to_csv(folder)
    doc = {
        "name": scenario.name,
        "currency": "EUR",
        "members": "members.csv",
        "streams": "streams.csv",
        "parameters": {"max_distance_km": 60},
    }
    (folder / "scenario.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder


def prepare(db: str, folder: Path, clients: int) -> dict[str, Any]:
    """Import the region, add a facilitator and ``clients + 2`` company users; tokens and stream ids."""
    from registry.boot import migrate, setup

    setup(db)
    migrate()
    from registry import services
    from registry.auth import new_token
    from registry.models import Stream

    network = services.add_network(SLUG, "Benchmark region", "EUR")
    services.import_folder(None, network, folder)
    facilitator = services.add_user("facilitator@bench.test", SLUG, "facilitator", PASSWORD)
    owners = list(
        Stream.objects.filter(network=network, current=True)
        .order_by("member__position", "position")
        .values_list("member__member_id", "stream_id")
    )
    first: dict[str, str] = {}
    for member_id, stream_id in owners:
        first.setdefault(member_id, stream_id)
    chosen = list(first.items())[: clients + 2]
    users = []
    for member_id, stream_id in chosen:
        email = f"{member_id.lower()}@bench.test"
        user = services.add_user(email, SLUG, "member", PASSWORD, member_id)
        users.append({"member": member_id, "stream": stream_id, "email": email, "token": new_token(user)})
    return {"facilitator": new_token(facilitator), "users": users}


# ----------------------------------------------------------------------------------- stream pages
class Browser:
    """One signed-in browser on one kept-alive connection."""

    def __init__(self, server: Server, email: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        self.cookies: dict[str, str] = {}
        page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        form = urlencode({"csrfmiddlewaretoken": token[1].decode(), "email": email, "password": PASSWORD})
        self.request("POST", "/login/", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}, 302)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None, want: int = 200
    ) -> bytes:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers = {"Cookie": cookie, "Referer": f"http://127.0.0.1:{self.conn.port}/", **(headers or {})}
        self.conn.request(method, path, body=body, headers=all_headers)
        response = self.conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status != want:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return data


def stream_pages(server: Server, users: list[dict[str, Any]], requests: int, think: float) -> dict[str, float]:
    browsers = [Browser(server, u["email"]) for u in users]
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(browsers))

    def client(browser: Browser, user: dict[str, Any]) -> None:
        path = f"/n/{SLUG}/stream/{user['stream']}/"
        browser.request("GET", path)  # warm
        start.wait()
        mine = []
        pause = np.random.default_rng(len(user["stream"])).uniform(0, 2 * think, requests) if think else None
        for k in range(requests):
            t = time.perf_counter()
            page = browser.request("GET", path)
            mine.append(time.perf_counter() - t)
            assert user["stream"].encode() in page
            if pause is not None:
                time.sleep(pause[k])
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(b, u)) for b, u in zip(browsers, users)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
        "requests": len(ms),
        "per_s": len(ms) / wall,
    }


# ----------------------------------------------------------------------------------- writes
def submissions(server: Server, user: dict[str, Any], rows: int, repeat: int) -> list[float]:
    rng = np.random.default_rng(1)
    times = []
    for k in range(repeat):
        lines = ["stream_id,member_id,direction,resource,quantity,unit"]
        quantities = np.round(rng.lognormal(5, 0.8, rows), 1)
        lines += [f"B{k}-{i},{user['member']},supply,wood_waste,{q},t" for i, q in enumerate(quantities)]
        t = time.perf_counter()
        reply = submit(server, user["token"], "\n".join(lines) + "\n", slug=SLUG)
        times.append(time.perf_counter() - t)
        if reply.status != 201 or reply.json()["streams"] != rows:
            raise RuntimeError(f"submission refused: {reply.status} {reply.body[:300]!r}")
    return times


def match(server: Server, token: str) -> tuple[float, dict[str, Any]]:
    t = time.perf_counter()
    reply = call(server, "POST", f"/api/v1/networks/{SLUG}/matches", token, b"{}", "application/json", timeout=1800)
    seconds = time.perf_counter() - t
    if reply.status != 201:
        raise RuntimeError(f"match refused: {reply.status} {reply.body[:300]!r}")
    return seconds, reply.json()


def run_paths(ids: list[int]) -> list[str]:
    """How each stored run was solved (``warm`` or ``cold``: registry.warm), read from the database."""
    from registry.models import MatchRun

    timings = dict(MatchRun.objects.filter(pk__in=ids).values_list("pk", "timings"))
    return [str((timings.get(i) or {}).get("path", "?")) for i in ids]


def one_change(server: Server, user: dict[str, Any]) -> None:
    path = f"/api/v1/networks/{SLUG}/streams"
    rows = call(server, "GET", path, user["token"]).json()
    changed = {rows[0]["stream_id"]}
    reply = submit(
        server,
        user["token"],
        streams_csv(rows, lambda r: r["quantity"] * 0.9 if r["stream_id"] in changed else r["quantity"]),
        slug=SLUG,
    )
    if reply.status != 201:
        raise RuntimeError(f"submission refused: {reply.status} {reply.body[:300]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="stream pages per client")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause between one client's pages (s); 0: none, as fast as served"
    )
    parser.add_argument("--rows", type=int, default=200, help="rows of the submitted file")
    parser.add_argument("--repeat", type=int, default=5, help="submissions timed")
    parser.add_argument("--threads", type=int, default=8, help="server threads per worker")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (serve --workers)")
    parser.add_argument("--db", help="an empty PostgreSQL database (default: a fresh SQLite file)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="symbiose-bench-") as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        folder = scenario_folder(args.members, Path(tmp) / "region")
        t = time.perf_counter()
        logins = prepare(db, folder, args.clients)
        imported = time.perf_counter() - t
        server = Server(db, threads=args.threads, workers=args.workers).start(timeout=300)
        try:
            cold, doc = match(server, logins["facilitator"])
            one_change(server, logins["users"][-1])
            again, doc2 = match(server, logins["facilitator"])
            writes = submissions(server, logins["users"][-2], args.rows, args.repeat)
            pages = stream_pages(server, logins["users"][: args.clients], args.requests, 0.0)
            paced = (
                stream_pages(server, logins["users"][: args.clients], args.requests, args.think) if args.think else None
            )
        finally:
            server.stop()
        paths = run_paths([doc["id"], doc2["id"]])
    figures = {
        "database": "PostgreSQL" if args.db else "SQLite (WAL)",
        "workers": args.workers,
        "members": args.members,
        "import_s": imported,
        "match_s": cold,
        "match_after_one_submission_s": again,
        "match_paths": paths,
        "exchanges": len(doc["result"].get("exchanges", [])),
        "versions": [doc["version"], doc2["version"]],
        "submission_s": writes,
        "stream_page": pages,
        "stream_page_paced": paced,
        "think_s": args.think,
        "clients": args.clients,
        "threads": args.threads,
    }
    server = f"{args.workers} x {args.threads} server threads"
    print(f"| registry ({figures['database']}, {args.members} members, {server}) | figure |")
    print("|---|---|")
    print(f"| import of the region and {args.clients + 3} users (in process) | {imported:.2f} s |")
    print(f"| match, end to end (POST .../matches, {figures['exchanges']} exchanges) | {cold:.2f} s |")
    print(f"| match after one member's submission ({paths[1]} path) | {again:.2f} s |")
    print(
        f"| submission of {args.rows} rows (POST .../submissions), median of {args.repeat} | "
        f"{statistics.median(writes):.3f} s (max {max(writes):.3f} s) |"
    )
    print(
        f"| stream page, {args.clients} concurrent clients x {args.requests} | p50 {pages['p50_ms']:.0f} ms, "
        f"p95 {pages['p95_ms']:.0f} ms, max {pages['max_ms']:.0f} ms, {pages['per_s']:.0f} requests/s |"
    )
    if paced:
        print(
            f"| stream page, {args.clients} clients pausing {args.think:g} s on average | "
            f"p50 {paced['p50_ms']:.0f} ms, "
            f"p95 {paced['p95_ms']:.0f} ms, max {paced['max_ms']:.0f} ms, {paced['per_s']:.0f} requests/s |"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
