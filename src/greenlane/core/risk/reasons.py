"""A model reason in the words a customs officer uses.

Each feature that raised a declaration's score is turned into one sentence about that
declaration: its parties by code, its HS code and origin, and the comparison the feature
makes ("Declared unit value 24% of the usual for HS 847130 from CN"), never the feature's
internal name or a logarithm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

from greenlane.core.risk.features import HISTORY_KEYS, key_name, key_words
from greenlane.core.risk.schema import TRANSPORT_MODE_WORDS

#: The declaration's own fields, by name.
Values = Mapping[str, Any]


class Features(Protocol):
    """The declaration's feature values, by name."""

    def __getitem__(self, name: str) -> Any: ...


HISTORY_RATES = {f"{key_name(k)}.rate": k for k in HISTORY_KEYS}
HISTORY_COUNTS = {f"{key_name(k)}.n": k for k in HISTORY_KEYS}
PARTY = {
    "importer_code": "Importer",
    "declarant_code": "Declarant",
    "seller_code": "Seller",
    "hs6": "HS",
    "origin_country": "Origin",
    "office_code": "Office",
}
MODES = {code: word for word, code in TRANSPORT_MODE_WORDS.items()}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def sentence(feature: str, value: Any, declaration: Values, features: Features) -> str:
    """The sentence for ``feature`` (whose value is ``value``) on ``declaration``;
    ``features`` holds the declaration's other feature values."""
    if feature in HISTORY_RATES:
        key = HISTORY_RATES[feature]
        n = int(features[f"{key_name(key)}.n"])
        if n == 0:
            return f"{_who(key, declaration)}: never inspected before"
        # The rate is shrunk towards the overall rate: an estimate, not a count.
        return (
            f"{_who(key, declaration)}: irregularities found in about {value:.0%} of "
            f"{n:,} past inspection{'s' if n != 1 else ''}"
        )
    if feature in HISTORY_COUNTS:
        key, n = HISTORY_COUNTS[feature], int(value)
        if n == 0:
            return f"{_who(key, declaration)}: never inspected before"
        return f"{_who(key, declaration)}: inspected {n:,} time{'s' if n != 1 else ''} before"
    return _comparison(feature, value, declaration) or _plain(feature, value, declaration)


def _comparison(feature: str, value: Any, declaration: Values) -> str | None:
    if _missing(value):
        return None
    hs, origin = _text(declaration, "hs6"), _text(declaration, "origin_country")
    if feature == "unit_value_vs_hs_origin":
        return f"Declared unit value {_share(value)} the usual for HS {hs} from {origin}"
    if feature == "unit_value_vs_hs":
        return f"Declared unit value {_share(value)} the usual for HS {hs}"
    if feature == "mass_vs_hs":
        return f"Net mass {_share(value)} the usual consignment of HS {hs}"
    if feature == "duty_rate_vs_hs":
        rate = _number(declaration, "tax_rate")
        declared = f"Declared duty rate {rate:g}%" if rate is not None else "Declared duty rate"
        if abs(value) < 0.05:
            return f"{declared}, the usual for HS {hs}"
        side = "below" if value < 0 else "above"
        return f"{declared}, {abs(value):.1f} points {side} the usual for HS {hs}"
    return None


def _plain(feature: str, value: Any, declaration: Values) -> str:
    """Features that describe the declaration itself."""
    if feature == "origin_not_dispatch":
        dispatch, origin = (
            _text(declaration, "dispatch_country"),
            _text(declaration, "origin_country"),
        )
        if value:
            return f"Dispatched from {dispatch}, a country other than its origin {origin}"
        return f"Dispatched from its country of origin {origin}"
    if feature == "log_value":
        return f"Customs value {math.expm1(value):,.0f}"
    if feature == "log_mass":
        return f"Net mass {math.expm1(value):,.0f} kg"
    if feature == "tax_rate":
        return f"Duty rate {value:g}%"
    if feature == "weekday" and not _missing(value):
        return f"Declared on a {WEEKDAYS[int(value) % 7]}"
    if feature == "office_code":
        return f"Lodged at office {_text(declaration, 'office_code')}"
    if feature == "transport_mode":
        mode = _text(declaration, "transport_mode")
        return f"Transport by {MODES.get(mode, f'mode {mode}')}"
    if feature == "origin_country":
        return f"Origin {_text(declaration, 'origin_country')}"
    if feature == "hs2":
        return f"Goods of HS chapter {_text(declaration, 'hs6')[:2]}"
    if feature.startswith("attr."):
        return f"{feature[5:].replace('_', ' ').capitalize()}: {value}"
    words = feature.replace("_", " ").capitalize()
    return f"{words}: {value:,.2f}" if isinstance(value, float) else f"{words}: {value}"


def _who(key: tuple[str, ...], declaration: Values) -> str:
    """'Importer OP0000173', 'Importer OP0000173 with seller S000001'."""
    first, *others = key
    text = f"{PARTY[first]} {_text(declaration, first) or '(none)'}"
    for k in others:
        word = PARTY[k] if k == "hs6" else PARTY[k].lower()
        text += f" with {word} {_text(declaration, k) or '(none)'}"
    return text


def _share(log_ratio: float) -> str:
    """A log ratio as '2.5 times' or '24% of' (followed by 'the usual')."""
    ratio = math.exp(log_ratio)
    return f"{ratio:.1f} times" if ratio >= 1.5 else f"{ratio:.0%} of"


def _text(declaration: Values, name: str) -> str:
    value = declaration.get(name)
    return "" if _missing(value) else str(value)


def _number(declaration: Values, name: str) -> float | None:
    value = declaration.get(name)
    return None if value is None or _missing(value) else float(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


#: What each feature of the declaration itself measures, in words (``label``).
LABELS = {
    "unit_value_vs_hs_origin": "Unit value against the usual for its HS code and origin",
    "unit_value_vs_hs": "Unit value against the usual for its HS code",
    "mass_vs_hs": "Net mass against the usual consignment of its HS code",
    "duty_rate_vs_hs": "Declared duty rate against the usual for its HS code",
    "origin_not_dispatch": "Dispatched from a country other than its origin",
    "log_value": "Customs value",
    "log_mass": "Net mass",
    "tax_rate": "Duty rate",
    "weekday": "Day of the week",
    "office_code": "Office",
    "transport_mode": "Transport mode",
    "origin_country": "Origin",
    "hs2": "HS chapter",
}


def label(feature: str) -> str:
    """What a model input measures, in words: 'Importer: irregularity rate in past
    inspections' for ``importer_code.rate``; never the internal name."""
    if feature in HISTORY_RATES:
        return (
            f"{_first_up(key_words(HISTORY_RATES[feature]))}: irregularity rate in past inspections"
        )
    if feature in HISTORY_COUNTS:
        return f"{_first_up(key_words(HISTORY_COUNTS[feature]))}: past inspections"
    if feature in LABELS:
        return LABELS[feature]
    if feature.startswith("attr."):
        return f"{feature[5:].replace('_', ' ').capitalize()} (from the declaration file)"
    return feature.replace("_", " ").replace(".", " ").capitalize()


def _first_up(words: str) -> str:
    """'HS code-origin pair' stays as it is, 'importer' becomes 'Importer'."""
    return words[:1].upper() + words[1:]
