"""Reports and exports under attack: markup never renders, formulas never run, anonymised reports leak nothing.

Members' data is text an attacker controls: names carrying ``<a href>`` or
``<img onerror>`` must show literally in every figure (the page and its SVG
export), spreadsheet formulas must reach no spreadsheet as formulas, and an
anonymised report or comparison must hold none of the secrets planted in any
field of a scenario, with pseudonyms that change from report to report.
"""

from __future__ import annotations

import copy
import html
import os
import re
import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hostile import HOSTILE_NAMES, MARK, PLANTED_COORDINATES, assert_inert_xlsx, write_planted, write_scenario
from hypothesis import given
from hypothesis import strategies as st

import matcher
from matcher import compare, write_images, write_report
from matcher.cli import main
from matcher.report.anonymise import Pseudonyms, nace_section, numbered, round_sig
from matcher.report.data import markup_free, report_data
from matcher.report.figures import comparison_figures, map_figure, sankey_figures
from matcher.results.export import FORMULA_START, csv_text, neutralise, safe_cell, write_workbook

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("SYMBIOSE_REQUIRE_BROWSER"),
    reason="Chromium is not installed (tests/run.sh installs it; CI requires it)",
)

#: Tags symbiose itself puts into plotly texts; any other ``<`` in a figure is markup from data.
_OWN_TAGS = re.compile(r"<br>|<extra></extra>")


@pytest.fixture(scope="module")
def hostile_result(tmp_path_factory: pytest.TempPathFactory) -> matcher.MatchResult:
    return matcher.run(write_scenario(tmp_path_factory.mktemp("hostile") / "scen", HOSTILE_NAMES))


def _strings(node: Any) -> list[str]:
    """Every string in a plotly figure's JSON."""
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list | tuple | np.ndarray):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def _assert_no_markup(fig: Any) -> None:
    for text in _strings(fig.to_plotly_json()):
        assert "<" not in _OWN_TAGS.sub("", text), text


# ---------------------------------------------------------------------- markup
def test_markup_in_members_data_shows_literally_in_every_figure_and_table(hostile_result: matcher.MatchResult) -> None:
    for anonymise in (False, True):
        data = report_data(hostile_result, anonymise)
        for fig in (map_figure(data), *sankey_figures(data).values()):
            _assert_no_markup(fig)
    data = report_data(hostile_result)
    sankey = next(iter(sankey_figures(data).values()))
    assert markup_free(HOSTILE_NAMES[4]) in sankey.data[0].node.label  # shown, escaped, not dropped
    cmp = compare([hostile_result, hostile_result])
    for fig in comparison_figures(cmp, data.labels).values():
        _assert_no_markup(fig)
    page = _without_plotly(matcher.report.render_report(hostile_result))
    assert "<img src=x" not in page and "<a href=" not in page and "<script>window" not in page
    assert html.escape(HOSTILE_NAMES[5], quote=False).split(" ")[0] in page  # the tables escape (to_html, jinja)


@pytest.mark.parametrize("fig_of", ["pareto", "resilience", "sweep"])
def test_planning_plots_escape_markup(fig_of: str) -> None:
    from matcher.report.figures import pareto_figure, resilience_figure, sweep_figure

    evil = HOSTILE_NAMES[4]
    if fig_of == "pareto":
        fig = pareto_figure(pd.DataFrame({"cost": [1.0], "co2e": [2.0]}), "cost", "co2e", evil)
    elif fig_of == "resilience":
        members = pd.DataFrame({"member_id": [evil], "name": [evil], "savings_lost": [1.0]})
        fig = resilience_figure(members, evil, "EUR")
    else:
        runs = pd.DataFrame({evil: [1.0], "status": ["optimal"], **{k: [1.0] for k in matcher.results.kpis.KPIS}})
        fig = sweep_figure(runs, evil)
    _assert_no_markup(fig)


@given(st.text(alphabet=st.sampled_from(list("<>&\"'/=ab ")), max_size=40))
def test_markup_free_is_literal_and_reversible(text: str) -> None:
    shown = markup_free(text)
    assert "<" not in shown and ">" not in shown
    assert html.unescape(shown) == text


_hostile_text = st.builds(
    lambda lead, body: lead + body,
    st.sampled_from([*FORMULA_START, "<a href='http://x'>", "<img src=x onerror=alert(1)>", "<b>", "&lt;", ""]),
    st.text(alphabet=st.sampled_from(list("<>&\"'=+-@/ab \t")), max_size=20),
)


@given(st.lists(_hostile_text, min_size=len(HOSTILE_NAMES), max_size=len(HOSTILE_NAMES)), st.booleans())
def test_any_member_names_stay_text_in_figures_and_spreadsheets(
    hostile_result: matcher.MatchResult, names: list[str], anonymise: bool
) -> None:
    result = copy.copy(hostile_result)
    result.network = copy.copy(hostile_result.network)
    result.network.members = hostile_result.network.members.assign(name=names)
    result.members = hostile_result.members.assign(name=names)
    data = report_data(result, anonymise)
    for fig in (map_figure(data), *sankey_figures(data).values()):
        _assert_no_markup(fig)
    if not anonymise:
        shown = [html.unescape(t) for t in _strings(map_figure(data).to_plotly_json())]
        assert all(any(t.startswith(n) for t in shown) for n in names)  # every name shown, as written
    for value in neutralise(result.members).to_numpy().ravel():
        assert not (isinstance(value, str) and value.startswith(FORMULA_START))


@needs_browser
def test_the_report_in_a_browser_runs_no_script_and_links_nowhere(
    hostile_result: matcher.MatchResult, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM
    page_file = write_report(hostile_result, tmp_path / "r.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(page_file.resolve().as_uri())
        page.wait_for_selector(".sankey .sankey-node", timeout=20_000)
        # draw each member's hover box (the names go through plotly's markup there too)
        hovers = []
        for i in range(len(HOSTILE_NAMES)):
            page.evaluate(
                """i => {
                    const div = document.querySelector('.map .js-plotly-plot');
                    Plotly.Fx.hover(div, [{curveNumber: div._fullData.length - 1, pointNumber: i}]);
                }""",
                i,
            )
            page.wait_for_timeout(150)  # plotly throttles hover events
            hovers += page.evaluate("""() => [
                [...document.querySelectorAll('.map .hovertext')].map(t => t.textContent).join(' '),
                document.querySelectorAll('.map .hoverlayer a').length]""")
        seen = page.evaluate("""() => ({
            pwned: window.__pwned || null,
            links: [...document.querySelectorAll('.js-plotly-plot a')].map(a => a.getAttribute('href')),
            images: document.querySelectorAll('img').length,
            sankeyText: [...document.querySelectorAll('.sankey .node-label')].map(t => t.textContent),
        })""")
        browser.close()
    assert seen["pwned"] is None and seen["images"] == 0
    assert not [h for h in seen["links"] if h and "evil" in h]
    assert '<a href="http://evil.example/">click</a>' in seen["sankeyText"]
    texts, links = hovers[0::2], hovers[1::2]
    assert set(links) == {0} and all("saves" in t for t in texts)
    assert all(any(t.startswith(n) for t in texts) for n in HOSTILE_NAMES[4:7])  # shown as written


@needs_browser
def test_svg_images_for_slides_hold_no_markup_from_data(hostile_result: matcher.MatchResult, tmp_path: Path) -> None:
    paths = write_images(hostile_result, tmp_path / "img", formats=("svg",))
    assert paths
    for path in paths:
        root = ElementTree.fromstring(path.read_text(encoding="utf-8"))
        tags = {el.tag.rpartition("}")[2] for el in root.iter()}
        assert not tags & {"a", "img", "image", "script", "foreignObject"}, tags
        hrefs = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
        assert not [h for h in hrefs if "evil" in h]
        text = " ".join(el.text or "" for el in root.iter())
        if path.name.startswith("sankey"):
            assert HOSTILE_NAMES[4] in text  # the markup shows as text
    assert [p.name for p in tmp_path.iterdir()] == ["img"]


# ---------------------------------------------------------------------- spreadsheets
_cells = st.one_of(
    st.builds(lambda lead, rest: lead + rest, st.sampled_from(list(FORMULA_START)), st.text(max_size=12)),
    st.text(max_size=12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.integers(-(10**6), 10**6),
)


@given(st.lists(st.tuples(_cells, _cells), min_size=1, max_size=6), st.sampled_from(list(FORMULA_START)))
def test_exports_hold_no_formula_whatever_the_text(rows: list[tuple[Any, Any]], lead: str) -> None:
    frame = pd.DataFrame(rows, columns=[f"{lead}col", "b"], index=pd.Index([f"{lead}{i}" for i in range(len(rows))]))
    out = neutralise(frame)
    for value in [*out.to_numpy().ravel(), *out.columns, *out.index]:
        assert not (isinstance(value, str) and value.startswith(FORMULA_START)), value
    numbers = [v for v in frame["b"] if not isinstance(v, str)]
    assert [v for v in out["b"] if not isinstance(v, str)] == numbers  # numbers untouched
    assert csv_text(frame, index=True).count("\n") >= len(rows)
    assert [safe_cell(v) for v in frame["b"]] == list(out["b"])


def test_a_workbook_stores_formula_text_as_text(tmp_path: Path) -> None:
    evil = [*HOSTILE_NAMES, "=1+1", "\x01=cmd", "\uff1dcmd"]
    frame = pd.DataFrame({"name": evil, "value": np.arange(len(evil), dtype=float) - 3})
    path = write_workbook(tmp_path / "w.xlsx", [("s", frame.set_index("name"), True), ("t", frame, False)])
    assert assert_inert_xlsx(path) >= 2 * len(evil)
    sheet = openpyxl.load_workbook(path)["t"]
    assert [c.value for c in sheet["B"][1:]] == list(frame["value"])  # numbers stay numbers
    assert sheet["A2"].value == "'" + evil[0] and sheet["A11"].value == "\ufffd=cmd"


def test_a_result_with_hostile_ids_exports_inert_files(hostile_result: matcher.MatchResult, tmp_path: Path) -> None:
    result = copy.copy(hostile_result)
    ids = {m: f"=cmd{i}" if i % 2 else f"@id{i}" for i, m in enumerate(hostile_result.members.index)}
    result.members = hostile_result.members.rename(index=ids)
    result.exchanges = hostile_result.exchanges.assign(
        from_member=hostile_result.exchanges["from_member"].map(ids),
        to_member=hostile_result.exchanges["to_member"].map(ids),
        resource="-resource",
    )
    result.streams = hostile_result.streams.assign(reason="+reason")
    from hostile import assert_inert_csv

    for path in result.to_csv(tmp_path / "res"):
        if path.suffix == ".csv":
            assert assert_inert_csv(path) > 0
    assert assert_inert_xlsx(result.to_xlsx(tmp_path / "r.xlsx")) > 0


# ---------------------------------------------------------------------- anonymisation
@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_planted(tmp_path_factory.mktemp("planted"))


def _without_plotly(text: str) -> str:
    from plotly.offline import get_plotlyjs

    return text.replace(get_plotlyjs(), "")


def _assert_leaks_nothing(text: str) -> None:
    body = _without_plotly(text)
    found = sorted(set(re.findall(MARK + r"\w*", body, flags=re.IGNORECASE)))
    assert not found, found
    for value in [*PLANTED_COORDINATES, 55.167891, 12.809876]:
        for shown in (repr(value), f"{value:.4f}", f"{value:.3f}"):
            assert shown not in body, shown
    assert "S96.09" not in body and "C11.05" not in body  # a NACE class (one firm in town) is shown as its section


def test_an_anonymised_report_and_comparison_hold_no_planted_secret(planted: tuple[Path, Path], tmp_path: Path) -> None:
    base, variant = planted
    runner = CliRunner()
    for args in (
        ["report", str(variant), "--anonymise", "--out", str(tmp_path / "r.html")],
        ["compare", str(base), str(variant), "--anonymise", "--html", str(tmp_path / "c.html")],
    ):
        r = runner.invoke(main, args)
        assert r.exit_code == 0, r.output
    plain = write_report(matcher.run(variant), tmp_path / "plain.html").read_text(encoding="utf-8")
    assert {
        f"{MARK}name0",
        f"{MARK}addname",
        f"{MARK}sid3",
        f"{MARK}resource",
        f"{MARK}vardescription",
        f"{MARK}sourcetext",  # a scenario's own source, in the table of factors
        f"{MARK}src3",
    } <= set(re.findall(MARK + r"\w*", plain))  # the plain report shows them, so the checks below can fail
    for name in ("r.html", "c.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        _assert_leaks_nothing(text)
        assert "Member 01" in text and "Resource 01" in text


def test_pseudonyms_are_salted_per_report_and_shared_within_a_comparison(planted: tuple[Path, Path]) -> None:
    base, variant = planted
    result = matcher.run(variant)
    first, second = report_data(result, True), report_data(result, True)
    order = (list(first.members.index), list(first.streams["stream_id"]))
    assert order != (list(second.members.index), list(second.streams["stream_id"]))  # a fresh salt each time
    assert sorted(first.members.index) == sorted(second.members.index)  # the same numbers, dealt differently
    fixed = Pseudonyms.of([result], salt=b"k" * 16)
    assert fixed == Pseudonyms.of([result], salt=b"k" * 16)
    results = [matcher.run(base), result]
    names = Pseudonyms.of(results)
    shared = [report_data(r, True, names) for r in results]
    label = names.members[f"{MARK}id0"]
    assert all(label in d.members.index for d in shared)
    assert len(set(names.members.values())) == len(names.members) == 5


def test_pseudonyms_never_collide() -> None:
    ids = [f"M{i:05d}" for i in range(20_000)]
    labels = numbered("Member", ids, b"salt")
    assert len(set(labels.values())) == len(ids) and labels["M00000"].startswith("Member ")
    assert numbered("Member", ids, b"salt") == labels != numbered("Member", ids, b"pepper")


def _two_significant(values: Any) -> bool:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(np.allclose(v, round_sig(v), rtol=1e-12, atol=0))


def test_an_anonymised_report_rounds_money_quantities_and_places(planted: tuple[Path, Path]) -> None:
    base, variant = planted
    result = matcher.run(variant)
    data = report_data(result, True)
    assert _two_significant([data.objective, data.baseline_cost, data.savings])
    assert data.objective != result.objective
    assert _two_significant(data.members["saving"])
    for col in ("quantity", "delivered", "saving", "transport_cost", "co2e_avoided_t", "avoided_virgin_cost"):
        assert _two_significant(data.exchanges[col]), col
    assert _two_significant(data.streams[["quantity", "left"]].to_numpy())
    assert np.allclose(data.members[["lat", "lon"]], data.members[["lat", "lon"]].round(1))
    assert set(data.members["sector"]) <= {"C", "D", "S", None}
    for fig in sankey_figures(data).values():
        assert _two_significant(fig.data[0].link.value)
        assert ",.2~r" in fig.data[0].link.hovertemplate
        labels = " ".join(fig.data[0].node.label)
        assert MARK not in labels
    for card in data.kpis:
        value = float(card["value"].replace(",", "")) if card["value"] != "–" else 0.0
        assert _two_significant([value]), card
    cmp = compare([matcher.run(base), result])
    html_text = matcher.report.render_comparison(cmp, anonymise=True)
    # the table of factors shows the built-in catalog's published figures and years as they are (they are
    # public); every figure a member or the scenario gave is rounded there too
    html_text, n_tables = re.subn(r'<div class="wide factors">.*?</div>', "", html_text, flags=re.DOTALL)
    assert n_tables == 2
    own = data.factors[data.factors["source"].str.startswith("withheld")]
    assert len(own) and _two_significant(own["value"])
    assert not data.factors["id"].str.contains(MARK).any() and not data.factors["what"].str.contains(MARK).any()
    figures = re.findall(r"<td[^>]*>([-+\d,.]+)(?: \([-+\d.]+ %\))?</td>", html_text)
    numbers = [float(f.replace(",", "")) for f in figures if re.search(r"\d", f)]
    assert numbers and _two_significant(numbers)


def test_nace_codes_become_sections() -> None:
    assert [nace_section(c) for c in ("C10.51", "10.51", "35", "D", "01.1", "99", "x", None)] == [
        "C",
        "C",
        "D",
        "D",
        "A",
        "U",
        None,
        None,
    ]
