"""Who sees monitoring: the one place the monitoring app decides it."""

from __future__ import annotations

from greenlane.apps.accounts.roles import AEO_ROLES, Role

#: The alert queue: validators, decision officers and administrators.
QUEUE_ROLES = AEO_ROLES
#: Starting a run by hand (it also runs on schedule): decision officers and administrators.
RUN_ROLES = frozenset({Role.DECISION_OFFICER, Role.ADMINISTRATOR})
#: An operator's own indicators: the company (its users and consultants) and AEO staff.
OPERATOR_VIEW_ROLES = AEO_ROLES | {Role.TRADER, Role.CONSULTANT}
