from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "greenlane.apps.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self) -> None:
        from greenlane.apps.accounts import (  # noqa: F401  (connect their receivers)
            sessions,
            signals,
        )
