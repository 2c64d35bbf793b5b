from django.apps import AppConfig


class TrsConfig(AppConfig):
    name = "greenlane.apps.trs"
    label = "trs"
    verbose_name = "Time Release Studies"
