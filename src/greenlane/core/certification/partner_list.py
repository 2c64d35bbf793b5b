"""Reading a partner administration's AEO list (CSV) row by row: every row is either kept or
refused with its reasons (words, ``core.words``: the pages read them in the reader's
language); accepted + rejected = rows read."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

import pycountry

from greenlane.core.criteria.schema import OperatorType
from greenlane.core.words import Words, _, listed

REQUIRED = ("partner_id", "name", "country", "valid_from")
OPTIONAL = ("national_id", "tier", "valid_to", "role")
ROLES = frozenset(t.value for t in OperatorType)
MAX_ROWS = 500_000


class ListError(ValueError):
    """The file as a whole cannot be read (not its rows)."""

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


@dataclass(frozen=True)
class PartnerRow:
    row: int
    partner_id: str
    national_id: str
    name: str
    country: str
    tier: str
    valid_from: date
    valid_to: date | None
    role: str = ""  # an operator type (importer, exporter, manufacturer...), when listed


@dataclass
class Parsed:
    accepted: list[PartnerRow] = field(default_factory=list)
    #: {row, reason (words), raw}
    rejected: list[dict[str, object]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.accepted) + len(self.rejected)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse(content: bytes, tiers: frozenset[str] | None = None) -> Parsed:
    """Rows of a partner list; ``tiers`` (when known) are the partner programme's tier ids."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListError(_("the file is not UTF-8 text")) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ListError(
            _(
                "missing column(s): %(missing)s (needed: %(needed)s)",
                missing=", ".join(missing),
                needed=", ".join(REQUIRED),
            )
        )
    reader.fieldnames = header
    out = Parsed()
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        if number - 1 > MAX_ROWS:
            raise ListError(_("more than %(n)s rows: split the file", n=MAX_ROWS))
        if None in raw:
            out.rejected.append({"row": number, "reason": _("more cells than columns"), "raw": {}})
            continue
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        reasons: list[Words] = []
        for column in REQUIRED:
            if not values.get(column):
                reasons.append(_("%(column)s is empty", column=column))
        country = values.get("country", "").upper()
        if country and pycountry.countries.get(alpha_2=country) is None:
            reasons.append(_("'%(value)s' is not an ISO country code", value=country))
        start = _date(values.get("valid_from", ""))
        if values.get("valid_from") and start is None:
            reasons.append(_("%(column)s is not a date (YYYY-MM-DD)", column="valid_from"))
        end = _date(values.get("valid_to", "")) if values.get("valid_to") else None
        if values.get("valid_to") and end is None:
            reasons.append(_("%(column)s is not a date (YYYY-MM-DD)", column="valid_to"))
        if start and end and end < start:
            reasons.append(_("valid_to is before valid_from"))
        tier = values.get("tier", "")
        if tier and tiers is not None and tier not in tiers:
            reasons.append(_("tier '%(tier)s' is not a tier of the partner programme", tier=tier))
        role = values.get("role", "").lower()
        if role and role not in ROLES:
            reasons.append(
                _(
                    "role '%(role)s' is not one of: %(roles)s",
                    role=role,
                    roles=", ".join(sorted(ROLES)),
                )
            )
        partner_id = values.get("partner_id", "")
        if partner_id and partner_id in seen:
            reasons.append(_("partner_id %(id)s appears twice in the file", id=partner_id))
        if len(partner_id) > 40 or len(values.get("name", "")) > 200:
            reasons.append(_("a value is too long"))
        if reasons:
            out.rejected.append({"row": number, "reason": listed(reasons), "raw": values})
            continue
        seen.add(partner_id)
        assert start is not None
        out.accepted.append(
            PartnerRow(
                number,
                partner_id,
                values.get("national_id", "")[:40],
                values["name"],
                country,
                tier,
                start,
                end,
                role,
            )
        )
    return out
