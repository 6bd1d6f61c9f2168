"""Reports as a person sees them: rendered in headless Chromium, offline, and anonymised without leaks."""

from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import matcher
from matcher import compare, write_comparison, write_report
from matcher.cli import main
from matcher.results.kpis import CAPACITY_KPIS
from models import load

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = Path(os.environ.get("SYMBIOSE_ARTEFACTS", Path(__file__).parent / "artefacts"))

needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("SYMBIOSE_REQUIRE_BROWSER"),
    reason="Chromium is not installed (tests/run.sh installs it; CI requires it)",
)


def _open(path: Path, screenshot: Path | None = None) -> dict:
    """Load a page in headless Chromium with the network cut off; count what rendered."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "Chromium is required here (SYMBIOSE_REQUIRE_BROWSER is set)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(".sankey .sankey-node", timeout=20_000)
        counts = page.evaluate("""() => ({
            cards: document.querySelectorAll('.kpi-card').length,
            sections: [...document.querySelectorAll('section.scenario')].map(s => ({
                members: +s.dataset.members, exchanges: +s.dataset.exchanges,
                maps: s.querySelectorAll('.map .main-svg').length,
                memberPoints: [...s.querySelectorAll('.map .plotly-graph-div')].map(
                    el => el._fullData.filter(t => t.meta === 'members').map(t => t.x.length)).flat(),
                exchangePoints: [...s.querySelectorAll('.map .plotly-graph-div')].map(
                    el => el._fullData.filter(t => t.meta === 'exchanges').map(t => t.x.length)).flat(),
                drawnMembers: s.querySelectorAll('.map .scatterlayer .trace:last-child .points path').length,
                coastTraces: [...s.querySelectorAll('.map .plotly-graph-div')].map(
                    el => el._fullData.findIndex(t => t.meta === 'coast')),
                coastRings: [...s.querySelectorAll('.map .plotly-graph-div')].map(el => el._fullData
                    .filter(t => t.meta === 'coast')
                    .map(t => t.x.filter(v => v === null || Number.isNaN(v)).length + 1)).flat(),
                coastPaths: s.querySelectorAll('.map .scatterlayer .trace:first-child path.js-line').length,
                coastFills: s.querySelectorAll('.map .scatterlayer .trace:first-child path.js-fill').length,
                factorRows: s.querySelectorAll('.factors table.data tbody tr').length,
                priceRows: s.querySelectorAll('.prices table.data tbody tr').length,
                sankeyNodes: s.querySelectorAll('.sankey .sankey-node').length,
                sankeyLinks: s.querySelectorAll('.sankey .sankey-link').length,
            })),
        })""")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    counts["external"] = [u for u in requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    counts["errors"] = errors
    return counts


@needs_browser
@pytest.mark.parametrize("name", ["hillerod", "kalundborg"])
def test_report_renders_offline_with_every_part(tmp_path: Path, name: str) -> None:
    scenario, net = load(Path(__file__).parents[2] / "scenarios" / name)
    result = matcher.match(net, scenario)
    page = write_report(result, tmp_path / "report.html")
    seen = _open(page, ARTEFACTS / f"report-{name}.png")
    assert seen["external"] == [] and seen["errors"] == []
    # every KPI has its card; the shared capacities' cards only where the network has capacities
    shown = len(result.kpis) - (0 if net.streams["category"].eq("capacity").any() else len(CAPACITY_KPIS))
    assert seen["cards"] == shown == {"hillerod": 17, "kalundborg": 11}[name]
    (section,) = seen["sections"]
    assert section["members"] == len(net.members) and section["exchanges"] == len(result.exchanges)
    assert section["maps"] >= 1
    assert section["memberPoints"] == [len(net.members)]
    assert section["drawnMembers"] == len(net.members)
    assert section["exchangePoints"] == [len(result.exchanges)]
    assert section["sankeyNodes"] > 0 and section["sankeyLinks"] >= len(result.exchanges)
    assert (ARTEFACTS / f"report-{name}.png").stat().st_size > 10_000
    assert section["factorRows"] == len(result.factors) > 50
    assert section["priceRows"] == len(result.exchanges)


@needs_browser
@pytest.mark.parametrize(("name", "least"), [("hillerod", 3), ("kalundborg", 10)])
def test_the_map_draws_the_coastline_under_the_members_and_fetches_nothing(
    tmp_path: Path, name: str, least: int
) -> None:
    """The shipped Natural Earth outlines: one drawn path per ring in view, the first trace (under the rest)."""
    scenario, net = load(Path(__file__).parents[2] / "scenarios" / name)
    page = write_report(matcher.match(net, scenario), tmp_path / "report.html")
    seen = _open(page, ARTEFACTS / f"map-{name}.png")
    assert seen["external"] == [] and seen["errors"] == []
    (section,) = seen["sections"]
    assert section["coastTraces"] == [0]  # drawn first, so members and exchanges lie above it
    (rings,) = section["coastRings"]
    assert rings >= least and section["coastPaths"] == rings and section["coastFills"] >= 1
    assert section["drawnMembers"] == len(net.members)  # the members stay the top trace


@needs_browser
def test_comparison_page_shows_both_scenarios_side_by_side(tmp_path: Path) -> None:
    runner = CliRunner()
    root = Path(__file__).parents[2] / "scenarios"
    out = tmp_path / "compare.html"
    r = runner.invoke(main, ["compare", str(root / "hillerod"), str(root / "kalundborg"), "--html", str(out)])
    assert r.exit_code == 0, r.output
    seen = _open(out, ARTEFACTS / "compare.png")
    assert seen["external"] == [] and seen["errors"] == []
    assert [s["members"] for s in seen["sections"]] == [28, 14]
    assert all(s["maps"] >= 1 and s["sankeyNodes"] > 0 for s in seen["sections"])
    text = out.read_text(encoding="utf-8")
    assert "compare-kpis" in text and "Exchanges added (15), removed (31), changed (0)" in text


def _forms(name: str) -> set[str]:
    """How a name could appear in the file: as is, HTML-escaped, JSON-escaped."""
    return {name, html.escape(name), json.dumps(name)[1:-1], json.dumps(name, ensure_ascii=False)[1:-1]}


@pytest.mark.parametrize("name", ["hillerod", "kalundborg"])
def test_anonymised_report_leaks_no_member_name(tmp_path: Path, name: str) -> None:
    root = Path(__file__).parents[2] / "scenarios" / name
    scenario, net = load(root)
    result = matcher.match(net, scenario)
    plain = write_report(result, tmp_path / "plain.html").read_text(encoding="utf-8")
    anon = write_report(result, tmp_path / "anon.html", anonymise=True).read_text(encoding="utf-8")
    names = list(net.members["name"])
    # the plain report does show the names (so the check below can fail)
    assert all(any(f in plain for f in _forms(n)) for n in names)
    for n in names:
        assert not any(f in anon for f in _forms(n)), n
    # nor the stream ids of members' submissions, which often carry a company's name
    for sid in net.streams.index:
        if len(sid) >= 5:
            assert f">{sid}<" not in anon and f'"{sid}"' not in anon, sid
    # coordinates are rounded
    lat = net.members["lat"].iloc[0]
    assert f"{lat}" not in anon or round(lat, 1) == lat


def test_anonymised_comparison_leaks_no_member_name(tmp_path: Path) -> None:
    root = Path(__file__).parents[2] / "scenarios"
    results = [matcher.run(root / "hillerod"), matcher.run(root / "kalundborg")]
    text = write_comparison(compare(results), tmp_path / "c.html", anonymise=True).read_text(encoding="utf-8")
    for r in results:
        for n in r.network.members["name"]:
            assert not any(f in text for f in _forms(n)), n


@needs_browser
def test_static_images_for_slides(tmp_path: Path) -> None:
    runner = CliRunner()
    root = Path(__file__).parents[2] / "scenarios" / "hillerod"
    r = runner.invoke(main, ["report", str(root), "--out", str(tmp_path / "r.html"), "--png", str(tmp_path / "img")])
    assert r.exit_code == 0, r.output
    files = {p.name: p for p in (tmp_path / "img").iterdir()}
    assert {"map.png", "map.svg", "sankey-t.png", "sankey-MWh.svg"} <= set(files)
    assert files["map.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in files["map.svg"].read_bytes()[:400]


def test_compare_json_contract(tmp_path: Path) -> None:
    runner = CliRunner()
    root = Path(__file__).parents[2] / "scenarios"
    r = runner.invoke(
        main, ["compare", str(root / "hillerod"), str(root / "hillerod"), "--json", "--out", str(tmp_path / "c.xlsx")]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [s["name"] for s in doc["scenarios"]] == [
        "Hillerød illustrative network",
        "Hillerød illustrative network (2)",
    ]
    for s in doc["scenarios"]:
        assert {"name", "status", "objective", "savings", "kpis"} <= set(s)
        assert {"waste_diverted_t", "co2e_avoided_t", "exchanges"} <= set(s["kpis"])
    # the same scenario twice: nothing added, removed or changed
    assert doc["exchanges_added"] == doc["exchanges_removed"] == doc["exchanges_changed"] == []
    assert len(doc["members"]) == 28
    assert (tmp_path / "c.xlsx").exists()


def test_compare_needs_two_scenarios() -> None:
    r = CliRunner().invoke(main, ["compare", str(Path(__file__).parents[2] / "scenarios" / "hillerod")])
    assert r.exit_code == 2 and "at least two" in r.output


def test_the_shipped_outlines_are_natural_earths_nordic_countries_small_and_sourced() -> None:
    from importlib import resources

    from matcher.report.coast import outlines, outlines_in

    folder = resources.files("matcher.report") / "basemap"
    assert len((folder / "nordic.geojson").read_bytes()) < 300_000
    source = (folder / "SOURCE.md").read_text(encoding="utf-8")
    assert "Natural Earth" in source and "public domain" in source
    countries = {name for name, _ in outlines()}
    assert countries == {"Denmark", "Sweden", "Norway", "Finland", "Iceland", "Åland", "Faroe Islands"}
    # Copenhagen's island (Zealand) is in view of a box around Hillerød; nothing is in the North Sea off Scotland
    assert not outlines_in((12.2, 12.4), (55.85, 55.95)).empty
    assert outlines_in((-4.0, -3.0), (57.0, 57.5)).empty
    lon = np.concatenate([ring[:, 0] for _, ring in outlines()])
    lat = np.concatenate([ring[:, 1] for _, ring in outlines()])
    assert lon.min() >= -25 and lon.max() <= 32 and lat.min() >= 54 and lat.max() <= 71.5
