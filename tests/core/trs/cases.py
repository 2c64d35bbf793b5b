"""A small study whose figures are worked out by hand in the tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa

MONDAY_8 = datetime(2025, 3, 3, 8, 0)
HOURS = [2.0, 4.0, 6.0, 8.0, 100.0]  # arrival to release; the last is an outlier


def consignments() -> pa.Table:
    arrival = [MONDAY_8] * 5
    release = [MONDAY_8 + timedelta(hours=h) for h in HOURS]
    lodged = [MONDAY_8 - timedelta(hours=1), *[MONDAY_8 + timedelta(hours=1)] * 4]
    return pa.table(
        {
            "consignment_id": [f"C{i}" for i in range(5)],
            "office_code": ["OF1", "OF1", "OF2", "OF2", "OF2"],
            "transport_mode": ["1"] * 5,
            "channel": ["green", "green", "yellow", "red", "red"],
            "aeo": [True, True, False, False, False],
            "mra_partner": [None] * 5,
            "pre_arrival": [True, False, False, False, False],
            "other_agency": [False] * 5,
            "hs6": ["850440", "850440", "010121", "620342", "620342"],
            "customs_value": [1000.0, 2000.0, 3000.0, 4000.0, 5000.0],
            "arrival": pa.array(arrival, pa.timestamp("s")),
            "lodged": pa.array(lodged, pa.timestamp("s")),
            "release": pa.array(release, pa.timestamp("s")),
        }
    )
