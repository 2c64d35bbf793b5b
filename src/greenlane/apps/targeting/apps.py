from django.apps import AppConfig


class TargetingConfig(AppConfig):
    name = "greenlane.apps.targeting"
    label = "targeting"
    verbose_name = "Risk targeting"
