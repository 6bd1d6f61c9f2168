"""The audit log: logins (and failed attempts), tokens, submissions, imports, exports and match runs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import AuditEvent
from .scoping import account_of

__all__ = ["client_ip", "record"]


def client_ip(request: HttpRequest | None) -> str:
    """The client's address as the server saw it (a proxy's ``X-Forwarded-For`` is not trusted)."""
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def record(action: str, user: Any = None, request: HttpRequest | None = None, email: str = "", **detail: Any) -> None:
    """Add one event (inside the caller's transaction, so it is kept only with the change it describes)."""
    account = account_of(user)
    known = user if user is not None and getattr(user, "is_authenticated", False) else None
    AuditEvent.objects.create(
        network_id=account.network_id if account else detail.pop("network_id", None),
        user=known,
        email=email or (known.get_username() if known else ""),
        action=action,
        detail=detail,
        ip=client_ip(request),
    )
