from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "greenlane.apps.assessments"
    label = "assessments"
    verbose_name = "Self-tests and gap analysis"
    default_auto_field = "django.db.models.BigAutoField"
