"""A partner's AEO list: every row kept or refused with its reason; counts always add up."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.certification.partner_list import ListError, parse

HEADER = "partner_id,name,country,valid_from,valid_to,tier,national_id\n"


def test_good_and_bad_rows_are_told_apart_with_reasons() -> None:
    text = HEADER + (
        "DE123,Rhein GmbH,DE,2024-01-01,,AEOS,KR-9\n"
        ",No Id Ltd,FR,2024-01-01,,,\n"
        "FR9,Bad Country,XX,2024-01-01,,,\n"
        "NL1,Backwards,NL,2024-05-01,2024-01-01,,\n"
        "IT5,Odd tier,IT,2024-01-01,,GOLD,\n"
        "DE123,Twice,DE,2024-01-01,,,\n"
        "ES1,Bad date,ES,01/02/2024,,,\n"
    )
    parsed = parse(text.encode(), tiers=frozenset({"AEOC", "AEOS", "AEOC-AEOS"}))
    assert [r.partner_id for r in parsed.accepted] == ["DE123"]
    assert parsed.accepted[0].national_id == "KR-9"
    reasons = {r["row"]: str(r["reason"]) for r in parsed.rejected}
    assert reasons == {
        3: "partner_id is empty",
        4: "'XX' is not an ISO country code",
        5: "valid_to is before valid_from",
        6: "tier 'GOLD' is not a tier of the partner programme",
        7: "partner_id DE123 appears twice in the file",
        8: "valid_from is not a date (YYYY-MM-DD)",
    }
    assert parsed.read == 7


def test_a_file_without_the_needed_columns_is_refused_whole() -> None:
    with pytest.raises(ListError, match="missing column"):
        parse(b"id,name\n1,x\n")
    with pytest.raises(ListError, match="not UTF-8"):
        parse(HEADER.encode() + "Z,\xe9,DE,2024-01-01,,,\n".encode("latin-1"))


cells = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='\r\n"'), max_size=12
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            cells,
            cells,
            st.sampled_from(["DE", "FR", "XX", "", "de"]),
            st.sampled_from(["2024-01-01", "bad", ""]),
            cells,
        ),
        max_size=30,
    )
)
def test_accepted_plus_rejected_is_always_rows_read(rows: list[tuple[str, ...]]) -> None:
    lines = [",".join(f'"{c}"' for c in row) for row in rows]
    text = "partner_id,name,country,valid_from,tier\n" + "\n".join(lines) + ("\n" if lines else "")
    parsed = parse(text.encode())
    assert parsed.read == len(rows)
    assert len({r.partner_id for r in parsed.accepted}) == len(parsed.accepted)


def test_a_listed_role_must_be_an_operator_type() -> None:
    text = (
        "partner_id,name,country,valid_from,role\n"
        "DE1,Export Werke,DE,2024-01-01,Exporter\n"
        "DE2,Odd Role,DE,2024-01-01,smuggler\n"
        "DE3,No Role,DE,2024-01-01,\n"
    )
    parsed = parse(text.encode())
    assert [(r.partner_id, r.role) for r in parsed.accepted] == [("DE1", "exporter"), ("DE3", "")]
    reason = str(parsed.rejected[0]["reason"])
    assert reason.startswith("role 'smuggler' is not one of: ")
    assert all(kind in reason for kind in ("carrier", "exporter", "ground_handler"))
