"""One proposal from published to implemented, as people do it: Playwright on Debian's Chromium, two companies.

The registry is prepared with its own commands (the bundled Hillerød network, a facilitator and the two
companies of the S11 -> D03 exchange) and served by ``symbiose serve``; the facilitator runs a match and
publishes it, each company answers in its own browser and sees the other's name only once both said
interested, one marks it agreed, the other implemented with the actual quantity and start date.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import scenarios

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SYMBIOSE = str(Path(sys.executable).with_name("symbiose"))
PASSWORD = "correct horse battery staple"
USERS = {"facilitator": None, "supplier": "M09", "receiver": "M02"}
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("SYMBIOSE_REQUIRE_BROWSER"),
    reason="Chromium is not installed (tests/run.sh installs it; CI requires it)",
)


def _env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("SYMBIOSE_DATABASE_URL", "DJANGO_SETTINGS_MODULE")},
        "SYMBIOSE_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def _registry(db: str, *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [SYMBIOSE, "registry", "--db", db, *args], input=stdin, capture_output=True, text=True, env=_env(), timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``symbiose serve`` on a prepared database; its URL and database."""
    db = f"sqlite:///{tmp_path_factory.mktemp('proposals-live') / 'live.db'}"
    _registry(db, "network", "add", "hillerod", "--name", "Hillerød", "--currency", "DKK")
    _registry(db, "import", "hillerod", str(scenarios.path("hillerod")))
    for key, member in USERS.items():
        role = "facilitator" if member is None else "member"
        extra = ["--member", member] if member else []
        _registry(
            db,
            "user",
            "add",
            f"{key}@live.symbiose",
            "--network",
            "hillerod",
            "--role",
            role,
            *extra,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [SYMBIOSE, "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}/login/", timeout=2)
                break
            except OSError:
                assert proc.poll() is None, "the server stopped"
                time.sleep(0.2)
        yield url, db
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Chromium is required here (SYMBIOSE_REQUIRE_BROWSER is set)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


def login(browser: Any, url: str, key: str) -> Any:
    page = browser.new_context(locale="en-GB", base_url=url).new_page()
    page.set_default_timeout(180_000)
    page.goto("/login/")
    page.fill("#id_email", f"{key}@live.symbiose")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/n/hillerod/$"))
    return page


def test_one_proposal_from_published_to_implemented_with_two_companies(
    browser: Any, server: tuple[str, str], tmp_path: Path
) -> None:
    server, db = server
    facilitator = login(browser, server, "facilitator")
    facilitator.goto("/n/hillerod/matches/")
    facilitator.click("#run-match")
    facilitator.wait_for_url(re.compile(r"/matches/\d+/$"))
    facilitator.click("#publish")
    facilitator.wait_for_url(re.compile(r"/proposals/$"))
    assert "Published" in facilitator.inner_text(".messages")

    supplier = login(browser, server, "supplier")
    assert "Inbox (" in supplier.inner_text("header")
    supplier.click("text=Proposals")
    rows = supplier.locator("tr.proposal")
    assert rows.count() == 1 and "wood_waste" in rows.first.inner_text()
    assert "hidden until both are interested" in rows.first.inner_text()
    supplier.locator("tr.proposal a").first.click()
    supplier.wait_for_url(re.compile(r"/proposals/\d+/$"))
    proposal = supplier.url
    receiver_name, supplier_name = "Fjernvarme Hillerød-egnen", "Savværket Skovkanten"  # M02, M09
    text = supplier.inner_text("main")
    assert "hidden until both are interested" in supplier.inner_text("#other-side")
    assert "M02" not in text and receiver_name not in text
    supplier.check("input[name=answer][value=interested]")
    supplier.click("#send-answer")
    supplier.wait_for_selector(".messages")
    assert supplier.inner_text("#my-answer").strip() == "interested"
    assert "hidden until both are interested" in supplier.inner_text("#other-side")

    receiver = login(browser, server, "receiver")
    receiver.goto(proposal.replace(server, ""))
    assert "hidden until both are interested" in receiver.inner_text("#other-side")
    receiver.check("input[name=answer][value=interested]")
    receiver.fill("#comment", "We can take it from March.")
    receiver.click("#send-answer")
    receiver.wait_for_selector(".messages")
    assert receiver.inner_text("#status").strip() == "in dialogue"
    assert supplier_name in receiver.inner_text("#other-side")

    supplier.reload()
    assert receiver_name in supplier.inner_text("#other-side")
    assert "receiver@live.symbiose" in supplier.inner_text("#other-side")
    supplier.select_option("#new-status", "agreed")
    supplier.click("#save-status")
    supplier.wait_for_selector(".messages")
    assert supplier.inner_text("#status").strip() == "agreed"

    receiver.reload()
    receiver.select_option("#new-status", "implemented")
    receiver.fill("#quantity", "4200,5")
    receiver.fill("#date", "2025-03-01")
    receiver.click("#save-status")
    receiver.wait_for_selector(".messages")
    assert receiver.inner_text("#status").strip() == "implemented"
    assert "4,200.5" in receiver.inner_text("main") or "4200.5" in receiver.inner_text("main")

    facilitator.goto("/n/hillerod/follow-up/")
    assert "implemented (1)" in facilitator.inner_text("main")
    facilitator.goto("/n/hillerod/impact/")
    assert "2025" in facilitator.inner_text("#impact")
    facilitator.goto(proposal.replace(server, ""))
    steps = facilitator.inner_text("#history")
    for who in ("facilitator@live.symbiose", "supplier@live.symbiose", "receiver@live.symbiose"):
        assert who in steps

    # the same realised impact from the command line, as JSON and as a table
    import json

    done = subprocess.run(
        [SYMBIOSE, "registry", "--db", db, "impact", "hillerod"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    first = doc["years"][0]
    assert first["year"] == 2025 and first["kpis"]["exchanges"] == 1 and first["kpis"]["members_involved"] == 2
    share = (dt.date(2025, 12, 31) - dt.date(2025, 3, 1)).days + 1
    assert first["kpis"]["waste_diverted_t"] == pytest.approx(4200.5 * share / 365)
    out = tmp_path / "impact.csv"
    done = subprocess.run(
        [SYMBIOSE, "registry", "--db", db, "impact", "hillerod", "--out", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0 and out.read_text(encoding="utf-8").startswith("year,kpi,value,unit,sdg_target")
    bad = subprocess.run(
        [SYMBIOSE, "registry", "--db", db, "impact", "hillerod", "--out", str(tmp_path / "x.txt")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
