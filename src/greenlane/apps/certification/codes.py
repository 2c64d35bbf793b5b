"""The verification code printed on a certificate: what a verifier must hold besides the number.

Certificate numbers are sequential, so the number alone proves nothing and must reveal nothing.
The code is random (``secrets``), 12 characters from a 32-letter alphabet without the look-alikes
I, O, 0 and 1: 60 bits, printed in groups of four (``7KQM-2XHD-9WPA``). Decision record 0015.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 12
GROUP = 4


def new_verification_code() -> str:
    """A fresh code, stored without separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """What a person typed (any case, hyphens or spaces) as stored; "" if it cannot be a code."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return ""
    return code


def formatted(code: str) -> str:
    """The code as printed: groups of four joined by hyphens."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
