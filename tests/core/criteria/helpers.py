"""Building catalogues and self-tests for the criteria tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from greenlane.core.criteria.loader import Catalogue, load_catalogue, shipped_root

SHIPPED = shipped_root()


def catalogue_of(
    tmp_path: Path, *programme_files: str, extra: dict[str, str] | None = None
) -> Catalogue:
    """A catalogue of the shipped baseline plus some shipped programme files and extra texts."""
    root = tmp_path / "catalogue"
    (root / "programmes").mkdir(parents=True)
    shutil.copy(SHIPPED / "baseline.yaml", root / "baseline.yaml")
    for name in programme_files:
        shutil.copy(SHIPPED / "programmes" / name, root / "programmes" / name)
    for name, text in (extra or {}).items():
        (root / "programmes" / name).write_text(text)
    return load_catalogue(root)


def all_met(catalogue: Catalogue) -> dict[str, str | None]:
    return {r.id: "met" for r in catalogue.baseline.requirements}
