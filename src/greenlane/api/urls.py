"""The REST API at /api/v1 (schema: /api/v1/openapi.json; reference: /api/v1/docs; console to
try requests in, Swagger UI: /api/v1/console)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from greenlane.api import (
    accounts,
    assessments,
    catalogue,
    certification,
    channels,
    declarations,
    monitoring,
    notices,
    operators,
    origin,
    queue,
    risk,
    trs,
)
from greenlane.api.auth import RoleAuth
from greenlane.api.openapi import GreenlaneAPI
from greenlane.api.reference import AccessibleSwagger

#: The operations that take files, by route under /api/v1/ and the kind of file
#: (``web.context.max_bytes``); a request announcing more is refused before it is read
#: (``web.middleware.RefuseOversizedBodies``). Every other operation takes a JSON body of at
#: most ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
TAKES_FILES = {"declarations/uploads": "data", "origin/certificates": "origin"}

api = GreenlaneAPI(
    title="Greenlane API",
    version="1",
    description="AEO programmes, certification, risk targeting and time release studies.",
    auth=RoleAuth(),  # any role; routers narrow it
    urls_namespace="api",
)
api.add_router("/accounts", accounts.router)
api.add_router("/operators", operators.router)
api.add_router("/declarations", declarations.router)
api.add_router("/declarations", channels.router)
api.add_router("/risk", risk.router)
api.add_router("/risk", queue.router)
api.add_router("/catalogue", catalogue.router)
api.add_router("/self-assessments", assessments.router)
api.add_router("/certification", certification.router)
api.add_router("/public", certification.public)
api.add_router("/mra", certification.mra_router)
api.add_router("/trs", trs.router)
api.add_router("/monitoring", monitoring.router)
api.add_router("/notices", notices.router)
api.add_router("/origin", origin.router)


@require_safe
def console(request: HttpRequest) -> HttpResponse:
    """Swagger UI on the same schema, to try requests in (``reference.AccessibleSwagger``)."""
    return AccessibleSwagger().render_page(request, api)
