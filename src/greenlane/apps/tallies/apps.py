from django.apps import AppConfig


class TalliesConfig(AppConfig):
    name = "greenlane.apps.tallies"
    label = "tallies"
    verbose_name = "Running totals"
