"""Reading a partner administration's AEO list (CSV) row by row: every row is either kept or
refused with its reasons; accepted + rejected = rows read."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

import pycountry

from greenlane.core.criteria.schema import OperatorType

REQUIRED = ("partner_id", "name", "country", "valid_from")
OPTIONAL = ("national_id", "tier", "valid_to", "role")
ROLES = frozenset(t.value for t in OperatorType)
MAX_ROWS = 500_000


class ListError(ValueError):
    """The file as a whole cannot be read (not its rows)."""


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
        raise ListError("the file is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ListError(f"missing column(s): {', '.join(missing)} (needed: {', '.join(REQUIRED)})")
    reader.fieldnames = header
    out = Parsed()
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        if number - 1 > MAX_ROWS:
            raise ListError(f"more than {MAX_ROWS:,} rows: split the file")
        if None in raw:
            out.rejected.append({"row": number, "reason": "more cells than columns", "raw": {}})
            continue
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        reasons = []
        for column in REQUIRED:
            if not values.get(column):
                reasons.append(f"{column} is empty")
        country = values.get("country", "").upper()
        if country and pycountry.countries.get(alpha_2=country) is None:
            reasons.append(f"'{country}' is not an ISO country code")
        start = _date(values.get("valid_from", ""))
        if values.get("valid_from") and start is None:
            reasons.append("valid_from is not a date (YYYY-MM-DD)")
        end = _date(values.get("valid_to", "")) if values.get("valid_to") else None
        if values.get("valid_to") and end is None:
            reasons.append("valid_to is not a date (YYYY-MM-DD)")
        if start and end and end < start:
            reasons.append("valid_to is before valid_from")
        tier = values.get("tier", "")
        if tier and tiers is not None and tier not in tiers:
            reasons.append(f"tier '{tier}' is not a tier of the partner programme")
        role = values.get("role", "").lower()
        if role and role not in ROLES:
            reasons.append(f"role '{role}' is not one of: {', '.join(sorted(ROLES))}")
        partner_id = values.get("partner_id", "")
        if partner_id and partner_id in seen:
            reasons.append(f"partner_id {partner_id} appears twice in the file")
        if len(partner_id) > 40 or len(values.get("name", "")) > 200:
            reasons.append("a value is too long")
        if reasons:
            out.rejected.append({"row": number, "reason": "; ".join(reasons), "raw": values})
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
