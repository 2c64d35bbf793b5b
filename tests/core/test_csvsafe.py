"""CSV injection: no cell a spreadsheet would run as a formula leaves Greenlane."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenlane.core.csvsafe import FORMULA_SIGNS, FORMULA_STARTS, Writer, cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+CMD|' /C calc'!A0", "'+CMD|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (' =HYPERLINK("http://x","y")', '\' =HYPERLINK("http://x","y")'),
        ("  @SUM(A1:A2)", "'  @SUM(A1:A2)"),
        ("\n=1", "'\n=1"),
        ("\u00a0+CMD|' /C calc'!A0", "'\u00a0+CMD|' /C calc'!A0"),
        ("\uff1dSUM(1)", "'\uff1dSUM(1)"),
        (" -4", " -4"),
        ("-12.5", "-12.5"),  # numbers are no formulas: left as numbers
        ("+3", "+3"),
        ("-1e-3", "-1e-3"),
        ("plain = text", "plain = text"),
        (None, ""),
        (42, "42"),
    ],
)
def test_formula_signs_are_neutralised_and_numbers_kept(value: object, written: str) -> None:
    assert cell(value) == written


#: Text a spreadsheet may read as a formula: optional leading whitespace, a sign, anything.
SIGNED = st.builds(
    lambda space, sign, rest: space + sign + rest,
    st.text(alphabet=" \t\r\n\u00a0\u3000", max_size=3),
    st.sampled_from(sorted(FORMULA_SIGNS)),
    st.text(),
)


@given(st.one_of(st.text(), SIGNED))
def test_no_written_cell_starts_a_formula_and_nothing_is_lost(text: str) -> None:
    out = cell(text)
    assert out in (text, "'" + text)  # the value is kept whole
    if out[:1] in FORMULA_STARTS or out.lstrip()[:1] in FORMULA_SIGNS:
        float(out)  # only a plain number may start with a sign, after spaces or not


@given(st.lists(st.lists(st.text(), max_size=4), max_size=5))
def test_the_writer_neutralises_every_cell_of_every_row(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    Writer(buffer).writerows(rows)
    back = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert [[v for v in row] for row in back if row] == [
        [cell(v) for v in row] for row in rows if row
    ]
