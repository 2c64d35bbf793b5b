"""Channel decisions in the Parquet lake, beside the declarations, month by month.

A month leaves the database whole (``declarations.lake.retire``): its declarations, their
results and scores, and the channel decisions given to them, which say why a declaration
went red or green and must outlive the move. So the lake's export writes the month's
decisions as the ``channel_decisions`` data set (``month_exporting``), a retirement checks
that file against the database before anything is removed (``month_checking``) and removes
the decisions with the month (``month_retiring``). A decision belongs to the month of its
declaration's date.

The decisions go first: removing the month's results afterwards then finds no decision to
put back in the inspection queue (``waiting.py``'s triggers set a decision waiting again
when its result is deleted).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import Count, Sum
from django.dispatch import receiver

from greenlane.apps.declarations.lake import read_columns
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.declarations.signals import month_checking, month_exporting, month_retiring
from greenlane.apps.targeting.models import ChannelDecision, Score
from greenlane.core import lake
from greenlane.core.errors import Refused
from greenlane.core.lake import Month
from greenlane.core.words import _

DATASET = "channel_decisions"
CHUNK = 50_000

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("number", pa.string()),
        ("office_code", pa.string()),
        ("declaration_date", pa.date32()),
        ("importer_code", pa.string()),
        ("channel", pa.string()),
        ("probability", pa.float64()),
        ("score", pa.float64()),
        ("revenue_at_stake", pa.float64()),
        ("reasons", pa.string()),  # JSON text, as the other JSON columns
        ("random", pa.bool_()),
        ("explored", pa.bool_()),
        ("aeo", pa.bool_()),
        ("policy_id", pa.int64()),
        ("model_version_id", pa.int64()),
        ("rules", pa.string()),
        ("matched_rules", pa.string()),
        ("token_id", pa.int64()),
        ("decided_at", pa.timestamp("us", tz="UTC")),
        ("assigned_to_id", pa.int64()),
        ("assigned_at", pa.timestamp("us", tz="UTC")),
    ]
)
JSON_COLUMNS = ("reasons", "rules", "matched_rules")


def _of(month: Month) -> Any:
    return ChannelDecision.objects.filter(
        declaration_date__gte=month.first, declaration_date__lt=month.after
    )


def _batches(month: Month) -> Iterator[pa.Table]:
    rows = _of(month).order_by("pk").values_list(*SCHEMA.names)
    as_json = [name in JSON_COLUMNS for name in SCHEMA.names]
    written = (
        tuple(
            json.dumps(v, ensure_ascii=False) if j else v for v, j in zip(row, as_json, strict=True)
        )
        for row in rows.iterator(chunk_size=CHUNK)
    )
    yield from lake.tables(written, SCHEMA, CHUNK)


@receiver(month_exporting, dispatch_uid="targeting.lake.export")
def export_month(sender: Any, root: Path, month: Month, **kwargs: Any) -> dict[str, int]:
    """The month's channel decisions into the lake, replacing the month's earlier file."""
    return {DATASET: lake.write_month(root, DATASET, month, SCHEMA, _batches(month))}


def _facts(root: Path, month: Month) -> tuple[tuple[int, int], tuple[int, int]]:
    held = _of(month).aggregate(n=Count("id"), ids=Sum("id"))
    in_db = (held["n"], int(held["ids"] or 0))
    path = month.folder(root, DATASET) / lake.PART
    if not path.exists():
        return (0, 0), in_db
    table = read_columns(month, path, ["id"])
    return (table.num_rows, int(pc.sum(table["id"]).as_py() or 0)), in_db


@receiver(month_checking, dispatch_uid="targeting.lake.check")
def check_month(sender: Any, root: Path, month: Month, **kwargs: Any) -> None:
    """Refused unless the lake holds the month's decisions as the database does."""
    kept, held = _facts(root, month)
    if kept != held:
        raise Refused(
            _(
                "the lake's channel decisions for %(month)s differ from the database "
                "(%(kept)s in the file, %(held)s on record): export the month again",
                month=str(month),
                kept=kept[0],
                held=held[0],
            )
        )


@receiver(month_retiring, dispatch_uid="targeting.lake.retire")
def retire_month(sender: Any, first: date, after: date, **kwargs: Any) -> dict[str, int]:
    """The month's decisions (first: see the module's note) and its declarations' scores."""
    decisions = connection.ops.quote_name(ChannelDecision._meta.db_table)
    scores = connection.ops.quote_name(Score._meta.db_table)
    declarations = connection.ops.quote_name(Declaration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {decisions} WHERE declaration_date >= %s AND declaration_date < %s",
            [first, after],
        )
        removed = int(cursor.rowcount)
        cursor.execute(
            f"DELETE FROM {scores} WHERE declaration_id IN (SELECT id FROM {declarations} "
            "WHERE declaration_date >= %s AND declaration_date < %s)",
            [first, after],
        )
        return {"channel decisions": removed, "scores": int(cursor.rowcount)}
