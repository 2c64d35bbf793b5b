"""Preference claims matched against received certificates of origin, and drawn down.

A declaration line that claims a preference names the agreement and the certificate's
number, and the line's HS code, origin, quantity and value; the line may name the
certificate's goods item. The rules, one claim line at a time, in the order customs
receives them (declaration date, then declaration number, then line):

1. The certificate must be on record (``unknown_certificate``), under the agreement claimed
   (``agreement_differs``), usable (``certificate_unusable``: rejected, cancelled or replaced)
   and valid on the declaration date (``expired``: after ``valid_until``, which the agreement's
   validity period sets, ``valid_until``).
2. The importer on the certificate, when it names one, is the declaration's
   (``importer_differs``; identifiers compared without case, spaces or punctuation).
3. The goods: the item the line names (``no_such_item`` when the certificate has none by that
   number), else the certificate's items with the line's HS subheading (six digits), else
   those with its heading (four digits: a remark, ``hs_subheading_differs``, since the two
   sides may classify under different HS editions), else none (``hs_differs``). The item's
   origin must be the line's (``origin_differs``).
4. The agreement's terms: a certificate issued retroactively (``retroactive``) or invoiced
   from a third country (``third_country_invoice``) is a remark where the agreement allows
   it and a refusal where it does not; unknown terms leave a remark.
5. Drawdown: all items of a certificate that share the matched HS subheading form one pool.
   A line draws on the pool's quantity when its unit is the pool's (else the remark
   ``unit_differs``) and on its value when its currency is the pool's (``currency_differs``).
   What a line gets is what the pool has left after the lines before it asked: all of it
   (``covered``), a part (``partly_covered``), or nothing (``exhausted``, a refusal). A
   refused line draws nothing.

``match`` applies the rules one line after another; ``match_table`` applies the same rules to
whole tables at once through Ibis (DuckDB by default), for the bulk re-match and the
benchmark. A property test holds the two to the same outcomes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa

REFUSALS = (
    "unknown_certificate",
    "agreement_differs",
    "certificate_unusable",
    "expired",
    "importer_differs",
    "no_such_item",
    "hs_differs",
    "origin_differs",
    "retroactive_not_allowed",
    "third_country_invoice_not_allowed",
    "exhausted",
)
REMARKS = (
    "hs_subheading_differs",
    "retroactive",
    "third_country_invoice",
    "unit_differs",
    "currency_differs",
)
UNUSABLE = ("rejected", "cancelled", "replaced")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def same_party(a: str | None, b: str | None) -> bool:
    return _NOT_ALNUM.sub("", a or "").upper() == _NOT_ALNUM.sub("", b or "").upper()


@dataclass(frozen=True)
class Terms:
    """What an agreement says that the match needs (None: the agreement data does not say)."""

    validity_months: int | None = None
    retroactive_allowed: bool | None = None
    third_country_invoicing: bool | None = None


@dataclass(frozen=True)
class Item:
    sequence: int
    hs_code: str
    origin_country: str
    quantity: Decimal
    unit: str
    value: Decimal
    currency: str


@dataclass(frozen=True)
class Certificate:
    number: str
    agreement: str
    issue_date: dt.date
    status: str  # received, utilised, partly_utilised, exhausted, rejected, cancelled, replaced
    importer_id: str | None
    exporting_country: str
    invoice_country: str | None
    retroactive: bool
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Claim:
    declaration: str
    line: int
    date: dt.date
    agreement: str
    certificate: str
    importer_id: str
    hs_code: str
    origin_country: str
    quantity: Decimal
    unit: str
    value: Decimal
    currency: str
    item: int | None = None


@dataclass(frozen=True)
class Outcome:
    declaration: str
    line: int
    result: str  # covered, partly_covered, refused
    refusals: tuple[str, ...]
    remarks: tuple[str, ...]
    item: int | None = None  # the certificate item the line was matched to
    covered_quantity: Decimal | None = None  # None: not drawn on quantity
    covered_value: Decimal | None = None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, _days_in(year, month)))


def valid_until(issue_date: dt.date, terms: Terms) -> dt.date | None:
    """The last day a certificate may back a claim: the day before the same date
    ``validity_months`` later (a certificate of 2026-03-31 valid 12 months: 2027-03-30).
    None when the agreement sets no period."""
    if terms.validity_months is None:
        return None
    return add_months(issue_date, terms.validity_months) - dt.timedelta(days=1)


def _days_in(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def _items_for(claim: Claim, certificate: Certificate) -> tuple[list[Item], list[str]]:
    """The candidate items (lowest sequence first) and a refusal or remark code."""
    if claim.item is not None:
        named = [i for i in certificate.items if i.sequence == claim.item]
        if not named:
            return [], ["no_such_item"]
        if named[0].hs_code[:6] == claim.hs_code[:6]:
            return named, []
        if named[0].hs_code[:4] == claim.hs_code[:4]:
            return named, ["hs_subheading_differs"]
        return named, ["hs_differs"]
    exact = [i for i in certificate.items if i.hs_code[:6] == claim.hs_code[:6]]
    if exact:
        return sorted(exact, key=lambda i: i.sequence), []
    heading = [i for i in certificate.items if i.hs_code[:4] == claim.hs_code[:4]]
    if heading:
        return sorted(heading, key=lambda i: i.sequence), ["hs_subheading_differs"]
    return [], ["hs_differs"]


def _checks(
    claim: Claim, certificate: Certificate | None, terms: Terms
) -> tuple[list[str], list[str], Item | None]:
    if certificate is None:
        return ["unknown_certificate"], [], None
    refusals: list[str] = []
    remarks: list[str] = []
    if certificate.agreement != claim.agreement:
        refusals.append("agreement_differs")
    if certificate.status in UNUSABLE:
        refusals.append("certificate_unusable")
    last = valid_until(certificate.issue_date, terms)
    if last is not None and claim.date > last:
        refusals.append("expired")
    if certificate.importer_id and not same_party(certificate.importer_id, claim.importer_id):
        refusals.append("importer_differs")
    candidates, said = _items_for(claim, certificate)
    (refusals if said and said[0] != "hs_subheading_differs" else remarks).extend(said)
    item = candidates[0] if candidates else None
    if item is not None and item.origin_country != claim.origin_country:
        refusals.append("origin_differs")
    for flag, allowed, code in (
        (certificate.retroactive, terms.retroactive_allowed, "retroactive"),
        (
            certificate.invoice_country not in (None, certificate.exporting_country),
            terms.third_country_invoicing,
            "third_country_invoice",
        ),
    ):
        if flag:
            (refusals.append(f"{code}_not_allowed") if allowed is False else remarks.append(code))
    return refusals, remarks, item


def _pool(certificate: Certificate, hs6: str) -> tuple[Decimal, str | None, Decimal, str | None]:
    """Quantity, unit, value and currency of the items sharing ``hs6`` (a unit or currency
    is None when the items disagree on it)."""
    items = [i for i in certificate.items if i.hs_code[:6] == hs6]
    units = {i.unit for i in items}
    currencies = {i.currency for i in items}
    return (
        sum((i.quantity for i in items), Decimal(0)),
        units.pop() if len(units) == 1 else None,
        sum((i.value for i in items), Decimal(0)),
        currencies.pop() if len(currencies) == 1 else None,
    )


def match(
    claims: Iterable[Claim],
    certificates: Mapping[str, Certificate],
    terms: Mapping[str, Terms],
) -> list[Outcome]:
    """Every claim line's outcome, in the order the lines are taken (date, declaration,
    line). ``certificates`` by number; ``terms`` by agreement code (absent: ``Terms()``)."""
    asked: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    outcomes = []
    for claim in sorted(claims, key=lambda c: (c.date, c.declaration, c.line)):
        certificate = certificates.get(claim.certificate)
        agreement = certificate.agreement if certificate else claim.agreement
        refusals, remarks, item = _checks(claim, certificate, terms.get(agreement, Terms()))
        if refusals or certificate is None or item is None:
            sequence = item.sequence if item else None
            outcomes.append(
                Outcome(claim.declaration, claim.line, "refused", tuple(refusals),
                        tuple(remarks), sequence)
            )  # fmt: skip
            continue
        hs6 = item.hs_code[:6]
        outcomes.append(
            _draw(claim, _pool(certificate, hs6), asked[(certificate.number, hs6)], remarks, item)
        )
    return outcomes


def _draw(
    claim: Claim,
    pool: tuple[Decimal, str | None, Decimal, str | None],
    before: list[Decimal],
    remarks: list[str],
    item: Item,
) -> Outcome:
    """Rule 5 for one line: what the pool has left after ``before`` (quantity and value the
    earlier lines asked of it, updated here)."""
    quantity, unit, value, currency = pool
    covered_q = covered_v = None
    if unit is not None and unit == claim.unit:
        covered_q = min(claim.quantity, max(quantity - before[0], Decimal(0)))
        before[0] += claim.quantity
    else:
        remarks.append("unit_differs")
    if currency is not None and currency == claim.currency:
        covered_v = min(claim.value, max(value - before[1], Decimal(0)))
        before[1] += claim.value
    else:
        remarks.append("currency_differs")
    drawn = [
        (c, a) for c, a in ((covered_q, claim.quantity), (covered_v, claim.value)) if c is not None
    ]
    refusals: tuple[str, ...]
    if any(c == 0 and a > 0 for c, a in drawn):
        result, refusals = "refused", ("exhausted",)
    else:
        result, refusals = ("partly_covered" if any(c < a for c, a in drawn) else "covered"), ()
    return Outcome(claim.declaration, claim.line, result, refusals, tuple(remarks),
                   item.sequence, covered_q, covered_v)  # fmt: skip


# --- the same rules on whole tables (Ibis) ---------------------------------------------------

CLAIM_SCHEMA = pa.schema(
    [
        ("declaration", pa.string()), ("line", pa.int32()), ("date", pa.date32()),
        ("agreement", pa.string()), ("certificate", pa.string()), ("importer_id", pa.string()),
        ("hs_code", pa.string()), ("origin_country", pa.string()),
        ("quantity", pa.decimal128(20, 4)), ("unit", pa.string()),
        ("value", pa.decimal128(20, 4)), ("currency", pa.string()), ("item", pa.int32()),
    ]
)  # fmt: skip
CERTIFICATE_SCHEMA = pa.schema(
    [
        ("number", pa.string()), ("agreement", pa.string()), ("status", pa.string()),
        ("valid_until", pa.date32()), ("importer_id", pa.string()),
        ("retroactive", pa.bool_()), ("third_country_invoice", pa.bool_()),
        ("retroactive_allowed", pa.bool_()), ("third_country_invoicing", pa.bool_()),
    ]
)  # fmt: skip
ITEM_SCHEMA = pa.schema(
    [
        ("number", pa.string()), ("sequence", pa.int32()), ("hs_code", pa.string()),
        ("origin_country", pa.string()), ("quantity", pa.decimal128(20, 4)),
        ("unit", pa.string()), ("value", pa.decimal128(20, 4)), ("currency", pa.string()),
    ]
)  # fmt: skip


def claims_table(claims: Iterable[Claim]) -> pa.Table:
    rows = [c.__dict__ for c in claims]
    return pa.Table.from_pylist(rows, schema=CLAIM_SCHEMA)


def certificate_tables(
    certificates: Iterable[Certificate], terms: Mapping[str, Terms]
) -> tuple[pa.Table, pa.Table]:
    """The certificates (with the validity and terms of their agreement) and their items."""
    heads, items = [], []
    for c in certificates:
        agreed = terms.get(c.agreement, Terms())
        heads.append(
            {
                "number": c.number, "agreement": c.agreement, "status": c.status,
                "valid_until": valid_until(c.issue_date, agreed), "importer_id": c.importer_id,
                "retroactive": c.retroactive,
                "third_country_invoice": c.invoice_country not in (None, c.exporting_country),
                "retroactive_allowed": agreed.retroactive_allowed,
                "third_country_invoicing": agreed.third_country_invoicing,
            }
        )  # fmt: skip
        items += [{"number": c.number, **i.__dict__} for i in c.items]
    return (
        pa.Table.from_pylist(heads, schema=CERTIFICATE_SCHEMA),
        pa.Table.from_pylist(items, schema=ITEM_SCHEMA),
    )


def _key(column: Any) -> Any:
    return column.re_replace(r"[^0-9A-Za-z]", "").upper()


def _codes(flags: dict[str, Any]) -> Any:
    """The codes whose flag is true, in the given order, separated by spaces."""
    text = ibis.literal("")
    for code, flag in flags.items():
        text = text + ibis.ifelse(flag.fill_null(False), code + " ", "")
    return text.rstrip()


def match_table(claims: Any, certificates: Any, items: Any) -> Any:
    """``match`` as one Ibis expression over tables of ``CLAIM_SCHEMA``,
    ``CERTIFICATE_SCHEMA`` and ``ITEM_SCHEMA`` (``certificate_tables``). Returns a table of
    declaration, line, result, refusals and remarks (codes separated by spaces, in the order
    of ``REFUSALS`` and ``REMARKS``), item, covered_quantity, covered_value."""
    items = items.mutate(hs6=items.hs_code[:6], hs4=items.hs_code[:4])
    by_hs6 = items.group_by(["number", "hs6"]).aggregate(exact=items.sequence.min())
    by_hs4 = items.group_by(["number", "hs4"]).aggregate(near=items.sequence.min())
    c = claims.mutate(hs6=claims.hs_code[:6], hs4=claims.hs_code[:4])
    k = certificates.rename(k_number="number", k_agreement="agreement", k_importer="importer_id")
    t = c.left_join(k, c.certificate == k.k_number)
    t = t.left_join(by_hs6, (t.certificate == by_hs6.number) & (t.hs6 == by_hs6.hs6))
    t = t.drop("number", "hs6_right")
    t = t.left_join(by_hs4, (t.certificate == by_hs4.number) & (t.hs4 == by_hs4.hs4))
    t = t.drop("number", "hs4_right")
    chosen = ibis.ifelse(t.item.notnull(), t.item, t.exact.fill_null(t.near))
    t = t.mutate(chosen=chosen)
    named = items.select(
        i_number="number", i_sequence="sequence", i_hs6="hs6", i_hs4="hs4",
        i_origin="origin_country",
    )  # fmt: skip
    t = t.left_join(named, (t.certificate == named.i_number) & (t.chosen == named.i_sequence))
    known = t.k_number.notnull()
    found = t.i_sequence.notnull()
    flags = {
        "unknown_certificate": ~known,
        "agreement_differs": known & (t.k_agreement != t.agreement),
        "certificate_unusable": known & t.status.isin(UNUSABLE),
        "expired": known & t.valid_until.notnull() & (t.date > t.valid_until),
        "importer_differs": known
        & t.k_importer.notnull()
        & (_key(t.k_importer) != _key(t.importer_id)),
        "no_such_item": known & t.item.notnull() & ~found,
        "hs_differs": known
        & ((t.item.notnull() & found & (t.i_hs4 != t.hs4)) | (t.item.isnull() & ~found)),
        "origin_differs": known & found & (t.i_origin != t.origin_country),
        "retroactive_not_allowed": known & t.retroactive & (t.retroactive_allowed == False),  # noqa: E712
        "third_country_invoice_not_allowed": known
        & t.third_country_invoice
        & (t.third_country_invoicing == False),  # noqa: E712
    }
    t = t.mutate(**{f"f_{code}": flag.fill_null(False) for code, flag in flags.items()})
    refused = ibis.literal(False)
    for code in flags:
        refused = refused | t[f"f_{code}"]
    t = t.mutate(checked_refused=refused, pool_hs6=t.i_hs6)
    pools = items.group_by(["number", "hs6"]).aggregate(
        pool_q=items.quantity.sum(), pool_units=items.unit.nunique(), pool_unit=items.unit.min(),
        pool_v=items.value.sum(), pool_currencies=items.currency.nunique(),
        pool_currency=items.currency.min(),
    )  # fmt: skip
    t = t.left_join(pools, (t.certificate == pools.number) & (t.pool_hs6 == pools.hs6))
    draws = ~t.checked_refused
    draw_q = draws & (t.pool_units == 1) & (t.pool_unit == t.unit)
    draw_v = draws & (t.pool_currencies == 1) & (t.pool_currency == t.currency)
    zero = ibis.literal(0).cast("decimal(20, 4)")
    t = t.mutate(
        draw_q=draw_q.fill_null(False),
        draw_v=draw_v.fill_null(False),
        ask_q=ibis.ifelse(draw_q.fill_null(False), t.quantity, zero),
        ask_v=ibis.ifelse(draw_v.fill_null(False), t.value, zero),
    )
    window = ibis.cumulative_window(
        group_by=[t.certificate, t.pool_hs6], order_by=[t.date, t.declaration, t.line]
    )
    t = t.mutate(
        before_q=t.ask_q.sum().over(window) - t.ask_q,
        before_v=t.ask_v.sum().over(window) - t.ask_v,
    )
    left_q = ibis.greatest(t.pool_q - t.before_q, zero)
    left_v = ibis.greatest(t.pool_v - t.before_v, zero)
    covered_q = ibis.ifelse(t.draw_q, ibis.least(t.quantity, left_q), ibis.null("decimal(20, 4)"))
    covered_v = ibis.ifelse(t.draw_v, ibis.least(t.value, left_v), ibis.null("decimal(20, 4)"))
    t = t.mutate(covered_q=covered_q, covered_v=covered_v)
    exhausted = (t.draw_q & (t.covered_q == 0) & (t.quantity > 0)) | (
        t.draw_v & (t.covered_v == 0) & (t.value > 0)
    )
    short = (t.draw_q & (t.covered_q < t.quantity)) | (t.draw_v & (t.covered_v < t.value))
    t = t.mutate(f_exhausted=(draws & exhausted).fill_null(False), short=short.fill_null(False))
    remarks = {
        "hs_subheading_differs": known
        & found
        & (t.i_hs6 != t.hs6)
        & (t.i_hs4 == t.hs4)
        & ~t.f_no_such_item,
        "retroactive": known & t.retroactive & (t.retroactive_allowed != False).fill_null(True),  # noqa: E712
        "third_country_invoice": known
        & t.third_country_invoice
        & (t.third_country_invoicing != False).fill_null(True),  # noqa: E712
        "unit_differs": draws & ~t.draw_q,
        "currency_differs": draws & ~t.draw_v,
    }
    result = ibis.cases(
        (t.checked_refused | t.f_exhausted, "refused"),
        (t.short, "partly_covered"),
        else_="covered",
    )
    return t.select(
        "declaration",
        "line",
        result=result,
        refusals=_codes({code: t[f"f_{code}"] for code in REFUSALS}),
        remarks=_codes(remarks),
        item=ibis.ifelse(found, t.i_sequence, ibis.null("int32")),
        covered_quantity=ibis.ifelse(t.f_exhausted | ~t.checked_refused, t.covered_q, None),
        covered_value=ibis.ifelse(t.f_exhausted | ~t.checked_refused, t.covered_v, None),
    )
