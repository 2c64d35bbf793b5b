from django.urls import include, path

from greenlane.api.urls import api

urlpatterns = [
    path("", include("greenlane.web.urls")),
    path("api/v1/", api.urls),
]
