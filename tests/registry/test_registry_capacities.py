"""The registry's stream form offers shared capacities like any resource, backhaul routes included."""

from __future__ import annotations

import pytest
from conftest import World, bearer, counts
from test_registry_pages import N, signed_in


def test_the_stream_form_offers_capacities_from_the_catalog(db: World) -> None:
    html = signed_in(db, "member").get(f"{N}/streams/new/").content.decode()
    group = html.index('<optgroup label="Shared capacities')
    for key in ("backhaul", "storage_space", "equipment_time", "training_places", "expertise"):
        assert html.index(f'<option value="{key}"', group) > group
    assert html.index('<option value="wood_waste"') < group  # materials first, in their own groups
    for name in ("dest_lat", "dest_lon", "dest_member", "max_detour_km"):
        assert f'name="{name}"' in html
    assert '<option value="t*km">' in html and '<option value="pallet">' in html


def test_a_member_offers_backhaul_and_every_mistake_is_shown(db: World) -> None:
    from registry.models import Stream

    c = signed_in(db, "member")
    row = {"stream_id": "S90", "direction": "supply", "resource": "backhaul", "quantity": "900", "unit": "t*km/week"}
    before = counts()
    response = c.post(f"{N}/streams/new/", row)
    assert response.status_code == 422
    assert "needs where it goes: dest_lat and dest_lon, or dest_member" in response.content.decode()
    response = c.post(f"{N}/streams/new/", {**row, "unit": "m2", "dest_member": "M02"})
    assert response.status_code == 422 and "freight work (t*km)" in response.content.decode()
    assert counts() == before  # nothing written
    response = c.post(f"{N}/streams/new/", {**row, "dest_member": "M02", "max_detour_km": "4"}, follow=True)
    assert response.status_code == 200
    saved = Stream.objects.get(network__slug="hillerod", stream_id="S90", current=True)
    assert saved.member.member_id == "M09" and saved.quantity_base == pytest.approx(900 * 365.25 / 7)
    # another network's member and a planner never see it
    for role in ("other_member", "planner"):
        assert signed_in(db, role).get(f"{N}/stream/S90/").status_code == 404


def test_storage_space_in_pallets_is_saved_in_m2(db: World) -> None:
    from registry.models import Stream

    c = signed_in(db, "member")
    row = {"stream_id": "D90", "direction": "demand", "resource": "storage_space", "quantity": "50", "unit": "pallet"}
    assert c.post(f"{N}/streams/new/", row, follow=True).status_code == 200
    saved = Stream.objects.get(network__slug="hillerod", stream_id="D90", current=True)
    assert saved.quantity_base == pytest.approx(48.0)


def test_the_api_takes_capacity_streams_and_lists_every_mistake(client: object, db: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    head = "stream_id,member_id,direction,resource,quantity,unit,dest_lat,dest_lon,dest_member,max_detour_km\n"
    bad = head + "S11,M09,supply,wood_waste,5000,t,,,,\nS91,M09,supply,backhaul,500,t*km,55.7,,,3\n"
    bad += "D91,M09,demand,storage_space,20,m2/month,,,,2\n"
    before = counts()

    def post(text: str) -> object:
        upload = SimpleUploadedFile("streams.csv", text.encode("utf-8"), content_type="text/csv")
        return client.post("/api/v1/networks/hillerod/submissions", {"file": upload}, **bearer(db, "member"))  # type: ignore[attr-defined]

    response = post(bad)
    assert response.status_code == 422  # type: ignore[attr-defined]
    found = {(e["row"], e["column"]) for e in response.json()["errors"]}  # type: ignore[attr-defined]
    assert {(3, "dest_lon"), (4, "unit"), (4, "max_detour_km")} <= found, found
    assert counts() == before
    good = head + "S11,M09,supply,wood_waste,5000,t,,,,\nS91,M09,supply,backhaul,500,t*km,,,M02,3\n"
    good += "D91,M09,demand,storage_space,20,pallet,,,,\n"
    assert post(good).status_code == 201  # type: ignore[attr-defined]
