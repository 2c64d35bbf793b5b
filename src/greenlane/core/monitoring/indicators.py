"""Compliance indicators per operator over a rolling window, against the operator's peers.

Written with Ibis over three tables, so that the whole computation runs in the database (the
application's SQLite or PostgreSQL, or DuckDB on files):

- ``declarations``: ``id``, ``importer_code``, ``declaration_date``, ``hs6``, ``customs_value``;
- ``inspections``: ``declaration_id``, ``fraud_found``, ``critical``, ``revenue_recovered``;
- ``operators``: ``code``, ``size_class``.

For the window of ``days`` days ending on ``as_of`` (both ends included), per importer:
declarations, inspections, detections (inspections that found an irregularity), critical
findings, revenue recovered and declared value; the inspection rate (inspections per
declaration) and the detection rate (detections per inspection).

**Peers** are the operators of the same size class whose most frequent HS chapter in the
window is the same; each operator's peer figures pool the peers' counts *without the operator
itself*, so an operator is never compared with itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

COUNTS = ("declarations", "inspections", "detections", "critical", "revenue", "value")


def _flag(value: ir.Value) -> ir.IntegerValue:
    return ibis.ifelse(value.fill_null(False).cast("boolean"), 1, 0)


def per_operator(
    declarations: ir.Table,
    inspections: ir.Table,
    operators: ir.Table,
    as_of: date,
    days: int,
) -> ir.Table:
    """One row per importer with declarations in the window: its counts, its peer group and
    the peer group's counts without it."""
    start = as_of - timedelta(days=days - 1)
    d = declarations.filter(
        (declarations.declaration_date >= start) & (declarations.declaration_date <= as_of)
    )
    i = inspections.select(
        declaration_id=inspections.declaration_id,
        fraud_found=inspections.fraud_found,
        critical=inspections.critical,
        revenue_recovered=inspections.revenue_recovered,
    )
    j = d.left_join(i, d.id == i.declaration_id)
    inspected = ibis.ifelse(j.declaration_id.notnull(), 1, 0)
    own = j.group_by(code=j.importer_code).aggregate(
        declarations=j.count(),
        inspections=inspected.sum(),
        detections=_flag(j.fraud_found).sum(),
        critical=_flag(j.critical).sum(),
        revenue=j.revenue_recovered.cast("float64").fill_null(0.0).sum(),
        value=j.customs_value.cast("float64").sum(),
        last_detection=ibis.ifelse(
            j.fraud_found.fill_null(False).cast("boolean"), j.id, None
        ).max(),
    )
    chapters = d.group_by(code=d.importer_code, chapter=d.hs6.substr(0, 2)).aggregate(n=d.count())
    rank = ibis.row_number().over(
        group_by=chapters.code, order_by=[ibis.desc(chapters.n), chapters.chapter]
    )
    main = chapters.mutate(rank=rank).filter(lambda t: t["rank"] == 0).select("code", "chapter")
    sizes = operators.select(code=operators.code, size_class=operators.size_class)
    grouped = (
        own.join(main, "code")
        .left_join(sizes, "code")
        .select(*own.columns, "chapter", size_class=sizes.size_class.fill_null("unknown"))
    )
    # Peer totals as window sums over the peer group, minus the operator's own counts.
    group = ibis.window(group_by=[grouped.chapter, grouped.size_class])
    return grouped.select(
        "code",
        "chapter",
        "size_class",
        *COUNTS,
        "last_detection",
        peers=grouped.count().over(group) - 1,
        **{f"peer_{c}": grouped[c].sum().over(group) - grouped[c] for c in COUNTS},
    )


def _rate(numerator: Any, denominator: Any) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def compute(
    backend: Any,
    declarations: ir.Table,
    inspections: ir.Table,
    operators: ir.Table,
    as_of: date,
    days: int,
) -> list[dict[str, Any]]:
    """Indicator rows (plain dicts) with rates, for every importer active in the window."""
    table: pa.Table = backend.to_pyarrow(
        per_operator(declarations, inspections, operators, as_of, days).order_by("code")
    )
    rows: list[dict[str, Any]] = []
    for row in table.to_pylist():
        row["window_days"] = days
        row["as_of"] = as_of.isoformat()
        for prefix in ("", "peer_"):
            row[f"{prefix}inspection_rate"] = _rate(
                row[f"{prefix}inspections"], row[f"{prefix}declarations"]
            )
            row[f"{prefix}detection_rate"] = _rate(
                row[f"{prefix}detections"], row[f"{prefix}inspections"]
            )
        rows.append(row)
    return rows


def critical_findings(
    backend: Any, declarations: ir.Table, inspections: ir.Table, as_of: date, days: int
) -> list[dict[str, Any]]:
    """Inspections with a critical finding on declarations of the window."""
    start = as_of - timedelta(days=days - 1)
    d = declarations.filter(
        (declarations.declaration_date >= start) & (declarations.declaration_date <= as_of)
    )
    i = inspections.filter(inspections.critical.cast("boolean"))
    found = d.join(i, d.id == i.declaration_id).select(
        operator=d.importer_code,
        declaration_id=d.id,
        number=d.number,
        date=d.declaration_date,
    )
    rows: list[dict[str, Any]] = backend.to_pyarrow(found.order_by("declaration_id")).to_pylist()
    return rows
