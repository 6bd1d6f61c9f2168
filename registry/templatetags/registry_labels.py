"""Template filters that show the engine's and the registry's vocabulary in the page's language.

``{{ run.status|label }}``, ``{{ event.action|label }}``, ``{{ group.category|label }}`` and
``{{ key|label }}`` for a KPI name: a word the registry knows is translated, any other value is
shown as it is (escaped like every value).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

#: word -> its label; every one is in the translation catalogs
LABELS: dict[str, Any] = {
    # solve statuses (matcher.solve.base.Status)
    "optimal": _("optimal"),
    "infeasible": _("infeasible"),
    "unbounded": _("unbounded"),
    "time_limit_feasible": _("time limit reached (a solution)"),
    "time_limit_no_solution": _("time limit reached (no solution)"),
    "error": _("error"),
    # audit actions (registry.audit.record)
    "login": _("login"),
    "login_failed": _("failed login"),
    "login_refused": _("login refused"),
    "token": _("API token"),
    "draft": _("draft"),
    "submission": _("submission"),
    "import": pgettext_lazy("audit action", "import"),
    "export": pgettext_lazy("audit action", "export"),
    "match": _("match run"),
    # resource categories (the catalog)
    "energy": _("energy"),
    "water": _("water"),
    "waste": _("waste"),
    "material": _("material"),
    "capacity": _("capacity"),
    # KPIs (matcher.results.kpis.KPIS)
    "savings": _("Savings"),
    "waste_diverted_t": _("Waste diverted (t)"),
    "virgin_avoided_t": _("Virgin materials avoided (t)"),
    "water_reused_m3": _("Water reused (m3)"),
    "energy_recovered_mwh": _("Energy recovered (MWh)"),
    "co2e_avoided_t": _("CO2e avoided (t)"),
    "savings_on_estimates": _("Savings on estimates"),
    "co2e_avoided_on_estimates_t": _("CO2e avoided on estimates (t)"),
    "transport_tkm": _("Transport work (t·km)"),
    "backhaul_tkm": _("Backhaul used (t·km)"),
    "backhaul_co2e_avoided_t": _("CO2e avoided by backhaul (t)"),
    "storage_space_shared_m2": _("Storage space shared (m2)"),
    "equipment_time_shared_h": _("Equipment time shared (h)"),
    "training_places_shared": _("Training places shared"),
    "expertise_shared_h": _("Expertise shared (h)"),
    "exchanges": _("Exchanges"),
    "members_involved": _("Members involved"),
}


@register.filter
def label(value: Any) -> Any:
    """The label of a known word in the active language; any other value unchanged."""
    return LABELS.get(value, value) if isinstance(value, str) else value
