"""Web forms: login, one stream, an upload, a match run."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from models import Catalog

__all__ = ["ImportForm", "LoginForm", "MatchForm", "StreamForm", "UploadForm", "resource_choices"]

#: Units the stream form suggests (any unit pint converts is accepted); the last ones are those of capacities.
UNIT_SUGGESTIONS = (
    "t",
    "kg",
    "t/month",
    "m3",
    "m3/d",
    "L",
    "MWh",
    "kWh",
    "GJ",
    "MW",
    "t*km",
    "t*km/week",
    "m2",
    "pallet",
    "h",
    "h/week",
    "seat",
)

#: How the form names each category of the catalog, in the order it lists them.
CATEGORY_LABELS = {
    "energy": _("Energy"),
    "water": _("Water"),
    "waste": _("Waste"),
    "material": _("Materials"),
    "capacity": _("Shared capacities (logistics, storage, equipment, training, expertise)"),
}


def resource_choices(catalog: Catalog) -> list[tuple[Any, list[tuple[str, str]]]]:
    """The catalog's resources as the form's choices, grouped by category (shared capacities last).

    Every resource of the network's catalog is offered the same way, materials and capacities alike,
    each labelled with its name and base unit.
    """
    groups: dict[str, list[tuple[str, str]]] = {c: [] for c in CATEGORY_LABELS}
    for key, r in sorted(catalog.resources.items()):
        groups.setdefault(r.category, []).append((key, f"{r.name or key} ({r.unit})"))
    return [(CATEGORY_LABELS.get(c, c), items) for c, items in groups.items() if items]


class LoginForm(forms.Form):
    """E-mail and password."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=200)


class StreamForm(forms.Form):
    """One row of streams.csv; checked by the engine when saved (its mistakes shown beside the fields)."""

    stream_id = forms.CharField(label=_("Stream id"), max_length=100)
    direction = forms.ChoiceField(label=_("Direction"), choices=[("supply", _("supply")), ("demand", _("demand"))])
    resource = forms.ChoiceField(label=_("Resource"))
    quantity = forms.CharField(label=_("Quantity"), max_length=40, help_text=_("per year, in the unit given"))
    unit = forms.CharField(label=_("Unit"), max_length=40)
    period = forms.CharField(label=_("Period"), max_length=60, required=False)
    disposal_cost = forms.CharField(
        label=_("Disposal cost"), max_length=40, required=False, help_text=_("supply: per base unit")
    )
    virgin_cost = forms.CharField(
        label=_("Virgin cost"), max_length=40, required=False, help_text=_("demand: per base unit")
    )
    max_distance_km = forms.CharField(label=_("Farthest partner (km)"), max_length=40, required=False)
    ewc_code = forms.CharField(label=_("EWC code"), max_length=20, required=False)
    dest_lat = forms.CharField(
        label=_("Destination latitude"),
        max_length=40,
        required=False,
        help_text=_("backhaul: where the truck's route (supply) or the shipment (demand) ends"),
    )
    dest_lon = forms.CharField(label=_("Destination longitude"), max_length=40, required=False)
    dest_member = forms.CharField(
        label=_("Destination member"),
        max_length=100,
        required=False,
        help_text=_("backhaul: a member's site as the destination, instead of latitude and longitude"),
    )
    max_detour_km = forms.CharField(
        label=_("Longest detour (km)"),
        max_length=40,
        required=False,
        help_text=_("backhaul supply: how far the truck may go out of its way"),
    )
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args: Any, resources: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].choices = resources

    def row(self) -> dict[str, Any]:
        """The form's values as a row of streams.csv (text, as a spreadsheet cell would hold it)."""
        return {
            k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items() if v not in (None, "")
        }


class UploadForm(forms.Form):
    """A filled-in streams template (CSV or XLSX)."""

    file = forms.FileField(label=_("Streams file (CSV or XLSX)"))
    member_id = forms.CharField(label=_("Member id (facilitators)"), max_length=100, required=False)


class ImportForm(forms.Form):
    """A scenario folder as a zip file (facilitators)."""

    file = forms.FileField(label=_("Scenario folder (zip)"))


class MatchForm(forms.Form):
    """Scenario parameters over the network's own for one run."""

    carbon_price = forms.FloatField(label=_("Carbon price (per t CO2e)"), required=False, min_value=0, max_value=1e6)
    max_distance_km = forms.FloatField(
        label=_("Farthest exchange (km)"), required=False, min_value=0.001, max_value=1e5
    )

    def parameters(self) -> dict[str, Any]:
        """The parameters given."""
        return {k: v for k, v in self.cleaned_data.items() if v is not None}
