"""Signing in: rate-limited password login (pages and ``POST /api/v1/token``) and bearer tokens.

Failed attempts are audit events; an e-mail address or a client address with
``LOGIN_MAX_FAILURES`` failures in the last ``LOGIN_WINDOW_SECONDS`` is refused
(429) until the window has passed, whether or not the password is right.
Tokens are random 256-bit strings; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .audit import client_ip
from .models import ApiToken, AuditEvent
from .scoping import account_of

__all__ = ["AccountBackend", "LoginRefused", "check_login", "new_token", "user_for_token"]


class LoginRefused(Exception):
    """A login that failed (401) or is refused for too many failures (429)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_token(user: Any, request: HttpRequest | None = None) -> str:
    """A new API token for ``user`` (printed once; the registry keeps only its digest)."""
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(user=user, key_hash=_digest(key), prefix=key[:8])
        audit.record("token", user, request)
    return key


#: What a signed-in request reads of its user in the same query: the account, its network (without the
#: network's scenario parameters and resources, read when a page needs them) and its member.
_WITH_ACCOUNT = ("account__network", "account__member")
_NETWORK_DEFERRED = ("account__network__scenario", "account__network__resources")


class AccountBackend(ModelBackend):
    """Django's model backend, whose signed-in user comes with its account, network and member in one query."""

    def get_user(self, user_id: Any) -> Any | None:
        """The active user of a session, or None."""
        users = get_user_model()._default_manager.select_related(*_WITH_ACCOUNT).defer(*_NETWORK_DEFERRED)
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def user_for_token(key: str) -> Any | None:
    """The active user of a token with an account, or None."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related(*(f"user__{f}" for f in _WITH_ACCOUNT))
        .defer(*(f"user__{f}" for f in _NETWORK_DEFERRED))
        .filter(key_hash=_digest(key))
        .first()
    )
    if token is None or not token.user.is_active or account_of(token.user) is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def _blocked(email: str, ip: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)
    failures = AuditEvent.objects.filter(action="login_failed", at__gte=since)
    by_email = failures.filter(email=email).count()
    by_ip = failures.filter(ip=ip).count() if ip else 0
    return max(by_email, by_ip) >= settings.LOGIN_MAX_FAILURES


def check_login(request: HttpRequest, email: Any, password: Any) -> Any:
    """The user whose e-mail and password these are, or :class:`LoginRefused`.

    Every attempt is an audit event (``login`` or ``login_failed``).
    """
    email = str(email or "").strip().lower()[:254]
    password = str(password or "")
    if "\x00" in email or "\x00" in password:  # never a real login; kept out of the database as it is
        email, password = email.replace("\x00", "\ufffd"), ""
    ip = client_ip(request)
    if _blocked(email, ip):
        audit.record("login_refused", None, request, email=email)
        raise LoginRefused(429, _("Too many failed logins; try again later."))
    user = authenticate(request, username=email, password=password) if email and password else None
    if user is None or account_of(user) is None:
        account = None if user is None else account_of(user)
        with transaction.atomic():
            audit.record("login_failed", None, request, email=email, network_id=account.network_id if account else None)
        raise LoginRefused(401, _("Wrong e-mail or password."))
    with transaction.atomic():
        audit.record("login", user, request)
    return user
