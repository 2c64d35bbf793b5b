"""The API's reference page (/api/v1/docs, ``greenlane.api.reference``): every operation and
every schema of the OpenAPI document is on it, every named type links to a table on the page,
and the page's own words follow the reader's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import strategies as st

from greenlane.api.reference import METHODS, Type, reference, type_of
from greenlane.api.urls import api

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    return dict(api.get_openapi_schema())


def test_every_operation_and_schema_is_on_the_page_once() -> None:
    schema = _schema()
    html = Client().get("/api/v1/docs").content.decode()
    operations = [
        (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]
    assert len(operations) > 40
    for method, path, op in operations:
        assert html.count(f'<article id="{op["operationId"]}"') == 1, (method, path)
        assert f"{method.upper()} {path}</code>" in html.replace("&#x27;", "'")
    for name in schema["components"]["schemas"]:
        assert html.count(f'id="model-{name}"') == 1, name


def test_every_link_on_the_page_leads_somewhere_on_it() -> None:
    html = Client().get("/api/v1/docs").content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert {t for t in targets if t.startswith("model-")}, "no schema is linked"
    assert targets - ids == set()


def test_a_parameter_its_body_and_its_answers_are_described() -> None:
    groups, models = reference(_schema())
    ops = {(op.method, op.path): op for g in groups for op in g.operations}
    scores = ops["get", "/api/v1/risk/scores"]
    limit = next(p for p in scores.parameters if p.name == "limit")
    assert (limit.where, limit.required, str(limit.type)) == (
        "query",
        False,
        "<code>integer</code>",
    )
    upload = ops["post", "/api/v1/declarations/uploads"]
    assert upload.body_type == "multipart/form-data"
    assert [f.name for f in upload.body_fields if f.required] == ["file"]
    statuses = [status for status, _meaning, _type in upload.responses]
    assert {"202", "401", "403", "422"} <= set(statuses)
    assert upload.auth
    names = {m.name for m in models}
    refs = {t.ref for op in ops.values() for _s, _m, t in op.responses if t and t.ref}
    assert refs
    assert refs <= names


def test_the_page_speaks_the_readers_language_and_keeps_the_schemas() -> None:
    with translation.override("ko"):
        heading = gettext("API reference")
    assert heading != "API reference"
    html = Client(headers={"accept-language": "ko"}).get("/api/v1/docs").content.decode()
    assert '<html lang="ko"' in html
    assert f"<h1>{heading}</h1>" in html
    summary = _schema()["paths"]["/api/v1/accounts/me"]["get"]["summary"]
    assert f'<p lang="en">{summary}</p>' in html  # the schema's words, marked as English


TYPES = st.recursive(
    st.sampled_from(
        [{"type": "string"}, {"type": "integer"}, {"$ref": "#/components/schemas/Thing"}, {}]
    ),
    lambda inner: st.one_of(
        st.builds(lambda s: {"type": "array", "items": s}, inner),
        st.builds(lambda a: {"anyOf": a}, st.lists(inner, min_size=2, max_size=3)),
    ),
    max_leaves=6,
)


@given(TYPES)
def test_any_type_reads_as_words_with_its_named_schemas_linked(schema: dict) -> None:
    html = str(type_of(schema))
    text = re.sub(r"<[^>]+>", "", html)
    assert text.count("Thing") == html.count('href="#model-Thing"') == str(schema).count("Thing")
    assert text.count("array of") == str(schema).count("'array'")
    assert "Type(" not in html
    assert "None" not in html


def test_a_choice_with_null_reads_as_or() -> None:
    t = type_of({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]})
    assert isinstance(t, Type)
    assert str(t) == "<code>string (date)</code> or <code>null</code>"


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/console", "/api/v1/openapi.json"])
def test_the_reference_pages_are_read_only(path: str) -> None:
    client = Client()
    assert client.get(path).status_code == 200
    for method in (client.post, client.put, client.delete):
        assert method(path, data="x", content_type="text/plain").status_code == 405
