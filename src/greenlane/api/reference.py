"""The API's reference at /api/v1/docs: the OpenAPI schema drawn as a Greenlane page.

Swagger UI, the console django-ninja serves, does not meet WCAG 2.1 AA once it is used (it
puts links inside buttons, its generated fields have no labels, its colours lack contrast),
and its screen cannot be translated. The reference is therefore a page of our own, drawn on
the server from the same schema: headings, tables and links that a screen reader and a
keyboard use as on every other page, the page's own words in the reader's language, and the
schema's words (summaries, descriptions, field names) kept as written, in English, like the
CLI (docs/i18n.md). Swagger UI stays, as the console to try requests in, at /api/v1/console
(``AccessibleSwagger``), and each page links to the other: WCAG's "conforming alternate
version" (decision 0031).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.openapi.docs import DocsBase

METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/"


@dataclass(frozen=True)
class Type:
    """A schema's type as a reader needs it: words (``array of``, ``or null``) and, where it
    is a named schema, the name to link to."""

    text: str
    ref: str = ""
    parts: tuple[Type, ...] = ()
    joiner: str = ""  # "or"/"and" between parts, "array" for an array of the one part

    def __html__(self) -> SafeString:
        """The type on a page, in the reader's language; a named schema links to its table."""
        if self.ref:
            return format_html('<a href="#model-{}"><code>{}</code></a>', self.ref, self.ref)
        if self.joiner == "array":
            return format_html(_("array of {}"), self.parts[0])
        if self.parts:
            words = _("{} or {}") if self.joiner == "or" else _("{} and {}")
            html = self.parts[0].__html__()
            for part in self.parts[1:]:
                html = format_html(words, html, part)
            return html
        return format_html("<code>{}</code>", self.text)

    __str__ = __html__  # a template's {{ type }} takes str() of what is not a string


@dataclass
class Field:
    name: str
    type: Type
    required: bool
    where: str = ""  # path, query, header, cookie, or "" in a body
    description: str = ""
    default: str = ""
    choices: tuple[str, ...] = ()


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    deprecated: bool
    parameters: list[Field]
    body_type: str  # the media type of the request body, "" without one
    body_fields: list[Field]  # an object's fields
    body: Type | None  # or its type, when it is not an object with fields
    responses: list[tuple[str, str, Type | None]]
    auth: tuple[str, ...]


@dataclass
class Group:
    tag: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Model:
    name: str
    description: str
    fields: list[Field]
    choices: tuple[str, ...] = ()


def type_of(schema: dict[str, Any] | None) -> Type:
    """``schema`` in words: a named schema, an array of one, a choice of several, or a plain
    JSON type with its format."""
    if not schema:
        return Type("any")
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(REF)
        return Type(name, ref=name)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = tuple(type_of(s) for s in schema[key])
            if len(parts) == 1:
                return parts[0]
            return Type("", parts=parts, joiner="and" if key == "allOf" else "or")
    kind = schema.get("type", "any")
    if kind == "array":
        return Type("", parts=(type_of(schema.get("items")),), joiner="array")
    if isinstance(kind, list):
        return Type("", parts=tuple(Type(str(k)) for k in kind), joiner="or")
    text = str(kind)
    if schema.get("format"):
        text += f" ({schema['format']})"
    return Type(text)


def fields_of(schema: dict[str, Any]) -> list[Field]:
    """An object schema's properties."""
    required = set(schema.get("required", ()))
    return [
        _field(name, prop, name in required, "", prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    ]


def _field(name: str, schema: dict[str, Any], required: bool, where: str, says: Any) -> Field:
    """A property or a parameter (``where`` it goes), from its schema."""
    return Field(
        name=str(name),
        type=type_of(schema),
        required=bool(required),
        where=str(where),
        description=str(says),
        default=_default(schema),
        choices=tuple(str(c) for c in schema.get("enum", ())),
    )


def _default(schema: dict[str, Any]) -> str:
    if "default" not in schema or schema["default"] is None:
        return ""
    value = schema["default"]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def reference(schema: dict[str, Any]) -> tuple[list[Group], list[Model]]:
    """The operations grouped by their first tag (in the order the schema first names each
    tag) and the named schemas in the order of their names."""
    groups: dict[str, Group] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, Group(tag)).operations.append(_operation(method, path, op))
    models = []
    for name, model in sorted(schema.get("components", {}).get("schemas", {}).items()):
        models.append(
            Model(
                name=name,
                description=str(model.get("description", "")),
                fields=fields_of(model),
                choices=tuple(str(c) for c in model.get("enum", ())),
            )
        )
    return list(groups.values()), models


def _operation(method: str, path: str, op: dict[str, Any]) -> Operation:
    parameters = [
        _field(p["name"], p.get("schema") or {}, p.get("required"), p.get("in", ""),
               p.get("description", ""))
        for p in op.get("parameters", [])
    ]  # fmt: skip
    body_type, body_fields, body = "", [], None
    content = op.get("requestBody", {}).get("content", {})
    if content:
        body_type, media = next(iter(content.items()))
        body_schema = media.get("schema", {})
        body_fields = fields_of(body_schema)
        body = None if body_fields else type_of(body_schema)
    responses = []
    for status, answer in op.get("responses", {}).items():
        media = next(iter(answer.get("content", {}).values()), None)
        responses.append(
            (
                str(status),
                str(answer.get("description", "")),
                type_of(media.get("schema")) if media else None,
            )
        )
    auth = tuple(name for need in op.get("security", []) for name in need)
    return Operation(
        method=method,
        path=path,
        anchor=str(op.get("operationId") or f"{method}-{path}"),
        summary=str(op.get("summary", "")),
        description=str(op.get("description", "")),
        deprecated=bool(op.get("deprecated")),
        parameters=parameters,
        body_type=body_type,
        body_fields=body_fields,
        body=body,
        responses=responses,
        auth=auth,
    )


class Reference(DocsBase):
    """django-ninja's docs page, drawn by ``api/reference.html``."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        groups, models = reference(schema)
        return render(
            request,
            "api/reference.html",
            {
                "info": schema.get("info", {}),
                "groups": groups,
                "models": models,
                "schemes": schema.get("components", {}).get("securitySchemes", {}),
                "openapi_url": self.get_openapi_url(api, kwargs),
            },
        )


class AccessibleSwagger(Swagger):
    """Swagger UI through ``api/swagger.html``: in English, without the deep links it nests in
    buttons, with colours darkened to meet WCAG 2.1 AA as it first loads, and a link to the
    reference, the accessible version of the same content."""

    template = "api/swagger.html"
    default_settings = {"layout": "BaseLayout", "deepLinking": False}
