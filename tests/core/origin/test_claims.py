"""Preference claims against certificates of origin: the rules as sentences, then the two
implementations (one line at a time, and whole tables through Ibis) held to the same outcomes
on random data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import ibis
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.origin.claims import (
    Certificate,
    Claim,
    Item,
    Outcome,
    Terms,
    certificate_tables,
    claims_table,
    match,
    match_table,
    valid_until,
)

ISSUED = dt.date(2026, 3, 31)
KR_CN = {"KR-CN": Terms(validity_months=12, retroactive_allowed=True)}


def certificate(**changes: object) -> Certificate:
    fields: dict[str, object] = {
        "number": "KR-1", "agreement": "KR-CN", "issue_date": ISSUED, "status": "received",
        "importer_id": "CN-913100", "exporting_country": "KR", "invoice_country": "KR",
        "retroactive": False,
        "items": (
            Item(1, "850760", "KR", Decimal(1000), "PCE", Decimal(84000), "USD"),
            Item(2, "847330", "KR", Decimal(500), "PCE", Decimal(21500), "USD"),
        ),
    }  # fmt: skip
    fields.update(changes)
    return Certificate(**fields)  # type: ignore[arg-type]


def claim(declaration: str = "D1", **changes: object) -> Claim:
    fields: dict[str, object] = {
        "declaration": declaration, "line": 1, "date": dt.date(2026, 4, 10),
        "agreement": "KR-CN", "certificate": "KR-1", "importer_id": "cn 913100",
        "hs_code": "8507600000", "origin_country": "KR", "quantity": Decimal(400),
        "unit": "PCE", "value": Decimal(33600), "currency": "USD",
    }  # fmt: skip
    fields.update(changes)
    return Claim(**fields)  # type: ignore[arg-type]


def one(c: Claim, cert: Certificate | None = None, terms: dict[str, Terms] = KR_CN) -> Outcome:
    cert = cert or certificate()
    (outcome,) = match([c], {cert.number: cert}, terms)
    return outcome


def test_a_claim_within_the_certificate_is_covered_and_names_its_item() -> None:
    outcome = one(claim())
    assert (outcome.result, outcome.refusals, outcome.remarks) == ("covered", (), ())
    assert outcome.item == 1
    assert (outcome.covered_quantity, outcome.covered_value) == (400, 33600)


def test_declarations_draw_the_certificate_down_until_it_is_exhausted() -> None:
    """1,000 pieces worth 84,000 USD; each declaration claims 400 pieces worth 33,600."""
    days = [dt.date(2026, 4, 10), dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)]
    claims = [claim(f"D{n}", date=day) for n, day in enumerate(days, 1)]
    outcomes = match(claims, {"KR-1": certificate()}, KR_CN)
    assert [o.result for o in outcomes] == ["covered", "covered", "partly_covered", "refused"]
    assert (outcomes[2].covered_quantity, outcomes[2].covered_value) == (200, 84000 - 2 * 33600)
    assert outcomes[3].refusals == ("exhausted",)
    assert (outcomes[3].covered_quantity, outcomes[3].covered_value) == (0, 0)


def test_the_lines_are_taken_in_date_order_whatever_order_they_come_in() -> None:
    late, early = claim("D9", quantity=Decimal(900)), claim("D1", date=dt.date(2026, 4, 1))
    outcomes = match([late, early], {"KR-1": certificate()}, KR_CN)
    assert [(o.declaration, o.covered_quantity) for o in outcomes] == [("D1", 400), ("D9", 600)]


def test_a_certificate_is_valid_to_the_day_before_its_anniversary() -> None:
    assert valid_until(ISSUED, Terms(validity_months=12)) == dt.date(2027, 3, 30)
    assert valid_until(dt.date(2024, 2, 29), Terms(validity_months=12)) == dt.date(2025, 2, 27)
    assert one(claim(date=dt.date(2027, 3, 30))).result == "covered"
    assert one(claim(date=dt.date(2027, 3, 31))).refusals == ("expired",)


def test_an_unknown_or_unusable_certificate_is_refused() -> None:
    assert one(claim(certificate="KR-404")).refusals == ("unknown_certificate",)
    for status in ("rejected", "cancelled", "replaced"):
        assert one(claim(), certificate(status=status)).refusals == ("certificate_unusable",)


def test_another_importer_or_agreement_is_refused() -> None:
    assert one(claim(importer_id="CN-000001")).refusals == ("importer_differs",)
    assert one(claim(agreement="RCEP")).refusals == ("agreement_differs",)
    assert one(claim(), certificate(importer_id=None)).result == "covered"


def test_a_different_subheading_under_the_same_heading_is_a_remark_not_a_refusal() -> None:
    outcome = one(claim(hs_code="850790"))
    assert (outcome.result, outcome.remarks, outcome.item) == (
        "covered",
        ("hs_subheading_differs",),
        1,
    )
    assert one(claim(hs_code="620342")).refusals == ("hs_differs",)


def test_a_named_item_must_exist_and_match_the_goods() -> None:
    assert one(claim(item=3)).refusals == ("no_such_item",)
    assert one(claim(item=2)).refusals == ("hs_differs",)
    assert one(claim(item=2, hs_code="847330")).item == 2


def test_the_origin_must_be_the_items() -> None:
    assert one(claim(origin_country="CN")).refusals == ("origin_differs",)


def test_retroactive_issue_and_third_country_invoices_follow_the_agreement() -> None:
    strict = {"KR-CN": Terms(retroactive_allowed=False, third_country_invoicing=False)}
    retro, invoiced = certificate(retroactive=True), certificate(invoice_country="SG")
    assert one(claim(), retro).remarks == ("retroactive",)
    assert one(claim(), retro, strict).refusals == ("retroactive_not_allowed",)
    assert one(claim(), invoiced).remarks == ("third_country_invoice",)
    assert one(claim(), invoiced, strict).refusals == ("third_country_invoice_not_allowed",)


def test_another_unit_or_currency_is_not_drawn_on_and_says_so() -> None:
    outcome = one(claim(unit="KGM", currency="EUR"))
    assert outcome.remarks == ("unit_differs", "currency_differs")
    assert (outcome.covered_quantity, outcome.covered_value) == (None, None)


# --- the two implementations agree, and drawdown never exceeds a certificate ----------------

_HS = ["850760", "850790", "847330", "620342", "620343"]
_items = st.lists(
    st.builds(
        Item,
        sequence=st.just(0),
        hs_code=st.sampled_from(_HS),
        origin_country=st.sampled_from(["KR", "CN"]),
        quantity=st.integers(1, 50).map(Decimal),
        unit=st.sampled_from(["PCE", "PCE", "KGM"]),
        value=st.integers(0, 5000).map(Decimal),
        currency=st.sampled_from(["USD", "USD", "EUR"]),
    ),
    min_size=1,
    max_size=4,
).map(lambda items: tuple(Item(n, *list(i.__dict__.values())[1:]) for n, i in enumerate(items, 1)))
_certificates = st.lists(
    st.builds(
        Certificate,
        number=st.just(""),
        agreement=st.sampled_from(["KR-CN", "RCEP"]),
        issue_date=st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        status=st.sampled_from(["received", "received", "utilised", "cancelled"]),
        importer_id=st.sampled_from([None, "CN-1", "cn1"]),
        exporting_country=st.just("KR"),
        invoice_country=st.sampled_from([None, "KR", "SG"]),
        retroactive=st.booleans(),
        items=_items,
    ),
    min_size=1,
    max_size=4,
).map(lambda cs: [Certificate(f"C{n}", *list(c.__dict__.values())[1:]) for n, c in enumerate(cs)])
_claims = st.lists(
    st.builds(
        Claim,
        declaration=st.sampled_from(["D1", "D2", "D3", "D4", "D5"]),
        line=st.integers(1, 3),
        date=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
        agreement=st.sampled_from(["KR-CN", "KR-CN", "RCEP"]),
        certificate=st.sampled_from(["C0", "C1", "C2", "C3", "C9"]),
        importer_id=st.sampled_from(["CN-1", "CN-2"]),
        hs_code=st.sampled_from(_HS),
        origin_country=st.sampled_from(["KR", "KR", "CN"]),
        quantity=st.integers(1, 60).map(Decimal),
        unit=st.sampled_from(["PCE", "PCE", "KGM"]),
        value=st.integers(0, 6000).map(Decimal),
        currency=st.sampled_from(["USD", "USD", "EUR"]),
        item=st.sampled_from([None, None, 1, 2, 5]),
    ),
    max_size=25,
    unique_by=lambda c: (c.declaration, c.line),
)
_terms = st.fixed_dictionaries(
    {
        "KR-CN": st.builds(
            Terms,
            validity_months=st.sampled_from([None, 12, 24]),
            retroactive_allowed=st.sampled_from([None, True, False]),
            third_country_invoicing=st.sampled_from([None, True, False]),
        )
    }
)


@settings(max_examples=50, deadline=None)
@given(certificates=_certificates, claims=_claims, terms=_terms)
def test_the_table_version_gives_the_same_outcomes_as_the_line_by_line_one(
    certificates: list[Certificate], claims: list[Claim], terms: dict[str, Terms]
) -> None:
    expected = match(claims, {c.number: c for c in certificates}, terms)
    heads, items = certificate_tables(certificates, terms)
    table = match_table(
        ibis.memtable(claims_table(claims)), ibis.memtable(heads), ibis.memtable(items)
    )
    got = {
        (row["declaration"], row["line"]): row
        for row in ibis.duckdb.connect().to_pyarrow(table).to_pylist()
    }
    assert len(got) == len(expected)
    for outcome in expected:
        row = got[(outcome.declaration, outcome.line)]
        assert (row["result"], row["refusals"], row["remarks"], row["item"]) == (
            outcome.result,
            " ".join(outcome.refusals),
            " ".join(outcome.remarks),
            outcome.item,
        ), outcome
        assert (row["covered_quantity"], row["covered_value"]) == (
            outcome.covered_quantity,
            outcome.covered_value,
        ), outcome


@settings(max_examples=150, deadline=None)
@given(certificates=_certificates, claims=_claims, terms=_terms)
def test_drawdown_never_exceeds_what_a_certificate_holds(
    certificates: list[Certificate], claims: list[Claim], terms: dict[str, Terms]
) -> None:
    by_number = {c.number: c for c in certificates}
    drawn: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    lines = {(c.declaration, c.line): c for c in claims}
    for outcome in match(claims, by_number, terms):
        if outcome.result == "refused":
            assert outcome.refusals
            continue
        c = lines[(outcome.declaration, outcome.line)]
        item = next(i for i in by_number[c.certificate].items if i.sequence == outcome.item)
        pool = drawn[(c.certificate, item.hs_code)]
        pool[0] += outcome.covered_quantity or 0
        pool[1] += outcome.covered_value or 0
        assert (outcome.covered_quantity or 0) <= c.quantity
        assert (outcome.covered_value or 0) <= c.value
    for (number, hs6), (quantity, value) in drawn.items():
        items = [i for i in by_number[number].items if i.hs_code == hs6]
        assert quantity <= sum(i.quantity for i in items)
        assert value <= sum(i.value for i in items)
