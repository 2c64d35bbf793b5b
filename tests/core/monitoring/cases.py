"""Hand-built declarations and inspections whose indicators are worked out in the tests."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

AS_OF = date(2026, 6, 30)


def tables(
    extra: list[tuple[str, int, str, bool | None, bool]] | None = None,
) -> dict[str, pa.Table]:
    """Rows: (importer, days before AS_OF, hs6, fraud (None: not inspected), critical).

    A (small, chapter 85): 10 declarations in the last 90 days, 4 inspected, 2 frauds, 1
    critical; 2 more declarations 200 days back (inside 365 days only), one inspected clean.
    B (small, chapter 85): 6 declarations, 3 inspected, no fraud.
    C (small, chapter 85): 4 declarations, 2 inspected, 1 fraud.
    D (large, chapter 85): 5 declarations, all inspected, 5 frauds: another size class.
    E (small, chapter 62): 3 declarations, none inspected: another chapter.
    """
    rows: list[tuple[str, int, str, bool | None, bool]] = []
    rows += [
        ("A", i, "850440", [True, True, False, False][i] if i < 4 else None, i == 0)
        for i in range(10)
    ]
    rows += [("A", 200, "850440", False, False), ("A", 201, "850440", None, False)]
    rows += [("A", 400, "850440", True, True)]  # outside both windows
    rows += [("B", i, "851712", False if i < 3 else None, False) for i in range(6)]
    rows += [("C", i, "850110", [True, False][i] if i < 2 else None, False) for i in range(4)]
    rows += [("D", i, "850440", True, False) for i in range(5)]
    rows += [("E", i, "620342", None, False) for i in range(3)]
    rows += extra or []
    declarations = pa.table(
        {
            "id": list(range(1, len(rows) + 1)),
            "number": [f"D{i:05d}" for i in range(1, len(rows) + 1)],
            "importer_code": [r[0] for r in rows],
            "declaration_date": [AS_OF - timedelta(days=r[1]) for r in rows],
            "hs6": [r[2] for r in rows],
            "customs_value": [1000.0] * len(rows),
        }
    )
    inspected = [(i + 1, r) for i, r in enumerate(rows) if r[3] is not None]
    inspections = pa.table(
        {
            "declaration_id": [i for i, _ in inspected],
            "fraud_found": [bool(r[3]) for _, r in inspected],
            "critical": [r[4] for _, r in inspected],
            "revenue_recovered": [500.0 if r[3] else 0.0 for _, r in inspected],
        }
    )
    operators = pa.table(
        {
            "code": ["A", "B", "C", "D", "E"],
            "size_class": ["small", "small", "small", "large", "small"],
        }
    )
    return {"declarations": declarations, "inspections": inspections, "operators": operators}
