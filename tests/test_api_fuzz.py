"""Every API operation, fuzzed from its OpenAPI schema by schemathesis, as several callers.

Each operation gets generated requests (valid and invalid input) from an anonymous caller,
signed-in users of several roles and a customs system's API key; path parameters, and the
ids inside bodies and queries, are often replaced by objects that exist (the authorisation
matrix's world), so that the requests get past the 404s. Every answer must be a documented
status (no 5xx), with the documented content type and a body that fits the schema.

By default 25 examples per operation, derandomised (under a minute); with
``GREENLANE_FUZZ_EXAMPLES=500`` as many, drawn at random (derandomised still when ``CI=true``),
for a longer search (docs/security.md).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from greenlane.api.parser import MAX_INTEGER
from greenlane.api.urls import api
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.targeting.keys import make_token
from tests import factories
from tests.apps.test_authorisation_matrix import API as MATRIX
from tests.apps.test_authorisation_matrix import built_world, world  # noqa: F401  (fixtures)
from tests.conftest import IN_CI

EXAMPLES = int(os.environ.get("GREENLANE_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SESSIONS = [
    Role.TRADER,
    Role.CONSULTANT,
    Role.VALIDATOR,
    Role.DECISION_OFFICER,
    Role.RISK_ANALYST,
    Role.INSPECTION_OFFICER,
    Role.STATISTICIAN,
    Role.ADMINISTRATOR,
]
ANONYMOUS, API_KEY = "anonymous", "api-key"
APPLICATION_STEPS = [
    "assign", "request_information", "provide_information", "plan_site_visit", "recommend",
    "return_to_validator", "approve", "reject", "withdraw",
]  # fmt: skip
CERTIFICATE_STEPS = ["suspend", "reinstate", "revoke", "surrender"]

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = get_wsgi_application()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _allowed_roles() -> dict[tuple[str, str], list[str]]:
    """The session roles that may use each operation, as the authorisation matrix expects
    (which is checked against every operation in the schema)."""
    return {
        key: [r for r in SESSIONS if access.roles is None or r in access.roles]
        for key, access in MATRIX.items()
    }


ALLOWED = _allowed_roles()


def _callers(operation: Any) -> list[str]:
    """Mostly roles that get past the role check, sometimes one that does not, a caller
    without a session and an API key."""
    allowed = ALLOWED[(operation.method.lower(), operation.path.rstrip("/"))]
    refused = [r for r in SESSIONS if r not in allowed][:1]
    return [*allowed, *allowed, *refused, ANONYMOUS, API_KEY]


def _known(objects: dict[str, Any]) -> dict[str, list[Any]]:
    """Values that name objects of the world, by parameter or body field name."""
    both = ("own", "other")
    operators = [objects["own"].pk, objects["other"].pk]
    return {
        "operator_id": operators,
        "operator": operators,
        "upload_id": [objects["upload"].pk],
        "batch_id": [objects["batch"].pk],
        "version": [objects["version"].version],
        "declaration_id": [objects["declaration"].pk],
        "programme_id": ["kr-aeo", "eu-aeo", "wto-tfa"],
        "assessment_id": [objects["snapshots"][w].pk for w in both],
        "snapshot": [objects["snapshots"][w].pk for w in both],
        "requirement": factories.baseline_ids()[:3],
        "application_id": [objects["applications"][w].pk for w in both],
        "certificate_id": [objects["certificates"][w].pk for w in both],
        "number": [objects["certificates"][w].number for w in both],
        "study_id": [objects["study"].pk],
        "validator": [objects["users"][Role.VALIDATOR].pk],
        "identifier": [objects["own"].code, "X"],
        "origin_country": ["CN", "KR"],
        "dispatch_country": ["CN", None],
        "office_code": ["SEA1"],
    }


def _credentials(objects: dict[str, Any]) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Headers and cookies per caller: a session (with the CSRF token that writes need)."""
    csrf = get_random_string(32)
    _, key = make_token("fuzz", None)
    found = {ANONYMOUS: ({}, {}), API_KEY: ({"Authorization": f"Bearer {key}"}, {})}
    for role in SESSIONS:
        client = Client()
        client.force_login(objects["users"][role])
        session = client.cookies["sessionid"].value
        found[str(role)] = ({"X-CSRFToken": csrf}, {"sessionid": session, "csrftoken": csrf})
    return found


def _use_known(case: schemathesis.Case, known: dict[str, list[Any]], data: st.DataObject) -> None:
    """Swap generated ids for existing ones, most of the time."""

    def pick(name: str, generated: Any, in_body: bool = False) -> Any:
        if name == "name":  # a transition
            steps = CERTIFICATE_STEPS if "certificates" in case.path else APPLICATION_STEPS
            return data.draw(st.sampled_from([generated, *steps]))
        if name not in known:
            return _hostile(generated, in_body, data)
        return data.draw(st.sampled_from([generated, *known[name], *known[name]]))

    for field in ("path_parameters", "query"):
        values = getattr(case, field)
        if values:
            for name, value in list(values.items()):
                values[name] = pick(name, value)

    def walk(body: Any) -> None:
        if isinstance(body, list):
            for item in body:
                walk(item)
        elif isinstance(body, dict):
            for name, value in list(body.items()):
                body[name] = pick(name, value, in_body=case.media_type == "application/json")
                walk(body[name])

    walk(case.body)


#: Integers past what the database takes (a signed 64-bit integer): each was a 500 (issue 16).
HUGE_INTEGERS = [2**63, -(2**63) - 1, 10**30]
#: Not characters at all: a lone surrogate cannot be encoded to be stored (issue 16). Only in
#: JSON bodies, which can escape one; an address or a query cannot carry one.
LONE_SURROGATES = ["a\ud800b", "\udfff"]


def _hostile(generated: Any, in_body: bool, data: st.DataObject) -> Any:
    """Now and then, in place of a generated number or text, a kind that once made a 500."""
    if isinstance(generated, int) and not isinstance(generated, bool):
        return data.draw(st.sampled_from([generated, generated, generated, *HUGE_INTEGERS]))
    if isinstance(generated, str) and in_body:
        return data.draw(st.sampled_from([generated, generated, generated, *LONE_SURROGATES]))
    return generated


@pytest.fixture
def in_test_transaction() -> Any:
    """The WSGI handler closes the database connection after each request, as a server
    should; the test's transaction lives on that connection (Django's test client does this)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_it_answers_generated_requests_as_the_schema_says(
    operation: Any,
    world: dict[str, Any],  # noqa: F811  (the fixture imported above)
    in_test_transaction: None,
) -> None:
    known = _known(world)
    credentials = _credentials(world)
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=IN_CI or "GREENLANE_FUZZ_EXAMPLES" not in os.environ,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases, caller=st.sampled_from(_callers(operation)), data=st.data())
    def fuzz(case: schemathesis.Case, caller: str, data: st.DataObject) -> None:
        _use_known(case, known, data)
        headers, cookies = credentials[caller]
        case.call_and_validate(headers=headers, cookies=cookies, checks=CHECKS)

    fuzz()


@pytest.mark.once
def test_it_documents_the_errors_that_operations_answer() -> None:
    documented = {
        (method.upper(), path): set(op["responses"])
        for path, item in api.get_openapi_schema()["paths"].items()
        for method, op in item.items()
    }
    for name in ("channels", "assess"):  # "assess": the first name, kept as an alias
        assert documented["POST", f"/api/v1/declarations/{name}"] == {
            200, 400, 401, 403, 409, 422, 429,
        }  # fmt: skip
    deprecated = api.get_openapi_schema()["paths"]["/api/v1/declarations/assess"]["post"]
    assert deprecated.get("deprecated") is True
    assert 404 in documented["POST", "/api/v1/certification/applications"]
    for path in ("/models/{version}/promote", "/models/{version}/drift"):
        assert 409 in documented["POST" if "promote" in path else "GET", f"/api/v1/risk{path}"]
    assert 409 in documented["GET", "/api/v1/risk/declarations/{declaration_id}/score"]
    assert documented["GET", "/api/v1/accounts/me"] == {200, 401}  # any role: no 403
    assert documented["GET", "/api/v1/public/register"] == {200, 422}  # no login: no 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("offset=9223372036854775807&limit=1000", 200),  # the largest 64-bit integer
        ("offset=9223372036854775808", 422),  # was a 500: the database cannot take it
        ("limit=1001", 422),
        ("limit=0", 422),
    ],
)
def test_it_pages_from_offsets_the_database_can_take_and_refuses_others(
    query: str, status: int
) -> None:
    client = Client()
    client.force_login(factories.user(Role.RISK_ANALYST))
    response = client.get(f"/api/v1/risk/scores?{query}")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json() == {"items": [], "count": 0}


@pytest.mark.django_db
def test_it_refuses_nul_characters_which_postgresql_cannot_hold() -> None:
    """Each was a 500 on PostgreSQL."""
    org = factories.organisation("operator")
    operator = factories.operator(org)
    client = Client()
    client.force_login(factories.user(Role.TRADER, org))
    response = client.get("/api/v1/operators?q=a%00b")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]
    answer = f"/api/v1/self-assessments/operators/{operator.pk}/draft/answers/COMP-RECORD"
    body = '{"answer": "met", "comment": "a\\u0000b"}'
    assert client.put(answer, body, content_type="application/json").status_code == 400
    assert client.get("/api/v1/public/certificates/A%00").status_code == 404
    # A backslash followed by "u0000" is ordinary text.
    body = '{"answer": "met", "comment": "a\\\\u0000b"}'
    response = client.put(answer, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["comment"] == "a\\u0000b"


@pytest.mark.django_db
def test_it_refuses_lone_surrogates_naming_the_field() -> None:
    """Each was a 500 (issue 16): a lone surrogate cannot be encoded to be stored."""
    objects = _surrogate_world()
    audited = AuditEvent.objects.filter(action__startswith="certification.")
    before = audited.count()  # the module's world may be on record too
    client = Client()
    client.force_login(objects["trader"])
    answer = (
        f"/api/v1/self-assessments/operators/{objects['operator'].pk}/draft/answers/COMP-RECORD"
    )
    body = '{"answer": "met", "comment": "a\\ud800b"}'
    response = client.put(answer, body, content_type="application/json")
    assert response.status_code == 400
    assert "body.comment: lone surrogates" in response.json()["detail"]
    # A surrogate pair is one character (U+1F600), and a backslash before it is plain text.
    for text, stored in (("a\\ud83d\\ude00b", "a\U0001f600b"), ("a\\\\ud800b", "a\\ud800b")):
        body = f'{{"answer": "met", "comment": "{text}"}}'
        response = client.put(answer, body, content_type="application/json")
        assert response.status_code == 200, response.content
        assert response.json()["comment"] == stored
    for path, caller in (
        (f"applications/{objects['application'].pk}/transitions/provide_information", "trader"),
        (f"certificates/{objects['certificate'].pk}/transitions/suspend", "decision"),
    ):
        client.force_login(objects[caller])
        response = client.post(
            f"/api/v1/certification/{path}",
            '{"answer": "a\\ud800b", "reason": "a\\udfffb", "\\ud800": 1}',
            content_type="application/json",
        )
        assert response.status_code == 400, response.content
        assert "lone surrogates" in response.json()["detail"]
    assert audited.count() == before


def _surrogate_world() -> dict[str, Any]:
    org = factories.organisation("operator")
    operator = factories.operator(org)
    trader = factories.user(Role.TRADER, org)
    decision = factories.user(Role.DECISION_OFFICER, factories.organisation("customs"))
    application, certificate = factories.certified(
        operator, factories.answered_draft(operator, trader), decision
    )
    return {
        "operator": operator, "trader": trader, "decision": decision,
        "application": application, "certificate": certificate,
    }  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/self-assessments?operator=9223372036854775808",  # was a 500 (issue 16)
        "/api/v1/self-assessments/9223372036854775808",
        "/api/v1/operators/99999999999999999999",
        "/api/v1/monitoring/operators/9223372036854775808/indicators",
    ],
)
def test_it_refuses_ids_past_64_bits_naming_the_field(path: str) -> None:
    client = Client()
    client.force_login(factories.user(Role.VALIDATOR, factories.organisation("customs")))
    response = client.get(path)
    assert response.status_code == 422, response.content
    name = path.split("?")[-1].split("=")[0] if "?" in path else None
    location = response.json()["detail"][0]["loc"]
    assert location[0] in ("query", "path")
    if name:
        assert location == ["query", name]


def test_every_integer_the_api_takes_fits_the_database() -> None:
    """An integer past a signed 64-bit one made the database raise, a 500: every integer in a
    path, a query or a body is bounded (``api.parser.Id``), so the next operation is too."""
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    unbounded = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            inputs = [(p["name"], p["schema"]) for p in operation.get("parameters", [])]
            content = operation.get("requestBody", {}).get("content", {})
            inputs += [("body", c["schema"]) for c in content.values()]
            for name, node in inputs:
                for where, integer in _integers(node, components, name):
                    if (
                        not -MAX_INTEGER - 1
                        <= integer.get("minimum", -(2**64))
                        <= (integer.get("maximum", 2**64))
                        <= MAX_INTEGER
                    ):
                        unbounded.append(f"{method.upper()} {path} {where}")
    assert unbounded == []


def _integers(node: Any, components: dict[str, Any], where: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    stack, seen = [(node, where)], set()
    while stack:
        item, at = stack.pop()
        if isinstance(item, list):
            stack.extend((inner, at) for inner in item)
        elif isinstance(item, dict):
            if "$ref" in item and item["$ref"] not in seen:
                seen.add(item["$ref"])
                stack.append((components[item["$ref"].split("/")[-1]], at))
            if item.get("type") == "integer":
                found.append((at, item))
            for key, inner in item.items():
                if key == "properties":
                    stack.extend((schema, f"{at}.{name}") for name, schema in inner.items())
                elif key in ("anyOf", "oneOf", "allOf", "items", "additionalProperties"):
                    stack.append((inner, at))
    return found
