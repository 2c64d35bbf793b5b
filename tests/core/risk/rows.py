"""Rows of a small declaration layout, good or with one known defect, for ingestion tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from greenlane.core.risk import mapping

HEADER = [
    "No",
    "Date",
    "Office",
    "Mode",
    "Importer",
    "HS",
    "Origin",
    "Mass",
    "Value",
    "Rate",
    "Fraud",
    "Note",
]
MAPPING = mapping.parse(
    """
name: test-layout
columns:
  number: No
  declaration_date: Date
  office_code: Office
  transport_mode: {column: Mode, values: {SEA: "1", AIR: "4"}}
  importer_code: Importer
  hs6: HS
  origin_country: Origin
  net_mass_kg: Mass
  customs_value: Value
  tax_rate: Rate
attributes: [Note]
labels:
  fraud: Fraud
"""
)
# Each defect: (column to spoil, bad value, words the rejection reason must contain).
DEFECTS: dict[str, tuple[str, str, str]] = {
    "no_date": ("Date", "", "declaration_date is missing"),
    "bad_date": ("Date", "31/02/2025", "declaration_date is not a date"),
    "bad_hs": ("HS", "85A440", "hs6 is not an HS code"),
    "short_hs": ("HS", "8504", "hs6 is not an HS code"),
    "bad_country": ("Origin", "XX", "origin_country is not an ISO 3166-1"),
    "negative_mass": ("Mass", "-3", "net_mass_kg is below 0"),
    "text_value": ("Value", "lots", "customs_value is not a number"),
    "rate_too_high": ("Rate", "1500", "tax_rate is above 1,000"),
    "no_importer": ("Importer", "", "importer_code is missing"),
    "bad_mode": ("Mode", "CAMEL", "transport_mode is not a known mode"),
    "bad_flag": ("Fraud", "maybe", "fraud is not yes/no"),
    "formula_number": ("No", "=cmd|' /C calc'!A0", "number is not a declaration number"),
}


def good_row(i: int, prefix: str = "N") -> dict[str, str]:
    return {
        "No": f"{prefix}{i:07d}",
        "Date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "Office": f"OF{i % 3}",
        "Mode": "SEA" if i % 2 else "AIR",
        "Importer": f"IMP{i % 17}",
        "HS": f"{850440 + i % 50}",
        "Origin": ("CN", "de", "US", "VN")[i % 4],
        "Mass": f"{10 + i * 1.5:.3f}",
        "Value": f"{1000 + i * 7.25:.2f}",
        "Rate": ("8", "0", "13.5", "")[i % 4],
        "Fraud": ("0", "1", "", "yes")[i % 4],
        "Note": f"note {i}",
    }


def spoil(row: dict[str, str], defect: str) -> dict[str, str]:
    column, value, _ = DEFECTS[defect]
    return {**row, column: value}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
