"""The registry as people use it: Playwright driving Debian's Chromium against ``symbiose serve --demo``.

A company user logs in, uploads a sheet with mistakes, reads every mistake with its row, fixes the
sheet, submits it and sees the new version; a facilitator runs a match and opens its report; a
company user who opens another member's stream gets 404; a Danish browser gets Danish labels and
decimal commas, and a user's choice of language holds.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import Server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("SYMBIOSE_REQUIRE_BROWSER"),
        reason="Chromium is not installed (tests/run.sh installs it; CI requires it)",
    ),
]
N = "/n/hillerod"


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[Server, dict[str, tuple[str, str]]]]:
    """``symbiose serve --demo`` and the logins it printed: role -> (e-mail, password)."""
    server = Server(None, demo=True).start(timeout=300)
    logins = {}
    for line in server.seen:
        found = re.match(r"\s+(facilitator|member|planner)\s+(\S+@\S+)\s+password: (\S+)", line)
        if found:
            logins[found[1]] = (found[2], found[3])
    try:
        assert set(logins) == {"facilitator", "member", "planner"}, server.seen
        yield server, logins
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Chromium is required here (SYMBIOSE_REQUIRE_BROWSER is set)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


def login(browser: Any, server: Server, email: str, password: str, locale: str = "en-GB") -> Any:
    context = browser.new_context(locale=locale, base_url=server.url)
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto("/login/")
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/n/hillerod/$"))
    return page


SHEET_WITH_MISTAKES = (
    "stream_id,member_id,direction,resource,quantity,unit\n"
    "S11,M09,supply,wood_waste,lots,t\n"  # row 2: not a number
    "S90,M09,supply,wood_waste,250,parsecs\n"  # row 3: not a unit
    "S91,M02,supply,wood_waste,10,t\n"  # row 4: another member's id
)
FIXED_SHEET = (
    "stream_id,member_id,direction,resource,quantity,unit\n"
    "S11,M09,supply,wood_waste,4500,t\n"
    "S90,M09,supply,wood_waste,250,t\n"
)


def test_a_company_user_fixes_every_mistake_and_submits(demo: Any, browser: Any, tmp_path: Path) -> None:
    server, logins = demo
    page = login(browser, server, *logins["member"])
    page.click("text=Upload a filled-in template")
    bad = tmp_path / "our-streams.csv"
    bad.write_text(SHEET_WITH_MISTAKES, encoding="utf-8")
    page.set_input_files("#id_file", str(bad))
    page.click("button[name=submit]")
    page.wait_for_selector("#issues")
    assert "3 mistakes; nothing was stored." in page.inner_text("#issues h2")
    cells = [
        [c.inner_text().strip() for c in row.query_selector_all("td")] for row in page.query_selector_all("tr.issue")
    ]
    assert [(c[1], c[2]) for c in cells] == [("2", "quantity"), ("3", "unit"), ("4", "member_id")], cells
    assert all(c[0] == "our-streams.csv" and c[3] for c in cells)
    assert "'M02' is not your member id" in cells[2][3]
    page.goto(f"{N}/history/")
    assert page.locator("tr.version").count() == 1  # nothing stored

    good = tmp_path / "our-streams-fixed.csv"
    good.write_text(FIXED_SHEET, encoding="utf-8")
    page.goto(f"{N}/upload/")
    page.set_input_files("#id_file", str(good))
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/history/$"))
    assert "Accepted as version 2 with 2 streams." in page.inner_text(".messages")
    first = page.locator("tr.version").first.inner_text()
    assert "M09" in first and "2 (current)" in first and "our-streams-fixed.csv" in first
    page.goto(f"{N}/streams/")
    assert sorted(page.locator("tbody td:first-child a").all_inner_texts()) == ["S11", "S90"]
    page.click("text=S11")
    assert "4,500" in page.inner_text("main table") and "Version 2" in page.inner_text("main p")
    page.context.close()


def test_a_facilitator_runs_a_match_and_opens_the_result(demo: Any, browser: Any) -> None:
    server, logins = demo
    page = login(browser, server, *logins["facilitator"])
    page.click("header >> text=Match runs")
    page.fill("#id_carbon_price", "150")
    page.click("#run-match")
    page.wait_for_url(re.compile(r"/matches/\d+/$"), timeout=300_000)
    assert re.search(r"Match run #\d+", page.inner_text("h1"))
    assert "optimal" in page.inner_text("main")
    saving = page.locator("main table td").first.inner_text()
    assert re.search(r"\d", saving) and "DKK" in saving
    page.click("#open-report")
    page.wait_for_selector(".kpi-card", timeout=300_000)
    assert page.locator(".kpi-card").count() >= 3
    assert "Savværket" in page.content()  # the facilitator's report names the members
    page.context.close()


def test_a_member_gets_404_for_another_members_stream(demo: Any, browser: Any) -> None:
    server, logins = demo
    page = login(browser, server, *logins["member"])
    for path in (f"{N}/stream/S01/", f"{N}/stream/S01/edit/", f"{N}/stream/NO-SUCH/", "/n/other-network/"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        assert page.inner_text("h1") == "404" and "S01" not in page.inner_text("main")
    response = page.goto(f"{N}/audit/")
    assert response is not None and response.status == 403
    page.context.close()


def test_the_danish_page_shows_danish_labels_and_decimal_commas(demo: Any, browser: Any) -> None:
    server, logins = demo
    page = login(browser, server, *logins["member"], locale="da-DK")
    assert page.locator("html").get_attribute("lang") == "da"
    assert "Log ud" in page.inner_text("header") and "Strømme" in page.inner_text("header nav")
    page.goto(f"{N}/stream/S11/")
    table = page.inner_text("main table")
    assert "Mængde" in table and "Pr. år (basisenhed)" in table
    assert re.search(r"\d{1,3}(\.\d{3})*,\d{2} t", table), table  # 4.500,00 t: decimal comma
    assert re.search(
        r"\d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december) \d{4}",
        page.inner_text("main p"),
    )
    # the user chooses Swedish: it holds for this user, whatever the browser says
    with page.expect_navigation():
        page.select_option("header select[name=language]", "sv")
    assert page.locator("html").get_attribute("lang") == "sv" and "Mängd" in page.inner_text("main table")
    page.goto(f"{N}/streams/")
    assert page.inner_text("h1") == "Flöden"
    with page.expect_navigation():
        page.select_option("header select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.context.close()
