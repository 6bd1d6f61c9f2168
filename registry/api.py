"""The JSON API under ``/api/v1``: thin views over :mod:`registry.services` and :mod:`registry.matching`.

Authenticated by ``Authorization: Bearer TOKEN`` (from ``POST /api/v1/token``
or ``symbiose registry token``) or by the browser session, which then needs
its CSRF token for writes. Status codes: 401 without credentials, 403 for a
role that may not, 404 for anything the caller may not see (never saying
whether it exists), 422 with ``{"errors": [{"file", "row", "column",
"message"}]}`` for data that is not valid, 413 for an upload that is too large,
429 after too many failed logins.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from models import DataError, Issue
from models.readers import parse_json

from . import folders, matching, proposals, services
from .auth import LoginRefused, check_login, new_token, user_for_token
from .messages import translated_issues
from .models import MatchRun, Member, Proposal, Stream, Submission
from .scoping import network_for, require

__all__ = ["issues_json", "member_record", "stream_record"]

View = Callable[..., HttpResponse]


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def issues_json(exc: DataError) -> list[dict[str, Any]]:
    """Every issue as ``{"file", "row", "column", "message"}``."""
    return [{"file": i.file, "row": i.row, "column": i.column, "message": i.message} for i in translated_issues(exc)]


def _csrf_ok(request: HttpRequest) -> bool:
    def no_response(_: HttpRequest) -> HttpResponse:
        return HttpResponse()

    return CsrfViewMiddleware(no_response).process_view(request, None, (), {}) is None  # type: ignore[arg-type]


def endpoint(*methods: str, public: bool = False) -> Callable[[View], View]:
    """A JSON endpoint: methods allowed, caller authenticated, errors mapped to status codes."""

    def wrap(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return _error(405, _("use %(methods)s") % {"methods": " / ".join(methods)})
            if not public:
                header = request.META.get("HTTP_AUTHORIZATION", "")
                if header.startswith("Bearer "):
                    user = user_for_token(header.removeprefix("Bearer ").strip())
                    if user is None:
                        return _error(401, _("unknown or revoked token"))
                    request.user = user
                elif not request.user.is_authenticated:
                    return _error(401, _("authenticate with a bearer token or a session"))
                elif request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok(request):
                    return _error(403, _("CSRF token missing or wrong"))
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return _error(404, _("not found"))
            except PermissionDenied as exc:
                return _error(403, str(exc) or _("forbidden"))
            except services.Forbidden as exc:
                return _error(403, str(exc) or _("forbidden"))
            except DataError as exc:
                return JsonResponse({"errors": issues_json(exc)}, status=422)
            except LoginRefused as exc:
                return _error(exc.status, str(exc))

        return handler

    return wrap


def _json_body(request: HttpRequest, optional: bool = False, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The request's JSON object, read by the engine's JSON reader (nesting, repeated keys, no NaN).

    ``keys``: the only keys allowed (others are mistakes).
    """
    if not request.body.strip() and optional:
        return {}
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError([Issue("request", None, "", _("the body is not JSON"))]) from None
    doc = parse_json(text, "request") if text.strip() else None
    if not isinstance(doc, dict):
        raise DataError([Issue("request", None, "", _("expected a JSON object"))])
    if keys is not None and set(doc) - set(keys):
        raise DataError(
            [
                Issue("request", None, str(k), _("unknown key; expected %(keys)s") % {"keys": ", ".join(keys)})
                for k in sorted(set(doc) - set(keys))
            ]
        )
    return doc


def member_record(member: Member) -> dict[str, Any]:
    """A member as a row of members.csv."""
    return {"member_id": member.member_id, "name": member.name, **member.data}


def stream_record(stream: Stream) -> dict[str, Any]:
    """A stream as a row of streams.csv (quantity and unit as submitted), with its base quantity and unit."""
    return {**stream.data, "quantity_base": stream.quantity_base, "base_unit": stream.base_unit}


@endpoint("POST", public=True)
def token(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/token`` with ``{"email", "password"}``: ``{"token"}``."""
    body = _json_body(request)
    user = check_login(request, body.get("email"), body.get("password"))
    return JsonResponse({"token": new_token(user, request)})


@endpoint("GET")
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The members the caller may see (a company user: its own)."""
    network = network_for(request.user, slug)
    require(request.user, "read_rows")
    rows = Member.objects.for_user(request.user, network).filter(active=True).order_by("position", "member_id")
    return JsonResponse([member_record(m) for m in rows], safe=False)


@endpoint("GET")
def streams(request: HttpRequest, slug: str) -> HttpResponse:
    """The current streams the caller may see (a company user: its own member's)."""
    network = network_for(request.user, slug)
    require(request.user, "read_rows")
    rows = Stream.objects.for_user(request.user, network).filter(current=True, member__active=True)
    return JsonResponse(
        [stream_record(s) for s in rows.order_by("member__position", "member__member_id", "position")], safe=False
    )


@endpoint("GET")
def stream(request: HttpRequest, slug: str, stream_id: str) -> HttpResponse:
    """One current stream, or 404 when the caller may not see it."""
    network = network_for(request.user, slug)
    found = Stream.objects.for_user(request.user, network).filter(current=True, stream_id=stream_id).first()
    if found is None:
        raise Http404("no such stream")
    return JsonResponse(stream_record(found))


@endpoint("GET", "POST")
def submissions(request: HttpRequest, slug: str) -> HttpResponse:
    """``POST``: a member's streams file as its next version (201) or every mistake (422). ``GET``: the history."""
    network = network_for(request.user, slug)
    if request.method == "GET":
        require(request.user, "read_rows")
        rows = Submission.objects.for_user(request.user, network).select_related("member", "created_by")
        return JsonResponse([submission_record(s) for s in rows.order_by("-created_at", "-id")], safe=False)
    require(request.user, "submit")
    upload = request.FILES.get("file")
    if upload is None:
        raise DataError([Issue("request", None, "file", _("send the streams file as the multipart field 'file'"))])
    sub = services.submit(
        request.user,
        network,
        upload.name or "upload.csv",
        upload.read(),
        member_id=request.POST.get("member_id") or None,
        draft=request.POST.get("draft") in ("1", "true", "yes"),
        request=request,
    )
    if sub.state == Submission.State.DRAFT:
        return JsonResponse({"draft": sub.pk, "rows": sub.streams_count}, status=201)
    return JsonResponse({"version": sub.version, "streams": sub.streams_count}, status=201)


@endpoint("POST")
def imports(request: HttpRequest, slug: str) -> HttpResponse:
    """``POST`` (facilitator), multipart field ``file``: a zip file of a scenario folder replaces the network's
    members, streams, links and scenario, all or nothing: 201 ``{"version"}``, or 422 with every problem."""
    network = network_for(request.user, slug)
    require(request.user, "import_export")
    upload = request.FILES.get("file")
    if upload is None:
        raise DataError(
            [Issue("request", None, "file", _("send the scenario folder as a zip file in the multipart field 'file'"))]
        )
    version = folders.import_zip(request.user, network, upload.name or "upload.zip", upload.read(), request=request)
    return JsonResponse({"version": version}, status=201)


def submission_record(sub: Submission) -> dict[str, Any]:
    """One version (or draft) of a member's streams."""
    return {
        "id": sub.pk,
        "member_id": sub.member.member_id,
        "state": sub.state,
        "version": sub.version,
        "current": sub.current,
        "data_version": sub.data_version,
        "streams": sub.streams_count,
        "file": sub.file_name,
        "by": sub.created_by.get_username() if sub.created_by else None,
        "at": sub.created_at.isoformat(),
    }


@endpoint("GET", "POST")
def matches(request: HttpRequest, slug: str) -> HttpResponse:
    """``POST`` (facilitator): match the current data, 201 ``{"id", "version", "result"}``. ``GET``: the runs."""
    network = network_for(request.user, slug)
    if request.method == "GET":
        require(request.user, "read_matches")
        runs = MatchRun.objects.for_user(request.user, network).defer("inputs", "result", "report_html")
        return JsonResponse(
            [{"id": r.pk, "version": r.data_version, "status": r.status, "at": r.created_at.isoformat()} for r in runs],
            safe=False,
        )
    require(request.user, "run_match")
    body = _json_body(request, optional=True, keys=("parameters",))
    run = matching.run_match(request.user, network, body.get("parameters"), request=request)
    return JsonResponse({"id": run.pk, "version": run.data_version, "result": run.result}, status=201)


@endpoint("GET")
def match(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    """One run as the caller's role may see it."""
    network = network_for(request.user, slug)
    require(request.user, "read_matches")
    run = MatchRun.objects.for_user(request.user, network).filter(pk=run_id).first()
    if run is None:
        raise Http404("no such run")
    return JsonResponse(matching.view_of(request.user, run))


@endpoint("GET", "POST", "PUT", "DELETE", "PATCH")
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1."""
    raise Http404("no such endpoint")


# ------------------------------------------------------------------------------------------ proposals
def _conflict(view: View) -> View:
    """A :class:`~registry.proposals.Conflict` (the proposal's state does not allow it) as 409."""

    @functools.wraps(view)
    def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except proposals.Conflict as exc:
            return _error(409, str(exc))

    return handler


@endpoint("POST")
@_conflict
def publish(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    """``POST`` (facilitator): the run's exchanges become proposals; 201 ``{"run", "proposals": [...]}``."""
    network = network_for(request.user, slug)
    made = proposals.publish(request.user, network, run_id, request=request)
    return JsonResponse(
        {"run": run_id, "proposals": [proposals.proposal_record(request.user, p) for p in made]}, status=201
    )


@endpoint("GET")
def proposal_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The proposals the caller may see: a member its own (the other side withheld until both are interested)."""
    network = network_for(request.user, slug)
    require(request.user, "read_proposals")
    rows = Proposal.objects.for_user(request.user, network).select_related("supplier", "receiver").order_by("-id")
    status = request.GET.get("status")
    if status:
        rows = rows.filter(status=status)
    return JsonResponse([proposals.proposal_record(request.user, p) for p in rows], safe=False)


@endpoint("GET")
def proposal(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    """One proposal as the caller may see it, with its history."""
    network = network_for(request.user, slug)
    found = proposals.visible(request.user, network, proposal_id)
    steps = [{**s, "at": s["at"].isoformat()} for s in proposals.history(request.user, found)]
    return JsonResponse({**proposals.proposal_record(request.user, found), "history": steps})


@endpoint("POST")
@_conflict
def proposal_answer(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    """``POST`` by a side: ``{"answer": "interested"|"declined", "reason", "comment"}``."""
    network = network_for(request.user, slug)
    p = proposals.answer(request.user, network, proposal_id, _json_body(request), request=request)
    return JsonResponse(proposals.proposal_record(request.user, p))


@endpoint("POST")
@_conflict
def proposal_status(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    """``POST`` ``{"status", "quantity", "date", "note", "readiness"}`` (facilitator; either side for agreed and
    implemented)."""
    network = network_for(request.user, slug)
    p = proposals.set_status(request.user, network, proposal_id, _json_body(request), request=request)
    return JsonResponse(proposals.proposal_record(request.user, p))


@endpoint("GET")
def impact(request: HttpRequest, slug: str) -> HttpResponse:
    """Realised KPIs per year (implemented exchanges only) and the latest match's potential (facilitator, planner)."""
    network = network_for(request.user, slug)
    return JsonResponse(proposals.impact(request.user, network))
