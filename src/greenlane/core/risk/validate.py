"""Row-level validation of mapped declarations, computed column-wise with Arrow.

Each check yields a mask of failing rows and a message; a row is rejected with every message
that applies to it, and accepted rows come out typed. ``accepted + rejected == rows read``
for every batch, by construction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from greenlane.core.risk.mapping import ColumnMapping, Source
from greenlane.core.risk.readers import Batch, as_text, is_text, plain
from greenlane.core.risk.schema import (
    COUNTRIES,
    FALSE_WORDS,
    FIELDS,
    TRANSPORT_MODES,
    TRUE_WORDS,
    Field,
    Kind,
)
from greenlane.core.words import Figure, Words, _, listed

HS_DIGITS = r"^\d{6,10}$"
#: A declaration number: ASCII letters and digits, with - / . _ inside, at most 40 characters
#: (the column's width). National numbers, MRNs and UCRs fit; a formula (=, +, -, @), a space
#: or a control character does not, so no number can run in a spreadsheet or break a page.
DECLARATION_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,39}$"
NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rejection:
    row: int
    reason: Words  # stored with ``as_json()``, translated when read
    raw: dict[str, str]


@dataclass
class Validated:
    accepted: pa.Table  # typed columns of the schema, plus "row" and "attributes" (JSON text)
    rejected: list[Rejection]


class _Checks:
    def __init__(self, n: int) -> None:
        self.failed = np.zeros(n, dtype=bool)
        self.messages: list[tuple[BoolArray, Words]] = []
        self._said: dict[tuple[int, ...], Words] = {}

    def add(self, mask: pa.Array | pa.ChunkedArray | BoolArray, message: Words) -> None:
        """Rows where ``mask`` is true fail with ``message`` (null counts as not failing)."""
        if isinstance(mask, pa.Array | pa.ChunkedArray):
            bad = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
        else:
            bad = mask
        if bad.any():
            self.failed |= bad
            self.messages.append((bad, message))

    def reasons(self, i: int) -> Words:
        """The reasons row ``i`` fails, as one Words: made once for each combination of
        reasons, shared by every row that fails the same way."""
        which = tuple(k for k, (mask, _message) in enumerate(self.messages) if mask[i])
        said = self._said.get(which)
        if said is None:
            said = self._said[which] = listed([self.messages[k][1] for k in which])
        return said


TYPED = {
    Kind.NUMBER: lambda t: (
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    ),
    Kind.DATE: lambda t: pa.types.is_date(t) or pa.types.is_timestamp(t),
}


def _raw(table: pa.Table, field: Field, source: Source) -> pa.Array:
    """The column as the field reads it: typed numbers and dates (Parquet) as they are,
    anything else as trimmed text with the mapping's value recoding applied."""
    column = table[source.column].combine_chunks()
    encoded = pa.types.is_dictionary(column.type)
    typed = TYPED.get(field.kind)
    if (
        typed is not None
        and not source.values
        and typed(column.type.value_type if encoded else column.type)
    ):
        return plain(column)
    if encoded:  # trimming and recoding once per distinct value, then spread over the rows
        return pc.fill_null(pc.take(_text(column.dictionary, source), column.indices), "")
    return _text(column, source)


def _text(column: pa.Array, source: Source) -> pa.Array:
    values = pc.utf8_trim_whitespace(column if is_text(column.type) else as_text(column))
    if source.values:
        keys = pa.array(list(source.values), pa.string())
        recoded = pa.array(list(source.values.values()), pa.string())
        index = pc.index_in(values, value_set=keys)
        values = pc.if_else(pc.is_valid(index), pc.take(recoded, pc.fill_null(index, 0)), values)
    return values


def _typed(field: Field, raw: pa.Array, source: Source, checks: _Checks) -> pa.Array:
    """A number or date column the file typed itself: only nulls and ranges to check."""
    if field.kind is Kind.DATE:
        values = pc.cast(raw, pa.date32(), safe=False)
    else:
        values = pc.cast(raw, pa.float64())
        if pa.types.is_floating(raw.type):  # NaN is how files without nulls say "missing"
            values = pc.if_else(pc.is_nan(values), pa.scalar(None, pa.float64()), values)
    if field.required:
        checks.add(pc.is_null(values), _missing(field.name))
    return values if field.kind is Kind.DATE else _in_range(field, values, source, checks)


def _missing(name: str) -> Words:
    return _("%(field)s is missing", field=name)


def _bound(value: float) -> Figure:
    return Figure(value, 0 if float(value).is_integer() else 3)


def _in_range(field: Field, numbers: pa.Array, source: Source, checks: _Checks) -> pa.Array:
    if source.scale is not None:
        numbers = pc.multiply(numbers, source.scale)
    if field.minimum is not None:
        checks.add(
            pc.less(numbers, field.minimum),
            _(
                "%(field)s is below %(minimum)s (%(column)s)",
                field=field.name, minimum=_bound(field.minimum), column=source.column,
            ),
        )  # fmt: skip
    if field.maximum is not None:
        checks.add(
            pc.greater(numbers, field.maximum),
            _(
                "%(field)s is above %(maximum)s (%(column)s)",
                field=field.name, maximum=_bound(field.maximum), column=source.column,
            ),
        )  # fmt: skip
    return numbers


def _parse(
    field: Field, raw: pa.Array, source: Source, mapping: ColumnMapping, checks: _Checks
) -> pa.Array:
    if not is_text(raw.type):
        return _typed(field, raw, source, checks)
    name, column = field.name, source.column
    present = pc.not_equal(raw, "")
    if field.required:
        checks.add(pc.invert(present), _missing(name))
    if field.kind is Kind.TEXT:
        return pc.if_else(present, raw, pa.scalar(None, pa.string()))
    if field.kind is Kind.DATE:
        parsed = pc.strptime(raw, format=mapping.options.date_format, unit="s", error_is_null=True)
        checks.add(
            pc.and_(present, pc.is_null(parsed)),
            _(
                "%(field)s is not a date in the form %(format)s (%(column)s)",
                field=name,
                format=mapping.options.date_format,
                column=column,
            ),
        )
        return pc.cast(parsed, pa.date32())
    if field.kind is Kind.NUMBER:
        cleaned = pc.replace_substring(raw, ",", "") if mapping.options.delimiter != "," else raw
        ok = pc.match_substring_regex(cleaned, NUMBER)
        checks.add(
            pc.and_(present, pc.invert(ok)),
            _("%(field)s is not a number (%(column)s)", field=name, column=column),
        )
        numbers = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.float64())
        return _in_range(field, numbers, source, checks)
    if field.kind is Kind.HS6:
        digits = raw
        ok = pc.match_substring_regex(digits, HS_DIGITS)
        if not pc.all(ok).as_py():  # dots and spaces, as in 8517.12 00, are allowed
            digits = pc.replace_substring_regex(raw, r"[.\s]", "")
            ok = pc.match_substring_regex(digits, HS_DIGITS)
        checks.add(
            pc.and_(present, pc.invert(ok)),
            _(
                "%(field)s is not an HS code of 6 to 10 digits (%(column)s)",
                field=name, column=column,
            ),
        )  # fmt: skip
        return pc.if_else(ok, pc.utf8_slice_codeunits(digits, 0, 6), pa.scalar(None, pa.string()))
    if field.kind is Kind.COUNTRY:
        upper = pc.utf8_upper(raw)
        ok = pc.is_in(upper, value_set=pa.array(sorted(COUNTRIES)))
        checks.add(
            pc.and_(present, pc.invert(ok)),
            _(
                "%(field)s is not an ISO 3166-1 alpha-2 country code (%(column)s)",
                field=name,
                column=column,
            ),
        )
        return pc.if_else(ok, upper, pa.scalar(None, pa.string()))
    if field.kind is Kind.MODE:
        ok = pc.is_in(raw, value_set=pa.array(sorted(TRANSPORT_MODES)))
        checks.add(
            pc.and_(present, pc.invert(ok)),
            _("%(field)s is not a known mode of transport (%(column)s)", field=name, column=column),
        )
        return pc.if_else(ok, raw, pa.scalar(None, pa.string()))
    if field.kind is Kind.FLAG:
        lower = pc.utf8_lower(raw)
        yes = pc.is_in(lower, value_set=pa.array(sorted(TRUE_WORDS)))
        no = pc.is_in(lower, value_set=pa.array(sorted(FALSE_WORDS)))
        checks.add(
            pc.and_(present, pc.invert(pc.or_(yes, no))),
            _("%(field)s is not yes/no (1/0) (%(column)s)", field=name, column=column),
        )
        return pc.if_else(pc.or_(yes, no), yes, pa.scalar(None, pa.bool_()))
    raise AssertionError(field.kind)


class Numbers:
    """The declaration numbers met so far in one file, to reject a number's later rows."""

    def __init__(self) -> None:
        self.numbers: set[str] = set()
        self.batches: list[tuple[pa.Array, npt.NDArray[np.int64]]] = []

    def first_row(self, number: str) -> int:
        for numbers, rows in self.batches:
            at = pc.index(numbers, number).as_py()
            if at >= 0:
                return int(rows[at])
        raise KeyError(number)

    def check(self, numbers: pa.Array, rows: npt.NDArray[np.int64], checks: _Checks) -> None:
        values = numbers.to_pylist()
        fresh = set(values)
        fresh.discard(None)
        if numbers.null_count or len(fresh) != len(values) or not self.numbers.isdisjoint(fresh):
            self._one_by_one(values, rows, checks)  # a repeat somewhere: find and name it
        self.numbers |= fresh
        self.batches.append((numbers, rows))

    def _one_by_one(
        self, values: list[str | None], rows: npt.NDArray[np.int64], checks: _Checks
    ) -> None:
        here: dict[str, int] = {}
        for i, number in enumerate(values):
            if number is None:
                continue
            if number in self.numbers:
                first = self.first_row(number)
            else:
                first = here.setdefault(number, int(rows[i]))
                if first == rows[i]:
                    continue
            mask = np.zeros(len(values), dtype=bool)
            mask[i] = True
            checks.add(
                mask,
                _(
                    "declaration number %(number)s already appears in row %(row)s",
                    number=number, row=str(first),
                ),
            )  # fmt: skip


def validate(
    batch: Batch, mapping: ColumnMapping, seen: Numbers, today: date | None = None
) -> Validated:
    """Validate one batch; ``seen`` carries declaration numbers across the batches of a file;
    an inspection result dated after ``today`` (the administration's date) is refused."""
    table, n = batch.table, batch.table.num_rows
    checks = _Checks(n)
    typed: dict[str, pa.Array] = {"row": pa.array(batch.rows, pa.int64())}
    for name, source in list(mapping.columns.items()) + list(mapping.labels.items()):
        field = FIELDS[name]
        typed[name] = _parse(field, _raw(table, field, source), source, mapping, checks)
    if mapping.kind == "inspections":
        for name in ("fraud", "inspected_on"):
            checks.add(pc.is_null(typed[name]), _missing(name))
    if mapping.has_labels:
        labelled = pc.is_valid(typed["fraud"])
        for name in ("critical", "revenue_recovered", "inspected_on"):
            if name in typed:
                checks.add(
                    pc.and_(pc.is_valid(typed[name]), pc.invert(labelled)),
                    _("%(field)s given without %(flag)s", field=name, flag="fraud"),
                )
        _results_hold_together(typed, checks, today)
    _number_format(typed["number"], mapping.columns["number"], checks)
    seen.check(typed["number"], batch.rows, checks)

    typed["attributes"] = pa.array(_attributes(table, mapping.attributes), pa.string())
    accepted = pa.table(typed)
    if checks.failed.any():  # filtering copies every column: only when a row goes
        accepted = accepted.filter(pa.array(~checks.failed))
    bad = np.flatnonzero(checks.failed)
    raw_rows = _as_written(table.take(pa.array(bad, pa.int64()))) if bad.size else []
    rejected = [
        Rejection(int(batch.rows[i]), checks.reasons(int(i)), raw)
        for i, raw in zip(bad, raw_rows, strict=True)
    ]
    rejected += [Rejection(m.row, m.reason, {"line": m.raw}) for m in batch.malformed]
    return Validated(accepted, rejected)


def _results_hold_together(typed: dict[str, pa.Array], checks: _Checks, today: date | None) -> None:
    """An inspection result must say one thing: nothing recovered and nothing critical where
    no irregularity was found, and a date neither in the future nor before the declaration."""
    clean = pc.equal(typed["fraud"], False)
    if "revenue_recovered" in typed:
        checks.add(
            pc.and_(clean, pc.greater(typed["revenue_recovered"], 0)),
            _(
                "%(field)s is more than 0 but %(flag)s says no irregularity was found",
                field="revenue_recovered",
                flag="fraud",
            ),
        )
    if "critical" in typed:
        checks.add(
            pc.and_(clean, typed["critical"]),
            _(
                "%(field)s is yes but %(flag)s says no irregularity was found",
                field="critical",
                flag="fraud",
            ),
        )
    if "inspected_on" not in typed:
        return
    day = typed["inspected_on"]
    if today is not None:
        checks.add(
            pc.greater(day, pa.scalar(today, pa.date32())),
            _(
                "%(field)s is in the future (after %(today)s)",
                field="inspected_on",
                today=today.isoformat(),
            ),
        )
    if "declaration_date" in typed:
        checks.add(
            pc.less(day, typed["declaration_date"]),
            _("%(field)s is before the declaration date", field="inspected_on"),
        )


def _number_format(numbers: pa.Array, source: Source, checks: _Checks) -> None:
    ok = pc.match_substring_regex(numbers, DECLARATION_NUMBER)
    checks.add(
        pc.and_(pc.is_valid(numbers), pc.invert(ok)),
        _(
            "%(field)s is not a declaration number: letters, digits and - / . _ only, at most "
            "%(length)s characters (%(column)s)",
            field="number",
            length=40,
            column=source.column,
        ),
    )


def _as_written(table: pa.Table) -> list[dict[str, str]]:
    """Rows as text, the way a person reads them back in a rejected-rows file."""
    rows: list[dict[str, str]] = pa.table(
        {name: as_text(table[name]) for name in table.column_names}
    ).to_pylist()
    return rows


def _attributes(table: pa.Table, columns: Iterable[str]) -> list[str]:
    columns = list(columns)
    if not columns:
        return ["{}"] * table.num_rows  # no attributes: an empty object per row
    data = _as_written(table.select(columns))
    return [
        json.dumps({k: v for k, v in row.items() if v != ""}, ensure_ascii=False, sort_keys=True)
        for row in data
    ]
