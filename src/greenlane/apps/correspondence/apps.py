from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    name = "greenlane.apps.correspondence"
    label = "correspondence"
    verbose_name = "Correspondence"
