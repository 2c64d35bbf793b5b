"""Links mailed to confirm an e-mail address: signed, expiring, and working once.

A link's token is signed with the server's secret (Django's ``TimestampSigner``, one salt per
purpose, so a token made for one purpose never works for another) and names the record plus a
digest of the state the link is meant to change. Following it changes that state (a request
moves on, a pending address becomes the address), so the same token then names a state that
no longer is, and fails: nothing is stored per link, and nothing needs cleaning up.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import ngettext

SALT = "greenlane.accounts.links."


def confirm_here(url: str) -> str:
    """The e-mail's line with the link, in the active language: how long it works, then it."""
    hours = settings.EMAIL_LINK_TIMEOUT // 3600
    return (
        ngettext(
            "Confirm it here (the link works once, for %(n)d hour):",
            "Confirm it here (the link works once, for %(n)d hours):",
            hours,
        )
        % {"n": hours}
        + "\n"
        + url
    )


def _digest(purpose: str, state: str) -> str:
    return salted_hmac(SALT + purpose, state).hexdigest()[:24]


def make(purpose: str, pk: int, state: str) -> str:
    """A token for the record ``pk`` while it is in ``state``."""
    signer = signing.TimestampSigner(salt=SALT + purpose)
    return signer.sign_object({"pk": pk, "state": _digest(purpose, state)})


def read(purpose: str, token: str) -> tuple[int, str] | None:
    """The record and state digest a token names, or None when it is forged, altered, made for
    another purpose or older than ``EMAIL_LINK_TIMEOUT``."""
    signer = signing.TimestampSigner(salt=SALT + purpose)
    try:
        value = signer.unsign_object(token, max_age=settings.EMAIL_LINK_TIMEOUT)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    pk, digest = value.get("pk"), value.get("state")
    if not isinstance(pk, int) or not isinstance(digest, str):
        return None
    return pk, digest


def matches(purpose: str, digest: str, state: str) -> bool:
    """Whether the record is still in the state the token was made for."""
    return constant_time_compare(digest, _digest(purpose, state))
