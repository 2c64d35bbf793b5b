"""API keys for customs systems: made once (only the hash is kept), used, revoked."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.targeting.models import ApiToken


def make_token(name: str, user: User | None) -> tuple[ApiToken, str]:
    """A new key for a customs system: the key is returned once and only its hash is kept."""
    key = "gl_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            prefix=key[:8],
            key_sha256=hashlib.sha256(key.encode()).hexdigest(),
            created_by=user,
        )
        audit.record("targeting.token.created", user, token, {"name": name, "prefix": token.prefix})
    return token, key


def revoke_token(name: str, user: User | None) -> ApiToken | None:
    """Revoke the active key named ``name`` at once, audited; None when there is none."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update().filter(name=name, revoked_at__isnull=True).first()
        )
        if token is None:
            return None
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("targeting.token.revoked", user, token, {"name": name})
    return token


def token_for(key: str) -> ApiToken | None:
    digest = hashlib.sha256(key.encode()).hexdigest()
    token = ApiToken.objects.filter(key_sha256=digest, revoked_at__isnull=True).first()
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
