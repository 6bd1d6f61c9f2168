"""``match --json`` of every bundled scenario is the document it was before the house was rebuilt.

The stored documents (``tests/data/golden/<name>.json``) were written by ``symbiose match
scenarios/<name> --json`` before ``matcher/`` was split into layers. Numbers are compared at a
relative 1e-9 (solver versions may move the last digits); keys, order of rows, texts and statuses
exactly. Only ``versions`` and the solver's version may differ.

Regenerated deliberately once since: the documents gained the ``factors`` table, each exchange's
provenance columns and the two KPIs on estimates, and their CO2e and Kalundborg's savings moved with
the primary figures that replaced two rounded catalog factors (road-freight CO2e 0.12 -> 0.12366 kg
per t.km, Defra/DECC 2012; Danish landfill tax 63.7 EUR/t -> 475 DKK/t, the act's own figure).
Then again (2026-12-07) when modelling choices became estimates (substitution ratios, a disposal cost
equal to a landfill tax alone, biogas at natural gas's emissions) and the parts on estimates were
kept within their figures: only ``estimate`` flags, sources, the on-estimate figures and the seasonal
scenario's per-stream factor ids moved; costs, flows and CO2e are as before. Each exchange carries
``implemented`` (running exchanges, kept as they are) since the proposals work.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import scenarios
from matcher.cli import main

GOLDEN = Path(__file__).parent / "data" / "golden"


def _same(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{where}: keys {list(a)} != {list(b)}"]
        return [d for k in a for d in _same(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} rows != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _same(x, y, f"{where}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        ok = (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
        )
        return [] if ok else [f"{where}: {a!r} != {b!r}"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


@pytest.mark.parametrize("name", sorted(scenarios.names()))
def test_match_json_is_unchanged(name: str) -> None:
    golden = GOLDEN / f"{name}.json"
    assert golden.exists(), f"no golden document for {name}: write it with `symbiose match scenarios/{name} --json`"
    r = CliRunner().invoke(main, ["match", str(scenarios.path(name)), "--json"])
    assert r.exit_code == 0, r.output
    now, before = json.loads(r.stdout), json.loads(golden.read_text(encoding="utf-8"))
    for doc in (now, before):
        doc.pop("versions")
        doc["solver"].pop("version")
    assert _same(now, before) == []
