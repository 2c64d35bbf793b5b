"""Greenlane: AEO programmes, certification, risk targeting and time release studies."""

__version__ = "0.1.0"
