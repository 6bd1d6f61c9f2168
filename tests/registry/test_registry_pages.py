"""Every page as every role, another network's users and anonymous; escaping; exports; the audit log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import PASSWORD, World, counts

ROLES = ["facilitator", "member", "member2", "planner", "other_facilitator", "other_member", None]
N = "/n/hillerod"


def signed_in(world: World, role: str | None) -> Any:
    """A browser signed in as ``role`` (the password check itself is tested with the login page)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    c = Client()
    if role is not None:
        c.force_login(get_user_model().objects.get(username=world.emails[role]))
    return c


def _run_id() -> int:
    from registry.models import MatchRun

    return MatchRun.objects.filter(network__slug="hillerod").values_list("pk", flat=True).first()


# page -> expected status by role (302: to the login page)
OUT = {"other_facilitator": 404, "other_member": 404, None: 302}
PAGES: dict[str, dict[str | None, int]] = {
    f"{N}/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 200, **OUT},
    f"{N}/streams/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403, **OUT},
    f"{N}/stream/S11/": {"facilitator": 200, "member": 200, "member2": 404, "planner": 404, **OUT},
    f"{N}/stream/S11/edit/": {"facilitator": 200, "member": 200, "member2": 404, "planner": 403, **OUT},
    f"{N}/stream/S01/": {"facilitator": 200, "member": 404, "member2": 404, "planner": 404, **OUT},
    f"{N}/streams/new/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403, **OUT},
    f"{N}/upload/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403, **OUT},
    f"{N}/history/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403, **OUT},
    f"{N}/members/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403, **OUT},
    f"{N}/audit/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 403, **OUT},
    f"{N}/export/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 403, **OUT},
    f"{N}/import/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 403, **OUT},
    f"{N}/matches/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 200, **OUT},
    f"{N}/matches/RUN/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 200, **OUT},
    f"{N}/matches/RUN/report/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 200, **OUT},
    f"{N}/overview/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 200, **OUT},
    f"{N}/compare/?run=RUN": {"facilitator": 200, "member": 403, "member2": 403, "planner": 200, **OUT},
    f"{N}/matches/999999/": {"facilitator": 404, "member": 404, "member2": 404, "planner": 404, **OUT},
    "/n/kalundborg/": {
        "facilitator": 404,
        "member": 404,
        "member2": 404,
        "planner": 404,
        "other_facilitator": 200,
        "other_member": 200,
        None: 302,
    },
}


@pytest.fixture(scope="module")
def run_id(world: World) -> int:
    """A committed match run of hillerod (the module's pages open it)."""
    from django.contrib.auth import get_user_model

    from registry.matching import run_match
    from registry.models import Network

    found = _run_id()
    if found is None:
        user = get_user_model().objects.get(username=world.emails["facilitator"])
        found = run_match(user, Network.objects.get(slug="hillerod")).pk
    return found


@pytest.mark.parametrize("page", list(PAGES))
def test_pages_by_role(db: World, run_id: int, page: str) -> None:
    url = page.replace("RUN", str(run_id))
    for role in ROLES:
        before = counts()
        response = signed_in(db, role).get(url)
        assert response.status_code == PAGES[page][role], (url, role)
        if response.status_code == 302:
            assert "/login/" in response["Location"]
        if response.status_code == 404:  # the page says nothing but "not found" (the URL asked is echoed)
            body = response.content.decode().replace(url, "")
            body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)  # random: may hold "S11"
            assert "S11" not in body and "S01" not in body and "<h1>404</h1>" in body
        assert counts() == before


@pytest.mark.parametrize("role", ["member2", "planner", "other_facilitator", "other_member", None])
def test_posts_that_do_not_belong_write_nothing(db: World, role: str | None) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = signed_in(db, role)
    before = counts()
    row = {"stream_id": "S11", "direction": "supply", "resource": "wood_waste", "quantity": "1", "unit": "t"}
    c.post(f"{N}/stream/S11/edit/", row)
    c.post(f"{N}/stream/S11/delete/")
    c.post(f"{N}/matches/", {"carbon_price": "10"})
    if role in ("planner", "other_facilitator", "other_member", None):
        c.post(f"{N}/upload/", {"file": SimpleUploadedFile("s.csv", b"stream_id,member_id\n")})
    assert counts() == before


def test_member_upload_page_lists_every_mistake_then_accepts(db: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = signed_in(db, "member")
    bad = (
        b"stream_id,member_id,direction,resource,quantity,unit\n"
        b"S11,M09,supply,wood_waste,x,t\nS12,M09,supply,wood_waste,5,parsecs\n"
    )
    response = c.post(f"{N}/upload/", {"file": SimpleUploadedFile("mine.csv", bad)})
    assert response.status_code == 422
    rows = re.findall(
        r'<tr class="issue"><td>mine.csv</td><td class="num">(\d+)</td><td>(\w+)</td>', response.content.decode()
    )
    assert rows == [("2", "quantity"), ("3", "unit")]
    good = b"stream_id,member_id,direction,resource,quantity,unit\nS11,M09,supply,wood_waste,4500,t\n"
    response = c.post(f"{N}/upload/", {"file": SimpleUploadedFile("mine.csv", good)}, follow=True)
    assert response.status_code == 200 and "version 2" in response.content.decode().lower()


def test_stream_form_shows_mistakes_beside_fields_and_saves_a_version(db: World) -> None:
    c = signed_in(db, "member")
    row = {"stream_id": "S11", "direction": "supply", "resource": "wood_waste", "quantity": "12", "unit": "parsecs"}
    response = c.post(f"{N}/stream/S11/edit/", row)
    assert response.status_code == 422
    html = response.content.decode()
    unit_field = html.index('name="unit"')
    assert html.index("errorlist", unit_field) < html.index('name="period"')  # the unit's mistake beside it
    response = c.post(f"{N}/stream/S11/edit/", {**row, "unit": "t/month"}, follow=True)
    assert response.status_code == 200
    from registry.models import Stream

    s = Stream.objects.get(network__slug="hillerod", stream_id="S11", current=True)
    assert s.quantity_base == pytest.approx(144.0) and s.submission.version == 2


def test_user_text_is_escaped(db: World) -> None:
    from registry.models import Member, Stream

    Member.objects.filter(network__slug="hillerod", member_id="M09").update(name="<script>alert(1)</script>")
    s = Stream.objects.get(network__slug="hillerod", stream_id="S11", current=True)
    Stream.objects.filter(pk=s.pk).update(data={**s.data, "notes": "<img src=x onerror=alert(2)>"})
    for role, url in (("facilitator", f"{N}/members/"), ("member", f"{N}/streams/"), ("member", f"{N}/stream/S11/")):
        html = signed_in(db, role).get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in signed_in(db, "facilitator").get(f"{N}/members/").content.decode()


def test_exports_are_neutralised(db: World, tmp_path: Any) -> None:
    from registry import services
    from registry.models import Member, Network

    Member.objects.filter(network__slug="hillerod", member_id="M09").update(name='=HYPERLINK("http://x")')
    services.export_folder(None, Network.objects.get(slug="hillerod"), tmp_path / "out")
    text = (tmp_path / "out" / "members.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and '\n"=HYPERLINK' not in text and ",=HYPERLINK" not in text


def test_audit_log_records_logins_submissions_runs_and_exports(db: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    m = Client()
    assert m.post("/login/", {"email": db.emails["member"], "password": PASSWORD}).status_code == 302
    m.post(
        f"{N}/upload/",
        {
            "file": SimpleUploadedFile(
                "s.csv", b"stream_id,member_id,direction,resource,quantity,unit\nS11,M09,supply,wood_waste,9,t\n"
            )
        },
    )
    f = signed_in(db, "facilitator")
    f.post(f"{N}/matches/", {})
    f.get(f"{N}/export/")
    Client().post("/login/", {"email": db.emails["planner"], "password": "wrong"})
    html = f.get(f"{N}/audit/").content.decode()
    for action in ("login", "submission", "match", "export"):
        assert f'<td data-action="{action}">{action if action != "match" else "match run"}</td>' in html
    from registry.models import AuditEvent

    assert AuditEvent.objects.filter(action="login_failed", email=db.emails["planner"]).exists()


def test_session_cookie_is_httponly_and_samesite(db: World) -> None:
    from django.test import Client

    c = Client()
    response = c.post("/login/", {"email": db.emails["member"], "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_login_page_is_rate_limited(db: World) -> None:
    from django.test import Client

    c = Client()
    for _ in range(5):
        assert c.post("/login/", {"email": db.emails["member2"], "password": "nope-nope"}).status_code == 401
    assert c.post("/login/", {"email": db.emails["member2"], "password": PASSWORD}).status_code == 429


def test_logged_in_pages_forms_carry_csrf(db: World) -> None:
    html = signed_in(db, "member").get(f"{N}/upload/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.login(username=db.emails["member"], password=PASSWORD)
    before = counts()
    assert strict.post(f"{N}/stream/S11/delete/").status_code == 403
    assert counts() == before
