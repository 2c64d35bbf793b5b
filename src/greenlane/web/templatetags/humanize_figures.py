from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()


@register.filter
def figure(value: Any) -> Any:
    """Thousands separators for numbers, as the reader's language writes them (1,234.50 in
    English, 1.234,50 in Spanish); everything else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return number_format(value, force_grouping=True)
    if isinstance(value, float):
        return number_format(value, decimal_pos=2, force_grouping=True)
    return value


@register.filter
def money(value: Any, places: int = 2) -> str:
    """An amount with thousands separators, ``places`` decimals and the administration's
    currency (``GREENLANE_CURRENCY``): "1,234,567.00 KRW"; "—" when there is none."""
    if value is None or value == "":
        return "—"
    try:
        amount = number_format(float(value), decimal_pos=int(places), force_grouping=True)
    except (TypeError, ValueError):  # not an amount: shown as it is
        return str(value)
    return f"{amount} {settings.CURRENCY}" if settings.CURRENCY else amount


@register.filter
def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``mapping|get_item:"precision@5"`` for keys a template cannot spell."""
    return mapping.get(key) if hasattr(mapping, "get") else None


ANSWER_LABELS = {
    "met": "met",
    "partly": "partly met",
    "not_met": "not met",
    "na": "not applicable",
    "unanswered": "not answered",
}


@register.filter
def answer_label(value: Any) -> str:
    """A self-test answer or criterion status in words ("not_met" -> "not met")."""
    return ANSWER_LABELS.get(value or "unanswered", str(value))


@register.filter
def words(value: Any) -> str:
    """An identifier in words ("document_review" -> "document review")."""
    return str(value).replace("_", " ")


@register.filter
def percent(value: Any) -> str:
    """A share (0 to 1) as a percentage with one decimal; a dash when unknown."""
    if value is None or isinstance(value, bool):
        return "—"
    return f"{number_format(float(value) * 100, decimal_pos=1)}%"


@register.filter
def feature_label(value: Any) -> str:
    """A model input in words ("importer_code.rate" -> "Importer: irregularity rate in past
    inspections")."""
    from greenlane.core.risk.reasons import label

    return label(str(value))
