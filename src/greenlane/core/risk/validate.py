"""Row-level validation of mapped declarations, computed column-wise with Arrow.

Each check yields a mask of failing rows and a message; a row is rejected with every message
that applies to it, and accepted rows come out typed. ``accepted + rejected == rows read``
for every batch, by construction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from greenlane.core.risk.mapping import ColumnMapping, Source
from greenlane.core.risk.readers import Batch
from greenlane.core.risk.schema import (
    COUNTRIES,
    FALSE_WORDS,
    FIELDS,
    TRANSPORT_MODES,
    TRUE_WORDS,
    Field,
    Kind,
)

NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rejection:
    row: int
    reason: str
    raw: dict[str, str]


@dataclass
class Validated:
    accepted: pa.Table  # typed columns of the schema, plus "row" and "attributes" (JSON text)
    rejected: list[Rejection]


class _Checks:
    def __init__(self, n: int) -> None:
        self.failed = np.zeros(n, dtype=bool)
        self.messages: list[tuple[BoolArray, str]] = []

    def add(self, mask: pa.Array | pa.ChunkedArray | BoolArray, message: str) -> None:
        """Rows where ``mask`` is true fail with ``message`` (null counts as not failing)."""
        if isinstance(mask, pa.Array | pa.ChunkedArray):
            bad = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
        else:
            bad = mask
        if bad.any():
            self.failed |= bad
            self.messages.append((bad, message))

    def reasons(self, i: int) -> str:
        return "; ".join(message for mask, message in self.messages if mask[i])


def _text(table: pa.Table, source: Source) -> pa.Array:
    values = pc.utf8_trim_whitespace(table[source.column].combine_chunks())
    if source.values:
        keys = pa.array(list(source.values), pa.string())
        recoded = pa.array(list(source.values.values()), pa.string())
        index = pc.index_in(values, value_set=keys)
        values = pc.if_else(pc.is_valid(index), pc.take(recoded, pc.fill_null(index, 0)), values)
    return values


def _parse(
    field: Field, raw: pa.Array, source: Source, mapping: ColumnMapping, checks: _Checks
) -> pa.Array:
    present = pc.not_equal(raw, "")
    if field.required:
        checks.add(pc.invert(present), f"{field.name} is missing")
    label = f"{field.name} {{}} ({source.column})"
    if field.kind is Kind.TEXT:
        return pc.if_else(present, raw, pa.scalar(None, pa.string()))
    if field.kind is Kind.DATE:
        parsed = pc.strptime(raw, format=mapping.options.date_format, unit="s", error_is_null=True)
        checks.add(
            pc.and_(present, pc.is_null(parsed)),
            label.format(f"is not a date in the form {mapping.options.date_format}"),
        )
        return pc.cast(parsed, pa.date32())
    if field.kind is Kind.NUMBER:
        cleaned = pc.replace_substring(raw, ",", "") if mapping.options.delimiter != "," else raw
        ok = pc.match_substring_regex(cleaned, NUMBER)
        checks.add(pc.and_(present, pc.invert(ok)), label.format("is not a number"))
        numbers = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.float64())
        if source.scale is not None:
            numbers = pc.multiply(numbers, source.scale)
        if field.minimum is not None:
            checks.add(pc.less(numbers, field.minimum), label.format(f"is below {field.minimum:g}"))
        if field.maximum is not None:
            checks.add(
                pc.greater(numbers, field.maximum), label.format(f"is above {field.maximum:g}")
            )
        return numbers
    if field.kind is Kind.HS6:
        digits = pc.replace_substring_regex(raw, r"[.\s]", "")
        ok = pc.match_substring_regex(digits, r"^\d{6,10}$")
        checks.add(
            pc.and_(present, pc.invert(ok)), label.format("is not an HS code of 6 to 10 digits")
        )
        return pc.if_else(ok, pc.utf8_slice_codeunits(digits, 0, 6), pa.scalar(None, pa.string()))
    if field.kind is Kind.COUNTRY:
        upper = pc.utf8_upper(raw)
        ok = pc.is_in(upper, value_set=pa.array(sorted(COUNTRIES)))
        checks.add(
            pc.and_(present, pc.invert(ok)),
            label.format("is not an ISO 3166-1 alpha-2 country code"),
        )
        return pc.if_else(ok, upper, pa.scalar(None, pa.string()))
    if field.kind is Kind.MODE:
        ok = pc.is_in(raw, value_set=pa.array(sorted(TRANSPORT_MODES)))
        checks.add(
            pc.and_(present, pc.invert(ok)), label.format("is not a known mode of transport")
        )
        return pc.if_else(ok, raw, pa.scalar(None, pa.string()))
    if field.kind is Kind.FLAG:
        lower = pc.utf8_lower(raw)
        yes = pc.is_in(lower, value_set=pa.array(sorted(TRUE_WORDS)))
        no = pc.is_in(lower, value_set=pa.array(sorted(FALSE_WORDS)))
        checks.add(
            pc.and_(present, pc.invert(pc.or_(yes, no))), label.format("is not yes/no (1/0)")
        )
        return pc.if_else(pc.or_(yes, no), yes, pa.scalar(None, pa.bool_()))
    raise AssertionError(field.kind)


def _duplicates(
    numbers: pa.Array, rows: npt.NDArray[np.int64], seen: dict[str, int], checks: _Checks
) -> None:
    """A declaration number already met earlier in the file rejects the later row."""
    values = numbers.to_pylist()
    for i, number in enumerate(values):
        if number is None:
            continue
        first = seen.setdefault(number, int(rows[i]))
        if first != rows[i]:
            mask = np.zeros(len(values), dtype=bool)
            mask[i] = True
            checks.add(mask, f"declaration number {number} already appears in row {first}")


def validate(batch: Batch, mapping: ColumnMapping, seen: dict[str, int]) -> Validated:
    """Validate one batch; ``seen`` carries declaration numbers across the batches of a file."""
    table, n = batch.table, batch.table.num_rows
    checks = _Checks(n)
    typed: dict[str, pa.Array] = {"row": pa.array(batch.rows, pa.int64())}
    for name, source in list(mapping.columns.items()) + list(mapping.labels.items()):
        typed[name] = _parse(FIELDS[name], _text(table, source), source, mapping, checks)
    if mapping.kind == "inspections":
        for name in ("fraud", "inspected_on"):
            checks.add(pc.is_null(typed[name]), f"{name} is missing")
    if mapping.has_labels:
        labelled = pc.is_valid(typed["fraud"])
        for name in ("critical", "revenue_recovered", "inspected_on"):
            if name in typed:
                checks.add(
                    pc.and_(pc.is_valid(typed[name]), pc.invert(labelled)),
                    f"{name} given without fraud",
                )
    _duplicates(typed["number"], batch.rows, seen, checks)

    typed["attributes"] = pa.array(_attributes(table, mapping.attributes), pa.string())
    good = pa.array(~checks.failed)
    accepted = pa.table(typed).filter(good)
    bad = np.flatnonzero(checks.failed)
    raw_rows = table.take(pa.array(bad, pa.int64())).to_pylist() if bad.size else []
    rejected = [
        Rejection(int(batch.rows[i]), checks.reasons(int(i)), raw)
        for i, raw in zip(bad, raw_rows, strict=True)
    ]
    rejected += [Rejection(m.row, m.reason, {"line": m.raw}) for m in batch.malformed]
    return Validated(accepted, rejected)


def _attributes(table: pa.Table, columns: Iterable[str]) -> list[str]:
    columns = list(columns)
    if not columns:
        return ["{}"] * table.num_rows
    data = table.select(columns).to_pylist()
    return [
        json.dumps({k: v for k, v in row.items() if v != ""}, ensure_ascii=False, sort_keys=True)
        for row in data
    ]
