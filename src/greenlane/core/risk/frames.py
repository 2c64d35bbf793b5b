"""Validated declaration tables (Arrow) as pandas frames for modelling."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa

from greenlane.core.risk.mapping import ColumnMapping
from greenlane.core.risk.readers import read_batches
from greenlane.core.risk.validate import validate


def to_frame(table: pa.Table) -> pd.DataFrame:
    """One row per declaration; the mapping's extra attributes become columns of their own."""
    frame = table.drop_columns([c for c in ("attributes",) if c in table.column_names]).to_pandas()
    frame["declaration_date"] = pd.to_datetime(frame["declaration_date"])
    if "attributes" in table.column_names:
        extra = pd.DataFrame(
            [json.loads(a) for a in table["attributes"].to_pylist()], index=frame.index
        )
        frame = pd.concat([frame, extra.add_prefix("attr.")], axis=1)
    return frame


def read_frame(paths: Iterable[Path], mapping: ColumnMapping) -> tuple[pd.DataFrame, int]:
    """Validate files through ``mapping``; return the accepted rows and how many were rejected."""
    seen: dict[str, int] = {}
    tables, rejected = [], 0
    for path in paths:
        for batch in read_batches(path, mapping):
            checked = validate(batch, mapping, seen)
            tables.append(checked.accepted)
            rejected += len(checked.rejected)
    frame = to_frame(pa.concat_tables(tables)) if tables else pd.DataFrame()
    return frame.reset_index(drop=True), rejected
