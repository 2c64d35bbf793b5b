"""Declarations and inspection results from the database as a frame for the risk model."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.db.models import FloatField, QuerySet
from django.db.models.functions import Cast

from greenlane.apps.declarations.models import Declaration

FIELDS = (
    "id", "number", "declaration_date", "office_code", "transport_mode", "declarant_code",
    "importer_code", "seller_code", "hs6", "origin_country", "dispatch_country", "quantity",
    "net_mass_kg", "customs_value", "tax_rate", "duty_amount", "attributes",
)  # fmt: skip
NUMBERS = ("quantity", "net_mass_kg", "customs_value", "tax_rate", "duty_amount")


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
    attributes = pd.json_normalize(out.pop("attributes").tolist())
    if not attributes.empty:
        attributes.index = out.index
        out = pd.concat([out, attributes.add_prefix("attr.")], axis=1)
    for column in ("declarant_code", "seller_code", "dispatch_country"):
        out[column] = out[column].replace("", None)
    return out
