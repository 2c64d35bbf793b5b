from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "greenlane.apps.notices"
    label = "notices"
    verbose_name = "Notices"
