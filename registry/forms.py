"""Web forms: login, one stream, an upload, a match run."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

__all__ = ["LoginForm", "MatchForm", "StreamForm", "UploadForm"]

#: Units the stream form suggests (any unit pint converts is accepted).
UNIT_SUGGESTIONS = ("t", "kg", "t/month", "m3", "m3/d", "L", "MWh", "kWh", "GJ", "MW")


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
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args: Any, resources: list[tuple[str, str]], **kwargs: Any) -> None:
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


class MatchForm(forms.Form):
    """Scenario parameters over the network's own for one run."""

    carbon_price = forms.FloatField(label=_("Carbon price (per t CO2e)"), required=False, min_value=0, max_value=1e6)
    max_distance_km = forms.FloatField(
        label=_("Farthest exchange (km)"), required=False, min_value=0.001, max_value=1e5
    )

    def parameters(self) -> dict[str, Any]:
        """The parameters given."""
        return {k: v for k, v in self.cleaned_data.items() if v is not None}
