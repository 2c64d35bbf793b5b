from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def figure(value: Any) -> Any:
    """Thousands separators for numbers; everything else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return value


@register.filter
def money(value: Any, places: int = 2) -> str:
    """An amount with thousands separators, ``places`` decimals and the administration's
    currency (``GREENLANE_CURRENCY``): "1,234,567.00 KRW"; "—" when there is none."""
    if value is None or value == "":
        return "—"
    try:
        amount = f"{float(value):,.{int(places)}f}"
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
    return f"{float(value) * 100:.1f}%"


@register.filter
def feature_label(value: Any) -> str:
    """A model input in words ("importer_code.rate" -> "Importer: irregularity rate in past
    inspections")."""
    from greenlane.core.risk.reasons import label

    return label(str(value))
