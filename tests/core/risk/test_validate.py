from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.risk.mapping import MappingError
from greenlane.core.risk.readers import FileError, read_batches
from greenlane.core.risk.validate import Numbers, Rejection, validate
from tests.core.risk.rows import DEFECTS, HEADER, MAPPING, good_row, spoil, write_csv


def _run(path: Path) -> tuple[pa.Table, list[Rejection]]:
    seen = Numbers()
    accepted, rejected = [], []
    for batch in read_batches(path, MAPPING):
        checked = validate(batch, MAPPING, seen)
        accepted.append(checked.accepted)
        rejected += checked.rejected
    return pa.concat_tables(accepted), rejected


def test_good_rows_come_out_typed(tmp_path: Path) -> None:
    accepted, rejected = _run(write_csv(tmp_path / "f.csv", [good_row(i) for i in range(4)]))
    assert rejected == []
    first = accepted.to_pylist()[1]
    assert first["number"] == "N0000001"
    assert first["declaration_date"] == date(2025, 2, 2)
    assert first["transport_mode"] == "1"
    assert first["origin_country"] == "DE"  # upper-cased
    assert first["net_mass_kg"] == pytest.approx(11.5)
    assert first["fraud"] is True
    assert accepted.to_pylist()[2]["fraud"] is None  # no result: not inspected
    assert accepted.to_pylist()[3]["tax_rate"] is None
    assert '"Note": "note 1"' in first["attributes"]


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_is_rejected_with_its_reason_and_row(tmp_path: Path, defect: str) -> None:
    rows = [good_row(0), spoil(good_row(1), defect), good_row(2)]
    accepted, rejected = _run(write_csv(tmp_path / "f.csv", rows))
    assert accepted["number"].to_pylist() == ["N0000000", "N0000002"]
    assert len(rejected) == 1
    assert rejected[0].row == 2
    assert DEFECTS[defect][2] in str(rejected[0].reason)
    assert rejected[0].raw["No"] == rows[1]["No"]


def test_a_row_with_several_defects_lists_them_all(tmp_path: Path) -> None:
    row = spoil(spoil(good_row(0), "bad_hs"), "negative_mass")
    _, rejected = _run(write_csv(tmp_path / "f.csv", [row]))
    assert "hs6 is not" in str(rejected[0].reason)
    assert "net_mass_kg is below 0" in str(rejected[0].reason)


def test_a_repeated_declaration_number_rejects_the_later_row(tmp_path: Path) -> None:
    rows = [good_row(1), good_row(2), good_row(1)]
    accepted, rejected = _run(write_csv(tmp_path / "f.csv", rows))
    assert accepted.num_rows == 2
    assert [(r.row, str(r.reason)) for r in rejected] == [
        (3, "declaration number N0000001 already appears in row 1")
    ]


def test_hs_codes_are_normalised_to_six_digits(tmp_path: Path) -> None:
    rows = [{**good_row(0), "HS": "8504.40.9000"}, {**good_row(1), "HS": " 850440 "}]
    accepted, rejected = _run(write_csv(tmp_path / "f.csv", rows))
    assert rejected == []
    assert accepted["hs6"].to_pylist() == ["850440", "850440"]


def test_a_row_with_too_many_fields_is_reported_not_dropped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [good_row(0), good_row(1), good_row(2)])
    lines = path.read_text().splitlines()
    lines[2] += ",surplus"
    path.write_text("\n".join(lines) + "\n")
    accepted, rejected = _run(path)
    assert accepted["number"].to_pylist() == ["N0000000", "N0000002"]
    assert [r.row for r in rejected] == [2]
    assert "columns" in str(rejected[0].reason)


def test_a_file_without_a_mapped_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("No,Date\n1,2025-01-01\n")
    with pytest.raises(MappingError, match="missing from the file: Office"):
        _run(path)


def test_a_file_that_is_not_utf8_is_refused_clearly(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [good_row(0)])
    path.write_bytes(path.read_bytes().replace(b"note 0", b"n\xe9e"))
    with pytest.raises(FileError, match="cannot read as CSV"):
        _run(path)


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="unsupported file type"):
        _run(tmp_path / "f.docx")


def test_parquet_and_excel_give_the_same_result_as_csv(tmp_path: Path) -> None:
    rows = [good_row(0), spoil(good_row(1), "bad_country"), good_row(2)]
    from_csv = _run(write_csv(tmp_path / "f.csv", rows))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "f.parquet")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row[c] for c in HEADER])
    sheet.append([None] * len(HEADER))  # trailing blank line: not a row
    book.save(tmp_path / "f.xlsx")
    for name in ("f.parquet", "f.xlsx"):
        accepted, rejected = _run(tmp_path / name)
        assert accepted.equals(from_csv[0]), name
        assert [(r.row, str(r.reason)) for r in rejected] == [
            (r.row, str(r.reason)) for r in from_csv[1]
        ], name


ROW_KINDS = st.lists(st.sampled_from(["good", *sorted(DEFECTS)]), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(kinds=ROW_KINDS)
def test_accepted_plus_rejected_is_every_row_read(kinds: list[str]) -> None:
    rows = [
        good_row(i) if kind == "good" else spoil(good_row(i), kind) for i, kind in enumerate(kinds)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        accepted, rejected = _run(write_csv(Path(tmp) / "f.csv", rows))
    good = [i + 1 for i, kind in enumerate(kinds) if kind == "good"]
    assert accepted.num_rows + len(rejected) == len(rows)
    assert accepted["row"].to_pylist() == good
    assert sorted(r.row for r in rejected) == [
        i + 1 for i, kind in enumerate(kinds) if kind != "good"
    ]
    for r in rejected:
        assert DEFECTS[kinds[r.row - 1]][2] in str(r.reason)


def test_typed_parquet_columns_are_checked_as_numbers_and_dates(tmp_path: Path) -> None:
    """A Parquet file that types its numbers and dates is checked without a detour through
    text: nulls and NaN count as missing, ranges still apply, text columns stored as
    dictionaries are trimmed and recoded per distinct value."""
    rows = [good_row(i) for i in range(5)]
    table = pa.Table.from_pylist(rows)
    mass = [10.0, None, float("nan"), -3.0, 12.5]
    table = table.set_column(table.column_names.index("Mass"), "Mass", pa.array(mass, pa.float64()))
    dates = [datetime(2025, 1, i + 1, 9, 30) for i in range(5)]  # a time of day too
    table = table.set_column(
        table.column_names.index("Date"),
        "Date",
        pa.array([None if i == 4 else d for i, d in enumerate(dates)], pa.timestamp("ms")),
    )
    modes = pa.array([" SEA ", "AIR", "SEA", "AIR", "SEA"]).dictionary_encode()
    table = table.set_column(table.column_names.index("Mode"), "Mode", modes)
    pq.write_table(table, tmp_path / "typed.parquet")

    accepted, rejected = _run(tmp_path / "typed.parquet")

    assert accepted["row"].to_pylist() == [1]
    first = accepted.to_pylist()[0]
    assert first["net_mass_kg"] == 10.0
    assert first["declaration_date"] == date(2025, 1, 1)
    assert first["transport_mode"] == "1"  # " SEA " trimmed, then recoded
    reasons = {r.row: str(r.reason) for r in rejected}
    assert "net_mass_kg is missing" in reasons[2]
    assert "net_mass_kg is missing" in reasons[3]  # NaN
    assert "net_mass_kg is below 0" in reasons[4]
    assert "declaration_date is missing" in reasons[5]
    # Rejected rows read back as text, as in a CSV of the rejections.
    assert next(r for r in rejected if r.row == 4).raw["Mass"] == "-3"
    assert all(isinstance(v, str) for r in rejected for v in r.raw.values())


def test_a_number_repeated_across_batches_names_the_first_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from greenlane.core.risk import readers

    monkeypatch.setattr(readers, "BATCH_ROWS", 3)
    rows = [good_row(i) for i in range(7)]
    rows[5] = {**rows[5], "No": rows[1]["No"]}  # second batch repeats row 2
    rows[6] = {**rows[6], "No": rows[5]["No"]}  # and again, in the third batch
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "f.parquet")
    accepted, rejected = _run(tmp_path / "f.parquet")
    assert accepted["row"].to_pylist() == [1, 2, 3, 4, 5]
    assert [(r.row, str(r.reason)) for r in rejected] == [
        (6, f"declaration number {rows[1]['No']} already appears in row 2"),
        (7, f"declaration number {rows[1]['No']} already appears in row 2"),
    ]


@pytest.mark.parametrize(
    ("number", "accepted"),
    [
        ("97061800", True),  # KCS
        ("D7-0000000001", True),  # greenlane synth
        ("21DE123456789012A1", True),  # EU movement reference number
        ("9GB123456789012-1234567", True),  # WCO UCR
        ("2024/000123.A_1", True),
        ("x" * 40, True),
        ("x" * 41, False),
        ("=cmd|' /C calc'!A0", False),
        ("+1", False),
        ("-1", False),
        ("@SUM(1)", False),
        ("N 1", False),
        ("N1\t=1", False),
        ("<script>", False),
        ("\uff2e\uff11", False),  # fullwidth letters look like N1 and are not
    ],
)
def test_a_declaration_number_has_the_form_of_one(
    tmp_path: Path, number: str, accepted: bool
) -> None:
    kept, rejected = _run(write_csv(tmp_path / "f.csv", [{**good_row(0), "No": number}]))
    assert kept.num_rows == int(accepted)
    if not accepted:
        assert str(rejected[0].reason).startswith("number is not a declaration number")
