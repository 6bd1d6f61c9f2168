"""Request limits and the user's chosen language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

__all__ = ["UPLOAD_OVERHEAD", "UploadLimitMiddleware", "UserLanguageMiddleware"]

#: Room for the form fields and multipart boundaries around the largest file.
UPLOAD_OVERHEAD = 64 * 1024


class UploadLimitMiddleware:
    """Refuse a request body larger than ``MAX_UPLOAD_BYTES`` (413) before any of it is read, and a path or
    query holding a NUL character (404)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = int(settings.MAX_UPLOAD_BYTES) + UPLOAD_OVERHEAD
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            # no id, slug or parameter holds a NUL (PostgreSQL could not even be asked for one)
            if request.path.startswith("/api/"):
                return JsonResponse({"error": _("not found")}, status=404)
            return HttpResponse(_("Not found."), status=404, content_type="text/plain; charset=utf-8")
        if length > limit:
            message = _("The upload is too large (at most %(mb)s MB).") % {
                "mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)
            }
            if request.path.startswith("/api/"):
                return JsonResponse({"error": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UserLanguageMiddleware:
    """Use the language a signed-in user chose (else the browser's, by Django's LocaleMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.session.get("language") if hasattr(request, "session") else None
        if chosen and translation.check_for_language(chosen):
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = chosen
        return self.get_response(request)
