"""A model reason in the words a customs officer uses.

Each feature that raised a declaration's score is turned into one sentence about that
declaration: its parties by code, its HS code and origin, and the comparison the feature
makes ("Declared unit value 24% of the usual for HS 847130 from CN"), never the feature's
internal name or a logarithm. Sentences are :class:`~greenlane.core.words.Words`, translated
when a person reads them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

from greenlane.core.risk.features import HISTORY_KEYS, key_name
from greenlane.core.risk.schema import TRANSPORT_MODE_WORDS
from greenlane.core.words import Figure, Words, _, ngettext

#: The declaration's own fields, by name.
Values = Mapping[str, Any]


class Features(Protocol):
    """The declaration's feature values, by name."""

    def __getitem__(self, name: str) -> Any: ...


HISTORY_RATES = {f"{key_name(k)}.rate": k for k in HISTORY_KEYS}
HISTORY_COUNTS = {f"{key_name(k)}.n": k for k in HISTORY_KEYS}
#: A party first in a sentence ("Importer OP0000173") and after "with" ("seller S000001").
PARTY = {
    "importer_code": (_("Importer %(code)s"), _("importer %(code)s")),
    "declarant_code": (_("Declarant %(code)s"), _("declarant %(code)s")),
    "seller_code": (_("Seller %(code)s"), _("seller %(code)s")),
    "hs6": (_("HS %(code)s"), _("HS %(code)s")),
    "origin_country": (_("Origin %(code)s"), _("origin %(code)s")),
    "office_code": (_("Office %(code)s"), _("office %(code)s")),
}
#: Each history key in words, for labels ("Importer-seller pair").
KEY_LABELS = {
    ("importer_code",): _("Importer"),
    ("declarant_code",): _("Declarant"),
    ("seller_code",): _("Seller"),
    ("hs6",): _("HS code"),
    ("origin_country",): _("Origin"),
    ("office_code",): _("Office"),
    ("importer_code", "seller_code"): _("Importer-seller pair"),
    ("importer_code", "declarant_code"): _("Importer-declarant pair"),
    ("hs6", "origin_country"): _("HS code-origin pair"),
    ("declarant_code", "hs6"): _("Declarant-HS code pair"),
    ("seller_code", "hs6"): _("Seller-HS code pair"),
}
MODES = {code: word for word, code in TRANSPORT_MODE_WORDS.items()}
MODE_WORDS = {
    "sea": _("sea"),
    "rail": _("rail"),
    "road": _("road"),
    "air": _("air"),
    "post": _("post"),
    "multimodal": _("multimodal transport"),
    "fixed installation": _("fixed installation"),
    "inland waterway": _("inland waterway"),
    "unknown": _("unknown mode"),
}
WEEKDAYS = (
    _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
    _("Sunday"),
)  # fmt: skip


def sentence(feature: str, value: Any, declaration: Values, features: Features) -> Words:
    """The sentence for ``feature`` (whose value is ``value``) on ``declaration``;
    ``features`` holds the declaration's other feature values."""
    if feature in HISTORY_RATES:
        key = HISTORY_RATES[feature]
        n = int(features[f"{key_name(key)}.n"])
        if n == 0:
            return _("%(who)s: never inspected before", who=_who(key, declaration))
        # The rate is shrunk towards the overall rate: an estimate, not a count.
        return ngettext(
            "%(who)s: irregularities found in about %(rate)s of %(count)s past inspection",
            "%(who)s: irregularities found in about %(rate)s of %(count)s past inspections",
            n,
            who=_who(key, declaration),
            rate=Figure(float(value), percent=True),
        )
    if feature in HISTORY_COUNTS:
        key, n = HISTORY_COUNTS[feature], int(value)
        if n == 0:
            return _("%(who)s: never inspected before", who=_who(key, declaration))
        return ngettext(
            "%(who)s: inspected %(count)s time before",
            "%(who)s: inspected %(count)s times before",
            n,
            who=_who(key, declaration),
        )
    return _comparison(feature, value, declaration) or _plain(feature, value, declaration)


#: Features that compare the declaration with the usual for its HS code.
COMPARISONS = frozenset(
    {"unit_value_vs_hs_origin", "unit_value_vs_hs", "mass_vs_hs", "duty_rate_vs_hs"}
)


def _comparison(feature: str, value: Any, declaration: Values) -> Words | None:
    if _missing(value):
        return None
    if feature not in COMPARISONS:
        return None
    hs, origin = _text(declaration, "hs6"), _text(declaration, "origin_country")
    ratio = math.exp(value) if feature != "duty_rate_vs_hs" else 0.0
    times, share = Figure(ratio, 1), Figure(ratio, percent=True)
    high = ratio >= 1.5
    if feature == "unit_value_vs_hs_origin":
        if high:
            return _(
                "Declared unit value %(times)s times the usual for HS %(hs)s from %(origin)s",
                times=times, hs=hs, origin=origin,
            )  # fmt: skip
        return _(
            "Declared unit value %(share)s of the usual for HS %(hs)s from %(origin)s",
            share=share, hs=hs, origin=origin,
        )  # fmt: skip
    if feature == "unit_value_vs_hs":
        if high:
            return _(
                "Declared unit value %(times)s times the usual for HS %(hs)s", times=times, hs=hs
            )
        return _("Declared unit value %(share)s of the usual for HS %(hs)s", share=share, hs=hs)
    if feature == "mass_vs_hs":
        if high:
            return _(
                "Net mass %(times)s times the usual consignment of HS %(hs)s", times=times, hs=hs
            )
        return _("Net mass %(share)s of the usual consignment of HS %(hs)s", share=share, hs=hs)
    if feature == "duty_rate_vs_hs":
        rate = _number(declaration, "tax_rate")
        points = Figure(abs(float(value)), 1)
        if rate is None:
            if abs(value) < 0.05:
                return _("Declared duty rate, the usual for HS %(hs)s", hs=hs)
            if value < 0:
                return _(
                    "Declared duty rate, %(points)s points below the usual for HS %(hs)s",
                    points=points,
                    hs=hs,
                )
            return _(
                "Declared duty rate, %(points)s points above the usual for HS %(hs)s",
                points=points,
                hs=hs,
            )
        declared = Figure(rate, _places(rate))
        if abs(value) < 0.05:
            return _("Declared duty rate %(rate)s%%, the usual for HS %(hs)s", rate=declared, hs=hs)
        if value < 0:
            return _(
                "Declared duty rate %(rate)s%%, %(points)s points below the usual for HS %(hs)s",
                rate=declared, points=points, hs=hs,
            )  # fmt: skip
        return _(
            "Declared duty rate %(rate)s%%, %(points)s points above the usual for HS %(hs)s",
            rate=declared, points=points, hs=hs,
        )  # fmt: skip
    return None


def _plain(feature: str, value: Any, declaration: Values) -> Words:
    """Features that describe the declaration itself."""
    if feature == "origin_not_dispatch":
        dispatch, origin = (
            _text(declaration, "dispatch_country"),
            _text(declaration, "origin_country"),
        )
        if value:
            return _(
                "Dispatched from %(dispatch)s, a country other than its origin %(origin)s",
                dispatch=dispatch, origin=origin,
            )  # fmt: skip
        return _("Dispatched from its country of origin %(origin)s", origin=origin)
    if feature == "log_value":
        return _("Customs value %(value)s", value=Figure(math.expm1(value)))
    if feature == "log_mass":
        return _("Net mass %(mass)s kg", mass=Figure(math.expm1(value)))
    if feature == "tax_rate":
        return _("Duty rate %(rate)s%%", rate=Figure(float(value), _places(float(value))))
    if feature == "weekday" and not _missing(value):
        return _("Declared on a %(day)s", day=WEEKDAYS[int(value) % 7])
    if feature == "office_code":
        return _("Lodged at office %(office)s", office=_text(declaration, "office_code"))
    if feature == "transport_mode":
        mode = _text(declaration, "transport_mode")
        if mode in MODES:
            return _("Transport by %(mode)s", mode=MODE_WORDS[MODES[mode]])
        return _("Transport by mode %(mode)s", mode=mode)
    if feature == "origin_country":
        return _("Origin %(code)s", code=_text(declaration, "origin_country"))
    if feature == "hs2":
        return _("Goods of HS chapter %(chapter)s", chapter=_text(declaration, "hs6")[:2])
    if feature.startswith("attr."):
        # The name of a column of the user's own file: data, shown as written.
        return _("%(name)s: %(value)s", name=_column(feature[5:]), value=_plain_value(value))
    return _("%(name)s: %(value)s", name=_column(feature), value=_plain_value(value))


def _who(key: tuple[str, ...], declaration: Values) -> Words:
    """'Importer OP0000173', 'Importer OP0000173 with seller S000001'."""
    first, *others = key
    who = Words(PARTY[first][0].message, {"code": _text(declaration, first) or _("(none)")})
    for k in others:
        other = Words(PARTY[k][1].message, {"code": _text(declaration, k) or _("(none)")})
        who = _("%(first)s with %(other)s", first=who, other=other)
    return who


def _places(value: float) -> int:
    """Decimals to write a rate as Python's ``:g`` would (8 -> 0, 6.5 -> 1, 2.25 -> 2)."""
    text = f"{value:g}"
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def _column(name: str) -> str:
    return name.replace("_", " ").replace(".", " ").capitalize()


def _plain_value(value: Any) -> Any:
    return Figure(value, 2) if isinstance(value, float) else value


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
    "unit_value_vs_hs_origin": _("Unit value against the usual for its HS code and origin"),
    "unit_value_vs_hs": _("Unit value against the usual for its HS code"),
    "mass_vs_hs": _("Net mass against the usual consignment of its HS code"),
    "duty_rate_vs_hs": _("Declared duty rate against the usual for its HS code"),
    "origin_not_dispatch": _("Dispatched from a country other than its origin"),
    "log_value": _("Customs value"),
    "log_mass": _("Net mass"),
    "tax_rate": _("Duty rate"),
    "weekday": _("Day of the week"),
    "office_code": _("Office"),
    "transport_mode": _("Transport mode"),
    "origin_country": _("Origin"),
    "hs2": _("HS chapter"),
}


def label(feature: str) -> Words | str:
    """What a model input measures, in words: 'Importer: irregularity rate in past
    inspections' for ``importer_code.rate``; never the internal name. An input named after a
    column of the user's own file keeps that name."""
    if feature in HISTORY_RATES:
        return _(
            "%(who)s: irregularity rate in past inspections",
            who=KEY_LABELS[HISTORY_RATES[feature]],
        )
    if feature in HISTORY_COUNTS:
        return _("%(who)s: past inspections", who=KEY_LABELS[HISTORY_COUNTS[feature]])
    if feature in LABELS:
        return LABELS[feature]
    if feature.startswith("attr."):
        return _("%(name)s (from the declaration file)", name=_column(feature[5:]))
    return _column(feature)
