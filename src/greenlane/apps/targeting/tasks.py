"""Background training, queued from the models page."""

from __future__ import annotations

from django_tasks import task

from greenlane.apps.accounts.models import User
from greenlane.apps.targeting import services


@task()
def train_model(user_id: int) -> int:
    version = services.train(actor=User.objects.get(pk=user_id), activate=False)
    return version.version
