"""The web pages: thin views that parse the request, call the services, and render.

Every object comes through ``for_user`` (:mod:`registry.scoping`): what a user
may not see is a 404 page that says nothing more.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from models import DataError

from . import folders, matching, proposals, services
from .auth import LoginRefused, check_login
from .forms import UNIT_SUGGESTIONS, ImportForm, LoginForm, MatchForm, StreamForm, UploadForm, resource_choices
from .messages import translated_issues
from .models import AuditEvent, MatchRun, Member, Proposal, Stream, Submission
from .scoping import Role, account_of, may, network_for, require
from .tables import catalog_of

#: Planners see a group of streams only when at least this many members share it.
MIN_GROUP_MEMBERS = 3


def context(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's account and network for every page."""
    account = account_of(getattr(request, "user", None))
    unread = 0
    if account is not None and account.role != Role.PLANNER:
        unread = proposals.inbox(request.user, account.network).filter(read_at__isnull=True).count()
    return {
        "account": account,
        "unread": unread,
        "network": account.network if account else None,
        "languages": settings.LANGUAGES,
        "can": {
            a: may(request.user, a)
            for a in (
                "read_rows",
                "submit",
                "run_match",
                "read_audit",
                "import_export",
                "read_aggregates",
                "read_proposals",
                "follow_up",
                "read_impact",
            )
        }
        if account
        else {},
    }


def accepted_message(sub: Submission) -> str:
    """What the page says of an accepted version."""
    return ngettext(
        "Accepted as version %(version)s with %(count)s stream.",
        "Accepted as version %(version)s with %(count)s streams.",
        sub.streams_count,
    ) % {"version": sub.version, "count": sub.streams_count}


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one 404 page: it never says what was asked for."""
    return render(request, "registry/error.html", {"status": 404, "message": _("Not found.")}, status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page."""
    return render(
        request, "registry/error.html", {"status": 403, "message": _("Your role may not open this page.")}, status=403
    )


def home(request: HttpRequest) -> HttpResponse:
    """The user's network, or the login page."""
    account = account_of(request.user)
    if account is None:
        return redirect("registry:login")
    return redirect("registry:dashboard", slug=account.network.slug)


def login_page(request: HttpRequest) -> HttpResponse:
    """Sign in (rate-limited; every attempt is audited)."""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = check_login(request, form.cleaned_data["email"], form.cleaned_data["password"])
        except LoginRefused as exc:
            status = exc.status
            form.add_error(
                None,
                _("Too many failed logins; try again later.") if exc.status == 429 else _("Wrong e-mail or password."),
            )
        else:
            login(request, user)
            account = account_of(user)
            if account and account.language:
                request.session["language"] = account.language
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = reverse("registry:home")
            return HttpResponseRedirect(target)
    elif request.method == "POST":
        status = 400
    return render(request, "registry/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    """Sign out (POST with the CSRF token)."""
    logout(request)
    return redirect("registry:login")


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Choose the page language (kept for the session and, when signed in, for the user)."""
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return redirect("registry:home")
    request.session["language"] = code
    account = account_of(request.user)
    if account is not None:
        type(account).objects.filter(pk=account.pk).update(language=code)
    response = redirect(
        request.POST.get("next")
        if url_has_allowed_host_and_scheme(request.POST.get("next", ""), {request.get_host()})
        else "registry:home"
    )
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, httponly=True, samesite="Lax", secure=settings.SECURE_COOKIES
    )
    translation.activate(code)
    return response


def _page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in page of one network (404 for any other)."""

    @login_required
    def wrapped(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        network = network_for(request.user, slug)
        return view(request, network, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_page
def dashboard(request: HttpRequest, network: Any) -> HttpResponse:
    """What the user's role can do here."""
    account = account_of(request.user)
    assert account is not None
    latest = MatchRun.objects.for_user(request.user, network).defer("inputs", "result", "report_html").first()
    own = None
    if account.role == Role.MEMBER:
        own = Submission.objects.for_user(request.user, network).filter(current=True).first()
    counts = {
        "members": Member.objects.for_user(request.user, network, aggregate=True).filter(active=True).count(),
        "streams": Stream.objects.for_user(request.user, network, aggregate=True)
        .filter(current=True, member__active=True)
        .count(),
    }
    return render(request, "registry/dashboard.html", {"latest": latest, "own": own, "counts": counts})


@_page
def stream_list(request: HttpRequest, network: Any) -> HttpResponse:
    """The current streams the user may see (a company user: its own)."""
    require(request.user, "read_rows")
    rows = (
        Stream.objects.for_user(request.user, network)
        .filter(current=True, member__active=True)
        .select_related("member")
    )
    return render(request, "registry/streams.html", {"streams": rows})


#: The columns of a stream its page shows.
_STREAM_SHOWN = ("stream_id", "member", "submission", "quantity", "unit", "quantity_base", "base_unit", "data")


@_page
def stream_detail(request: HttpRequest, network: Any, stream_id: str) -> HttpResponse:
    """One stream (404 unless the user may see it) and its earlier versions."""
    found = (
        Stream.objects.for_user(request.user, network)
        .filter(current=True, stream_id=stream_id)
        .select_related("member", "submission")
        .only(*_STREAM_SHOWN, "member__member_id", "member__name", "submission__version", "submission__created_at")
        .first()
    )
    if found is None:
        raise Http404
    earlier = list(
        Stream.objects.for_user(request.user, network)
        .filter(member=found.member_id, stream_id=stream_id, current=False)
        .select_related("submission")
        .only("quantity", "unit", "submission__version", "submission__created_at")
        .order_by("-submission__version")[:20]
    )
    return render(
        request, "registry/stream.html", {"stream": found, "earlier": earlier, "fields": sorted(found.data.items())}
    )


def _resources(network: Any) -> list[Any]:
    return resource_choices(catalog_of(network))


def _add_issues(form: Any, exc: DataError) -> None:
    for issue in translated_issues(exc):
        field = issue.column if issue.row is None and issue.column in form.fields else None
        text = issue.message if field else str(issue)
        form.add_error(field, text)


@_page
def stream_form(request: HttpRequest, network: Any, stream_id: str | None = None) -> HttpResponse:
    """Add or edit one stream; saving makes the member's next version (mistakes beside the fields)."""
    require(request.user, "submit")
    existing = None
    if stream_id is not None:
        existing = (
            Stream.objects.for_user(request.user, network)
            .filter(current=True, stream_id=stream_id)
            .select_related("member")
            .first()
        )
        if existing is None:
            raise Http404
    initial = {k: str(v) for k, v in existing.data.items()} if existing else {}
    form = StreamForm(request.POST or None, initial=initial, resources=_resources(network))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            member_id = existing.member.member_id if existing else request.POST.get("member_id")
            try:
                sub = services.save_stream(
                    request.user, network, form.row(), replaces=stream_id, member_id=member_id, request=request
                )
            except DataError as exc:
                _add_issues(form, exc)
            else:
                messages.success(request, _("Saved as version %(version)s.") % {"version": sub.version})
                return redirect("registry:stream", slug=network.slug, stream_id=form.cleaned_data["stream_id"])
        status = 422
    return render(
        request,
        "registry/stream_form.html",
        {
            "form": form,
            "existing": existing,
            "units": UNIT_SUGGESTIONS,
            "is_facilitator": may(request.user, "submit_for_any_member"),
        },
        status=status,
    )


@_page
@require_POST
def stream_delete(request: HttpRequest, network: Any, stream_id: str) -> HttpResponse:
    """Remove one stream (the member's next version)."""
    require(request.user, "submit")
    found = (
        Stream.objects.for_user(request.user, network)
        .filter(current=True, stream_id=stream_id)
        .select_related("member")
        .first()
    )
    if found is None:
        raise Http404
    try:
        sub = services.delete_stream(
            request.user, network, stream_id, member_id=found.member.member_id, request=request
        )
    except DataError as exc:
        messages.error(request, "; ".join(i.message for i in translated_issues(exc)))
        return redirect("registry:stream", slug=network.slug, stream_id=stream_id)
    messages.success(request, _("Saved as version %(version)s.") % {"version": sub.version})
    return redirect("registry:streams", slug=network.slug)


@_page
def upload(request: HttpRequest, network: Any) -> HttpResponse:
    """Upload a filled-in template: every mistake listed with row and column, nothing stored until all is valid."""
    require(request.user, "submit")
    form = UploadForm(request.POST or None, request.FILES or None)
    issues = None
    status = 200
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            sub = services.submit(
                request.user,
                network,
                f.name,
                f.read(),
                member_id=form.cleaned_data.get("member_id") or None,
                draft="draft" in request.POST,
                request=request,
            )
        except DataError as exc:
            issues = translated_issues(exc)
            status = 422
        else:
            if sub.state == Submission.State.DRAFT:
                messages.success(request, _("Kept as a draft; nothing changed yet."))
            else:
                messages.success(
                    request,
                    accepted_message(sub),
                )
            return redirect("registry:history", slug=network.slug)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "registry/upload.html",
        {"form": form, "issues": issues, "is_facilitator": may(request.user, "submit_for_any_member")},
        status=status,
    )


@_page
def history(request: HttpRequest, network: Any) -> HttpResponse:
    """The versions and drafts of the member's streams (a facilitator: everyone's)."""
    require(request.user, "read_rows")
    rows = (
        Submission.objects.for_user(request.user, network)
        .select_related("member", "created_by")
        .order_by("-created_at", "-id")[:500]
    )
    return render(request, "registry/history.html", {"submissions": rows})


@_page
@require_POST
def submit_draft(request: HttpRequest, network: Any, draft_id: int) -> HttpResponse:
    """Validate a draft and accept it."""
    try:
        sub = services.submit_draft(request.user, network, draft_id, request=request)
    except DataError as exc:
        rows = (
            Submission.objects.for_user(request.user, network)
            .select_related("member", "created_by")
            .order_by("-created_at", "-id")[:500]
        )
        return render(
            request, "registry/history.html", {"submissions": rows, "issues": translated_issues(exc)}, status=422
        )
    messages.success(
        request,
        accepted_message(sub),
    )
    return redirect("registry:history", slug=network.slug)


@_page
def member_list(request: HttpRequest, network: Any) -> HttpResponse:
    """The network's members with their current version (facilitator; a company user sees its own)."""
    require(request.user, "read_rows")
    rows = (
        Member.objects.for_user(request.user, network)
        .filter(active=True)
        .annotate(streams_now=Count("streams", filter=Q(streams__current=True)))
    )
    return render(request, "registry/members.html", {"members": rows})


@_page
def audit_log(request: HttpRequest, network: Any) -> HttpResponse:
    """Who did what and when (facilitator)."""
    require(request.user, "read_audit")
    events = AuditEvent.objects.for_user(request.user, network).select_related("user")[:1000]
    return render(request, "registry/audit.html", {"events": events})


@_page
def export(request: HttpRequest, network: Any) -> HttpResponse:
    """The network as a scenario folder in a zip file (facilitator; audited)."""
    require(request.user, "import_export")
    from django.db import transaction

    from . import audit

    version, files = services.snapshot(network)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{network.slug}/{name}", text)
    with transaction.atomic():
        audit.record("export", request.user, request, format="zip", data_version=version)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{network.slug}-v{version}.zip"'
    return response


@_page
def import_page(request: HttpRequest, network: Any) -> HttpResponse:
    """Import a scenario folder uploaded as a zip file (facilitator): all or nothing, every problem listed."""
    require(request.user, "import_export")
    form = ImportForm(request.POST or None, request.FILES or None)
    issues = None
    status = 200
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            version = folders.import_zip(request.user, network, f.name, f.read(), request=request)
        except DataError as exc:
            issues = translated_issues(exc)
            status = 422
        else:
            messages.success(request, _("Imported as data version %(version)s.") % {"version": version})
            return redirect("registry:members", slug=network.slug)
    elif request.method == "POST":
        status = 400
    return render(request, "registry/import.html", {"form": form, "issues": issues}, status=status)


@_page
def match_list(request: HttpRequest, network: Any) -> HttpResponse:
    """The stored runs; a facilitator runs a new one here."""
    require(request.user, "read_matches")
    form = MatchForm(request.POST if request.method == "POST" else None)
    errors = None
    status = 200
    if request.method == "POST":
        require(request.user, "run_match")
        if form.is_valid():
            try:
                run = matching.run_match(request.user, network, form.parameters(), request=request)
            except DataError as exc:
                errors = translated_issues(exc)
                status = 422
            else:
                return redirect("registry:match", slug=network.slug, run_id=run.pk)
        else:
            status = 422
    runs = MatchRun.objects.for_user(request.user, network).defer("inputs", "report_html")[:200]
    return render(request, "registry/matches.html", {"runs": runs, "form": form, "errors": errors}, status=status)


def _run(request: HttpRequest, network: Any, run_id: int) -> MatchRun:
    require(request.user, "read_matches")
    run = MatchRun.objects.for_user(request.user, network).filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


@_page
def match_detail(request: HttpRequest, network: Any, run_id: int) -> HttpResponse:
    """One run as the role may see it."""
    run = _run(request, network, run_id)
    return render(request, "registry/match.html", {"run": run, "view": matching.view_of(request.user, run)})


@_page
def match_report(request: HttpRequest, network: Any, run_id: int) -> HttpResponse:
    """The HTML report of a run (matcher.report): whole for a facilitator, anonymised for a planner."""
    run = _run(request, network, run_id)
    account = account_of(request.user)
    assert account is not None
    if account.role == Role.MEMBER:
        raise PermissionDenied
    html = matching.report_html(run, anonymise=account.role == Role.PLANNER)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # the report is self-contained (plotly inline); it may run its own scripts but load nothing
    response["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:"
    )
    return response


def aggregates(user: Any, network: Any) -> list[dict[str, Any]]:
    """Streams summed by category, direction and base unit; groups of fewer than MIN_GROUP_MEMBERS members withheld."""
    rows = (
        Stream.objects.for_user(user, network, aggregate=True)
        .filter(current=True, member__active=True)
        .values("category", "direction", "base_unit")
        .annotate(streams=Count("id"), members=Count("member", distinct=True), total=Sum("quantity_base"))
        .order_by("category", "direction", "base_unit")
    )
    return [{**r, "withheld": r["members"] < MIN_GROUP_MEMBERS} for r in rows]


@_page
def overview(request: HttpRequest, network: Any) -> HttpResponse:
    """Aggregated, anonymised figures of the network and its runs (planner, facilitator)."""
    require(request.user, "read_aggregates")
    runs = MatchRun.objects.for_user(request.user, network).defer("inputs", "report_html")[:50]
    return render(
        request,
        "registry/overview.html",
        {
            "groups": aggregates(request.user, network),
            "members": Member.objects.for_user(request.user, network, aggregate=True).filter(active=True).count(),
            "runs": [(r, matching.anonymised(r.result)) for r in runs],
            "min_group": MIN_GROUP_MEMBERS,
        },
    )


@_page
def compare(request: HttpRequest, network: Any) -> HttpResponse:
    """Anonymised KPIs of chosen runs side by side, with differences from the first."""
    require(request.user, "read_aggregates")
    ids = [int(i) for i in request.GET.getlist("run") if i.isdigit()][:6]
    runs = list(MatchRun.objects.for_user(request.user, network).filter(pk__in=ids).defer("inputs", "report_html"))
    if len(runs) != len(set(ids)):
        raise Http404
    runs.sort(key=lambda r: ids.index(r.pk))
    views = [matching.anonymised(r.result) for r in runs]
    keys = list(views[0]["kpis"]) if views else []
    table = [
        {
            "kpi": k,
            "values": [v["kpis"].get(k) for v in views],
            "deltas": [_delta(v["kpis"].get(k), views[0]["kpis"].get(k)) for v in views[1:]],
        }
        for k in ["savings", *[k for k in keys if k != "savings"]]
        if views
    ]
    return render(request, "registry/compare.html", {"runs": runs, "table": table})


def _delta(value: Any, base: Any) -> float | None:
    if isinstance(value, int | float) and isinstance(base, int | float):
        return float(value) - float(base)
    return None


# ----------------------------------------------------------------------------- proposals
@_page
@require_POST
def publish(request: HttpRequest, network: Any, run_id: int) -> HttpResponse:
    """Publish a run's exchanges as proposals (facilitator)."""
    require(request.user, "publish")
    try:
        made = proposals.publish(request.user, network, run_id, request=request)
    except proposals.Conflict as exc:
        messages.error(request, str(exc))
        return redirect("registry:match", slug=network.slug, run_id=run_id)
    messages.success(request, _("Published %(count)s proposals.") % {"count": len(made)})
    return redirect("registry:proposals", slug=network.slug)


@_page
def proposal_list(request: HttpRequest, network: Any) -> HttpResponse:
    """A company's proposals (the other side withheld until both are interested); a facilitator's every one."""
    require(request.user, "read_proposals")
    rows = Proposal.objects.for_user(request.user, network).select_related("supplier", "receiver").order_by("-id")
    status = request.GET.get("status", "")
    if status in Proposal.Status.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "registry/proposals.html",
        {
            "rows": [(p, proposals.proposal_record(request.user, p)) for p in rows[:500]],
            "statuses": Proposal.Status.choices,
            "status": status,
        },
    )


@_page
def proposal_detail(request: HttpRequest, network: Any, proposal_id: int, status: int = 200) -> HttpResponse:
    """One proposal: its figures, the answer form for a side, the next steps, and every step so far."""
    p = proposals.visible(request.user, network, proposal_id)
    record = proposals.proposal_record(request.user, p)
    account = account_of(request.user)
    return render(
        request,
        "registry/proposal.html",
        {
            "p": p,
            "record": record,
            "history": proposals.history(request.user, p),
            "may_answer": record.get("role") is not None and p.status == Proposal.Status.PROPOSED,
            "moves": [(s, Proposal.Status(s).label) for s in proposals.transitions(request.user, p)],
            "is_facilitator": account is not None and account.role == Role.FACILITATOR,
            "reasons": Proposal.Reason.choices,
        },
        status=status,
    )


def _step(request: HttpRequest, network: Any, proposal_id: int, action: Callable[..., Any], body: dict) -> HttpResponse:
    try:
        action(request.user, network, proposal_id, body, request=request)
    except DataError as exc:
        for issue in exc.issues:
            messages.error(request, f"{issue.column}: {issue.message}" if issue.column else issue.message)
    except proposals.Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("registry:proposal", slug=network.slug, proposal_id=proposal_id)


@_page
@require_POST
def proposal_answer(request: HttpRequest, network: Any, proposal_id: int) -> HttpResponse:
    """A side answers interested or declined (with a reason and a comment)."""
    body = {k: request.POST.get(k, "") for k in ("answer", "reason", "comment")}
    return _step(request, network, proposal_id, proposals.answer, body)


@_page
@require_POST
def proposal_status(request: HttpRequest, network: Any, proposal_id: int) -> HttpResponse:
    """Move a proposal on (status, quantity, date, note, readiness)."""
    body: dict[str, Any] = {k: request.POST.get(k) or None for k in ("status", "date", "note")}
    for key, kind in (("quantity", float), ("readiness", int)):
        text = (request.POST.get(key) or "").strip().replace(",", ".") if key == "quantity" else request.POST.get(key)
        if text:
            try:
                body[key] = kind(text)
            except ValueError:
                body[key] = text  # refused with the field named
    return _step(request, network, proposal_id, proposals.set_status, body)


@_page
def follow_up(request: HttpRequest, network: Any) -> HttpResponse:
    """The facilitator's follow-up: proposals by status, how long each has waited, why matches fail, whom to call."""
    doc = proposals.follow_up(request.user, network)
    return render(
        request,
        "registry/follow_up.html",
        {"doc": doc, "groups": [(s, label, doc["by_status"][s]) for s, label in Proposal.Status.choices]},
    )


@_page
def inbox(request: HttpRequest, network: Any) -> HttpResponse:
    """The user's messages about proposals (POST marks them read)."""
    account = account_of(request.user)
    assert account is not None
    if account.role == Role.PLANNER:
        raise PermissionDenied
    if request.method == "POST":
        proposals.mark_read(request.user, network)
        return redirect("registry:inbox", slug=network.slug)
    rows = proposals.inbox(request.user, network)[:300]
    return render(
        request,
        "registry/inbox.html",
        {"rows": [(n, proposals.message_text(n.kind, n.detail)) for n in rows]},
    )


@_page
def impact(request: HttpRequest, network: Any) -> HttpResponse:
    """Realised impact per year next to the latest match's potential (facilitator; a planner, rounded)."""
    doc = proposals.impact(request.user, network)
    return render(request, "registry/impact.html", _impact_context(doc, network))


def _impact_context(doc: dict[str, Any], network: Any) -> dict[str, Any]:
    from matcher.results.kpis import KPIS

    rows = [
        {
            "key": k,
            "label": info.label,
            "unit": network.currency if info.unit == "currency" else info.unit,
            "sdg": info.sdg_target,
            "values": [y["kpis"].get(k) for y in doc["years"]],
            "potential": doc["potential"].get(k),
        }
        for k, info in KPIS.items()
    ]
    return {"doc": doc, "rows": rows, "years": [y["year"] for y in doc["years"]]}


@_page
def impact_export(request: HttpRequest, network: Any, kind: str) -> HttpResponse:
    """Realised impact as CSV or XLSX (a row per year and KPI, with unit, SDG target and potential)."""
    import tempfile
    from pathlib import Path

    from matcher.results.export import csv_text, write_workbook

    doc = proposals.impact(request.user, network)
    table = proposals.impact_table(doc, network.currency)
    name = f"{network.slug}-impact"
    if kind == "csv":
        response = HttpResponse(csv_text(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    with tempfile.TemporaryDirectory(prefix="symbiose-impact-") as tmp:
        path = write_workbook(Path(tmp) / f"{name}.xlsx", [("impact", table, False)])
        data = path.read_bytes()
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@_page
def impact_report(request: HttpRequest, network: Any) -> HttpResponse:
    """Realised impact as one self-contained HTML report (styles inline, nothing loaded)."""
    doc = proposals.impact(request.user, network)
    response = render(request, "registry/impact_report.html", _impact_context(doc, network))
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
