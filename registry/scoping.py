"""The one place that decides what a user may see and do.

Every query made for a user, by a page, the JSON API or the CLI, is
``Model.objects.for_user(user, network)``: it keeps the rows of the user's own
network only, and for a company user only its own member's rows; a planner
gets rows only where a model allows it, or for aggregates. Each model says how
it is seen by each role in ``scope_rules``:

``"all"``
    every row of the network;
``"own"``
    the rows of the user's member (through ``scope_member_field``; a tuple of fields: the rows
    where any of them is the member, such as either side of a proposal);
``"facilitators"``
    the rows addressed to no member (a facilitator's inbox);
``"aggregate"``
    every row of the network, but only for figures summed over members
    (``for_user(..., aggregate=True)``); no rows otherwise;
``"none"``
    nothing.

What a role may do (submit, run matches, read the audit log, ...) is
:data:`PERMISSIONS`. A user with no account, another network's user and an
anonymous visitor get empty querysets, so "not found" is all they can learn.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

__all__ = ["PERMISSIONS", "Role", "ScopedQuerySet", "account_of", "network_for", "require", "scope", "may"]

M = TypeVar("M", bound=models.Model)


class Role(models.TextChoices):
    """The three kinds of users."""

    FACILITATOR = "facilitator", _("facilitator")
    MEMBER = "member", _("company user")
    PLANNER = "planner", _("planner")


#: action -> the roles that may do it
PERMISSIONS: dict[str, frozenset[str]] = {
    "read_rows": frozenset({Role.FACILITATOR, Role.MEMBER}),  # members, streams, submissions as rows
    "submit": frozenset({Role.FACILITATOR, Role.MEMBER}),
    "submit_for_any_member": frozenset({Role.FACILITATOR}),
    "run_match": frozenset({Role.FACILITATOR}),
    "read_matches": frozenset({Role.FACILITATOR, Role.MEMBER, Role.PLANNER}),
    "read_audit": frozenset({Role.FACILITATOR}),
    "import_export": frozenset({Role.FACILITATOR}),
    "read_aggregates": frozenset({Role.FACILITATOR, Role.PLANNER}),
    "publish": frozenset({Role.FACILITATOR}),
    "read_proposals": frozenset({Role.FACILITATOR, Role.MEMBER}),
    "answer": frozenset({Role.MEMBER}),
    "follow_up": frozenset({Role.FACILITATOR}),
    "read_impact": frozenset({Role.FACILITATOR, Role.PLANNER}),
}

#: action -> what a refused user is told (403)
REFUSALS = {
    "read_rows": _("Your role sees only aggregated figures of the network."),
    "submit": _("Your role may not submit streams."),
    "submit_for_any_member": _("Only a facilitator submits for another member."),
    "run_match": _("Only a facilitator runs matches."),
    "read_matches": _("Your role may not read match runs."),
    "read_audit": _("Only a facilitator reads the audit log."),
    "import_export": _("Only a facilitator imports and exports the network."),
    "read_aggregates": _("Only facilitators and planners see the network's figures."),
    "publish": _("Only a facilitator publishes a run's exchanges as proposals."),
    "read_proposals": _("Your role sees no proposals."),
    "answer": _("Only a company user answers a proposal."),
    "follow_up": _("Only a facilitator follows proposals up."),
    "read_impact": _("Only facilitators and planners see the realised impact."),
}

#: model -> how each role sees its rows (see the module docstring); a model not listed is never scoped
DEFAULT_RULES = {Role.FACILITATOR: "all", Role.MEMBER: "none", Role.PLANNER: "none"}


def account_of(user: Any) -> Any:
    """The user's account, or None (anonymous, or a user with no network such as a bare superuser)."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    try:
        return user.account
    except ObjectDoesNotExist:
        return None


def scope(qs: models.QuerySet[M], user: Any, network: Any = None, aggregate: bool = False) -> models.QuerySet[M]:
    """``qs`` restricted to what ``user`` may see (in ``network``, if given).

    Parameters
    ----------
    qs
        A queryset of a registry model with ``scope_rules``.
    user
        The request's user (anonymous users see nothing).
    network
        Keep only this network's rows: another network than the user's gives nothing.
    aggregate
        For figures summed over members (planners): rows a planner may only aggregate.
    """
    account = account_of(user)
    if account is None or (network is not None and network.pk != account.network_id):
        return qs.none()
    model = qs.model
    is_network = model._meta.label == "registry.Network"
    qs = qs.filter(pk=account.network_id) if is_network else qs.filter(network_id=account.network_id)
    rule = getattr(model, "scope_rules", DEFAULT_RULES).get(account.role, "none")
    if rule == "all" or (rule == "aggregate" and aggregate):
        return qs
    if rule == "own":
        fields = model.scope_member_field  # type: ignore[attr-defined]
        if isinstance(fields, tuple):
            either = models.Q()
            for f in fields:
                either |= models.Q(**{f: account.member_id})
            return qs.filter(either)
        return qs.filter(**{fields: account.member_id})
    if rule == "facilitators":
        return qs.filter(member__isnull=True)
    return qs.none()


class ScopedQuerySet(models.QuerySet[M]):
    """A queryset with :meth:`for_user`."""

    def for_user(self, user: Any, network: Any = None, aggregate: bool = False) -> ScopedQuerySet[M]:
        """The rows ``user`` may see (see :func:`scope`)."""
        return scope(self, user, network, aggregate)  # type: ignore[return-value]


def may(user: Any, action: str) -> bool:
    """Whether the user's role allows ``action`` (a key of :data:`PERMISSIONS`)."""
    account = account_of(user)
    return account is not None and account.role in PERMISSIONS[action]


def network_for(user: Any, slug: str) -> Any:
    """The network ``slug`` if the user belongs to it; otherwise 404 (never saying whether it exists)."""
    account = account_of(user)  # a user sees its account's network only (scope's rule for networks)
    if account is None or account.network.slug != slug:
        raise Http404(_("Not found."))
    return account.network


def require(user: Any, action: str) -> Any:
    """The user's account if its role allows ``action``; else :class:`PermissionDenied` (403)."""
    if not may(user, action):
        raise PermissionDenied(str(REFUSALS.get(action, _("Your role may not do this."))))
    account = account_of(user)
    assert account is not None
    return account
