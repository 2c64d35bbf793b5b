"""Where the project's shared data sets are: ``../shared`` beside the repository (as in CI), or
``GREENLANE_SHARED_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GREENLANE_SHARED_DIR") or ROOT.parent / "shared")
KCS = SHARED / "data" / "kcs-import-declarations"


def kcs_file(name: str) -> Path:
    path = KCS / name
    if not path.is_file():
        pytest.skip(f"{path} is missing: the shared data sets lie beside the repository")
    return path
