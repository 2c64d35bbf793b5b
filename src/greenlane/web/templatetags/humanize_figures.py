from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import get_format, number_format
from django.utils.html import json_script
from django.utils.translation import get_language, pgettext_lazy

from greenlane.apps.wording import localised, translated

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
        return localised(value, 2)
    return value


@register.filter
def money(value: Any, places: int = 2) -> str:
    """An amount with thousands separators, ``places`` decimals and the administration's
    currency (``GREENLANE_CURRENCY``): "1,234,567.00 KRW"; "—" when there is none."""
    if value is None or value == "":
        return "—"
    try:
        amount = localised(float(value), int(places))
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


#: A self-test answer or criterion status (a code) in words, in the reader's language.
ANSWER_LABELS = {
    "met": pgettext_lazy("self-test answer", "met"),
    "partly": pgettext_lazy("self-test answer", "partly met"),
    "not_met": pgettext_lazy("self-test answer", "not met"),
    "na": pgettext_lazy("self-test answer", "not applicable"),
    "unanswered": pgettext_lazy("self-test answer", "not answered"),
}


@register.filter
def answer_label(value: Any) -> str:
    """A self-test answer or criterion status in words ("not_met" -> "not met")."""
    return str(ANSWER_LABELS.get(value or "unanswered", value))


#: The kinds of economic operator programmes certify (codes of ``OperatorType``) in words.
OPERATOR_TYPE_LABELS = {
    "importer": pgettext_lazy("kind of economic operator", "importer"),
    "exporter": pgettext_lazy("kind of economic operator", "exporter"),
    "manufacturer": pgettext_lazy("kind of economic operator", "manufacturer"),
    "customs_broker": pgettext_lazy("kind of economic operator", "customs broker"),
    "warehouse_operator": pgettext_lazy("kind of economic operator", "warehouse operator"),
    "carrier": pgettext_lazy("kind of economic operator", "carrier"),
    "freight_forwarder": pgettext_lazy("kind of economic operator", "freight forwarder"),
    "port_operator": pgettext_lazy("kind of economic operator", "port operator"),
    "bonded_transporter": pgettext_lazy("kind of economic operator", "bonded transporter"),
    "air_carrier": pgettext_lazy("kind of economic operator", "air carrier"),
    "ground_handler": pgettext_lazy("kind of economic operator", "ground handler"),
}


@register.filter
def operator_type(value: Any) -> str:
    """A kind of economic operator (an ``OperatorType`` code) in words ("customs_broker" ->
    "customs broker"); a code it does not know, as ``words`` writes it."""
    label = OPERATOR_TYPE_LABELS.get(str(value))
    return str(label) if label is not None else words(value)


@register.filter
def words(value: Any) -> str:
    """An identifier in words ("document_review" -> "document review")."""
    return str(value).replace("_", " ")


@register.filter
def percent(value: Any) -> str:
    """A share (0 to 1) as a percentage with one decimal; a dash when unknown."""
    if value is None or isinstance(value, bool):
        return "—"
    return f"{localised(float(value) * 100, 1, grouping=False)}%"


@register.filter
def feature_label(value: Any) -> str:
    """A model input in words ("importer_code.rate" -> "Importer: irregularity rate in past
    inspections")."""
    from greenlane.core.risk.reasons import label

    return translated(label(str(value)))


@register.filter
def say(value: Any) -> str:
    """Words from ``core`` (or stored as data) in the reader's language; other text as it
    is."""
    return translated(value)


@register.filter
def source_date(value: Any) -> str:
    """A date as a source gives it ("2013-06", "2010", "unknown") in the reader's words:
    "June 2013" or its translation, a year or a day as written, "unknown" translated."""
    from greenlane.core.certification.mras import UNKNOWN, said

    return translated(said(str(value or UNKNOWN)))


@register.filter
def metric_label(value: Any) -> str:
    """A model metric's name in words ("precision@5" -> "precision in the top 5%")."""
    from django.utils.translation import gettext

    name, _at, n = str(value).partition("@")
    if name == "precision" and n:
        return gettext("precision in the top %(n)s%%") % {"n": n}
    if name == "recall" and n:
        return gettext("share of frauds found in the top %(n)s%%") % {"n": n}
    if name == "revenue" and n:
        return gettext("share of revenue at stake found in the top %(n)s%%") % {"n": n}
    if name == "auc":
        return gettext("area under the ROC curve (AUC)")
    return str(value)


@register.simple_tag
def chart_locale() -> str:
    """The reader's way of writing numbers and dates, for the charts' own axes and tooltips,
    as a JSON block that trs-charts.js hands to Vega (``chart_locales``)."""
    return json_script(chart_locales(), "chart-locale")


def chart_locales() -> dict[str, Any]:
    """Vega's d3 locales (``formatLocale`` as ``number``, ``timeFormatLocale`` as ``time``) in
    the active language: separators from its formats, month and day names from Django's
    translations. Dates on axes are written year first (ISO 8601), unambiguous in every
    language. The pages' charts (trs-charts.js) and the PDFs' (vl-convert) use them; made
    once per language (every page carries them)."""
    return _chart_locales(get_language())


@functools.lru_cache(maxsize=16)
def _chart_locales(language: str) -> dict[str, Any]:
    grouping = get_format("NUMBER_GROUPING")
    number = {
        "decimal": get_format("DECIMAL_SEPARATOR"),
        "thousands": get_format("THOUSAND_SEPARATOR"),
        "grouping": [grouping if isinstance(grouping, int) and grouping > 0 else 3],
        "currency": ["", ""],
    }
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # d3 counts from Sunday, Django from Monday
    time = {
        "dateTime": "%Y-%m-%d %H:%M:%S",
        "date": "%Y-%m-%d",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],  # i18n: not shown (no chart writes a 12-hour time)
        "days": [str(WEEKDAYS[d]) for d in sunday_first],
        "shortDays": [str(WEEKDAYS_ABBR[d]) for d in sunday_first],
        "months": [str(MONTHS[m]) for m in range(1, 13)],
        "shortMonths": [str(MONTHS_3[m]) for m in range(1, 13)],
    }
    return {"number": number, "time": time}
