"""The registry's Django app."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """Networks, members, submissions, match runs and the audit log."""

    name = "registry"
    label = "registry"
    verbose_name = _("Symbiosis registry")
    default_auto_field = "django.db.models.BigAutoField"
