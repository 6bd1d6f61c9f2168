"""Match runs re-solved warm after submissions: the same document as a cold match of the exported folder.

Through the API on the bundled Hillerød network (a MILP: fixed costs on links), and on a region of
200 members (benchmarks/regions.py) whose LP the engine prices by components (streams changed,
removed and added in place), with the path each run took recorded in its timings.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import World, bearer

import matcher

BASE = "/api/v1/networks/hillerod"
REL = 1e-9


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal documents, numbers within ``REL`` relative (the solver's last bits may differ)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), (where, set(a) ^ set(b))
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, int | float) and isinstance(b, int | float), (where, a, b)
        assert a == pytest.approx(b, rel=REL, abs=1e-6), where
    else:
        assert a == b, (where, a, b)


def cold_of_export() -> dict[str, Any]:
    """``symbiose match`` of the registry's export, cold."""
    from registry import services
    from registry.models import Network

    with tempfile.TemporaryDirectory() as tmp:
        services.export_folder(None, Network.objects.get(slug="hillerod"), Path(tmp) / "out")
        return json.loads(matcher.run(Path(tmp) / "out").to_json())


def match(client: Any, world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    from registry.models import MatchRun

    response = client.post(f"{BASE}/matches", "", content_type="application/json", **bearer(world, "facilitator"))
    assert response.status_code == 201, response.content
    doc = response.json()
    assert set(doc) == {"id", "version", "result"}
    return doc["result"], MatchRun.objects.get(pk=doc["id"]).timings


def submit_own(client: Any, world: World, rows: list[dict[str, Any]]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.tables import csv_of, frame_of

    text = csv_of(frame_of(rows, "streams"))
    upload = SimpleUploadedFile("mine.csv", text.encode("utf-8"), content_type="text/csv")
    response = client.post(f"{BASE}/submissions", {"file": upload}, **bearer(world, "member"))
    assert response.status_code == 201, response.content


def own_rows() -> list[dict[str, Any]]:
    from registry.models import Stream

    return [
        s.data
        for s in Stream.objects.filter(network__slug="hillerod", member__member_id="M09", current=True).order_by(
            "position"
        )
    ]


@pytest.fixture
def fresh(db: World) -> World:
    from registry import warm

    warm.clear()
    return db


def test_the_run_after_one_submission_is_warm_and_equals_a_cold_match(client: Any, fresh: World) -> None:
    first, timings = match(client, fresh)
    assert timings["path"] == "cold" and timings["why"]
    rows = own_rows()
    assert [r["stream_id"] for r in rows] == ["S11", "D27"]
    submit_own(client, fresh, [{**r, "quantity": r["quantity"] * 0.9} if r["stream_id"] == "S11" else r for r in rows])
    doc, timings = match(client, fresh)
    assert timings["path"] == "warm", timings
    assert timings["changes"] == {"added": 0, "removed": 0, "quantity": 1, "replaced": 0}
    cold = cold_of_export()
    assert doc["objective"] == pytest.approx(cold["objective"], rel=REL)
    exchanges = {(e["supply_stream"], e["demand_stream"]): e for e in doc["exchanges"]}
    assert exchanges.keys() == {(e["supply_stream"], e["demand_stream"]) for e in cold["exchanges"]}
    for e in cold["exchanges"]:
        mine = exchanges[(e["supply_stream"], e["demand_stream"])]
        assert mine["quantity"] == pytest.approx(e["quantity"], rel=REL) and mine["saving"] == pytest.approx(
            e["saving"], rel=REL
        )
    same(doc, cold)
    assert doc["objective"] != pytest.approx(first["objective"], rel=REL)  # the change mattered


def test_streams_added_and_removed_warm_and_anything_else_cold(client: Any, fresh: World) -> None:
    from registry.models import AuditEvent

    match(client, fresh)
    rows = own_rows()
    new = {"stream_id": "S90", "member_id": "M09", "direction": "supply", "resource": "wood_waste"}
    submit_own(client, fresh, [*rows, {**new, "quantity": 700.0, "unit": "t"}])
    doc, timings = match(client, fresh)
    assert timings["path"] == "warm" and timings["changes"]["added"] == 1
    same(doc, cold_of_export())
    submit_own(client, fresh, [r for r in rows if r["stream_id"] != "D27"])  # S90 and D27 out
    doc, timings = match(client, fresh)
    assert timings["path"] == "warm" and timings["changes"]["removed"] == 2
    same(doc, cold_of_export())
    # the same data again: warm, nothing to change
    again, timings = match(client, fresh)
    assert timings["path"] == "warm" and timings["changes"] == {} and again == doc
    assert AuditEvent.objects.filter(action="match").order_by("-id").first().detail["path"] == "warm"
    # other parameters: cold (a new entry), then warm with them
    params = {"parameters": {"carbon_price": 150}}
    for path in ("cold", "warm"):
        response = fresh_post(client, fresh, params)
        assert response.status_code == 201
        from registry.models import MatchRun

        assert MatchRun.objects.get(pk=response.json()["id"]).timings["path"] == path


def fresh_post(client: Any, world: World, body: Mapping[str, Any]) -> Any:
    return client.post(
        f"{BASE}/matches", json.dumps(body), content_type="application/json", **bearer(world, "facilitator")
    )


def test_members_links_or_commitments_changed_are_cold(client: Any, fresh: World) -> None:
    from registry.models import Member

    match(client, fresh)
    Member.objects.filter(network__slug="hillerod", member_id="M28").update(active=False)
    doc, timings = match(client, fresh)
    assert timings["path"] == "cold" and "members" in timings["why"]
    same(doc, cold_of_export())


def test_a_failing_warm_path_falls_back_to_a_cold_solve(client: Any, fresh: World, monkeypatch: Any) -> None:
    match(client, fresh)
    rows = own_rows()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no")

    monkeypatch.setattr(matcher.WarmMatch, "change_stream", broken)
    submit_own(client, fresh, [{**r, "quantity": r["quantity"] * 2} if r["stream_id"] == "S11" else r for r in rows])
    doc, timings = match(client, fresh)
    assert timings["path"] == "cold" and "RuntimeError" in timings["why"]
    same(doc, cold_of_export())


# ------------------------------------------------------------------------------------------ an LP priced by parts
def _lp_folder(tmp: Path) -> dict[str, str]:
    """A region of 200 members (benchmarks/regions.py, fixed seed): an LP the engine prices by parts."""
    import importlib.util

    import yaml

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "regions.py"
    spec = importlib.util.spec_from_file_location("symbiose_bench_regions", path)
    assert spec is not None and spec.loader is not None
    regions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regions)
    _, network = regions.region(200, seed=7)
    network.to_csv(tmp)
    doc = {"name": "region", "currency": "EUR", "members": "members.csv", "streams": "streams.csv"}
    doc["parameters"] = {"max_distance_km": 60}
    (tmp / "scenario.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return {p.name: p.read_text(encoding="utf-8") for p in tmp.iterdir()}


def _cold(files: Mapping[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        return json.loads(matcher.run(tmp).to_json())


def _edited(files: Mapping[str, str], edit: Any) -> dict[str, str]:
    import io

    import pandas as pd

    frame = pd.read_csv(io.StringIO(files["streams.csv"]), dtype=str, keep_default_na=False)
    return {**files, "streams.csv": edit(frame).to_csv(index=False)}


def test_an_lp_priced_by_parts_changes_in_place_and_equals_cold(tmp_path: Path) -> None:
    from matcher.solve.decompose import DecomposedModel
    from registry import warm

    warm.clear()
    files = _lp_folder(tmp_path)
    doc, timings = warm.solve(-1, 1, files)
    assert timings["path"] == "cold"
    same(doc, _cold(files))
    assert isinstance(warm._ENTRIES[-1].warm.model, DecomposedModel)

    def scale(frame: Any) -> Any:
        frame.loc[3, "quantity"] = str(float(frame.loc[3, "quantity"]) * 0.7)
        return frame

    def drop_and_add(frame: Any) -> Any:
        added = frame.iloc[[5]].assign(stream_id="NEW1", quantity="1234.5", member_id=frame.loc[40, "member_id"])
        return pd_concat([frame.iloc[:20], added, frame.iloc[21:]])

    def many(frame: Any) -> Any:  # more changes than one by one: one apply
        for i in range(0, 60, 6):
            frame.loc[i, "quantity"] = str(float(frame.loc[i, "quantity"]) * 1.3)
        return frame

    for step, edit in enumerate((scale, drop_and_add, many), start=2):
        files = _edited(files, edit)
        doc, timings = warm.solve(-1, step, files)
        assert timings["path"] == "warm", timings
        same(doc, _cold(files))


def pd_concat(frames: list[Any]) -> Any:
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_one_lock_per_network(tmp_path: Path) -> None:
    """Runs of one network at once: each gets the document of its own folder."""
    from registry import warm

    warm.clear()
    base = _lp_folder(tmp_path)
    folders = [
        _edited(base, lambda f, k=k: f.assign(quantity=f["quantity"].astype(float).mul(1 + k / 10).astype(str)))
        for k in range(4)
    ]
    got: dict[int, dict[str, Any]] = {}

    def one(k: int) -> None:
        got[k] = warm.solve(-2, k, folders[k])[0]

    threads = [threading.Thread(target=one, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        same(got[k], _cold(folders[k]))
