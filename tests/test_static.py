"""The static files collect with the storage production and the demo use (hashed names,
compressed copies): a file that references a missing one (a source map, say) stops
``greenlane demo`` and ``greenlane serve``, so it is caught here."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings


@pytest.mark.slow
@pytest.mark.once
def test_static_files_collect_with_the_production_storage(tmp_path: Path) -> None:
    from django.conf import settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").is_file()
    hashed = list((tmp_path / "greenlane" / "vendor").glob("vega-embed.min.*.js"))
    assert hashed, "the vendored chart library is collected under a hashed name"
