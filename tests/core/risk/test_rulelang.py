from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.risk.rulelang import Node, Rule, RuleError, parse

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


LIMITS = ("a rule is at most", "a rule has at most", "a rule nests at most")
ROWS = pd.DataFrame({"customs_value": [0.0, 3.0, 250.0], "net_mass_kg": [1.0, 2.0, 7.0]})


def _arithmetic(depth: int) -> st.SearchStrategy[tuple[str, Any]]:
    """Fully bracketed arithmetic with its value computed by plain Python, row by row."""
    leaf = st.one_of(
        st.integers(0, 3).map(lambda n: (str(n), lambda row, n=n: float(n))),
        st.sampled_from(["customs_value", "net_mass_kg"]).map(
            lambda name: (name, lambda row, name=name: row[name])
        ),
    )
    if depth == 0:
        return leaf
    inner = _arithmetic(depth - 1)
    ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
    branch = st.tuples(inner, st.sampled_from(sorted(ops)), inner).map(
        lambda t: (
            f"({t[0][0]} {t[1]} {t[2][0]})",
            lambda row, t=t: ops[t[1]](t[0][1](row), t[2][1](row)),
        )
    )
    return st.one_of(leaf, branch)


def _chain(kind: str, n: int) -> tuple[str, Any]:
    """Long flat or deeply nested expressions of the shapes found in the review."""
    if kind == "sum":  # 1 + 1 + ... > 0: flat to read, nested once built
        return "1+" * n + "1 > 0", lambda row: True
    if kind == "not":
        return "not " * n + "customs_value > 1", lambda row: (row["customs_value"] > 1) != (n % 2)
    if kind == "brackets":  # (1 + (1 + (... 1))) > n
        return "(1+" * n + "1" + ")" * n + f" > {n}", lambda row: True
    return " and ".join(["customs_value >= 0"] * (n + 1)), lambda row: True


COMPARE = {
    "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}  # fmt: skip
CHAINS = st.tuples(
    st.sampled_from(["sum", "not", "brackets", "and"]),
    st.one_of(st.integers(0, 120), st.integers(900, 1000)),  # around the limits, and far past
).map(lambda t: _chain(*t))
COMPARISONS = st.tuples(_arithmetic(7), st.sampled_from(sorted(COMPARE)), _arithmetic(7)).map(
    lambda t: (
        f"{t[0][0]} {t[1]} {t[2][0]}",
        lambda row, t=t: COMPARE[t[1]](t[0][1](row), t[2][1](row)),
    )
)


@settings(max_examples=200, deadline=None)
@given(case=st.one_of(CHAINS, COMPARISONS))
def test_a_long_or_deep_rule_is_refused_with_the_limit_or_selects_as_written(
    case: tuple[str, Any],
) -> None:
    text, reference = case
    try:
        rule = parse(text)
    except RuleError as exc:
        refusal = (exc.reason, exc.line, exc.column)
    else:
        expected = [bool(reference(row)) for _, row in ROWS.iterrows()]
        assert rule.evaluate(ROWS).tolist() == expected
        return
    assert refusal[0].startswith(LIMITS), refusal
    assert refusal[1] == 1
    assert 1 <= refusal[2] <= len(text)


@pytest.mark.parametrize(
    ("text", "words", "column"),
    [
        ("1+" * 932 + "1 > 0", "a rule nests at most 32 levels deep", 1),  # as reviewed
        ("1+" * 986 + "1 > 0", "a rule nests at most 32 levels deep", 1),
        ("customs_value > 0 and " + "1+" * 40 + "1 > 0", "nests at most 32 levels", 23),
        ("not " * 33 + "customs_value > 1", "a rule nests at most 32 levels deep", 129),
        ("customs_value in [" + ", ".join(["1"] * 600) + "]", "at most 500 terms", 1510),
        ("1 > 0 or " * 300 + "1 > 0", "a rule is at most 2,000 characters", 1),
    ],
)
def test_a_rule_past_a_limit_is_refused_with_the_limit_and_the_position(
    text: str, words: str, column: int
) -> None:
    with pytest.raises(RuleError) as caught:
        parse(text)
    assert words in caught.value.reason
    assert (caught.value.line, caught.value.column) == (1, column)


def test_evaluation_does_not_recurse_however_deep_the_tree() -> None:
    """Built directly, past what parse accepts: evaluation walks an explicit stack."""
    value = Node("field", ("customs_value",), "number")
    for _ in range(5_000):
        value = Node("arith", ("+", value, Node("number", (1.0,), "number")), "number")
    condition = Node("cmp", (">", value, Node("number", (5_004.0,), "number")), "bool")
    rule = Rule("built", condition)
    assert rule.evaluate(FRAME).tolist() == [True, True, False, True]
    assert rule.fields() == {"customs_value"}
