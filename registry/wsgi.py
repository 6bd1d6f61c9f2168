"""The WSGI application (``symbiose serve`` runs it on waitress)."""

from __future__ import annotations

from .boot import ready_for_requests

ready_for_requests()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
