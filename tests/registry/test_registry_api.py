"""The JSON API as every role, another network's users and anonymous: 0 reads or writes where none belong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import PASSWORD, World, bearer, counts

from models import DataError
from models.tables import read_csv

ROLES = ["facilitator", "member", "member2", "planner", "other_facilitator", "other_member", None]
BASE = "/api/v1/networks/hillerod"


def get(client: Any, world: World, path: str, role: str | None) -> Any:
    return client.get(path, **bearer(world, role))


def post_file(client: Any, world: World, role: str | None, text: str, name: str = "streams.csv", **fields: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(f"{BASE}/submissions", {"file": upload, **fields}, **bearer(world, role))


# ------------------------------------------------------------------------------------------ reads
LIST_STATUS = {
    "facilitator": 200,
    "member": 200,
    "member2": 200,
    "planner": 403,
    "other_facilitator": 404,
    "other_member": 404,
    None: 401,
}


@pytest.mark.parametrize("table", ["members", "streams"])
@pytest.mark.parametrize("role", ROLES)
def test_lists_by_role(client: Any, db: World, table: str, role: str | None) -> None:
    response = get(client, db, f"{BASE}/{table}", role)
    assert response.status_code == LIST_STATUS[role]
    if response.status_code != 200:
        assert "member_id" not in response.content.decode()
        return
    rows = response.json()
    ids = {r["member_id"] for r in rows}
    if role == "facilitator":
        assert len(ids) == 28 if table == "members" else len(ids) > 20
    else:
        assert ids == {"M09" if role == "member" else "M02"}


def test_rows_are_keyed_by_the_template_columns(client: Any, db: World) -> None:
    streams = get(client, db, f"{BASE}/streams", "facilitator").json()
    first = next(s for s in streams if s["stream_id"] == "S01")
    assert {"stream_id", "member_id", "direction", "resource", "quantity", "unit", "quantity_base", "base_unit"} <= set(
        first
    )
    assert first["unit"] == "m3/år" and first["base_unit"] == "m3"
    members = get(client, db, f"{BASE}/members", "facilitator").json()
    assert {"member_id", "name", "lat", "lon"} <= set(members[0])


ONE_STREAM = {  # S11 belongs to M09 ("member"), S01 to M01 (nobody's user)
    ("S11", "facilitator"): 200,
    ("S11", "member"): 200,
    ("S11", "member2"): 404,
    ("S11", "planner"): 404,
    ("S11", "other_facilitator"): 404,
    ("S11", "other_member"): 404,
    ("S11", None): 401,
    ("S01", "member"): 404,
    ("NOPE", "member"): 404,
    ("NOPE", "facilitator"): 404,
}


@pytest.mark.parametrize(("stream_id", "role"), sorted(ONE_STREAM, key=str))
def test_one_stream_or_404(client: Any, db: World, stream_id: str, role: str | None) -> None:
    response = get(client, db, f"{BASE}/streams/{stream_id}", role)
    assert response.status_code == ONE_STREAM[(stream_id, role)]
    if response.status_code == 200:
        assert response.json()["stream_id"] == stream_id


def test_404_never_reveals_existence(client: Any, db: World) -> None:
    """Another member's stream, a stream that does not exist and another network look the same."""
    bodies = {
        get(client, db, f"{BASE}/streams/S01", "member").content,
        get(client, db, f"{BASE}/streams/NOPE", "member").content,
        get(client, db, "/api/v1/networks/kalundborg/streams", "member").content,
        get(client, db, "/api/v1/networks/no-such-network/streams", "member").content,
        get(client, db, f"{BASE}/matches/999999", "member").content,
    }
    assert len(bodies) == 1


def test_guessed_ids_of_another_network(client: Any, db: World) -> None:
    """Kalundborg's users asking for Hillerød's stream ids through their own network see nothing."""
    for role in ("other_facilitator", "other_member"):
        assert get(client, db, "/api/v1/networks/kalundborg/streams/S11", role).status_code == 404
        assert get(client, db, f"{BASE}/streams/S11", role).status_code == 404


# ------------------------------------------------------------------------------------------ submissions
GOOD = (
    "stream_id;member_id;direction;resource;quantity;unit\n"
    "S11;M09;supply;wood_waste;4 200,5;t\n"
    "S90;M09;demand;heat_low;800;MWh\n"
)


def test_member_submits_a_new_version(client: Any, db: World) -> None:
    before = counts()
    response = post_file(client, db, "member", GOOD)
    assert response.status_code == 201, response.content
    assert response.json() == {"version": 2, "streams": 2}
    streams = get(client, db, f"{BASE}/streams", "member").json()
    assert {s["stream_id"]: s["quantity"] for s in streams} == {"S11": 4200.5, "S90": 800.0}
    after = counts()
    assert after["Stream"] == before["Stream"] + 2 and after["data_versions"] == before["data_versions"] + 1
    # the earlier version is kept
    history = get(client, db, f"{BASE}/submissions", "member").json()
    assert [h["version"] for h in history] == [2, 1] and [h["current"] for h in history] == [True, False]


BAD = (
    "stream_id,member_id,direction,resource,quantity,unit\n"
    "S11,M09,supply,wood_waste,lots,t\n"  # row 2: quantity
    "S91,M01,supply,wood_waste,5,t\n"  # row 3: another member's id
    "S92,M09,sideways,wood_waste,5,t\n"  # row 4: direction
    "S93,M09,demand,unobtainium,5,t\n"  # row 5: resource
)


def test_every_mistake_with_file_row_column_and_nothing_stored(client: Any, db: World, tmp_path: Any) -> None:
    before = counts()
    response = post_file(client, db, "member", BAD, name="mine.csv")
    assert response.status_code == 422
    errors = response.json()["errors"]
    found = {(e["row"], e["column"]) for e in errors}
    assert {(2, "quantity"), (3, "member_id"), (4, "direction"), (5, "resource")} <= found
    assert all(e["file"] == "mine.csv" and e["message"] for e in errors)
    assert counts() == before
    # the same mistakes as the engine's own validation of the file (one validator, not two)
    from registry.intake import check_streams
    from registry.models import Member
    from registry.tables import catalog_of

    path = tmp_path / "mine.csv"
    path.write_text(BAD, encoding="utf-8")
    member = Member.objects.get(network__slug="hillerod", member_id="M09")
    with pytest.raises(DataError) as caught:
        check_streams(read_csv(path), member, catalog_of(member.network))
    assert [(i.row, i.column, i.message) for i in caught.value.issues] == [
        (e["row"], e["column"], e["message"]) for e in errors
    ]


def test_a_stream_id_of_another_member_is_refused(client: Any, db: World) -> None:
    before = counts()
    response = post_file(
        client, db, "member", "stream_id,member_id,direction,resource,quantity,unit\nS01,M09,supply,wood_waste,5,t\n"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "stream_id"
    assert counts() == before


@pytest.mark.parametrize(
    ("role", "status"), [("planner", 403), ("other_facilitator", 404), ("other_member", 404), (None, 401)]
)
def test_submissions_refused(client: Any, db: World, role: str | None, status: int) -> None:
    before = counts()
    assert post_file(client, db, role, GOOD).status_code == status
    assert counts() == before


def test_facilitator_submits_for_a_named_member(client: Any, db: World) -> None:
    assert post_file(client, db, "facilitator", GOOD).status_code == 422  # no member named
    response = post_file(client, db, "facilitator", GOOD, member_id="M09")
    assert response.status_code == 201


def test_xlsx_upload_and_draft(client: Any, db: World, tmp_path: Any) -> None:
    import pandas as pd
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = tmp_path / "s.xlsx"
    frame = pd.DataFrame(
        {
            "stream_id": ["S11"],
            "member_id": ["M09"],
            "direction": ["supply"],
            "resource": ["wood_waste"],
            "quantity": [-3],
            "unit": ["t"],
        }
    )
    with pd.ExcelWriter(path) as w:
        frame.to_excel(w, sheet_name="streams", index=False)
    upload = SimpleUploadedFile("s.xlsx", path.read_bytes())
    response = client.post(f"{BASE}/submissions", {"file": upload}, **bearer(db, "member"))
    assert response.status_code == 422
    assert response.json()["errors"][0] | {"message": ""} == {
        "file": "s.xlsx[streams]",
        "row": 2,
        "column": "quantity",
        "message": "",
    }
    before = counts()
    upload = SimpleUploadedFile("s.xlsx", path.read_bytes())
    draft = client.post(f"{BASE}/submissions", {"file": upload, "draft": "1"}, **bearer(db, "member"))
    assert draft.status_code == 201 and counts()["Stream"] == before["Stream"]


def test_upload_size_is_limited(client: Any, db: World, settings: Any = None) -> None:
    from django.test import override_settings

    with override_settings(MAX_UPLOAD_BYTES=1024):
        response = post_file(client, db, "member", GOOD + "S99;M09;supply;wood_waste;1;t\n" * 5000)
    assert response.status_code == 413


# ------------------------------------------------------------------------------------------ matches
def _run(client: Any, world: World, role: str | None, body: dict | None = None) -> Any:
    return client.post(
        f"{BASE}/matches", json.dumps(body) if body else "", content_type="application/json", **bearer(world, role)
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("member", 403), ("planner", 403), ("other_facilitator", 404), ("other_member", 404), (None, 401)],
)
def test_only_the_facilitator_runs_matches(client: Any, db: World, role: str | None, status: int) -> None:
    before = counts()
    assert _run(client, db, role).status_code == status
    assert counts() == before


def test_match_runs_by_role(client: Any, db: World) -> None:
    created = _run(client, db, "facilitator")
    assert created.status_code == 201
    doc = created.json()
    assert set(doc) == {"id", "version", "result"} and doc["result"]["status"] == "optimal"
    url = f"{BASE}/matches/{doc['id']}"
    assert get(client, db, url, "facilitator").json()["result"] == doc["result"]
    # a member: its own exchanges only, the other side withheld; no other member's id or name anywhere
    mine = get(client, db, url, "member").json()
    assert mine["exchanges"] and all("M09" in (e["from_member"], e["to_member"]) for e in mine["exchanges"])
    assert all(None in (e["from_member"], e["to_member"]) for e in mine["exchanges"])
    text = json.dumps(mine, ensure_ascii=False)
    others = [m for m in get(client, db, f"{BASE}/members", "facilitator").json() if m["member_id"] != "M09"]
    assert not [m["member_id"] for m in others if f'"{m["member_id"]}"' in text]
    assert not [m["name"] for m in others if m["name"] in text]
    # nor in the factors its exchanges rest on: another member's stream or a link is withheld there
    ids = {i for e in mine["exchanges"] for i in [*e["saving_factors"], *e["co2e_factors"]]}
    assert ids and {f["id"] for f in mine["factors"]} <= ids
    assert not [i for i in ids for m in others if m["member_id"] in i.split(":", 1)[1].split("/")]
    full = doc["result"]
    own_streams = {x for e in mine["exchanges"] for x in (e["supply_stream"], e["demand_stream"]) if x}
    other_streams = {
        x for e in full["exchanges"] for x in (e["supply_stream"], e["demand_stream"]) if x not in own_streams
    }
    assert not [i for i in ids if i.split("/")[-1] in other_streams]
    # a planner: rounded KPIs and no rows
    planner = get(client, db, url, "planner").json()
    assert set(planner) == {"id", "version", "status", "currency", "objective", "baseline_cost", "savings", "kpis"}
    assert "M0" not in json.dumps(planner)
    for role in ("other_facilitator", "other_member"):
        assert get(client, db, url, role).status_code == 404
        assert get(client, db, f"/api/v1/networks/kalundborg/matches/{doc['id']}", role).status_code == 404
    assert get(client, db, url, None).status_code == 401


def test_match_parameters_are_checked(client: Any, db: World) -> None:
    before = counts()
    response = _run(client, db, "facilitator", {"parameters": {"carbon_price": "lots", "bogus": 1}})
    assert response.status_code == 422
    assert {e["column"] for e in response.json()["errors"]} == {"parameters.carbon_price", "parameters.bogus"}
    assert counts() == before
    assert (
        _run(client, db, "facilitator", {"parameters": {"carbon_price": 200}}).json()["result"]["resolved_scenario"][
            "parameters"
        ]["carbon_price"]
        == 200
    )


def test_export_then_match_equals_the_stored_run(client: Any, db: World, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from matcher.cli import main
    from registry import services
    from registry.models import Network

    stored = _run(client, db, "facilitator").json()["result"]
    services.export_folder(None, Network.objects.get(slug="hillerod"), tmp_path / "out")
    result = CliRunner().invoke(main, ["match", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == stored


# ------------------------------------------------------------------------------------------ tokens and logins
def test_token_login_and_rate_limit(client: Any, db: World) -> None:
    email = db.emails["member2"]
    ok = client.post(
        "/api/v1/token", json.dumps({"email": email, "password": PASSWORD}), content_type="application/json"
    )
    assert ok.status_code == 200 and len(ok.json()["token"]) > 30
    assert client.get(f"{BASE}/streams", HTTP_AUTHORIZATION=f"Bearer {ok.json()['token']}").status_code == 200
    for _ in range(5):
        bad = client.post(
            "/api/v1/token", json.dumps({"email": email, "password": "wrong"}), content_type="application/json"
        )
        assert bad.status_code == 401
    refused = client.post(
        "/api/v1/token", json.dumps({"email": email, "password": PASSWORD}), content_type="application/json"
    )
    assert refused.status_code == 429
    assert client.get(f"{BASE}/streams", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


def test_session_writes_need_csrf(db: World) -> None:
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    assert browser.login(username=db.emails["facilitator"], password=PASSWORD)
    assert browser.get(f"{BASE}/streams").status_code == 200
    assert browser.post(f"{BASE}/matches", "", content_type="application/json").status_code == 403


def test_passwords_are_argon2(db: World) -> None:
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username=db.emails["member"]).password.startswith("argon2")
