"""From a match to exchanges that run: proposals, double opt-in, status, follow-up and realised impact.

A facilitator publishes a match run (:func:`publish`): each exchange the run
proposes becomes a :class:`~registry.models.Proposal` that its two members see
without learning who the other is. Each side answers (:func:`answer`); when both
are interested each sees the other's name and contact, and the proposal moves to
*in dialogue*. Then (:func:`set_status`):

==============  ==================================  ==================================
from            to                                  who
==============  ==================================  ==================================
in_dialogue     agreed                              facilitator, either side
agreed          implemented (quantity, start date)  facilitator, either side
agreed          in_dialogue                         facilitator
in_dialogue,    ended (end date, why)               facilitator
agreed,
implemented
declined        proposed (reopened: asked again)    facilitator
any             the same, with a readiness level    facilitator
==============  ==================================  ==================================

Every step is a :class:`~registry.models.ProposalEvent` (who, when) and an audit
event, inside the transaction that makes it; the proposal's row is locked, so two
answers at once queue. Each step tells the members concerned in their inbox
(:class:`~registry.models.Notification`), and by e-mail when the server has SMTP
(``SYMBIOSE_SMTP_HOST``), after the transaction commits; no message names the
other side before both said interested.

A new match respects reality (:func:`commitments`): every implemented exchange is
a fixed flow at its actual quantity (``fixed_exchanges.csv`` of the scenario
folder) and every declined pair that was not reopened is excluded
(``excluded_pairs.csv``). Realised impact (:func:`impact`) counts implemented
exchanges only, with their actual quantities, per calendar year, next to the
potential of the latest match.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from models import DataError, Issue

from . import audit
from .commitments import OPEN, commitments
from .models import Account, MatchRun, Member, Network, Notification, Proposal, ProposalEvent
from .scoping import Role, account_of, require

__all__ = [
    "Conflict",
    "answer",
    "commitments",
    "follow_up",
    "impact",
    "proposal_record",
    "publish",
    "set_status",
    "transitions",
]

log = logging.getLogger(__name__)

S = Proposal.Status


#: (from, to) -> who may make the move by :func:`set_status` ("side": either member of the proposal).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.IN_DIALOGUE, S.AGREED): frozenset({"facilitator", "side"}),
    (S.AGREED, S.IMPLEMENTED): frozenset({"facilitator", "side"}),
    (S.AGREED, S.IN_DIALOGUE): frozenset({"facilitator"}),
    (S.IN_DIALOGUE, S.ENDED): frozenset({"facilitator"}),
    (S.AGREED, S.ENDED): frozenset({"facilitator"}),
    (S.IMPLEMENTED, S.ENDED): frozenset({"facilitator"}),
    (S.DECLINED, S.PROPOSED): frozenset({"facilitator"}),
}

#: Inbox messages, by kind (shown in the reader's language).
MESSAGES = {
    "new_proposal": gettext_lazy("A new proposal: %(quantity)s %(unit)s a year of %(resource)s."),
    "answered": gettext_lazy("The other side of proposal #%(id)s answered: %(answer)s."),
    "consented": gettext_lazy("Both sides of proposal #%(id)s are interested: you can now see who the other is."),
    "declined": gettext_lazy("Proposal #%(id)s was declined."),
    "status": gettext_lazy("Proposal #%(id)s is now %(status)s."),
    "reopened": gettext_lazy("Proposal #%(id)s was reopened: please answer again."),
    "answer_in": gettext_lazy("Proposal #%(id)s: the %(side)s answered %(answer)s."),
}


class Conflict(Exception):
    """The proposal is not in a state that allows this (409)."""


# ----------------------------------------------------------------------------- who is who
def _side(account: Any, proposal: Proposal) -> str | None:
    """``supplier``, ``receiver`` or None for the account on this proposal."""
    if account is None or account.role != Role.MEMBER:
        return None
    if account.member_id == proposal.supplier_id:
        return "supplier"
    if account.member_id == proposal.receiver_id:
        return "receiver"
    return None


def visible(user: Any, network: Network, proposal_id: int) -> Proposal:
    """A proposal the user may read; 404 where it may not (never revealing that it exists)."""
    require(user, "read_proposals")
    return _one(user, network, proposal_id)


def _one(user: Any, network: Network, proposal_id: int, lock: bool = False) -> Proposal:
    qs = Proposal.objects.for_user(user, network).filter(pk=proposal_id)
    if lock:
        qs = qs.select_for_update()
    found = qs.select_related("supplier", "receiver").first()
    if found is None:
        raise Http404("no such proposal")
    return found


def contact_of(member: Member) -> dict[str, Any]:
    """A member's name and the people to call: a contact column of members.csv, else its users' e-mails."""
    data = member.data or {}
    person = next((str(data[k]) for k in ("contact", "contact_person", "contact_name") if data.get(k)), "")
    emails = [str(data[k]) for k in ("email", "contact_email") if data.get(k)]
    emails += list(
        Account.objects.filter(member=member, user__is_active=True)
        .order_by("user__username")
        .values_list("user__email", flat=True)
    )
    return {
        "member_id": member.member_id,
        "name": member.name,
        "contact_person": person or None,
        "email": emails[0] if emails else None,
        "emails": list(dict.fromkeys(e for e in emails if e)),
        "phone": str(data["phone"]) if data.get("phone") else None,
    }


# ----------------------------------------------------------------------------- publish
def publish(user: Any, network: Network, run_id: int, request: HttpRequest | None = None) -> list[Proposal]:
    """Make the proposals of a match run: one per exchange it proposes (not the implemented ones).

    A pair that already has an open proposal (proposed, in dialogue, agreed, implemented) is not
    proposed again. Transfer prices come from the prices tool on the run's own folder.

    Raises
    ------
    PermissionDenied
        Unless the user is the network's facilitator.
    Http404
        If there is no such run in the user's network.
    Conflict
        If the run was published already, has no solution, or the data changed since it ran.
    """
    require(user, "publish")
    run = MatchRun.objects.for_user(user, network).filter(pk=run_id).defer("report_html").first()
    if run is None:
        raise Http404("no such run")
    if run.published_at is not None:
        raise Conflict(_("this run was published already"))
    if not _has_solution(run.status):
        raise Conflict(_("this run has no solution to publish"))
    if run.data_version != Network.objects.get(pk=network.pk).data_version:
        raise Conflict(_("the data changed since this run; run a new match and publish that"))
    proposed = [e for e in run.result.get("exchanges", []) if not e.get("implemented")]
    prices = _prices(run) if proposed else {}
    catalog = _categories(network)
    members = {m.member_id: m for m in Member.objects.filter(network=network)}
    now = timezone.now()
    with transaction.atomic():
        locked = MatchRun.objects.select_for_update().get(pk=run.pk)
        if locked.published_at is not None:
            raise Conflict(_("this run was published already"))
        # a pair with an open proposal is not proposed twice; a declined one only once reopened
        taken = set(
            Proposal.objects.filter(network=network)
            .filter(Q(status__in=OPEN) | Q(status=S.DECLINED, reopened=False))
            .values_list("supply_stream", "demand_stream")
        )
        made = []
        for ex in proposed:  # one per exchange of the run: a few dozen
            pair = (ex["supply_stream"], ex["demand_stream"])
            if pair in taken:
                continue
            price = prices.get(pair, {})
            p = Proposal.objects.create(
                network=network,
                run=run,
                supply_stream=pair[0],
                demand_stream=pair[1],
                supplier=members[ex["from_member"]],
                receiver=members[ex["to_member"]],
                resource=ex["resource"],
                demand_resource=ex.get("demand_resource") or ex["resource"],
                quantity=float(ex["quantity"]),
                unit=ex["unit"],
                delivered=float(ex.get("delivered") or ex["quantity"]),
                delivered_unit=ex.get("delivered_unit") or ex["unit"],
                distance_km=float(ex.get("distance_km") or 0.0),
                saving=float(ex.get("saving") or 0.0),
                supplier_saving=price.get("supplier_share"),
                receiver_saving=price.get("receiver_share"),
                transfer_price=price.get("transfer_price"),
                price_low=price.get("price_receiver_optimal"),
                price_high=price.get("price_supplier_optimal"),
                currency=run.result.get("currency") or network.currency,
                exchange={
                    **ex,
                    "supply_category": catalog.get(ex["resource"]),
                    "demand_category": catalog.get(ex.get("demand_resource") or ex["resource"]),
                },
                status_changed_at=now,
            )
            taken.add(pair)
            made.append(p)
            ProposalEvent.objects.create(
                network=network, proposal=p, user=user, side="facilitator", kind="published", to_status=S.PROPOSED
            )
            for member in (p.supplier, p.receiver):
                _notify(
                    p, member, "new_proposal", {"quantity": _num(p.quantity), "unit": p.unit, "resource": p.resource}
                )
        MatchRun.objects.filter(pk=run.pk).update(published_at=now, published_by=user)
        audit.record("publish", user, request, run=run.pk, proposals=len(made))
    return made


def _has_solution(status: str) -> bool:
    from matcher.solve.base import Status

    try:
        return Status(status).has_solution
    except ValueError:
        return False


def _prices(run: MatchRun) -> dict[tuple[str, str], dict[str, float]]:
    """Transfer prices of the run's exchanges (:func:`matcher.transfer_prices` on the run's folder)."""
    from matcher.results.prices import transfer_prices

    from .matching import solve_files

    try:
        result = solve_files(run.inputs)
        table = transfer_prices(result).exchanges
    except Exception as exc:  # prices are shown where they exist; a run without duals is still published
        log.warning("no transfer prices for run %s: %s", run.pk, exc)
        return {}
    out: dict[tuple[str, str], dict[str, float]] = {}
    for row in table.to_dict("records"):
        out[(row["supply_stream"], row["demand_stream"])] = {
            k: float(row[k])
            for k in (
                "transfer_price",
                "price_receiver_optimal",
                "price_supplier_optimal",
                "supplier_share",
                "receiver_share",
            )
            if pd.notna(row[k])
        }
    return out


def _categories(network: Network) -> dict[str, str]:
    from .tables import catalog_of

    return {k: r.category for k, r in catalog_of(network).resources.items()}


def _kinds(network: Network) -> dict[str, str | None]:
    """Each shared capacity's kind (backhaul, storage_space, ...) by resource key."""
    from .tables import catalog_of

    return {k: getattr(r, "kind", None) for k, r in catalog_of(network).resources.items()}


def _num(value: float) -> str:
    from django.utils.formats import number_format

    return number_format(
        round(value, 2 if abs(value) < 100 else 0), decimal_pos=None, use_l10n=True, force_grouping=True
    )


# ----------------------------------------------------------------------------- answers
def answer(
    user: Any,
    network: Network,
    proposal_id: int,
    body: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Proposal:
    """A side's answer: ``{"answer": "interested"|"declined", "reason": ..., "comment": ...}``.

    A decline needs a reason (price, quality, regulation, logistics, timing, other). A side may
    change its answer while the proposal is proposed; a decline ends it (the pair is excluded
    from new matches until the facilitator reopens it); two interested answers open it.

    Raises
    ------
    Http404
        If the user may not see the proposal.
    PermissionDenied
        If the user is not one of its two sides.
    DataError
        For a wrong answer, reason or comment.
    Conflict
        Unless the proposal is proposed.
    """
    require(user, "answer")  # a role that never answers learns nothing more (403)
    value = body.get("answer")
    reason = body.get("reason") or ""
    comment = body.get("comment") or ""
    issues = []
    if value not in Proposal.Answer.values:
        issues.append(Issue("request", None, "answer", _("answer interested or declined")))
    if value == Proposal.Answer.DECLINED and reason not in Proposal.Reason.values:
        issues.append(
            Issue(
                "request",
                None,
                "reason",
                _("give a reason: %(choices)s") % {"choices": ", ".join(Proposal.Reason.values)},
            )
        )
    elif reason and reason not in Proposal.Reason.values:
        issues.append(
            Issue(
                "request",
                None,
                "reason",
                _("the reason is one of: %(choices)s") % {"choices": ", ".join(Proposal.Reason.values)},
            )
        )
    if not isinstance(comment, str) or len(comment) > 2000:
        issues.append(Issue("request", None, "comment", _("a comment is text of at most 2000 characters")))
    _one(user, network, proposal_id)  # 404 before 403: nobody learns of a proposal they may not see
    account = account_of(user)
    with transaction.atomic():
        p = _one(user, network, proposal_id, lock=True)
        side = _side(account, p)
        if side is None:
            raise PermissionDenied(_("only the two sides of a proposal answer it"))
        if issues:
            raise DataError(issues)
        if p.status != S.PROPOSED:
            raise Conflict(
                _("this proposal is %(status)s; answers are taken while it is proposed")
                % {"status": p.get_status_display()}
            )
        before = p.status
        # a member on both sides (an internal exchange, where a scenario allows it) answers for both
        sides = ("supplier", "receiver") if p.supplier_id == p.receiver_id else (side,)
        for one in sides:
            setattr(p, f"{one}_answer", value)
            setattr(p, f"{one}_reason", reason if value == Proposal.Answer.DECLINED else "")
            setattr(p, f"{one}_comment", comment)
        other = p.receiver if side == "supplier" else p.supplier
        if value == Proposal.Answer.DECLINED:
            p.status = S.DECLINED
            p.reopened = False  # declined again: excluded again until reopened again
        elif p.consented:
            p.status = S.IN_DIALOGUE
        if p.status != before:
            p.status_changed_at = timezone.now()
        p.save()
        ProposalEvent.objects.create(
            network=network,
            proposal=p,
            user=user,
            side=side,
            kind="answer",
            from_status=before,
            to_status=p.status,
            detail={"answer": value, "reason": reason, "comment": comment},
        )
        if p.status == S.IN_DIALOGUE:
            for member in (p.supplier, p.receiver):
                _notify(p, member, "consented", {"id": p.pk})
        elif p.status == S.DECLINED:
            _notify(p, other, "declined", {"id": p.pk})
        else:
            _notify(p, other, "answered", {"id": p.pk, "answer": value})
        _notify(p, None, "answer_in", {"id": p.pk, "side": side, "answer": value})
        audit.record("answer", user, request, proposal=p.pk, answer=value, reason=reason, status=p.status)
    return p


# ----------------------------------------------------------------------------- status
def transitions(user: Any, proposal: Proposal) -> list[str]:
    """The statuses the user may move the proposal to from where it is."""
    account = account_of(user)
    who = "facilitator" if account is not None and account.role == Role.FACILITATOR else None
    who = who or ("side" if _side(account, proposal) else None)
    if who is None:
        return []
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == proposal.status and who in roles]


def set_status(
    user: Any,
    network: Network,
    proposal_id: int,
    body: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Proposal:
    """Move a proposal on: ``{"status", "quantity", "date", "note", "readiness"}`` (see the module's table).

    ``implemented`` needs the actual ``quantity`` a year (in the proposal's unit) and the start
    ``date``; ``ended`` the end ``date`` and why (``note``). A facilitator may give a
    ``readiness`` level (1-9, with ``note``) with any move, or alone (``status`` left out or
    unchanged).

    Raises
    ------
    Http404, PermissionDenied, DataError, Conflict
        Not visible; a role that may not; a wrong value; a move not allowed from here.
    """
    require(user, "read_proposals")
    _one(user, network, proposal_id)
    account = account_of(user)
    facilitator = account is not None and account.role == Role.FACILITATOR
    issues: list[Issue] = []
    target = body.get("status")
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > 2000:
        issues.append(Issue("request", None, "note", _("a note is text of at most 2000 characters")))
        note = ""
    readiness = body.get("readiness")
    if readiness is not None and (
        isinstance(readiness, bool) or not isinstance(readiness, int) or not 1 <= readiness <= 9
    ):
        issues.append(Issue("request", None, "readiness", _("the readiness level is a whole number from 1 to 9")))
    when = _date(body.get("date"), issues)
    quantity = body.get("quantity")
    if quantity is not None and (
        isinstance(quantity, bool) or not isinstance(quantity, int | float) or not 0 < float(quantity) < 1e15
    ):
        issues.append(Issue("request", None, "quantity", _("the quantity is a positive number")))
        quantity = None
    if target is not None and target not in S.values:
        issues.append(
            Issue("request", None, "status", _("the status is one of: %(choices)s") % {"choices": ", ".join(S.values)})
        )
    with transaction.atomic():
        if target == S.IMPLEMENTED:  # checked against the streams as they stand: no submission moves meanwhile
            Network.objects.select_for_update().filter(pk=network.pk).first()
        p = _one(user, network, proposal_id, lock=True)
        side = _side(account, p)
        if not facilitator and side is None:
            raise PermissionDenied(_("only the facilitator and the two sides move a proposal"))
        if readiness is not None and not facilitator:
            raise PermissionDenied(_("only the facilitator sets the readiness level"))
        if issues:
            raise DataError(issues)
        before = p.status
        moving = target is not None and target != p.status
        if not moving and readiness is None:
            raise DataError([Issue("request", None, "status", _("give the new status (or a readiness level)"))])
        if moving:
            roles = TRANSITIONS.get((p.status, target))
            if roles is None:
                raise Conflict(
                    _("a proposal that is %(now)s cannot become %(to)s")
                    % {"now": p.get_status_display(), "to": S(target).label}
                )
            if ("facilitator" if facilitator else "side") not in roles:
                raise PermissionDenied(_("only the facilitator makes this move"))
            _apply(p, target, quantity, when, note)
        if readiness is not None:
            p.readiness = readiness
            p.readiness_note = note
        if moving:
            p.status_changed_at = timezone.now()
        p.save()
        detail = {
            k: v
            for k, v in {
                "quantity": quantity,
                "date": when and when.isoformat(),
                "note": note,
                "readiness": readiness,
            }.items()
            if v not in (None, "")
        }
        ProposalEvent.objects.create(
            network=network,
            proposal=p,
            user=user,
            side="facilitator" if facilitator else side or "",
            kind="status" if moving else "readiness",
            from_status=before,
            to_status=p.status,
            detail=detail,
        )
        if moving:
            kind = "reopened" if target == S.PROPOSED else "status"
            for member in (p.supplier, p.receiver):
                _notify(p, member, kind, {"id": p.pk, "status": p.status})
        audit.record("proposal_status", user, request, proposal=p.pk, **{"from": before, "to": p.status}, **detail)
    return p


def _apply(p: Proposal, target: str, quantity: Any, when: dt.date | None, note: str) -> None:
    if target == S.IMPLEMENTED:
        missing = [
            Issue("request", None, k, m)
            for k, v, m in (
                ("quantity", quantity, _("give the actual quantity a year")),
                ("date", when, _("give the start date")),
            )
            if v is None
        ]
        if missing:
            raise DataError(missing)
        _check_quantity(p, float(quantity))
        p.actual_quantity = float(quantity)
        p.start_date = when
    elif target == S.ENDED:
        issues = []
        if when is None:
            issues.append(Issue("request", None, "date", _("give the end date")))
        elif p.start_date is not None and when < p.start_date:
            issues.append(Issue("request", None, "date", _("the end date is before the start date")))
        if not note.strip():
            issues.append(Issue("request", None, "note", _("say why it ended")))
        if issues:
            raise DataError(issues)
        p.end_date = when
        p.end_reason = note
    elif target == S.PROPOSED:  # reopened: both sides are asked again, and new matches may propose the pair
        p.reopened = True
        for side in ("supplier", "receiver"):
            setattr(p, f"{side}_answer", "")
            setattr(p, f"{side}_reason", "")
            setattr(p, f"{side}_comment", "")
    p.status = target


def _check_quantity(p: Proposal, quantity: float) -> None:
    """An actual quantity a year within what both streams have now (a new match keeps it as a fixed flow)."""
    from .models import Stream

    have = dict(
        Stream.objects.filter(
            network_id=p.network_id, current=True, stream_id__in=[p.supply_stream, p.demand_stream]
        ).values_list("stream_id", "quantity_base")
    )
    ratio = p.delivered / p.quantity if p.quantity else 1.0
    for stream, need in ((p.supply_stream, quantity), (p.demand_stream, quantity * ratio)):
        if stream in have and need > have[stream] * (1 + 1e-9):
            raise DataError(
                [
                    Issue(
                        "request",
                        None,
                        "quantity",
                        _("more than the stream %(stream)s has a year (%(have)s)")
                        % {"stream": stream, "have": _num(have[stream])},
                    )
                ]
            )


def _date(value: Any, issues: list[Issue]) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        parsed = dt.date.fromisoformat(str(value))
    except ValueError:
        issues.append(Issue("request", None, "date", _("a date is written YYYY-MM-DD")))
        return None
    if not 1900 <= parsed.year <= 2200:
        issues.append(Issue("request", None, "date", _("a date between the years 1900 and 2200")))
        return None
    return parsed


# ----------------------------------------------------------------------------- what each role sees
def proposal_record(user: Any, p: Proposal) -> dict[str, Any]:
    """A proposal as the user may see it (it must come from ``for_user``).

    A member sees its own stream and role, its own saving and the transfer price, and the other
    side's member id, name and contact only once both said interested. A facilitator sees both
    streams and members, both answers and their reasons.
    """
    account = account_of(user)
    base: dict[str, Any] = {
        "id": p.pk,
        "run": p.run_id,
        "status": p.status,
        "resource": p.resource,
        "demand_resource": p.demand_resource,
        "quantity": p.quantity,
        "unit": p.unit,
        "delivered": p.delivered,
        "delivered_unit": p.delivered_unit,
        "distance_km": p.distance_km,
        "currency": p.currency,
        "transfer_price": p.transfer_price,
        "price_range": [p.price_low, p.price_high] if p.price_low is not None else None,
        "readiness": p.readiness,
        "actual_quantity": p.actual_quantity,
        "start_date": p.start_date.isoformat() if p.start_date else None,
        "end_date": p.end_date.isoformat() if p.end_date else None,
        "status_changed_at": p.status_changed_at.isoformat(),
        "published_at": p.created_at.isoformat(),
    }
    if account is not None and account.role == Role.FACILITATOR:
        return {
            **base,
            "supply_stream": p.supply_stream,
            "demand_stream": p.demand_stream,
            "from_member": p.supplier.member_id,
            "to_member": p.receiver.member_id,
            "supplier": contact_of(p.supplier),
            "receiver": contact_of(p.receiver),
            "saving": p.saving,
            "supplier_saving": p.supplier_saving,
            "receiver_saving": p.receiver_saving,
            "answers": {
                side: {
                    "answer": getattr(p, f"{side}_answer") or None,
                    "reason": getattr(p, f"{side}_reason") or None,
                    "comment": getattr(p, f"{side}_comment") or None,
                }
                for side in ("supplier", "receiver")
            },
            "readiness_note": p.readiness_note,
            "end_reason": p.end_reason,
            "reopened": p.reopened,
        }
    side = _side(account, p)
    if side is None:
        return {}
    other_side = "receiver" if side == "supplier" else "supplier"
    other = None
    if p.consented:
        member = p.receiver if side == "supplier" else p.supplier
        other = {**contact_of(member), "stream_id": p.demand_stream if side == "supplier" else p.supply_stream}
    return {
        **base,
        "role": side,
        "stream_id": p.supply_stream if side == "supplier" else p.demand_stream,
        "saving": p.supplier_saving if side == "supplier" else p.receiver_saving,
        "answer": getattr(p, f"{side}_answer") or None,
        "reason": getattr(p, f"{side}_reason") or None,
        "comment": getattr(p, f"{side}_comment") or None,
        "other_answered": bool(getattr(p, f"{other_side}_answer")),
        "other": other,
        "other_member_id": other["member_id"] if other else None,
        "other_name": other["name"] if other else None,
        "end_reason": p.end_reason or None,
    }


def history(user: Any, p: Proposal) -> list[dict[str, Any]]:
    """The proposal's steps as the user may see them: a member sees who acted as a side ("you", "the other
    side", "the facilitator"), a name only once both said interested."""
    account = account_of(user)
    mine = _side(account, p)
    facilitator = account is not None and account.role == Role.FACILITATOR
    out = []
    for e in ProposalEvent.objects.for_user(user, p.network).filter(proposal=p).select_related("user"):
        if facilitator or (p.consented and e.side in ("supplier", "receiver")) or e.side == "facilitator":
            who = e.user.get_username() if e.user else ""
        else:
            who = ""
        if mine and e.side == mine:
            who = _("you")
        elif mine and e.side in ("supplier", "receiver") and not p.consented:
            who = _("the other side")
        detail = dict(e.detail)
        if mine and e.side not in (mine, "facilitator"):
            detail.pop("comment", None)
            detail.pop("reason", None)
        out.append(
            {
                "at": e.at,
                "who": who,
                "side": e.side,
                "kind": e.kind,
                "from": e.from_status,
                "to": e.to_status,
                "detail": detail,
            }
        )
    return out


# ----------------------------------------------------------------------------- inbox
def _notify(p: Proposal, member: Member | None, kind: str, detail: dict[str, Any]) -> None:
    """An inbox message for a member's users (None: the facilitators), and e-mail after commit if SMTP is set."""
    Notification.objects.create(network_id=p.network_id, member=member, proposal=p, kind=kind, detail=detail)
    if not getattr(settings, "SYMBIOSE_EMAIL", False):
        return
    accounts = Account.objects.filter(network_id=p.network_id, user__is_active=True).select_related("user")
    accounts = accounts.filter(member=member) if member is not None else accounts.filter(role=Role.FACILITATOR)
    recipients = [(a.user.email, a.language) for a in accounts if a.user.email]
    if recipients:
        transaction.on_commit(lambda: _send(kind, detail, recipients))


def message_text(kind: str, detail: Mapping[str, Any]) -> str:
    """An inbox message in the active language."""
    params = dict(detail)
    if "status" in params:
        params["status"] = S(params["status"]).label if params["status"] in S.values else params["status"]
    if "answer" in params:
        params["answer"] = Proposal.Answer(params["answer"]).label if params["answer"] in Proposal.Answer.values else ""
    if "side" in params:
        params["side"] = {"supplier": _("supplier"), "receiver": _("receiver")}.get(params["side"], "")
    try:
        return str(MESSAGES[kind]) % params
    except (KeyError, TypeError, ValueError):
        return str(kind)


def _send(kind: str, detail: Mapping[str, Any], recipients: list[tuple[str, str]]) -> None:
    from django.core.mail import send_mail
    from django.utils import translation

    for email, language in recipients:  # one message each, in its reader's language
        with translation.override(language or settings.LANGUAGE_CODE):
            text = message_text(kind, detail)
            try:
                send_mail(
                    _("symbiose: %(text)s") % {"text": text[:80]},
                    text + "\n\n" + _("Open your inbox in the registry for the details."),
                    None,
                    [email],
                )
            except Exception as exc:  # a mail server that is down must not undo the step it reports
                log.warning("e-mail to %s not sent: %s", email, exc)


def inbox(user: Any, network: Network) -> Any:
    """The user's inbox: its member's messages (a facilitator: the network's), newest first."""
    return Notification.objects.for_user(user, network)


def mark_read(user: Any, network: Network) -> int:
    """Mark every message of the user's inbox read."""
    with transaction.atomic():
        return inbox(user, network).filter(read_at__isnull=True).update(read_at=timezone.now())


# ----------------------------------------------------------------------------- follow-up
def follow_up(user: Any, network: Network, now: dt.datetime | None = None) -> dict[str, Any]:
    """The facilitator's follow-up: proposals by status with the days they waited, decline reasons in
    numbers, and whom to call (the sides still to answer, both sides of a dialogue or an agreement)."""
    require(user, "follow_up")
    now = now or timezone.now()
    rows = list(
        Proposal.objects.for_user(user, network).select_related("supplier", "receiver").order_by("status_changed_at")
    )
    by_status: dict[str, list[dict[str, Any]]] = {s: [] for s in S.values}
    reasons = {r: 0 for r in Proposal.Reason.values}
    calls = []
    for p in rows:
        waited = (now - p.status_changed_at).total_seconds() / 86400.0
        item = {"proposal": p, "days": waited, "record": proposal_record(user, p)}
        by_status[p.status].append(item)
        for side in ("supplier", "receiver"):
            if getattr(p, f"{side}_answer") == Proposal.Answer.DECLINED and getattr(p, f"{side}_reason"):
                reasons[getattr(p, f"{side}_reason")] += 1
        if p.status == S.PROPOSED:
            for side in ("supplier", "receiver"):
                if not getattr(p, f"{side}_answer"):
                    calls.append(
                        {
                            "proposal": p,
                            "days": waited,
                            "why": _("has not answered"),
                            "side": side,
                            **contact_of(getattr(p, side)),
                        }
                    )
        elif p.status in (S.IN_DIALOGUE, S.AGREED):
            for side in ("supplier", "receiver"):
                calls.append(
                    {
                        "proposal": p,
                        "days": waited,
                        "why": S(p.status).label,
                        "side": side,
                        **contact_of(getattr(p, side)),
                    }
                )
    calls.sort(key=lambda c: -c["days"])
    declined = sum(reasons.values())
    return {
        "by_status": by_status,
        "counts": {s: len(v) for s, v in by_status.items()},
        "reasons": reasons,
        "reason_shares": {r: (n / declined if declined else 0.0) for r, n in reasons.items()},
        "calls": calls,
        "total": len(rows),
    }


# ----------------------------------------------------------------------------- realised impact
def realised_exchanges(network: Network, year: int, today: dt.date) -> pd.DataFrame:
    """The implemented (and ended) exchanges of one calendar year, at their actual quantities.

    Each runs from its start date to its end date (or ``today``); its actual quantity a year
    counts for the share of the year's days it ran. Every figure of the exchange as matched
    (delivered, saving, CO2e avoided) scales with the quantity.
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days_in_year = (last - first).days + 1
    rows = []
    for p in Proposal.objects.filter(
        network=network, status__in=(S.IMPLEMENTED, S.ENDED), start_date__isnull=False, actual_quantity__isnull=False
    ).select_related("supplier", "receiver"):
        begin = max(p.start_date, first)
        end = min(p.end_date or today, today, last)
        days = (end - begin).days + 1
        if days <= 0:
            continue
        quantity = float(p.actual_quantity) * days / days_in_year
        scale = quantity / p.quantity if p.quantity else 0.0
        ex = p.exchange
        rows.append(
            {
                "proposal": p.pk,
                "from_member": p.supplier.member_id,
                "to_member": p.receiver.member_id,
                "resource": p.resource,
                "demand_resource": p.demand_resource,
                "quantity": quantity,
                "unit": p.unit,
                "delivered": float(ex.get("delivered", p.delivered)) * scale,
                "delivered_unit": p.delivered_unit,
                "distance_km": p.distance_km,
                "co2e_avoided_t": float(ex.get("co2e_avoided_t") or 0.0) * scale,
                "saving": float(ex.get("saving", p.saving)) * scale,
                "saving_on_estimates": float(ex.get("saving_on_estimates") or 0.0) * scale,
                "co2e_avoided_on_estimates_t": float(ex.get("co2e_avoided_on_estimates_t") or 0.0) * scale,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "proposal",
            "from_member",
            "to_member",
            "resource",
            "demand_resource",
            "quantity",
            "unit",
            "delivered",
            "delivered_unit",
            "distance_km",
            "co2e_avoided_t",
            "saving",
            "saving_on_estimates",
            "co2e_avoided_on_estimates_t",
        ],
    )


def impact(user: Any, network: Network, today: dt.date | None = None) -> dict[str, Any]:
    """Realised KPIs per calendar year, from implemented exchanges only, and the latest match's potential.

    ``{"years": [{"year", "kpis"}], "potential": {...}, "currency", "potential_run"}`` with the keys of
    ``match --json`` kpis. A planner gets the figures rounded to two significant figures.

    Raises
    ------
    PermissionDenied
        Unless the user is a facilitator or planner of the network.
    """
    account = require(user, "read_impact")
    return impact_of(network, today, rounded=account.role == Role.PLANNER)


def impact_of(network: Network, today: dt.date | None = None, rounded: bool = False) -> dict[str, Any]:
    """The impact document of a network (:func:`impact` for a user; ``symbiose registry impact``)."""
    from matcher.results.kpis import exchange_kpis

    today = today or timezone.localdate()
    categories, kinds = _categories(network), _kinds(network)
    starts = list(
        Proposal.objects.filter(
            network=network, status__in=(S.IMPLEMENTED, S.ENDED), start_date__isnull=False
        ).values_list("start_date", flat=True)
    )
    years = []
    if starts:
        first = min(starts).year
        for year in range(first, max(today.year, first) + 1):
            if dt.date(year, 1, 1) > today:
                break
            years.append(
                {"year": year, "kpis": exchange_kpis(realised_exchanges(network, year, today), categories, kinds)}
            )
    latest = MatchRun.objects.filter(network=network).defer("inputs", "report_html").order_by("-id").first()
    potential = dict(latest.result.get("kpis") or {}) if latest else {}
    doc = {
        "currency": network.currency,
        "years": years,
        "potential": potential,
        "potential_run": latest.pk if latest else None,
    }
    if rounded:
        from matcher.report.anonymise import round_one

        def r(v: Any) -> Any:
            return round_one(float(v)) if isinstance(v, int | float) and not isinstance(v, bool) else v

        doc["years"] = [{"year": y["year"], "kpis": {k: r(v) for k, v in y["kpis"].items()}} for y in years]
        doc["potential"] = {k: r(v) for k, v in potential.items()}
    return doc


def impact_table(doc: Mapping[str, Any], currency: str) -> pd.DataFrame:
    """The impact document as one table: a row per year and KPI, with its unit, SDG target and the potential."""
    from matcher.results.kpis import KPIS

    rows = []
    for y in doc["years"]:
        for k, info in KPIS.items():
            rows.append(
                {
                    "year": y["year"],
                    "kpi": k,
                    "value": y["kpis"].get(k),
                    "unit": currency if info.unit == "currency" else info.unit,
                    "sdg_target": info.sdg_target,
                    "potential": doc["potential"].get(k),
                }
            )
    return pd.DataFrame(rows, columns=["year", "kpi", "value", "unit", "sdg_target", "potential"])


__all__ += [
    "contact_of",
    "history",
    "impact_of",
    "impact_table",
    "inbox",
    "mark_read",
    "message_text",
    "realised_exchanges",
]
