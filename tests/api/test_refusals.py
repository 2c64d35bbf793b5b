"""A service's refusal through the API: answered once, by ``GreenlaneAPI.refused``, with the
refusal's status and the body each operation has always given (decision 0018)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from greenlane.api.urls import api
from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification import services as certification
from greenlane.apps.declarations.services import UploadRefused
from greenlane.apps.targeting.models import ModelVersion
from greenlane.core.errors import NotAllowed, Refused
from tests import factories
from tests.apps.certification.world import World, world

pytestmark = pytest.mark.django_db


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _post(client: Client, url: str, body: dict[str, object]) -> tuple[int, object]:
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


@pytest.fixture
def w() -> World:
    return world()


def test_it_answers_input_it_refuses_400_naming_the_field(w: World) -> None:
    body = {"operator": w.operator.pk, "tier": "Z", "snapshot": w.snapshot.pk}
    status, answer = _post(_as(w.trader), "/api/v1/certification/applications", body)
    assert status == 400
    version = certification.version_today().version  # the Korea version in force today
    assert answer == {"detail": f"{version} has no tier 'Z' (tiers: A, AA, AAA)", "field": "tier"}


def test_it_answers_a_transition_the_stage_does_not_allow_409(w: World) -> None:
    application = certification.apply(w.operator, w.trader, "A", w.snapshot)
    url = f"/api/v1/certification/applications/{application.pk}/transitions/approve"
    status, answer = _post(_as(w.decider), url, {"reason": "fine"})
    assert status == 409
    assert answer == {
        "detail": "'Approve and issue the certificate' is not possible while the application "
        "waits for a validator",
        "field": "",  # certification's answers have always carried it
    }


def test_it_answers_a_refusal_that_names_no_field_without_one() -> None:
    analyst = factories.user(Role.RISK_ANALYST)
    ModelVersion.objects.create(
        version=1, is_active=True, training_from=date(2026, 1, 1), training_to=date(2026, 6, 30),
        training_rows=1, labelled_rows=1, feature_schema=[], hyperparameters={},
        library_versions={}, metrics={}, artifact="m.txt", artifact_sha256="0" * 64,
    )  # fmt: skip
    status, answer = _post(_as(analyst), "/api/v1/risk/models/1/promote", {"reason": "x"})
    assert (status, answer) == (409, {"detail": "v1 is already the active version"})


def test_it_answers_an_upload_it_cannot_process_422() -> None:
    response = _as(factories.user(Role.RISK_ANALYST)).post(
        "/api/v1/declarations/uploads",
        {"file": SimpleUploadedFile("notes.docx", b"x"), "mapping": "kcs"},
    )
    assert response.status_code == 422
    assert list(response.json()) == ["detail"]
    assert "unsupported file type" in response.json()["detail"]


@pytest.mark.parametrize(
    ("refusal", "status", "body"),
    [
        (Refused("why"), 400, {"detail": "why"}),
        (Refused("why", "tier"), 400, {"detail": "why", "field": "tier"}),
        (certification.Refused("why"), 400, {"detail": "why", "field": ""}),
        (NotAllowed("not now"), 409, {"detail": "not now"}),
        (UploadRefused("cannot read it"), 422, {"detail": "cannot read it"}),
    ],
)  # fmt: skip
def test_the_answer_has_the_refusals_status_and_words(
    refusal: Refused, status: int, body: dict[str, str]
) -> None:
    response = api.on_exception(RequestFactory().post("/api/v1/x"), refusal)
    assert response.status_code == status
    assert json.loads(response.content) == body
