from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

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
