"""Who may see and change risk models and scores."""

from __future__ import annotations

from greenlane.apps.accounts.roles import Role

#: Train, promote and read models; read scores.
MODEL_ROLES = frozenset({Role.RISK_ANALYST, Role.ADMINISTRATOR})
#: Read scored declarations and their reasons.
SCORE_ROLES = frozenset({Role.RISK_ANALYST, Role.INSPECTION_OFFICER, Role.ADMINISTRATOR})
