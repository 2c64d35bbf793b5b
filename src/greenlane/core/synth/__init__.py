"""Deterministic synthetic economy: operators, declarations, inspections, consignment events."""

from greenlane.core.synth.config import SynthConfig
from greenlane.core.synth.generate import FILES, Summary, generate

__all__ = ["FILES", "Summary", "SynthConfig", "generate"]
