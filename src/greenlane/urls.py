from django.urls import include, path

from greenlane.api.urls import api, console

urlpatterns = [
    path("", include("greenlane.web.urls")),
    path("api/v1/console", console, name="api-console"),
    path("api/v1/", api.urls),
]

# An unhandled error: 503 and Retry-After when the database cannot be reached, else 500; never a
# trace, and nothing that needs the database itself.
handler500 = "greenlane.web.views.server_error"
