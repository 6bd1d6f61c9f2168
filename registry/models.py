"""The registry's tables.

A :class:`Network` holds members, their streams and links, and its scenario
(parameters, catalog additions). Streams arrive by :class:`Submission`: each
accepted submission replaces one member's streams as its next version, and
bumps the network's ``data_version``; earlier versions stay (``current`` is
false on their streams). A :class:`MatchRun` keeps the scenario folder it was
matched on, the data version, and the ``match --json`` document. Users belong
to one network through an :class:`Account` with a role. Every query that a
page, the API or the CLI makes on behalf of a user goes through
``Model.objects.for_user(user, network)`` (:mod:`registry.scoping`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .scoping import Role, ScopedQuerySet

__all__ = [
    "Account",
    "ApiToken",
    "AuditEvent",
    "Link",
    "MatchRun",
    "Member",
    "Network",
    "Notification",
    "Proposal",
    "ProposalEvent",
    "Role",
    "Setting",
    "Stream",
    "Submission",
]

_ID = 100  # longest id (member_id, stream_id) kept


class Network(models.Model):
    """One symbiosis network (Hillerød, Borås, ...); nothing is shared between networks."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3)
    description = models.TextField(_("description"), blank=True, default="")
    #: scenario keys other than the tables: ``parameters`` and ``catalog`` entries
    scenario = models.JSONField(default=dict, blank=True)
    #: catalog files of the scenario, in order: ``[{"name": "resources.yaml", "text": "..."}]``
    resources = models.JSONField(default=list, blank=True)
    #: bumped by every accepted change to members, streams or links
    data_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "all", Role.PLANNER: "all"}

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Member(models.Model):
    """A company, utility or municipality of a network (a row of members.csv)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="members")
    member_id = models.CharField(_("member id"), max_length=_ID)
    name = models.CharField(_("name"), max_length=300)
    #: the row of members.csv as validated (sector, lat, lon and any extra column)
    data = models.JSONField(default=dict)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "own", Role.PLANNER: "aggregate"}
    scope_member_field = "pk"

    class Meta:
        ordering = ["network", "position", "member_id"]
        constraints = [models.UniqueConstraint(fields=["network", "member_id"], name="member_id_unique_in_network")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.name}"


class Account(models.Model):
    """What a user may do, in which network: a facilitator, a company user (of one member) or a planner."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="accounts")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role="member", member__isnull=False) | (~Q(role="member") & Q(member__isnull=True)),
                name="member_role_has_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role} in {self.network.slug})"


class Submission(models.Model):
    """One version of a member's streams (accepted), or a draft kept for later."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACCEPTED = "accepted", _("accepted")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="submissions")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="submissions")
    state = models.CharField(max_length=10, choices=State.choices)
    #: 1, 2, ... per member for accepted submissions; None for drafts
    version = models.PositiveIntegerField(null=True, blank=True)
    current = models.BooleanField(default=False)
    data_version = models.PositiveIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True, default="")
    streams_count = models.PositiveIntegerField(default=0)
    #: a draft's table as read: ``{"file", "columns", "cells", "rows"}``
    raw = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "own", Role.PLANNER: "aggregate"}
    scope_member_field = "member_id"

    class Meta:
        ordering = ["member", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "version"], name="one_version_number_per_member"),
            models.UniqueConstraint(fields=["member"], condition=Q(current=True), name="one_current_version"),
        ]


class Stream(models.Model):
    """One row of streams.csv in one version of a member's streams."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="streams")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="streams")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="streams")
    stream_id = models.CharField(max_length=_ID)
    direction = models.CharField(max_length=10)
    resource = models.CharField(max_length=100)
    quantity = models.FloatField()
    unit = models.CharField(max_length=50)
    quantity_base = models.FloatField()
    base_unit = models.CharField(max_length=20)
    category = models.CharField(max_length=20)
    #: the row as validated: every column of streams.csv that has a value
    data = models.JSONField(default=dict)
    position = models.PositiveIntegerField(default=0)
    current = models.BooleanField(default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "own", Role.PLANNER: "aggregate"}
    scope_member_field = "member_id"

    class Meta:
        ordering = ["member__position", "member__member_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "stream_id"], condition=Q(current=True), name="stream_id_unique_in_network"
            )
        ]
        indexes = [models.Index(fields=["network", "current", "stream_id"])]


class Link(models.Model):
    """A known connection between two members (a row of links.csv)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="links")
    data = models.JSONField(default=dict)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "none", Role.PLANNER: "none"}

    class Meta:
        ordering = ["network", "position"]


class MatchRun(models.Model):
    """A match on the data of one version of the network, kept with the scenario folder it ran on."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="match_runs")
    data_version = models.PositiveIntegerField()
    parameters = models.JSONField(default=dict, blank=True)
    #: the scenario folder matched: file name -> text (``registry export`` writes the same files)
    inputs = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    status = models.CharField(max_length=40)
    seconds = models.FloatField(default=0.0)
    #: how the run was solved: ``path`` (``warm``: the previous run's model re-solved after stream changes, or
    #: ``cold``), why, the changes, and the engine's timings (:mod:`registry.warm`)
    timings = models.JSONField(default=dict, blank=True)
    report_html = models.TextField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    #: when a facilitator published the run's exchanges as proposals (once)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    # members and planners see the runs; what of a run's document they see is registry.matching.view_of
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "all", Role.PLANNER: "all"}

    class Meta:
        ordering = ["network", "-id"]


class Proposal(models.Model):
    """One exchange of a published match run, proposed to its two members (:mod:`registry.proposals`).

    Each side answers *interested* or *declined*; neither learns who the other is until both said
    *interested*. Then it moves on: in dialogue, agreed, implemented (start date, actual quantity a
    year), ended (end date, why). Its figures are those of the run: the exchange as matched
    (``exchange``: the row of ``match --json``, with each resource's category) and the transfer
    price of :func:`matcher.transfer_prices`.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        DECLINED = "declined", _("declined")
        IN_DIALOGUE = "in_dialogue", _("in dialogue")
        AGREED = "agreed", _("agreed")
        IMPLEMENTED = "implemented", _("implemented")
        ENDED = "ended", _("ended")

    class Answer(models.TextChoices):
        INTERESTED = "interested", _("interested")
        DECLINED = "declined", _("declined")

    class Reason(models.TextChoices):
        PRICE = "price", _("price")
        QUALITY = "quality", _("quality")
        REGULATION = "regulation", _("regulation")
        LOGISTICS = "logistics", _("logistics")
        TIMING = "timing", _("timing")
        OTHER = "other", _("other")

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="proposals")
    run = models.ForeignKey(MatchRun, on_delete=models.PROTECT, related_name="proposals")
    supply_stream = models.CharField(max_length=_ID)
    demand_stream = models.CharField(max_length=_ID)
    supplier = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="proposals_as_supplier")
    receiver = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="proposals_as_receiver")
    resource = models.CharField(max_length=100)
    demand_resource = models.CharField(max_length=100)
    #: as matched: a year, in the supply's base unit (``unit``); delivered in the demand's
    quantity = models.FloatField()
    unit = models.CharField(max_length=20)
    delivered = models.FloatField()
    delivered_unit = models.CharField(max_length=20)
    distance_km = models.FloatField()
    saving = models.FloatField()
    supplier_saving = models.FloatField(null=True)
    receiver_saving = models.FloatField(null=True)
    #: what the receiver pays per unit of supply, and the range of fair prices
    transfer_price = models.FloatField(null=True)
    price_low = models.FloatField(null=True)
    price_high = models.FloatField(null=True)
    currency = models.CharField(max_length=3)
    exchange = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    supplier_answer = models.CharField(max_length=20, choices=Answer.choices, blank=True, default="")
    supplier_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="")
    supplier_comment = models.TextField(blank=True, default="")
    receiver_answer = models.CharField(max_length=20, choices=Answer.choices, blank=True, default="")
    receiver_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="")
    receiver_comment = models.TextField(blank=True, default="")
    #: Industrial Symbiosis Readiness Level (CORALIS), 1-9, set by the facilitator
    readiness = models.PositiveSmallIntegerField(null=True, blank=True)
    readiness_note = models.TextField(blank=True, default="")
    actual_quantity = models.FloatField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True, default="")
    #: a declined pair the facilitator reopened: it may be proposed again
    reopened = models.BooleanField(default=False)
    status_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "own", Role.PLANNER: "aggregate"}
    scope_member_field = ("supplier_id", "receiver_id")

    class Meta:
        ordering = ["network", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(readiness__isnull=True) | Q(readiness__gte=1, readiness__lte=9), name="readiness_1_to_9"
            ),
            models.UniqueConstraint(fields=["run", "supply_stream", "demand_stream"], name="one_proposal_per_pair"),
        ]
        indexes = [models.Index(fields=["network", "supply_stream", "demand_stream"])]

    def __str__(self) -> str:
        return f"proposal {self.pk}: {self.supply_stream} -> {self.demand_stream} ({self.status})"

    @property
    def consented(self) -> bool:
        """Whether both sides said interested (each may then see who the other is)."""
        return self.supplier_answer == self.Answer.INTERESTED and self.receiver_answer == self.Answer.INTERESTED


class ProposalEvent(models.Model):
    """One step of a proposal: published, an answer, a status change, a readiness level; who and when."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="proposal_events")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    #: who acted, as the proposal sees it: supplier, receiver or facilitator
    side = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "own", Role.PLANNER: "none"}
    scope_member_field = ("proposal__supplier_id", "proposal__receiver_id")

    class Meta:
        ordering = ["at", "id"]


class Notification(models.Model):
    """An inbox message for one member's users (or the network's facilitators when ``member`` is empty)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="notifications")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    proposal = models.ForeignKey(Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    detail = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "facilitators", Role.MEMBER: "own", Role.PLANNER: "none"}
    scope_member_field = "member_id"

    class Meta:
        ordering = ["-created_at", "-id"]


class AuditEvent(models.Model):
    """Who did what and when: logins (and failed attempts), tokens, submissions, imports, exports, matches."""

    network = models.ForeignKey(Network, null=True, on_delete=models.CASCADE, related_name="audit_events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    email = models.CharField(max_length=254, blank=True, default="")
    action = models.CharField(max_length=40, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_rules = {Role.FACILITATOR: "all", Role.MEMBER: "none", Role.PLANNER: "none"}

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "email", "at"]), models.Index(fields=["action", "ip", "at"])]


class ApiToken(models.Model):
    """A bearer token for scripts; only its SHA-256 is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)


class Setting(models.Model):
    """Server-wide values kept in the database (the signing key generated on first start)."""

    key = models.CharField(max_length=50, primary_key=True)
    value = models.TextField()

    def __str__(self) -> str:
        return self.key


def as_dict(instance: models.Model) -> dict[str, Any]:
    """A model's own fields (for audit details and tests)."""
    return {f.name: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
