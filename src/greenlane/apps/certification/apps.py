from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "greenlane.apps.certification"
    label = "certification"
    verbose_name = "AEO certification"
    default_auto_field = "django.db.models.BigAutoField"
