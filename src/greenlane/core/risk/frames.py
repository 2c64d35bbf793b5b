"""Validated declaration tables (Arrow) as pandas frames for modelling."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from greenlane.core.risk.mapping import ColumnMapping
from greenlane.core.risk.readers import read_batches
from greenlane.core.risk.validate import Numbers, validate


def _strings_in_arrow(kind: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    return pd.StringDtype("pyarrow") if pa.types.is_string(kind) else None


def to_frame(table: pa.Table) -> pd.DataFrame:
    """One row per declaration; the mapping's extra attributes become columns of their own.
    Text stays in Arrow memory (pandas' ``string[pyarrow]``): no Python object per value."""
    frame = table.drop_columns([c for c in ("attributes",) if c in table.column_names]).to_pandas(
        types_mapper=_strings_in_arrow, date_as_object=False
    )
    frame["declaration_date"] = frame["declaration_date"].astype("datetime64[ns]")
    if "attributes" in table.column_names:
        extra = _attributes(table["attributes"])
        if extra.num_columns:
            extra_frame = extra.to_pandas(types_mapper=_strings_in_arrow)
            frame = pd.concat(
                [frame, extra_frame.set_index(frame.index).add_prefix("attr.")], axis=1
            )
    return frame


def _attributes(column: pa.ChunkedArray) -> pa.Table:
    """The JSON objects of the attributes column as a table, parsed by Arrow's JSON reader."""
    if pc.all(pc.equal(column, "{}")).as_py() in (True, None):
        return pa.table({})
    lines = pc.binary_join_element_wise(column.combine_chunks(), "\n", "")  # one per line
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]
    return pajson.read_json(io.BytesIO(data))


def read_frame(paths: Iterable[Path], mapping: ColumnMapping) -> tuple[pd.DataFrame, int]:
    """Validate files through ``mapping``; return the accepted rows and how many were rejected."""
    seen = Numbers()
    tables, rejected = [], 0
    for path in paths:
        for batch in read_batches(path, mapping):
            checked = validate(batch, mapping, seen)
            tables.append(checked.accepted)
            rejected += len(checked.rejected)
    frame = to_frame(pa.concat_tables(tables)) if tables else pd.DataFrame()
    return frame, rejected  # to_frame numbers the rows 0..n-1 already
