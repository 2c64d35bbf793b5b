from django.apps import AppConfig


class TargetingConfig(AppConfig):
    name = "greenlane.apps.targeting"
    label = "targeting"
    verbose_name = "Risk targeting"

    def ready(self) -> None:
        # Scoring listens for new declarations and for a model becoming active.
        # The channel decisions go to the lake and leave with their month.
        from greenlane.apps.targeting import (
            lake,  # noqa: F401
            scoring,  # noqa: F401
        )
