"""A request names a mapping; it never points at a file on the server. A path is an unknown
name like any other: the same answer whether or not a file is there, and nothing of it shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from greenlane.apps.declarations.models import Upload
from greenlane.apps.declarations.services import UploadRefused, submit_upload
from tests import factories
from tests.apps.declarations.test_uploads import LAYOUT, _file
from tests.core.risk.rows import good_row

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-on-the-server"


@pytest.fixture
def server_files(tmp_path: Path) -> dict[str, str]:
    """Paths a request might name: one that exists and parses as a mapping (so the old code
    used it), one that exists and is not a mapping, and one that does not exist."""
    usable = tmp_path / "usable.yaml"
    usable.write_text(LAYOUT.replace("name: ", f"title: {SECRET}\nname: ", 1))
    other = tmp_path / "other.yaml"
    other.write_text(f"{SECRET}: 1\n")
    return {
        "usable": str(usable),
        "other": str(other),
        "traversal": "../" * 12 + str(other).lstrip("/"),
        "absolute": "/etc/passwd",
        "missing": str(tmp_path / "missing.yaml"),
    }


def _answer(text: str, name: str) -> str:
    return text.replace(repr(name[:80])[1:-1], "NAME")


@pytest.mark.parametrize("role", ["risk_analyst", "inspection_officer", "administrator"])
def test_it_answers_a_path_through_the_api_as_an_unknown_name(
    role: str, server_files: dict[str, str]
) -> None:
    client = Client()
    client.force_login(factories.user(role))
    answers = set()
    for name in server_files.values():
        response = client.post(
            "/api/v1/declarations/uploads", {"file": _file([good_row(0)]), "mapping": name}
        )
        assert response.status_code == 422, (name, response.content)
        body = response.content.decode()
        assert SECRET not in body
        assert "root:" not in body
        assert "no mapping named" in body
        answers.add(_answer(response.json()["detail"], name))
    assert len(answers) == 1, answers
    assert not Upload.objects.exists()


def test_it_refuses_a_path_in_the_service_without_reading_it(
    server_files: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real = Path.read_text

    def spy(self: Path, *args: object, **kwargs: object) -> str:
        opened.append(str(self))
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", spy)
    for name in server_files.values():
        with pytest.raises(UploadRefused, match="no mapping named"):
            submit_upload(factories.user("risk_analyst"), _file([good_row(0)]), name)
    assert not [p for p in opened if "usable" in p or "other" in p or "passwd" in p]


def test_it_refuses_a_path_through_the_upload_page(server_files: dict[str, str]) -> None:
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    for name in server_files.values():
        response = client.post(
            "/declarations/uploads/new/", {"file": _file([good_row(0)]), "mapping": name}
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert SECRET not in page
        assert "root:" not in page
        assert "Select a valid choice" in page
    assert not Upload.objects.exists()


def test_a_shipped_or_saved_name_still_works_through_the_api() -> None:
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    response = client.post(
        "/api/v1/declarations/uploads", {"file": _file([good_row(0)]), "mapping": "kcs"}
    )
    assert response.status_code == 202
