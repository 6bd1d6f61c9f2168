"""Proposals from a published run to a realised exchange, as every role, another network's users and anonymous.

In the bundled Hillerød network the run proposes S11 (M09, the "member" user) -> D03 (M02, "member2").
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from conftest import PASSWORD, World, bearer, counts

BASE = "/api/v1/networks/hillerod"
ROLES = ["facilitator", "member", "member2", "planner", "other_facilitator", "other_member", None]
PAIR = ("S11", "D03")


@pytest.fixture(scope="module")
def run_id(world: World) -> int:
    """A committed, unpublished match run of hillerod at the current data version."""
    from django.contrib.auth import get_user_model

    from registry.matching import run_match
    from registry.models import Network

    user = get_user_model().objects.get(username=world.emails["facilitator"])
    return run_match(user, Network.objects.get(slug="hillerod")).pk


@pytest.fixture(scope="module")
def outsider(world: World) -> str:
    """A company user of hillerod's M10, on no side of the S11 -> D03 proposal (committed)."""
    from django.contrib.auth import get_user_model

    from registry import services
    from registry.auth import new_token

    email = "outsider@test.symbiose"
    user = get_user_model().objects.filter(username=email).first() or services.add_user(
        email, "hillerod", "member", PASSWORD, "M10"
    )
    world.tokens["outsider"] = new_token(user)
    world.emails["outsider"] = email
    return "outsider"


def call(client: Any, world: World, method: str, path: str, role: str | None, body: Any = None) -> Any:
    if method == "GET":
        return client.get(path, **bearer(world, role))
    return client.post(
        path, json.dumps(body) if body is not None else "", content_type="application/json", **bearer(world, role)
    )


def publish(client: Any, world: World, run_id: int) -> dict[str, Any]:
    response = call(client, world, "POST", f"{BASE}/matches/{run_id}/publish", "facilitator")
    assert response.status_code == 201, response.content
    return response.json()


def the_proposal(client: Any, world: World) -> int:
    rows = call(client, world, "GET", f"{BASE}/proposals", "facilitator").json()
    return next(r["id"] for r in rows if (r["supply_stream"], r["demand_stream"]) == PAIR)


def names_of_others(world: World, own: str) -> tuple[list[str], list[str]]:
    from registry.models import Member

    others = Member.objects.filter(network__slug="hillerod").exclude(member_id=own)
    return [m.member_id for m in others], [m.name for m in others]


# ------------------------------------------------------------------------------------------ publish
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("member", 403),
        ("member2", 403),
        ("planner", 403),
        ("other_facilitator", 404),
        ("other_member", 404),
        (None, 401),
    ],
)
def test_only_the_facilitator_publishes(client: Any, db: World, run_id: int, role: str | None, status: int) -> None:
    from registry.models import Proposal

    before = Proposal.objects.count()
    assert call(client, db, "POST", f"{BASE}/matches/{run_id}/publish", role).status_code == status
    assert Proposal.objects.count() == before


def test_publish_makes_one_proposal_per_exchange_once(client: Any, db: World, run_id: int) -> None:
    from registry.models import MatchRun, Notification

    doc = publish(client, db, run_id)
    result = MatchRun.objects.get(pk=run_id).result
    assert {(p["supply_stream"], p["demand_stream"]) for p in doc["proposals"]} == {
        (e["supply_stream"], e["demand_stream"]) for e in result["exchanges"]
    }
    assert all(p["status"] == "proposed" for p in doc["proposals"])
    # the transfer price is the prices tool's, on the run's own folder
    from matcher.results.prices import transfer_prices
    from registry.matching import solve_files

    prices = transfer_prices(solve_files(MatchRun.objects.get(pk=run_id).inputs)).exchanges.set_index(
        ["supply_stream", "demand_stream"]
    )
    one = next(p for p in doc["proposals"] if (p["supply_stream"], p["demand_stream"]) == PAIR)
    assert one["transfer_price"] == pytest.approx(prices.loc[PAIR, "transfer_price"])
    assert one["supplier_saving"] == pytest.approx(prices.loc[PAIR, "supplier_share"])
    # hillerod is a MILP (a minimum quantity): every proposal still has its range, around its price
    for p in doc["proposals"]:
        low, high = p["price_range"]
        assert low - 1e-9 * abs(low) - 1e-9 <= p["transfer_price"] <= high + 1e-9 * abs(high) + 1e-9, p
    assert any(p["price_range"][1] > p["price_range"][0] + 1e-6 for p in doc["proposals"])
    # each side is told, without the other's name
    notes = Notification.objects.filter(proposal_id=one["id"], kind="new_proposal")
    assert sorted(n.member.member_id for n in notes) == ["M02", "M09"]
    again = call(client, db, "POST", f"{BASE}/matches/{run_id}/publish", "facilitator")
    assert again.status_code == 409


def test_a_stale_run_is_not_published(client: Any, db: World, run_id: int) -> None:
    from registry.models import Network, Proposal

    Network.objects.filter(slug="hillerod").update(data_version=999)
    assert call(client, db, "POST", f"{BASE}/matches/{run_id}/publish", "facilitator").status_code == 409
    assert not Proposal.objects.exists()


# ------------------------------------------------------------------------------------------ who sees what
LIST = {
    "facilitator": 200,
    "member": 200,
    "member2": 200,
    "planner": 403,
    "other_facilitator": 404,
    "other_member": 404,
    None: 401,
}


def test_proposals_by_role_and_identity_withheld_until_both_are_interested(client: Any, db: World, run_id: int) -> None:
    publish(client, db, run_id)
    pid = the_proposal(client, db)
    for role in ROLES:
        response = call(client, db, "GET", f"{BASE}/proposals", role)
        assert response.status_code == LIST[role], role
        one = call(client, db, "GET", f"{BASE}/proposals/{pid}", role)
        assert one.status_code == (LIST[role] if role != "planner" else 403), role
    mine = call(client, db, "GET", f"{BASE}/proposals", "member").json()
    assert [p["stream_id"] for p in mine] == ["S11"] and mine[0]["role"] == "supplier"
    theirs = call(client, db, "GET", f"{BASE}/proposals", "member2").json()
    assert {p["role"] for p in theirs} == {"receiver"} and "D03" in {p["stream_id"] for p in theirs}
    facilitator = call(client, db, "GET", f"{BASE}/proposals/{pid}", "facilitator").json()
    assert facilitator["supply_stream"] == "S11" and facilitator["demand_stream"] == "D03"
    assert facilitator["from_member"] == "M09" and facilitator["to_member"] == "M02"

    def hidden(role: str, own: str) -> None:
        ids, names = names_of_others(db, own)
        for path in (f"{BASE}/proposals", f"{BASE}/proposals/{pid}"):
            text = call(client, db, "GET", path, role).content.decode()
            assert not [i for i in ids if f'"{i}"' in text], (role, path)
            assert not [n for n in names if n in text], (role, path)
        from test_registry_pages import signed_in

        browser = signed_in(db, role)
        for page in ("/n/hillerod/proposals/", f"/n/hillerod/proposals/{pid}/", "/n/hillerod/inbox/"):
            html = browser.get(page).content.decode()
            assert not [n for n in names if n.replace("&", "&amp;") in html or n in html], (role, page)
        assert json.loads(json.dumps(call(client, db, "GET", f"{BASE}/proposals/{pid}", role).json()))["other"] is None

    hidden("member", "M09")
    hidden("member2", "M02")
    # one side interested: still hidden from both
    assert (
        call(client, db, "POST", f"{BASE}/proposals/{pid}/answer", "member", {"answer": "interested"}).status_code
        == 200
    )
    hidden("member", "M09")
    hidden("member2", "M02")
    ok = call(
        client, db, "POST", f"{BASE}/proposals/{pid}/answer", "member2", {"answer": "interested", "comment": "yes"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "in_dialogue"
    seen = call(client, db, "GET", f"{BASE}/proposals/{pid}", "member").json()
    assert seen["other"]["member_id"] == "M02" and seen["other_member_id"] == "M02"
    assert seen["other"]["email"] == db.emails["member2"]
    back = call(client, db, "GET", f"{BASE}/proposals/{pid}", "member2").json()
    assert back["other_member_id"] == "M09" and back["other"]["stream_id"] == "S11"
    from test_registry_pages import signed_in

    from registry.models import Member

    html = signed_in(db, "member").get(f"/n/hillerod/proposals/{pid}/").content.decode()
    from django.utils.html import escape

    assert escape(Member.objects.get(network__slug="hillerod", member_id="M02").name) in html
    # M02's other proposals stay anonymous
    others = [p for p in call(client, db, "GET", f"{BASE}/proposals", "member2").json() if p["id"] != pid]
    assert others and all(p["other"] is None for p in others)


def test_an_outsider_and_another_network_see_no_proposal(client: Any, db: World, run_id: int, outsider: str) -> None:
    publish(client, db, run_id)
    pid = the_proposal(client, db)
    assert call(client, db, "GET", f"{BASE}/proposals/{pid}", outsider).status_code == 404
    assert pid not in {p["id"] for p in call(client, db, "GET", f"{BASE}/proposals", outsider).json()}
    for role in ("other_facilitator", "other_member"):
        assert call(client, db, "GET", f"/api/v1/networks/kalundborg/proposals/{pid}", role).status_code == 404
        assert call(client, db, "GET", "/api/v1/networks/kalundborg/proposals", role).json() == []
    bodies = {
        call(client, db, "GET", f"{BASE}/proposals/{pid}", outsider).content,
        call(client, db, "GET", f"{BASE}/proposals/999999", outsider).content,
        call(client, db, "POST", f"{BASE}/proposals/{pid}/answer", outsider, {"answer": "interested"}).content,
    }
    assert len(bodies) == 1


# ------------------------------------------------------------------------------------------ answers
def test_answers_with_reasons_and_decline(client: Any, db: World, run_id: int) -> None:
    from registry.models import AuditEvent, Proposal, ProposalEvent

    publish(client, db, run_id)
    pid = the_proposal(client, db)
    url = f"{BASE}/proposals/{pid}/answer"
    bad = call(client, db, "POST", url, "member", {"answer": "declined"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["column"] == "reason"
    bad = call(client, db, "POST", url, "member", {"answer": "maybe"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["column"] == "answer"
    assert call(client, db, "POST", url, "facilitator", {"answer": "interested"}).status_code == 403
    assert call(client, db, "POST", url, "planner", {"answer": "interested"}).status_code == 403
    assert call(client, db, "POST", url, None, {"answer": "interested"}).status_code == 401
    assert Proposal.objects.get(pk=pid).supplier_answer == ""
    done = call(
        client, db, "POST", url, "member2", {"answer": "declined", "reason": "logistics", "comment": "no lorry"}
    )
    assert done.status_code == 200 and done.json()["status"] == "declined"
    assert call(client, db, "POST", url, "member", {"answer": "interested"}).status_code == 409
    p = Proposal.objects.get(pk=pid)
    assert (p.receiver_answer, p.receiver_reason, p.receiver_comment) == ("declined", "logistics", "no lorry")
    event = ProposalEvent.objects.filter(proposal=p, kind="answer").get()
    assert event.user.username == db.emails["member2"] and event.side == "receiver" and event.to_status == "declined"
    assert AuditEvent.objects.filter(action="answer", detail__proposal=pid).exists()
    # the supplier sees that it was declined, not why nor by whom
    seen = call(client, db, "GET", f"{BASE}/proposals/{pid}", "member").json()
    assert seen["status"] == "declined" and "logistics" not in json.dumps(seen) and "no lorry" not in json.dumps(seen)


# ------------------------------------------------------------------------------------------ the transition matrix
#: (from status, to status) -> roles allowed ("side": member or member2)
ALLOWED = {
    ("in_dialogue", "agreed"): {"facilitator", "member", "member2"},
    ("agreed", "implemented"): {"facilitator", "member", "member2"},
    ("agreed", "in_dialogue"): {"facilitator"},
    ("in_dialogue", "ended"): {"facilitator"},
    ("agreed", "ended"): {"facilitator"},
    ("implemented", "ended"): {"facilitator"},
    ("declined", "proposed"): {"facilitator"},
}
STATUSES = ["proposed", "declined", "in_dialogue", "agreed", "implemented", "ended"]
BODY = {"quantity": 1000.0, "date": "2025-03-01", "note": "checked by phone"}


def _expected(frm: str, to: str, role: str | None) -> int:
    if role is None:
        return 401
    if role in ("other_facilitator", "other_member", "outsider"):
        return 404
    if role == "planner":
        return 403  # a planner's role never moves a proposal
    if (frm, to) in ALLOWED:
        return 200 if role in ALLOWED[(frm, to)] else 403
    return 409 if role in ("facilitator", "member", "member2") else 403


@pytest.mark.parametrize("frm", STATUSES)
def test_every_transition_by_every_role(client: Any, db: World, run_id: int, outsider: str, frm: str) -> None:
    from registry.models import Proposal

    publish(client, db, run_id)
    pid = the_proposal(client, db)
    answers = (
        {"supplier_answer": "interested", "receiver_answer": "interested"}
        if frm not in ("proposed", "declined")
        else {}
    )
    if frm == "declined":
        answers = {"receiver_answer": "declined", "receiver_reason": "price"}
    extra = {"start_date": dt.date(2025, 3, 1), "actual_quantity": 900.0} if frm in ("implemented", "ended") else {}
    for to in STATUSES:
        if to == frm:
            continue
        for role in [*ROLES, outsider]:
            Proposal.objects.filter(pk=pid).update(
                **{"status": frm, "supplier_answer": "", "receiver_answer": "", "receiver_reason": "", **answers},
                **extra,
            )
            response = call(client, db, "POST", f"{BASE}/proposals/{pid}/status", role, {"status": to, **BODY})
            expected = _expected(frm, to, role)
            assert response.status_code == expected, (frm, to, role, response.content)
            now = Proposal.objects.get(pk=pid).status
            assert now == (to if expected == 200 else frm), (frm, to, role)


def test_implemented_needs_quantity_and_date_ended_needs_why(client: Any, db: World, run_id: int) -> None:
    from registry.models import Proposal, ProposalEvent

    publish(client, db, run_id)
    pid = the_proposal(client, db)
    url = f"{BASE}/proposals/{pid}/status"
    for role in ("member", "member2"):
        assert (
            call(client, db, "POST", f"{BASE}/proposals/{pid}/answer", role, {"answer": "interested"}).status_code
            == 200
        )
    assert call(client, db, "POST", url, "member", {"status": "agreed"}).status_code == 200
    missing = call(client, db, "POST", url, "member2", {"status": "implemented"})
    assert missing.status_code == 422 and {e["column"] for e in missing.json()["errors"]} == {"quantity", "date"}
    wrong = call(client, db, "POST", url, "member2", {"status": "implemented", "quantity": -5, "date": "2025-13-01"})
    assert wrong.status_code == 422 and {e["column"] for e in wrong.json()["errors"]} == {"quantity", "date"}
    assert call(client, db, "POST", url, "member", {"readiness": 6}).status_code == 403  # the facilitator's
    assert call(client, db, "POST", url, "facilitator", {"readiness": 12}).status_code == 422
    ok = call(client, db, "POST", url, "facilitator", {"readiness": 7, "note": "contract signed"})
    assert ok.status_code == 200 and ok.json()["readiness"] == 7 and ok.json()["status"] == "agreed"
    done = call(client, db, "POST", url, "member2", {"status": "implemented", "quantity": 4200, "date": "2025-03-01"})
    assert (
        done.status_code == 200 and done.json()["actual_quantity"] == 4200 and done.json()["start_date"] == "2025-03-01"
    )
    early = call(client, db, "POST", url, "facilitator", {"status": "ended", "date": "2025-01-01", "note": "closed"})
    assert early.status_code == 422
    assert call(client, db, "POST", url, "facilitator", {"status": "ended", "date": "2026-06-30"}).status_code == 422
    end = call(
        client, db, "POST", url, "facilitator", {"status": "ended", "date": "2026-06-30", "note": "plant closed"}
    )
    assert end.status_code == 200 and end.json()["end_date"] == "2026-06-30"
    steps = list(ProposalEvent.objects.filter(proposal_id=pid).values_list("kind", "to_status", "user__username"))
    assert [s[:2] for s in steps] == [
        ("published", "proposed"),
        ("answer", "proposed"),
        ("answer", "in_dialogue"),
        ("status", "agreed"),
        ("readiness", "agreed"),
        ("status", "implemented"),
        ("status", "ended"),
    ]
    assert steps[5][2] == db.emails["member2"] and steps[6][2] == db.emails["facilitator"]
    assert Proposal.objects.get(pk=pid).end_reason == "plant closed"


# ------------------------------------------------------------------------------------------ inbox and e-mail
def test_inbox_and_email_when_smtp_is_configured(client: Any, db: World, run_id: int) -> None:
    from django.core import mail
    from django.test import TestCase, override_settings

    from registry.models import Member

    with override_settings(SYMBIOSE_EMAIL=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        with TestCase.captureOnCommitCallbacks(execute=True):
            publish(client, db, run_id)
        pid = the_proposal(client, db)
        to_member = [m for m in mail.outbox if db.emails["member"] in m.to]
        assert len(to_member) == 1 and "wood_waste" in to_member[0].body
        others = Member.objects.filter(network__slug="hillerod").exclude(member_id="M09").values_list("name", flat=True)
        assert not [n for n in others if n in to_member[0].body or n in to_member[0].subject]
        mail.outbox = []
        with TestCase.captureOnCommitCallbacks(execute=True):
            call(client, db, "POST", f"{BASE}/proposals/{pid}/answer", "member", {"answer": "interested"})
        assert [m.to for m in mail.outbox if db.emails["member2"] in m.to]  # the other side is told
        assert [m.to for m in mail.outbox if db.emails["facilitator"] in m.to]  # and the facilitator
    mail.outbox = []
    with override_settings(SYMBIOSE_EMAIL=False, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            call(client, db, "POST", f"{BASE}/proposals/{pid}/answer", "member2", {"answer": "interested"})
        assert mail.outbox == []  # no SMTP: the inbox only
    from test_registry_pages import signed_in

    page = signed_in(db, "member").get("/n/hillerod/inbox/").content.decode()
    assert "Both sides of proposal" in page and "A new proposal" in page
    assert "Inbox (" in signed_in(db, "member").get("/n/hillerod/").content.decode()
    signed_in(db, "member").post("/n/hillerod/inbox/")
    assert "Inbox (" not in signed_in(db, "member").get("/n/hillerod/").content.decode()
    assert signed_in(db, "planner").get("/n/hillerod/inbox/").status_code == 403


# ------------------------------------------------------------------------------------------ re-matching
def test_a_rematch_keeps_the_implemented_exchange_and_never_reproposes_a_declined_pair(
    client: Any, db: World, run_id: int
) -> None:
    from registry.models import Proposal

    publish(client, db, run_id)
    pid = the_proposal(client, db)
    for role in ("member", "member2"):
        call(client, db, "POST", f"{BASE}/proposals/{pid}/answer", role, {"answer": "interested"})
    call(client, db, "POST", f"{BASE}/proposals/{pid}/status", "member", {"status": "agreed"})
    call(
        client,
        db,
        "POST",
        f"{BASE}/proposals/{pid}/status",
        "member",
        {"status": "implemented", "quantity": 1234.5, "date": "2025-01-01"},
    )
    declined = Proposal.objects.filter(network__slug="hillerod", supply_stream="S16").get()
    assert call(client, db, "POST", f"{BASE}/proposals/{declined.pk}/answer", "facilitator", {}).status_code == 403
    Proposal.objects.filter(pk=declined.pk).update(
        status="declined", receiver_answer="declined", receiver_reason="price"
    )
    new = call(client, db, "POST", f"{BASE}/matches", "facilitator").json()
    exchanges = new["result"]["exchanges"]
    kept = [e for e in exchanges if (e["supply_stream"], e["demand_stream"]) == PAIR]
    assert kept == [kept[0]] and kept[0]["implemented"] is True and kept[0]["quantity"] == pytest.approx(1234.5)
    assert all(not e["implemented"] for e in exchanges if e is not kept[0])
    assert not [e for e in exchanges if (e["supply_stream"], e["demand_stream"]) == ("S16", "D14")]
    # published: the implemented one is not proposed again, nor the declined one
    doc = publish(client, db, new["id"])
    pairs = {(p["supply_stream"], p["demand_stream"]) for p in doc["proposals"]}
    assert PAIR not in pairs and ("S16", "D14") not in pairs
    # the facilitator reopens the declined pair: the next match may propose it again
    reopened = call(client, db, "POST", f"{BASE}/proposals/{declined.pk}/status", "facilitator", {"status": "proposed"})
    assert reopened.status_code == 200 and reopened.json()["reopened"] is True
    again = call(client, db, "POST", f"{BASE}/matches", "facilitator").json()["result"]["exchanges"]
    assert [e for e in again if (e["supply_stream"], e["demand_stream"]) == ("S16", "D14")]
    # the export is the folder the registry matched: symbiose match gives the stored run
    from click.testing import CliRunner

    from matcher.cli import main
    from registry import services
    from registry.models import Network

    Proposal.objects.filter(pk=declined.pk).update(status="declined", reopened=False)
    stored = call(client, db, "POST", f"{BASE}/matches", "facilitator").json()["result"]
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        services.export_folder(None, Network.objects.get(slug="hillerod"), Path(tmp) / "out")
        assert (Path(tmp) / "out" / "fixed_exchanges.csv").exists()
        result = CliRunner().invoke(main, ["match", str(Path(tmp) / "out"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == stored


# ------------------------------------------------------------------------------------------ realised impact
def _implement(pid: int, quantity: float, start: dt.date, end: dt.date | None = None) -> None:
    from registry.models import Proposal

    Proposal.objects.filter(pk=pid).update(
        status="ended" if end else "implemented",
        supplier_answer="interested",
        receiver_answer="interested",
        actual_quantity=quantity,
        start_date=start,
        end_date=end,
    )


def test_realised_kpis_are_the_sum_over_implemented_exchanges(client: Any, db: World, run_id: int) -> None:
    from registry.models import MatchRun, Proposal

    publish(client, db, run_id)
    rows = {(p.supply_stream, p.demand_stream): p for p in Proposal.objects.filter(network__slug="hillerod")}
    run = MatchRun.objects.get(pk=run_id)
    ex = {(e["supply_stream"], e["demand_stream"]): e for e in run.result["exchanges"]}
    a, b, c = PAIR, ("S04", "D23"), ("S09", "D24")  # wood waste (t), spent grain (t), biogas (MWh)
    _implement(rows[a].pk, 4000.0, dt.date(2024, 7, 1))  # runs on: half of 2024 (184 of 366 days), all of 2025
    _implement(rows[b].pk, 2000.0, dt.date(2025, 1, 1), dt.date(2025, 12, 31))  # all of 2025
    _implement(rows[c].pk, 5000.0, dt.date(2025, 4, 1))  # 275 of 365 days in 2025
    # an agreed one and a declined one count for nothing
    Proposal.objects.filter(pk=rows[("S13", "D10")].pk).update(status="agreed")
    today = dt.date(2025, 12, 31)
    from django.contrib.auth import get_user_model

    from registry.proposals import impact

    doc = impact(get_user_model().objects.get(username=db.emails["facilitator"]), rows[a].network, today=today)
    assert [y["year"] for y in doc["years"]] == [2024, 2025]
    share = {2024: {a: 184 / 366}, 2025: {a: 1.0, b: 1.0, c: 275 / 365}}
    actual = {a: 4000.0, b: 2000.0, c: 5000.0}
    for y in doc["years"]:
        k = y["kpis"]
        parts = share[y["year"]]
        # independently: each exchange's figures of the run, per unit of supply, times what ran
        f = {pair: actual[pair] * s / ex[pair]["quantity"] for pair, s in parts.items()}
        assert k["savings"] == pytest.approx(sum(ex[p]["saving"] * f[p] for p in f))
        assert k["co2e_avoided_t"] == pytest.approx(sum(ex[p]["co2e_avoided_t"] * f[p] for p in f))
        assert k["savings_on_estimates"] == pytest.approx(sum(ex[p]["saving_on_estimates"] * f[p] for p in f))
        assert k["waste_diverted_t"] == pytest.approx(sum(actual[p] * parts[p] for p in f if p != c))
        assert k["virgin_avoided_t"] == pytest.approx(sum(ex[p]["delivered"] * f[p] for p in f if p != c))
        assert k["energy_recovered_mwh"] == pytest.approx(sum(ex[p]["delivered"] * f[p] for p in f if p == c))
        assert k["transport_tkm"] == pytest.approx(
            sum(actual[p] * parts[p] * ex[p]["distance_km"] for p in f if p != c)
        )
        assert k["exchanges"] == len(f)
        assert k["members_involved"] == len({m for p in f for m in (ex[p]["from_member"], ex[p]["to_member"])})
    assert set(doc["years"][0]["kpis"]) == set(run.result["kpis"])
    assert doc["potential"] == MatchRun.objects.filter(network__slug="hillerod").order_by("-id").first().result["kpis"]

    # the API, the page, CSV and XLSX and the HTML report, by role
    api = call(client, db, "GET", f"{BASE}/impact", "facilitator").json()
    assert set(api) >= {"years", "potential"} and all(set(y) == {"year", "kpis"} for y in api["years"])
    planner = call(client, db, "GET", f"{BASE}/impact", "planner").json()
    assert [y["year"] for y in planner["years"]] == [y["year"] for y in api["years"]]
    assert "M0" not in json.dumps(planner)
    for role, status in (
        ("member", 403),
        ("member2", 403),
        ("other_facilitator", 404),
        ("other_member", 404),
        (None, 401),
    ):
        assert call(client, db, "GET", f"{BASE}/impact", role).status_code == status
    from test_registry_pages import signed_in

    f = signed_in(db, "facilitator")
    page = f.get("/n/hillerod/impact/").content.decode()
    assert "13.2" in page and "12.5" in page and 'data-kpi="co2e_avoided_t"' in page
    csv = f.get("/n/hillerod/impact.csv").content.decode()
    assert csv.splitlines()[0] == "year,kpi,value,unit,sdg_target,potential" and "co2e_avoided_t" in csv
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(f.get("/n/hillerod/impact.xlsx").content))
    assert book["impact"]["A1"].value == "year"
    report = f.get("/n/hillerod/impact/report/")
    assert report.status_code == 200 and "<!DOCTYPE html>" in report.content.decode()
    assert signed_in(db, "planner").get("/n/hillerod/impact/").status_code == 200
    assert signed_in(db, "member").get("/n/hillerod/impact/").status_code == 403


# ------------------------------------------------------------------------------------------ pages
PAGES = {
    "/n/hillerod/proposals/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403},
    "/n/hillerod/proposals/PID/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403},
    "/n/hillerod/follow-up/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 403},
    "/n/hillerod/inbox/": {"facilitator": 200, "member": 200, "member2": 200, "planner": 403},
    "/n/hillerod/impact/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 200},
    "/n/hillerod/impact.csv": {"facilitator": 200, "member": 403, "member2": 403, "planner": 200},
    "/n/hillerod/impact.xlsx": {"facilitator": 200, "member": 403, "member2": 403, "planner": 200},
    "/n/hillerod/impact/report/": {"facilitator": 200, "member": 403, "member2": 403, "planner": 200},
}


def test_pages_by_role(client: Any, db: World, run_id: int, outsider: str) -> None:
    from test_registry_pages import signed_in

    publish(client, db, run_id)
    pid = the_proposal(client, db)
    for page, by_role in PAGES.items():
        url = page.replace("PID", str(pid))
        for role in [*ROLES, outsider]:
            expected = by_role.get(role, {"other_facilitator": 404, "other_member": 404, None: 302}.get(role))
            if role == outsider:
                expected = 404 if "PID" in page else by_role["member"]
            before = counts()
            assert signed_in(db, role).get(url).status_code == expected, (url, role)
            assert counts() == before


def test_follow_up_page_counts_reasons_and_lists_whom_to_call(client: Any, db: World, run_id: int) -> None:
    from test_registry_pages import signed_in

    from registry.models import Proposal

    publish(client, db, run_id)
    pid = the_proposal(client, db)
    call(client, db, "POST", f"{BASE}/proposals/{pid}/answer", "member2", {"answer": "declined", "reason": "price"})
    others = Proposal.objects.filter(network__slug="hillerod").exclude(pk=pid)[:2]
    for p in others:
        Proposal.objects.filter(pk=p.pk).update(
            status="declined", supplier_answer="declined", supplier_reason="quality"
        )
    html = signed_in(db, "facilitator").get("/n/hillerod/follow-up/").content.decode()
    import re

    reasons = dict(re.findall(r"<tr><th>(\w+)</th><td class=\"num\">(\d+)</td></tr>", html))
    assert reasons["price"] == "1" and reasons["quality"] == "2" and reasons["timing"] == "0"
    assert 'id="calls"' in html and "has not answered" in html


def test_the_pages_walk_one_proposal_with_two_users(client: Any, db: World, run_id: int) -> None:
    """The forms of the pages (what the browser test clicks), with CSRF enforced."""
    from django.test import Client

    from registry.models import Proposal

    def browser(role: str) -> Client:
        c = Client(enforce_csrf_checks=True)
        assert c.login(username=db.emails[role], password=PASSWORD)
        return c

    def post(c: Client, url: str, data: dict[str, str]) -> Any:
        page = url.rsplit("/", 2)[0] + "/"  # the page whose form posts here
        assert c.get(page).status_code == 200
        token = c.cookies["csrftoken"].value
        return c.post(url, {**data, "csrfmiddlewaretoken": token}, follow=True)

    f = browser("facilitator")
    r = post(f, f"/n/hillerod/matches/{run_id}/publish/", {})
    assert r.status_code == 200 and "Published" in r.content.decode()
    pid = Proposal.objects.get(network__slug="hillerod", supply_stream="S11").pk
    a, b = browser("member"), browser("member2")
    post(a, f"/n/hillerod/proposals/{pid}/answer/", {"answer": "interested"})
    r = post(b, f"/n/hillerod/proposals/{pid}/answer/", {"answer": "interested", "comment": "call us"})
    assert "in dialogue" in r.content.decode()
    post(a, f"/n/hillerod/proposals/{pid}/status/", {"status": "agreed"})
    r = post(
        b,
        f"/n/hillerod/proposals/{pid}/status/",
        {"status": "implemented", "quantity": "4 200,5".replace(" ", ""), "date": "2025-02-01"},
    )
    p = Proposal.objects.get(pk=pid)
    assert p.status == "implemented" and p.actual_quantity == pytest.approx(4200.5)
    r = post(f, f"/n/hillerod/proposals/{pid}/status/", {"readiness": "8", "note": "running"})
    assert Proposal.objects.get(pk=pid).readiness == 8


def test_an_actual_quantity_beyond_the_streams_is_refused(client: Any, db: World, run_id: int) -> None:
    from registry.models import Proposal

    publish(client, db, run_id)
    pid = the_proposal(client, db)
    Proposal.objects.filter(pk=pid).update(status="agreed", supplier_answer="interested", receiver_answer="interested")
    url = f"{BASE}/proposals/{pid}/status"
    too_much = call(
        client, db, "POST", url, "member", {"status": "implemented", "quantity": 5001, "date": "2025-01-01"}
    )
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["column"] == "quantity"
    assert Proposal.objects.get(pk=pid).status == "agreed"
    ok = call(client, db, "POST", url, "member", {"status": "implemented", "quantity": 5000, "date": "2025-01-01"})
    assert ok.status_code == 200


@pytest.mark.parametrize(("lang", "word"), [("da", "Forslag"), ("sv", "Förslag"), ("nb", "Forslag")])
def test_proposal_pages_speak_danish_swedish_and_norwegian(
    client: Any, db: World, run_id: int, lang: str, word: str
) -> None:
    from test_registry_pages import signed_in

    publish(client, db, run_id)
    browser = signed_in(db, "member")
    html = browser.get("/n/hillerod/proposals/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f"<h1>{word}</h1>" in html
    hidden = {
        "da": "skjult, indtil begge er interesserede",
        "sv": "dold tills båda är intresserade",
        "nb": "skjult til begge er interessert",
    }[lang]
    assert hidden in html


# ------------------------------------------------------------------------------------------ submissions keep them
def _implemented(client: Any, world: World, run_id: int, quantity: float) -> int:
    """S11 (M09) -> D03 (M02) implemented at ``quantity`` t a year, through the API."""
    publish(client, world, run_id)
    pid = the_proposal(client, world)
    for role in ("member", "member2"):
        call(client, world, "POST", f"{BASE}/proposals/{pid}/answer", role, {"answer": "interested"})
    call(client, world, "POST", f"{BASE}/proposals/{pid}/status", "member", {"status": "agreed"})
    done = call(
        client,
        world,
        "POST",
        f"{BASE}/proposals/{pid}/status",
        "member",
        {"status": "implemented", "quantity": quantity, "date": "2025-01-01"},
    )
    assert done.status_code == 200, done.content
    return pid


def _submit(client: Any, world: World, role: str, text: str, name: str = "mine.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(f"{BASE}/submissions", {"file": upload}, **bearer(world, role))


HEADER = "stream_id,member_id,direction,resource,quantity,unit\n"


def test_a_submission_below_an_implemented_exchange_is_refused_and_matches_keep_running(
    client: Any, db: World, run_id: int
) -> None:
    from registry.models import Stream

    _implemented(client, db, run_id, 1234.5)
    before = counts()
    # less than the exchange takes: 422 naming the row and the quantity column, nothing stored
    low = _submit(client, db, "member", HEADER + "S90,M09,demand,heat_low,800,MWh\nS11,M09,supply,wood_waste,1000,t\n")
    assert low.status_code == 422, low.content
    errors = low.json()["errors"]
    assert [(e["file"], e["row"], e["column"]) for e in errors] == [("mine.csv", 3, "quantity")]
    assert "an implemented exchange takes 1,234.5 t a year" in errors[0]["message"]
    assert "facilitator must end that exchange first" in errors[0]["message"]
    assert counts() == before
    # the same amount in another unit of the resource is read in that unit
    kg = _submit(client, db, "member", HEADER + "S11,M09,supply,wood_waste,1000000,kg\n").json()["errors"]
    assert [(e["row"], e["column"]) for e in kg] == [(2, "quantity")] and "1,234,500 kg" in kg[0]["message"]
    # the stream left out: 422 naming stream_id
    gone = _submit(client, db, "member", HEADER + "S90,M09,demand,heat_low,800,MWh\n")
    assert gone.status_code == 422
    assert [(e["row"], e["column"]) for e in gone.json()["errors"]] == [(None, "stream_id")]
    assert "S11" in gone.json()["errors"][0]["message"] and "1,234.5 t" in gone.json()["errors"][0]["message"]
    # turned into a demand, or another resource: 422
    turned = _submit(client, db, "member", HEADER + "S11,M09,demand,wood_waste,5000,t\n").json()["errors"]
    assert [(e["row"], e["column"]) for e in turned] == [(2, "direction")]
    # the receiving side: its demand may not fall below what the exchange delivers
    d03 = Stream.objects.get(network__slug="hillerod", stream_id="D03", current=True)
    rows = [s.data for s in Stream.objects.filter(member=d03.member, current=True).order_by("position")]
    from registry.tables import csv_of, frame_of

    text = csv_of(frame_of([{**r, "quantity": 100.0} if r["stream_id"] == "D03" else r for r in rows], "streams"))
    receiver = _submit(client, db, "member2", text)
    assert receiver.status_code == 422
    found = receiver.json()["errors"]
    assert [(e["row"], e["column"]) for e in found] == [(2 + [r["stream_id"] for r in rows].index("D03"), "quantity")]
    assert "delivers" in found[0]["message"]
    assert counts() == before
    # nothing was broken: the match still runs and keeps the exchange
    assert call(client, db, "POST", f"{BASE}/matches", "facilitator").status_code == 201
    # at the exchange's amount, or above, the submission is taken; the next match runs and keeps it
    for quantity in ("1234.5", "3000"):
        ok = _submit(client, db, "member", HEADER + f"S11,M09,supply,wood_waste,{quantity},t\n")
        assert ok.status_code == 201, ok.content
        again = call(client, db, "POST", f"{BASE}/matches", "facilitator")
        assert again.status_code == 201, again.content
        kept = [e for e in again.json()["result"]["exchanges"] if (e["supply_stream"], e["demand_stream"]) == PAIR]
        assert kept and kept[0]["implemented"] is True and kept[0]["quantity"] == pytest.approx(1234.5)


def test_the_stream_form_and_delete_keep_an_implemented_exchange(client: Any, db: World, run_id: int) -> None:
    from test_registry_pages import signed_in

    _implemented(client, db, run_id, 1234.5)
    before = counts()
    browser = signed_in(db, "member")
    form = {"stream_id": "S11", "direction": "supply", "resource": "wood_waste", "quantity": "1000", "unit": "t"}
    page = browser.post("/n/hillerod/stream/S11/edit/", form)
    assert page.status_code == 422
    html = page.content.decode()
    assert "an implemented exchange takes 1,234.5 t a year" in html
    deleted = browser.post("/n/hillerod/stream/S11/delete/", follow=True)
    assert "S11 is missing" in deleted.content.decode()
    assert counts() == before
    assert browser.post("/n/hillerod/stream/S11/edit/", {**form, "quantity": "1300"}).status_code == 302
    assert call(client, db, "POST", f"{BASE}/matches", "facilitator").status_code == 201


def test_an_import_that_would_break_an_implemented_exchange_is_refused(
    client: Any, db: World, run_id: int, tmp_path: Any
) -> None:
    import shutil

    import scenarios
    from registry import services
    from registry.models import Network

    _implemented(client, db, run_id, 1234.5)
    folder = tmp_path / "hillerod"
    shutil.copytree(scenarios.path("hillerod"), folder)
    text = (folder / "streams.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("S11;")) + 1
    lines[row - 1] = lines[row - 1].replace(";5000;", ";1000;")
    (folder / "streams.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = counts()
    network = Network.objects.get(slug="hillerod")
    with pytest.raises(services.DataError) as caught:
        services.import_folder(None, network, folder)
    assert [(i.file, i.row, i.column) for i in caught.value.issues] == [("streams.csv", row, "quantity")]
    assert "1,234.5 t" in caught.value.issues[0].message
    assert counts() == before
