"""Greenlane's pure domain core: computation without Django or a database."""
