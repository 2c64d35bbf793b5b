from django.apps import AppConfig


class OriginConfig(AppConfig):
    name = "greenlane.apps.origin"
    label = "origin"
    verbose_name = "Certificates of origin"
