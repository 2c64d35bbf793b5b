from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "greenlane.apps.declarations"
    label = "declarations"
    verbose_name = "Declarations and inspections"
