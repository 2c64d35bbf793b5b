from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.core.trs.events import EventFileError, read_events
from tests.core.risk.test_hostile_files import PARQUET_DAMAGE, damaged_parquet

WIDE_HEADER = "consignment_id,office_code,aeo,arrival,lodged,registered,release,exit\n"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def good(i: int) -> str:
    day = f"2025-03-0{1 + i % 5}"
    return f"C{i},OF1,yes,{day} 08:00,{day} 09:00:00,{day}T09:30:00,2025-03-0{2 + i % 5} 08:00,\n"


def test_a_good_wide_file_is_read_whole(tmp_path: Path) -> None:
    log = read_events(_csv(tmp_path / "e.csv", WIDE_HEADER + good(0) + good(1)))
    assert log.layout == "wide"
    assert log.rejected == []
    assert log.consignments.num_rows == 2
    row = log.consignments.to_pylist()[0]
    assert row["consignment_id"] == "C0"
    assert row["aeo"] is True
    assert row["exit"] is None


@pytest.mark.parametrize(
    ("arrival", "utc"),
    [
        ("2025-03-01T08:00:00Z", "2025-03-01 08:00"),
        ("2025-03-01T17:00:00+09:00", "2025-03-01 08:00"),  # Seoul
        ("2025-03-01T03:00:00-0500", "2025-03-01 08:00"),  # Lima
        ("2025-03-01 08:00:00.750", "2025-03-01 08:00"),
        ("2025-03-01T08:00:00.5Z", "2025-03-01 08:00"),
    ],
)
def test_iso_times_with_a_zone_or_fractions_are_read_in_utc(
    tmp_path: Path, arrival: str, utc: str
) -> None:
    from datetime import UTC, datetime

    row = f"C9,OF1,yes,{arrival},,,2025-03-02 08:00,\n"
    log = read_events(_csv(tmp_path / "e.csv", WIDE_HEADER + row))
    assert log.rejected == []
    seconds = log.consignments.column("arrival").to_pylist()[0]
    if isinstance(seconds, datetime):
        seconds = seconds.replace(tzinfo=UTC).timestamp()
    assert datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M") == utc


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("C9,OF1,yes,2025-03-01 08:00,,,,\n", "no release time"),
        ("C9,OF1,yes,,,,2025-03-01 08:00,\n", "no arrival time"),
        (
            "C9,OF1,yes,2025-03-02 08:00,,,2025-03-01 08:00,\n",
            "release (2025-03-01 08:00) is before arrival",
        ),
        (
            "C9,OF1,yes,2025-03-01 08:00,2025-03-01 09:00,2025-03-01 07:00,2025-03-02 08:00,\n",
            "registered (2025-03-01 07:00) is before lodged",
        ),
        ("C9,OF1,maybe,2025-03-01 08:00,,,2025-03-02 08:00,\n", "aeo is not yes/no"),
        ("C9,OF1,yes,yesterday,,,2025-03-02 08:00,\n", "arrival is not a date and time"),
        (",OF1,yes,2025-03-01 08:00,,,2025-03-02 08:00,\n", "consignment_id is missing"),
        (
            "C0,OF1,yes,2025-03-01 08:00,,,2025-03-02 08:00,\n",
            "consignment C0 already appears in row 1",
        ),
        (
            "C9,OF1,yes,2025-03-01 08:00,,,2025-03-02 08:00,2025-03-02 07:00\n",
            "exit (2025-03-02 07:00) is before release",
        ),
    ],
)
def test_each_bad_wide_row_is_reported_with_its_reason(
    tmp_path: Path, row: str, reason: str
) -> None:
    log = read_events(_csv(tmp_path / "e.csv", WIDE_HEADER + good(0) + row + good(2)))
    assert log.consignments.num_rows == 2
    assert [(r.row, reason in r.reason) for r in log.rejected] == [(2, True)], log.rejected


def test_lodging_before_arrival_is_pre_arrival_filing_not_an_error(tmp_path: Path) -> None:
    row = "C9,OF1,yes,2025-03-01 08:00,2025-02-28 10:00,2025-02-28 10:30,2025-03-01 09:00,\n"
    log = read_events(_csv(tmp_path / "e.csv", WIDE_HEADER + row))
    assert log.rejected == []
    assert log.consignments.num_rows == 1


LONG_HEADER = "consignment_id,stage,timestamp,office_code,aeo\n"


def test_a_long_file_becomes_one_row_per_consignment(tmp_path: Path) -> None:
    text = LONG_HEADER + (
        "C1,arrival,2025-03-01 08:00,OF1,yes\n"
        "C1,release,2025-03-01 20:00,,\n"
        "C2,arrival,2025-03-01 08:00,OF2,no\n"
        "C2,gate_in,2025-03-01 09:00,,\n"  # unknown stage: reported, C2 measured without it
        "C2,release,2025-03-02 08:00,,\n"
        "C2,release,2025-03-02 09:00,,\n"  # the same event twice
        "C3,arrival,2025-03-01 08:00,OF1,no\n"  # never released
    )
    log = read_events(_csv(tmp_path / "e.csv", text))
    assert log.layout == "long"
    assert log.rows_read == 7
    assert log.consignments_read == 3
    assert [r["consignment_id"] for r in log.consignments.to_pylist()] == ["C1", "C2"]
    assert log.consignments.to_pylist()[0]["office_code"] == "OF1"
    reasons = {r.row: r.reason for r in log.rejected}
    assert "unknown stage 'gate_in'" in reasons[4]
    assert "release of consignment C2 already in row 5" in reasons[6]
    assert reasons[7] == "no release time"
    accepted_rows = 2 + 2  # C1's two rows, C2's arrival and first release
    assert accepted_rows + log.rows_rejected == log.rows_read


def test_a_file_that_is_no_event_log_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="not an event log"):
        read_events(_csv(tmp_path / "e.csv", "a,b\n1,2\n"))
    with pytest.raises(EventFileError, match="unsupported file type"):
        read_events(_csv(tmp_path / "e.docx", "a"))


STAGE_TIMES = st.lists(
    st.tuples(
        st.integers(0, 100),  # arrival hour
        st.one_of(st.none(), st.integers(-50, 150)),  # release hour
        st.sampled_from(["yes", "no", "perhaps"]),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(rows=STAGE_TIMES)
def test_accepted_plus_rejected_is_every_consignment(
    rows: list[tuple[int, int | None, str]],
) -> None:
    table = pa.table(
        {
            "consignment_id": [f"C{i % 25}" for i in range(len(rows))],
            "arrival": pa.array([a * 3600 for a, _, _ in rows], pa.timestamp("s")),
            "release": pa.array(
                [None if r is None else r * 3600 for _, r, _ in rows], pa.timestamp("s")
            ),
            "aeo": [f for *_, f in rows],
        }
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(table, Path(tmp) / "e.parquet")
        log = read_events(Path(tmp) / "e.parquet")
    assert log.consignments.num_rows + log.rows_rejected == len(rows)
    for r in log.rejected:
        assert r.reason
    for row in log.consignments.to_pylist():
        assert row["release"] >= row["arrival"]


# Hostile event files: the declaration readers' header checks, and only known columns read.


def test_an_event_file_with_millions_of_columns_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "e.csv"
    columns = ",".join(f"c{i}" for i in range(1_000_000))
    _csv(path, WIDE_HEADER.rstrip("\n") + "," + columns + "\n" + good(0))
    with pytest.raises(EventFileError, match="header line is longer than 1 MB"):
        read_events(path)
    extra = {f"c{i}": [""] for i in range(10_001)}
    pq.write_table(pa.table({"consignment_id": ["C0"], "release": ["2025-03-01"], **extra}),
                   tmp_path / "e.parquet")  # fmt: skip
    with pytest.raises(EventFileError, match="more than 10,000 columns"):
        read_events(tmp_path / "e.parquet")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (WIDE_HEADER.encode("utf-16"), "encoded in UTF-16"),
        (b"\x00\x01" * 4000, "not a text file"),
        (b"", "the file is empty"),
    ],
)
def test_an_event_file_in_the_wrong_encoding_is_named_as_such(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / "e.csv").write_bytes(content)
    with pytest.raises(EventFileError, match=reason):
        read_events(tmp_path / "e.csv")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_columns_a_study_does_not_know_are_not_read(tmp_path: Path, suffix: str) -> None:
    """A thousand wide columns of text beside the event log cost nothing: the reader takes the
    known columns only (from the file, for Parquet; while parsing, for CSV)."""
    from greenlane.core.trs import events

    rows = [good(i) for i in range(50)]
    plain = _csv(tmp_path / "plain.csv", WIDE_HEADER + "".join(rows))
    filler = ",".join(["x" * 200] * 1_000)
    noisy = _csv(
        tmp_path / "noisy.csv",
        WIDE_HEADER.rstrip("\n") + "," + ",".join(f"note{i}" for i in range(1_000)) + "\n"
        + "".join(r.rstrip("\n") + "," + filler + "\n" for r in rows),
    )  # fmt: skip
    if suffix == ".parquet":
        import pyarrow.csv as pacsv

        for path in (plain, noisy):
            pq.write_table(pacsv.read_csv(path), path.with_suffix(".parquet"))
        plain, noisy = plain.with_suffix(".parquet"), noisy.with_suffix(".parquet")
    assert noisy.stat().st_size > 50 * plain.stat().st_size
    lean, read = events._read_table(plain), events._read_table(noisy)
    assert read.column_names == lean.column_names
    assert read.nbytes <= 2 * lean.nbytes
    assert read_events(noisy).consignments.equals(read_events(plain).consignments)


def test_an_event_file_without_a_known_column_or_with_one_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="none of its columns is one a study reads"):
        read_events(_csv(tmp_path / "a.csv", "name,amount\nx,1\n"))
    doubled = "consignment_id,release, release\nC1,2025-03-01 08:00,2025-03-01 09:00\n"
    with pytest.raises(EventFileError, match="the column\\(s\\) release appear twice"):
        read_events(_csv(tmp_path / "b.csv", doubled))


@pytest.mark.parametrize("shape", PARQUET_DAMAGE)
def test_a_damaged_parquet_event_file_is_refused_with_the_reason(
    tmp_path: Path, shape: str
) -> None:
    rows = [good(i).rstrip("\n").split(",") for i in range(2_000)]
    names = WIDE_HEADER.strip().split(",")
    table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})
    path = damaged_parquet(tmp_path / "e.parquet", shape, table)
    with pytest.raises(EventFileError, match=r"e\.parquet: cannot read .*\(.+\)"):
        read_events(path)
