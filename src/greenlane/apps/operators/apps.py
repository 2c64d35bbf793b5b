from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    name = "greenlane.apps.operators"
    label = "operators"
    verbose_name = "Economic operators"
