from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "greenlane.apps.monitoring"
    label = "monitoring"
    verbose_name = "AEO risk monitoring"
