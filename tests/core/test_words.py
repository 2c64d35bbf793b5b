"""Words from core: English by default, stored and read back unchanged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from greenlane.core.words import Figure, Words, _, ngettext

codes = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
values = st.recursive(
    st.one_of(
        codes,
        st.integers(-(10**12), 10**12),
        st.builds(
            Figure,
            st.floats(-1e9, 1e9, allow_nan=False),
            st.integers(0, 3),
            st.booleans(),
        ),
    ),
    lambda inner: st.builds(lambda v: _("Origin %(code)s", code=v), inner),
    max_leaves=4,
)


@given(values, values)
def test_words_are_stored_and_read_back_unchanged(first: object, second: object) -> None:
    words = _("%(first)s with %(second)s", first=first, second=second)
    assert Words.from_json(words.as_json()) == words
    assert str(Words.from_json(words.as_json())) == str(words)


def test_english_writes_values_in_english() -> None:
    words = _(
        "%(count)s declarations, %(share)s of them red, %(value)s in all",
        count=1234567,
        share=Figure(0.2345, 1, percent=True),
        value=Figure(1234.5, 2),
    )
    assert str(words) == "1,234,567 declarations, 23.4% of them red, 1,234.50 in all"


def test_a_plural_chooses_by_its_count() -> None:
    one = ngettext("%(count)s file", "%(count)s files", 1)
    many = ngettext("%(count)s file", "%(count)s files", 3)
    assert (str(one), str(many)) == ("1 file", "3 files")
    assert Words.from_json(many.as_json()) == many


def test_words_inside_words_are_written_in_turn() -> None:
    who = _("Importer %(code)s", code="OP1")
    assert str(_("%(who)s: never inspected before", who=who)) == (
        "Importer OP1: never inspected before"
    )


def test_a_message_without_values_is_written_as_it_is() -> None:
    assert str(_("random compliance sample")) == "random compliance sample"
