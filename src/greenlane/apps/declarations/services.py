"""State changes for declarations and inspections; each one atomic and audited."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration, Inspection

DECLARATION_FIELDS = {
    "number": "declaration_number", "declaration_date": "declaration_date",
    "office_code": "office_code", "transport_mode": "transport_mode",
    "declarant_code": "declarant_code", "importer_code": "importer_code",
    "seller_code": "seller_code", "hs6": "hs6", "origin_country": "origin_country",
    "dispatch_country": "dispatch_country",
}  # fmt: skip
DECIMAL_FIELDS = {
    "quantity": "0.001", "net_mass_kg": "0.001", "customs_value": "0.01", "tax_rate": "0.001",
    "duty_amount": "0.01",
}  # fmt: skip
Progress = Callable[[int], None]


def _decimal(value: Any, places: str) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places))


@transaction.atomic
def load_trusted(
    declarations: Iterable[Iterable[Mapping[str, Any]]],
    inspections: Iterable[Iterable[Mapping[str, Any]]],
    actor: User | None = None,
    source: str = "",
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Bulk-load already-valid batches of rows (synthetic or migrated data), all or nothing.

    Files from outside go through the validating ingestion instead.
    """
    n_declarations = 0
    for batch in declarations:
        objs = [
            Declaration(
                **{field: row[col] for field, col in DECLARATION_FIELDS.items()},
                **{field: _decimal(row[field], places) for field, places in DECIMAL_FIELDS.items()},
            )
            for row in batch
        ]
        Declaration.objects.bulk_create(objs, batch_size=2000)
        n_declarations += len(objs)
        if progress:
            progress(len(objs))
    n_inspections = 0
    for batch in inspections:
        rows = list(batch)
        ids = dict(
            Declaration.objects.filter(
                number__in=[r["declaration_number"] for r in rows]
            ).values_list("number", "pk")
        )
        Inspection.objects.bulk_create(
            [
                Inspection(
                    declaration_id=ids[r["declaration_number"]],
                    inspected_on=r["inspected_on"],
                    fraud_found=r["fraud_found"],
                    critical=r["critical"],
                    revenue_recovered=_decimal(r["revenue_recovered"], "0.01"),
                )
                for r in rows
            ],
            batch_size=2000,
        )
        n_inspections += len(rows)
    audit.record(
        "declarations.batch.loaded",
        actor,
        None,
        {"declarations": n_declarations, "inspections": n_inspections, "source": source},
    )
    return n_declarations, n_inspections
