from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "greenlane.web"
    label = "web"
    verbose_name = "Web shell"
