from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "greenlane.apps.audit"
    label = "audit"
    verbose_name = "Audit log"
