from django.apps import AppConfig


class TargetingConfig(AppConfig):
    name = "greenlane.apps.targeting"
    label = "targeting"
    verbose_name = "Risk targeting"

    def ready(self) -> None:
        # Scoring listens for new declarations and for a model becoming active.
        from greenlane.apps.targeting import scoring  # noqa: F401
