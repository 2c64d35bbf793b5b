from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. The same config (seed included) always gives byte-identical files."""

    seed: int = 42
    operators: int = 2_000
    declarations: int = 100_000
    start: date = date(2025, 1, 1)
    days: int = 365
    home_country: str = "KR"
    #: Rows generated and written at a time; memory use depends on this, not on ``declarations``.
    chunk_rows: int = 100_000
    #: Write a consignment (time release events) for each declaration.
    consignments: bool = True

    def __post_init__(self) -> None:
        if self.operators < 50:
            raise ValueError("operators must be at least 50")
        if self.declarations < 1:
            raise ValueError("declarations must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.chunk_rows < 1_000:
            raise ValueError("chunk_rows must be at least 1000")
        if len(self.home_country) != 2 or not self.home_country.isupper():
            raise ValueError("home_country must be an ISO 3166-1 alpha-2 code")
