"""Declarations and inspection results from the database as a frame for the risk model."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection
from django.db.models import F, FloatField, QuerySet, TextField, Value
from django.db.models.functions import Cast, NullIf

from greenlane.apps.declarations.models import Declaration
from greenlane.core.risk.frames import to_frame

FIELDS = (
    "id", "number", "declaration_date", "office_code", "transport_mode", "declarant_code",
    "importer_code", "seller_code", "hs6", "origin_country", "dispatch_country", "quantity",
    "net_mass_kg", "customs_value", "tax_rate", "duty_amount", "attributes",
)  # fmt: skip
NUMBERS = ("quantity", "net_mass_kg", "customs_value", "tax_rate", "duty_amount")
#: Blank codes are read as missing.
BLANK_IS_MISSING = ("declarant_code", "seller_code", "dispatch_country")


def frame(declarations: QuerySet[Declaration] | None = None, labels: bool = True) -> pd.DataFrame:
    """One row per declaration; ``fraud`` and ``revenue_recovered`` from its inspection, if any."""
    qs = (declarations if declarations is not None else Declaration.objects.all()).order_by(
        "declaration_date", "id"
    )
    # Numbers come out of the database as floats: converting Decimal objects in Python cost
    # more than reading the rows.
    floats = {f"float_{name}": Cast(name, FloatField()) for name in NUMBERS}
    columns: list[Any] = [f"float_{c}" if c in NUMBERS else c for c in FIELDS]
    if labels:
        floats["float_revenue_recovered"] = Cast("inspection__revenue_recovered", FloatField())
        columns += ["inspection__fraud_found", "float_revenue_recovered"]
    rows = list(qs.annotate(**floats).values_list(*columns))
    out = pd.DataFrame(
        rows,
        columns=[
            c.replace("inspection__fraud_found", "fraud").removeprefix("float_") for c in columns
        ],
    )
    if out.empty:
        return out
    out["declaration_date"] = pd.to_datetime(out["declaration_date"])
    for name in (*NUMBERS, *(("revenue_recovered",) if labels else ())):
        out[name] = pd.to_numeric(out[name], errors="coerce").astype(float)
    if labels:
        out["fraud"] = out["fraud"].astype(object).where(out["fraud"].notna(), None)
    out = _with_attributes(out, pd.json_normalize(out.pop("attributes").tolist()))
    for column in BLANK_IS_MISSING:
        out[column] = out[column].replace("", None)
    return out


def _with_attributes(out: pd.DataFrame, attributes: pd.DataFrame) -> pd.DataFrame:
    """``out`` with each attribute as a column of its own (``attr.<key>``)."""
    if attributes.empty:
        return out
    attributes.index = out.index
    return pd.concat([out, attributes.add_prefix("attr.")], axis=1)


def unlabelled(declarations: QuerySet[Declaration]) -> pd.DataFrame:
    """``declarations`` as the model's frame, without labels: in bulk through COPY and Arrow
    on PostgreSQL (``copied``), through the ORM on SQLite (the demo's database, no COPY)."""
    if connection.vendor == "postgresql":
        return copied(declarations)
    return frame(declarations, labels=False)


# -- PostgreSQL: the same frame through COPY and Arrow --------------------------------------

#: Arrow types of the columns as ``copied`` reads them (numbers as float64, as ``frame`` casts).
ARROW_TYPES = {
    "id": pa.int64(), "number": pa.string(), "declaration_date": pa.date32(),
    "office_code": pa.string(), "transport_mode": pa.string(), "declarant_code": pa.string(),
    "importer_code": pa.string(), "seller_code": pa.string(), "hs6": pa.string(),
    "origin_country": pa.string(), "dispatch_country": pa.string(),
    **{name: pa.float64() for name in NUMBERS}, "attributes": pa.string(),
}  # fmt: skip


def copied(declarations: QuerySet[Declaration]) -> pd.DataFrame:
    """``frame(declarations, labels=False)`` on PostgreSQL, read in bulk: one ``COPY ... TO
    STDOUT`` in CSV, parsed by Arrow's CSV reader, the attributes by its JSON reader. No
    Python object per value: reading 100,000 declarations takes a third of the ORM's time."""
    columns = {f"copied_{name}": _column(name) for name in ARROW_TYPES}
    query = declarations.order_by("pk").annotate(**columns).values_list(*columns)
    sql, params = query.query.sql_with_params()
    buffer = io.BytesIO()
    statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        for block in copy:
            buffer.write(block)
    if not buffer.tell():
        return pd.DataFrame()
    buffer.seek(0)
    arrow = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=list(ARROW_TYPES)),
        # COPY writes NULL as an unquoted empty field and nothing else: a declaration numbered
        # "null" or an importer "N/A" (Arrow's other default null markers) is text.
        convert_options=pacsv.ConvertOptions(
            column_types=ARROW_TYPES,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    try:
        return to_frame(arrow)
    except pa.ArrowInvalid:  # an attribute with values of several types: parse them one by one
        out = to_frame(arrow.drop_columns(["attributes"]))
        parsed = [json.loads(text) for text in arrow["attributes"].to_pylist()]
        return _with_attributes(out, pd.json_normalize(parsed))


def _column(name: str) -> Any:
    if name in NUMBERS:
        return Cast(name, FloatField())
    if name in BLANK_IS_MISSING:
        return NullIf(name, Value(""))
    if name == "attributes":
        return Cast(name, TextField())
    return F(name)
