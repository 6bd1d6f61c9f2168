"""The registry attacked by its own users: spoiled uploads, hostile JSON, guessed ids, redirects elsewhere.

Every spoiled upload is a 422 listing its mistakes with file, row and column (or a 413 when it is
too large), never a server error, and stores nothing; run on SQLite and (from
test_registry_postgres.py) on PostgreSQL, whose columns have lengths and refuse NUL characters.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from conftest import World, bearer, counts
from test_registry_pages import signed_in

BASE = "/api/v1/networks/hillerod"
HEADER = b"stream_id,member_id,direction,resource,quantity,unit,notes\n"


def _bomb() -> bytes:
    """An .xlsx of a few hundred kB whose sheet unpacks to 120 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<sheetData>" + b" " * 120_000_000 + b"</sheetData>")
    return buffer.getvalue()


SPOILED: dict[str, tuple[str, bytes]] = {
    "binary": ("s.csv", b"\x00\x01\x02\xff\xfe garbage \x00"),
    "utf16": ("s.csv", HEADER.decode().encode("utf-16")),
    "bad utf-8": ("s.csv", HEADER + b"S11,M09,supply,wood\xff\xfe,5,t,\n"),
    "not a zip": ("s.xlsx", b"PK\x03\x04 this is no workbook"),
    "old xls": ("s.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
    "an exe": ("streams.exe", b"MZ\x90\x00"),
    "no rows": ("s.csv", HEADER),
    "empty": ("s.csv", b""),
    "huge number": ("s.csv", HEADER + b"S11,M09,supply,wood_waste,1e400,t,\n"),
    "nan": ("s.csv", HEADER + b"S11,M09,supply,wood_waste,nan,t,\n"),
    "negative": ("s.csv", HEADER + b"S11,M09,supply,wood_waste,-5,t,\n"),
    "long id": ("s.csv", HEADER + b"S" + b"1" * 5000 + b",M09,supply,wood_waste,5,t,\n"),
    "long unit": ("s.csv", HEADER + b"S11,M09,supply,wood_waste,5," + b"t" * 300 + b",\n"),
    "long notes": ("s.csv", HEADER + b"S11,M09,supply,wood_waste,5,t," + b"n" * 100_000 + b"\n"),
    "direction marks": ("s.csv", HEADER + "S\u202e11,M09,supply,wood_waste,5,t,\n".encode()),
    "zero width": ("s.csv", HEADER + "S1\u200b1,M09,supply,wood_waste,5,t,\n".encode()),
    "another network's member": ("s.csv", HEADER + b"S11,K01,supply,wood_waste,5,t,\n"),
    "unclosed quote": ("s.csv", HEADER + b'S11,M09,"supply,wood_waste,5,t,\n'),
    "many columns": ("s.csv", b",".join(b"c%d" % i for i in range(500)) + b"\n" + b"1," * 499 + b"1\n"),
    "xlsx bomb": ("s.xlsx", _bomb()),
}


@pytest.mark.parametrize("case", list(SPOILED))
def test_spoiled_uploads_are_422_and_store_nothing(client: Any, db: World, case: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, data = SPOILED[case]
    before = counts()
    response = client.post(f"{BASE}/submissions", {"file": SimpleUploadedFile(name, data)}, **bearer(db, "member"))
    assert response.status_code == 422, (case, response.content[:500])
    errors = response.json()["errors"]
    assert errors and all(set(e) == {"file", "row", "column", "message"} and e["message"] for e in errors)
    assert all(len(e["message"]) < 1000 for e in errors)  # no huge value echoed back
    assert counts() == before


def test_spoiled_uploads_on_the_page_are_listed_too(db: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    for case in ("binary", "long id", "xlsx bomb"):
        name, data = SPOILED[case]
        response = signed_in(db, "member").post("/n/hillerod/upload/", {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 422 and 'class="issue"' in response.content.decode(), case
    assert counts() == before


def test_formulas_in_uploads_are_kept_as_text_and_neutralised_on_export(client: Any, db: World, tmp_path: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry import services
    from registry.models import Network

    formula = b"S11,M09,supply,wood_waste,5,t,\"=cmd|' /C calc'!A0\"\n"
    response = client.post(
        f"{BASE}/submissions", {"file": SimpleUploadedFile("s.csv", HEADER + formula)}, **bearer(db, "member")
    )
    assert response.status_code == 201
    stored = client.get(f"{BASE}/streams/S11", **bearer(db, "member")).json()
    assert stored["notes"] == "=cmd|' /C calc'!A0"  # the member's text, as given
    services.export_folder(None, Network.objects.get(slug="hillerod"), tmp_path / "out")
    text = (tmp_path / "out" / "streams.csv").read_text(encoding="utf-8")
    assert "'=cmd|" in text and ",=cmd" not in text and '"=cmd' not in text


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"email": "\xff\xfe"}', b'{"email": 1e999}', b"NaN", b'{"a": 1, "a": 2}'],
)
def test_hostile_json_is_422_for_anyone(client: Any, db: World, body: bytes) -> None:
    before = counts()
    for path, role in (("/api/v1/token", None), (f"{BASE}/matches", "facilitator")):
        response = client.post(path, body, content_type="application/json", **bearer(db, role))
        assert response.status_code in (401, 422), (path, response.status_code, response.content[:300])
        assert response.status_code == 422 or path == "/api/v1/token"
    assert counts() == before


def test_guessed_draft_ids_of_another_member_are_404(client: Any, db: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = client.post(
        f"{BASE}/submissions",
        {"file": SimpleUploadedFile("d.csv", HEADER + b"S11,M09,supply,wood_waste,7,t,\n"), "draft": "1"},
        **bearer(db, "member"),
    )
    assert draft.status_code == 201
    draft_id = draft.json()["draft"]
    before = counts()
    for role in ("member2", "planner", "other_facilitator", "other_member"):
        response = signed_in(db, role).post(f"/n/hillerod/drafts/{draft_id}/submit/")
        assert response.status_code in (403, 404), role
        if role != "planner":
            assert response.status_code == 404, role
    assert counts() == before
    listed = client.get(f"{BASE}/submissions", **bearer(db, "member2")).json()
    assert draft_id not in [s["id"] for s in listed]


@pytest.mark.parametrize(
    "stream_id", ["..%2F..%2Fetc%2Fpasswd", "S01%00", "S01'%20OR%20'1'='1", "%E2%80%AE10S", "S01/../S11", "*"]
)
def test_odd_stream_ids_in_urls_are_404(client: Any, db: World, stream_id: str) -> None:
    for role in ("member", "member2", "facilitator"):
        response = client.get(f"{BASE}/streams/{stream_id}", **bearer(db, role))
        assert response.status_code == 404, (role, stream_id)
        page = signed_in(db, role).get(f"/n/hillerod/stream/{stream_id}/")
        assert page.status_code == 404, (role, stream_id)


def test_redirects_never_leave_the_site(db: World) -> None:
    from conftest import PASSWORD
    from django.test import Client

    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        c = Client()
        response = c.post("/login/", {"email": db.emails["member"], "password": PASSWORD, "next": target})
        assert (
            response.status_code == 302
            and "evil" not in response["Location"]
            and "javascript" not in response["Location"]
        )
        response = c.post("/language/", {"language": "da", "next": target})
        assert response.status_code == 302 and "evil" not in response["Location"]


def test_methods_that_do_not_belong_are_405(client: Any, db: World) -> None:
    before = counts()
    for method in ("put", "delete", "patch"):
        response = getattr(client, method)(f"{BASE}/streams/S11", **bearer(db, "facilitator"))
        assert response.status_code == 405 and "error" in json.loads(response.content)
    assert counts() == before


def test_nul_characters_are_refused_before_the_database(client: Any, db: World) -> None:
    before = counts()
    body = json.dumps({"email": "member\u0000@test.symbiose", "password": "x\u0000"})
    assert client.post("/api/v1/token", body, content_type="application/json").status_code == 401
    page = signed_in(db, "planner").get("/n/hillerod/compare/?run=%00")
    assert page.status_code == 404
    from django.test import Client

    login = Client().post("/login/", {"email": "a\x00@b.dk", "password": "y"})
    assert login.status_code in (400, 401)
    assert counts() == before
