from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.risk.rulelang import RuleError, parse

FRAME = pd.DataFrame(
    {
        "hs6": ["851712", "010121", None, "851830"],
        "origin_country": ["CN", "VN", "CN", "DE"],
        "customs_value": [20000.0, 5.0, None, 800.0],
        "net_mass_kg": [10.0, 0.0, 1.0, 2.0],
        "transport_mode": ["4", "1", "1", "4"],
    }
)


@pytest.mark.parametrize(
    ("text", "selected"),
    [
        ('hs6 startswith "8517" and origin_country in ["CN", "VN"]', [True, False, False, False]),
        ("customs_value > 10000 or customs_value <= 5", [True, True, False, False]),
        ("customs_value / net_mass_kg >= 400", [True, False, False, True]),  # 5 / 0: no value
        ('not (transport_mode == "4")', [False, True, True, False]),
        ('origin_country not in ["CN"]', [False, True, False, True]),
        ("customs_value * 2 - 600 > 1000", [True, False, False, False]),  # 1,000 is not > 1,000
        (
            'hs6 == "851712" and (origin_country == "CN" or origin_country == "DE")',
            [True, False, False, False],
        ),
    ],
)
def test_rules_select_what_they_say(text: str, selected: list[bool]) -> None:
    assert parse(text).evaluate(FRAME).tolist() == selected


@pytest.mark.parametrize(
    ("text", "words", "column"),
    [
        ("hs7 == 1", "unknown field 'hs7'", 1),
        ('customs_value > 1 and fraud == "1"', "unknown field 'fraud'", 23),
        ('customs_value > "a"', "cannot compare number with text", 1),
        ('origin_country < "CN"', "text can only be compared with == or !=", 1),
        ("customs_value >", "the rule ends too early", 15),
        ("customs_value > 1 ;", "unexpected", 19),
        ("customs_value", "a rule must be a condition", 1),
        ('origin_country in ["CN", 3]', "the list must hold text values", 1),
        ('__import__("os")', "unexpected", 11),
        ("", "the rule is empty", 1),
    ],
)
def test_a_bad_rule_is_refused_with_the_position(text: str, words: str, column: int) -> None:
    with pytest.raises(RuleError) as caught:
        parse(text)
    assert words in caught.value.reason
    assert caught.value.column == column


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=120))
def test_no_input_crashes_the_parser(text: str) -> None:
    try:
        rule = parse(text)
    except RuleError:
        return
    assert len(rule.evaluate(FRAME)) == len(FRAME)


TOKENS = st.sampled_from(
    ['hs6', 'customs_value', 'origin_country', '"CN"', '"8517"', '1', '2.5', '==', '!=', '<',
     '>=', 'and', 'or', 'not', 'in', 'startswith', '(', ')', '[', ']', ',', '+', '/', '*',
     'eval', '__class__', 'lambda', ';', '.']
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(tokens=st.lists(TOKENS, max_size=15))
def test_token_soup_is_a_rule_or_a_clear_refusal(tokens: list[str]) -> None:
    text = " ".join(tokens)
    try:
        rule = parse(text)
    except RuleError as exc:
        where = (exc.line, exc.column)
    else:
        assert len(rule.evaluate(FRAME)) == len(FRAME)
        return
    assert where[0] == 1  # one line of input
    assert 1 <= where[1] <= max(len(text), 1) + 1
