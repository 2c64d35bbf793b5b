"""The filter officers put on the inspection queue and the scores list (GET forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from greenlane.apps.accounts.models import User
from greenlane.apps.targeting import queue
from greenlane.apps.targeting.models import SelectivityPolicy


class ListFilter(forms.Form):
    """Every field optional; an invalid one is shown on the form and filters nothing."""

    office = forms.CharField(
        required=False,
        max_length=10,
        label=gettext_lazy("Office"),
        widget=forms.TextInput(attrs={"list": "offices"}),
    )
    date_from = forms.DateField(
        required=False,
        label=gettext_lazy("Declared from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False,
        label=gettext_lazy("Declared to"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    hs = forms.CharField(
        required=False,
        max_length=6,
        label=gettext_lazy("HS code starts with"),
        validators=[RegexValidator(r"^\d{1,6}$", gettext_lazy("digits of an HS code, 1 to 6"))],
    )
    importer = forms.CharField(required=False, max_length=40, label=gettext_lazy("Importer"))
    score_min = forms.FloatField(
        required=False, min_value=0, max_value=1, label=gettext_lazy("Score from")
    )
    score_max = forms.FloatField(
        required=False, min_value=0, max_value=1, label=gettext_lazy("Score to")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("date_from"), data.get("date_to")
        if low and high and low > high:
            self.add_error("date_to", _("the end comes before the start"))
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("the upper bound is below the lower one"))
        return data

    def chosen(self) -> queue.Filter:
        """The filter the valid fields make (an invalid field filters nothing)."""
        self.is_valid()  # cleans: the fields in error are left out of cleaned_data
        data = self.cleaned_data
        return queue.Filter(
            **{
                name: data[name]
                for name in queue.Filter.__dataclass_fields__
                if name in data and data[name] not in (None, "")
            }
        )


class QueueFilter(ListFilter):
    channel = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Channel"),
        choices=[
            ("", gettext_lazy("Red and yellow")),
            ("red", gettext_lazy("Red (physical)")),
            ("yellow", gettext_lazy("Yellow (documents)")),
        ],
    )
    assignee = forms.ChoiceField(required=False, label=gettext_lazy("Assigned to"))

    def __init__(self, data: Any, user: User) -> None:
        super().__init__(data)
        people = [(u.username, u.get_full_name() or u.username) for u in queue.officers(user)]
        self.fields["assignee"].choices = [
            ("", _("Anyone or nobody")),
            ("me", pgettext("assigned to", "Me")),
            ("none", _("Nobody yet")),
            *people,
        ]


def offices() -> list[str]:
    """The offices to offer in a filter: those with a selectivity policy (a small table; the
    offices on record would be a scan of every declaration)."""
    return sorted(set(SelectivityPolicy.objects.values_list("office_code", flat=True)))
