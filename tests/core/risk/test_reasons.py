"""Model reasons read as sentences about the declaration, never as feature names."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenlane.core.risk.features import HISTORY_KEYS, key_name
from greenlane.core.risk.reasons import label, sentence
from greenlane.core.words import Words

DECLARATION = {
    "importer_code": "OP0000173", "declarant_code": "B000042", "seller_code": "S000007",
    "hs6": "847130", "origin_country": "CN", "dispatch_country": "VN", "office_code": "ICN1",
    "transport_mode": "4", "tax_rate": 8.0,
}  # fmt: skip
JARGON = re.compile(r"__|\.rate|\.n\b|log_|_vs_|_code|nan|inf", re.IGNORECASE)


@pytest.mark.parametrize(
    ("feature", "value", "features", "expected"),
    [
        ("unit_value_vs_hs_origin", math.log(0.24), {},
         "Declared unit value 24% of the usual for HS 847130 from CN"),
        ("unit_value_vs_hs", math.log(2.5), {},
         "Declared unit value 2.5 times the usual for HS 847130"),
        ("mass_vs_hs", math.log(3), {}, "Net mass 3.0 times the usual consignment of HS 847130"),
        ("duty_rate_vs_hs", -5.0, {},
         "Declared duty rate 8%, 5.0 points below the usual for HS 847130"),
        ("importer_code.rate", 0.34, {"importer_code.n": 56},
         "Importer OP0000173: irregularities found in about 34% of 56 past inspections"),
        ("importer_code__seller_code.rate", 0.2, {"importer_code__seller_code.n": 0},
         "Importer OP0000173 with seller S000007: never inspected before"),
        ("hs6__origin_country.n", 1, {}, "HS 847130 with origin CN: inspected 1 time before"),
        ("seller_code__hs6.rate", 0.5, {"seller_code__hs6.n": 1},
         "Seller S000007 with HS 847130: irregularities found in about 50% of 1 past inspection"),
        ("origin_not_dispatch", 1.0, {},
         "Dispatched from VN, a country other than its origin CN"),
        ("transport_mode", 3.0, {}, "Transport by air"),
        ("log_value", math.log1p(1_234_567), {}, "Customs value 1,234,567"),
        ("weekday", 6.0, {}, "Declared on a Sunday"),
        ("attr.incoterm", "EXW", {}, "Incoterm: EXW"),
    ],
)  # fmt: skip
def test_each_feature_reads_as_a_sentence(
    feature: str, value: object, features: dict[str, object], expected: str
) -> None:
    assert str(sentence(feature, value, DECLARATION, features)) == expected


FEATURES = [
    *(f"{key_name(k)}.{end}" for k in HISTORY_KEYS for end in ("rate", "n")),
    "unit_value_vs_hs_origin", "unit_value_vs_hs", "mass_vs_hs", "duty_rate_vs_hs",
    "log_value", "log_mass", "tax_rate", "origin_not_dispatch", "weekday", "office_code",
    "transport_mode", "origin_country", "hs2",
]  # fmt: skip


@given(
    st.sampled_from(FEATURES),
    st.floats(min_value=-20, max_value=20, allow_nan=False),
    st.integers(0, 10**6),
    st.sampled_from([DECLARATION, {**DECLARATION, "seller_code": None, "tax_rate": None}]),
)
def test_no_reason_shows_a_feature_name_or_a_raw_logarithm(
    feature: str, value: float, n: int, declaration: dict[str, object]
) -> None:
    counts = {f"{key_name(k)}.n": n for k in HISTORY_KEYS}
    words = sentence(feature, value, declaration, counts)
    assert Words.from_json(words.as_json()) == words  # stored and read back unchanged
    text = str(words)
    assert text[0].isupper(), text
    assert not JARGON.search(text), text


@pytest.mark.parametrize("feature", FEATURES)
def test_every_model_input_has_a_label_in_words(feature: str) -> None:
    words = str(label(feature))
    assert words[0].isupper(), words
    assert not JARGON.search(words), words
    assert "_" not in words, words


def test_labels_say_what_a_history_feature_counts() -> None:
    assert str(label("importer_code.rate")) == "Importer: irregularity rate in past inspections"
    assert str(label("hs6__origin_country.n")) == "HS code-origin pair: past inspections"
    assert str(label("unit_value_vs_hs_origin")) == (
        "Unit value against the usual for its HS code and origin"
    )
    assert str(label("attr.incoterm")) == "Incoterm (from the declaration file)"
    assert len({str(label(f)) for f in FEATURES}) == len(FEATURES)  # no two inputs read the same
