"""The API's answers to errors: a service's refusal in one place, and the OpenAPI schema with
the error answers that django-ninja gives but does not document.

django-ninja lists only the statuses an operation declares in ``response=``. The answers its
own machinery gives (a body that is not JSON: 400; no session: 401; another role: 403; input
that is not valid: 422; an object that does not exist or is not visible to the caller: 404)
are added here to every
operation that can give them, so that clients, and the fuzz test against the schema
(tests/test_api_fuzz.py), can rely on the documented statuses and bodies.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from greenlane.api.auth import RoleAuth
from greenlane.api.parser import BodyRefused, NulRefusingParser
from greenlane.api.reference import Reference
from greenlane.apps.wording import said
from greenlane.core.errors import Refused


class Problem(Schema):
    """A refusal: what is wrong, and the field it is about when the domain names one (the
    answer ``GreenlaneAPI.refused`` gives every service refusal)."""

    detail: str
    field: str | None = None


ERROR = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "title": "ValidationError",
    "description": "A list of problems with their location, or one sentence.",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {"type": "array"},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                        "required": ["loc", "msg", "type"],
                    },
                },
            ],
        }
    },
    "required": ["detail"],
}
DESCRIPTIONS = {
    400: "The request body is not JSON (or holds a NUL character or a lone surrogate)",
    401: "Not signed in (no session, or no valid API key)",
    403: "The caller's role may not use this operation, or a session's request that changes "
    "something came without its CSRF token",
    404: "No such object, or not visible to the caller",
    422: "The input does not parse or is not valid",
}


def _answer(status: int, component: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{component}"}
    return {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": ref}}}


class GreenlaneSchema(OpenAPISchema):
    def operation_details(self, operation: Operation) -> dict[str, Any]:
        result: dict[str, Any] = super().operation_details(operation)
        responses = result["responses"]
        auth = operation.auth_callbacks or []
        extra: dict[int, str] = {}
        if "application/json" in result.get("requestBody", {}).get("content", {}):
            extra[400] = "Error"
        if auth:
            extra[401] = "Error"
        session = [a for a in auth if isinstance(a, RoleAuth)]
        changes = any(m not in ("GET", "HEAD", "OPTIONS") for m in operation.methods)
        if any(a.roles is not None for a in session) or (session and changes):
            extra[403] = "Error"  # another role; or, for any role, the CSRF check
        if any(p["in"] == "path" for p in result["parameters"]):
            extra[404] = "Error"
        if result["parameters"] or "requestBody" in result:
            extra[422] = "ValidationError"
        for status, component in extra.items():
            responses.setdefault(status, _answer(status, component))
        self.schemas.setdefault("Error", ERROR)
        self.schemas.setdefault("ValidationError", VALIDATION_ERROR)
        return result


class GreenlaneAPI(NinjaAPI):
    """The API: its schema documents the framework's error answers; its parser refuses NUL
    characters and lone surrogates (``api/parser.py``); a service's refusal is answered here,
    not by each operation (decision 0018)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("docs", Reference())
        # The schema and the reference are read, never posted to: other methods get 405.
        kwargs.setdefault("docs_decorator", require_safe)
        super().__init__(parser=NulRefusingParser(), **kwargs)

    def on_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        if isinstance(exc, Refused):
            return self.refused(request, exc)
        # django-ninja answers any body its parser refuses with one sentence: name the field.
        if isinstance(exc, HttpError) and isinstance(exc.__cause__, BodyRefused):
            detail = _("Cannot parse request body: %(why)s") % {"why": exc.__cause__}
            return self.create_response(request, {"detail": detail}, status=400)
        return super().on_exception(request, exc)

    def refused(self, request: HttpRequest, exc: Refused) -> HttpResponse:
        """``{"detail": why}`` with the refusal's status (400, 409 when the record's state does
        not allow it, 422 for an upload), and ``field`` when the refusal's domain names one
        (certification and self-tests always do, "" when it is about no one input)."""
        body = {"detail": said(exc)}
        if exc.field is not None:
            body["field"] = exc.field
        return self.create_response(request, body, status=exc.status)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return GreenlaneSchema(self, path_prefix)
