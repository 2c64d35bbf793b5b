"""The tokens of mailed confirmation links: a token works only as it was made, for its own
purpose and record state, and until it expires."""

from __future__ import annotations

import time
from unittest import mock

from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from greenlane.apps.accounts import links

TOKEN = links.make("address", 42, "kim@old.example\nkim@new.example")
ALPHABET = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:")


def _works(token: str) -> bool:
    found = links.read("address", token)
    return found is not None and links.matches(
        "address", found[1], "kim@old.example\nkim@new.example"
    )


def test_it_works_as_made_and_names_its_record() -> None:
    assert _works(TOKEN)
    assert links.read("address", TOKEN)[0] == 42  # type: ignore[index]


def test_it_does_not_work_for_another_purpose_or_another_state() -> None:
    assert links.read("access-request", TOKEN) is None
    found = links.read("address", TOKEN)
    assert found is not None
    assert not links.matches("address", found[1], "kim@new.example\n")  # confirmed: dead


def test_it_expires() -> None:
    later = time.time() + settings.EMAIL_LINK_TIMEOUT + 1
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert links.read("address", TOKEN) is None


@given(position=st.integers(min_value=0, max_value=len(TOKEN) - 1), char=ALPHABET)
def test_a_token_changed_in_any_position_never_works(position: int, char: str) -> None:
    changed = TOKEN[:position] + char + TOKEN[position + 1 :]
    if changed != TOKEN:
        assert not _works(changed)


@given(cut=st.integers(min_value=0, max_value=len(TOKEN) - 1), extra=st.text(ALPHABET, max_size=4))
def test_a_token_cut_short_or_lengthened_never_works(cut: int, extra: str) -> None:
    assert not _works(TOKEN[:cut])
    if extra:
        assert not _works(TOKEN + extra)
