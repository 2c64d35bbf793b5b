"""State changes for operators and consultant access; each one atomic and audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.roles import OrganisationKind, Role
from greenlane.apps.audit import services as audit
from greenlane.apps.operators.models import (
    AeoAuthorisation,
    ConsultantAccess,
    Operator,
    SizeClass,
    ValidatorAssignment,
)
from greenlane.core import errors
from greenlane.core.errors import NotAllowed, Refused

OPERATOR_FIELDS = (
    "code", "name", "country", "trade_role", "national_id", "eori", "size_class", "employees",
    "established_on",
)  # fmt: skip


class AccessError(errors.Refused):
    """The organisation or user is not of the kind the access needs."""


@transaction.atomic
def grant_consultant_access(
    operator: Operator, consultancy: Organisation, actor: User | None
) -> ConsultantAccess:
    if consultancy.kind != OrganisationKind.CONSULTANCY:
        raise AccessError(_("%(name)s is not a consultancy") % {"name": consultancy})
    access, created = ConsultantAccess.objects.get_or_create(
        operator=operator, consultancy=consultancy, revoked_at=None
    )
    if created:
        audit.record(
            "operators.consultant_access.granted", actor, operator, {"consultancy": consultancy.pk}
        )
    return access


@transaction.atomic
def revoke_consultant_access(
    operator: Operator, consultancy: Organisation, actor: User | None
) -> int:
    count = ConsultantAccess.objects.filter(
        operator=operator, consultancy=consultancy, revoked_at=None
    ).update(revoked_at=timezone.now())
    if count:
        audit.record(
            "operators.consultant_access.revoked", actor, operator, {"consultancy": consultancy.pk}
        )
    return count


@transaction.atomic
def load_operators(
    operators: Iterable[Mapping[str, Any]],
    authorisations: Iterable[Mapping[str, Any]],
    actor: User | None = None,
    source: str = "",
) -> tuple[int, int]:
    """Bulk-create operators and their AEO status from trusted rows, all or nothing."""
    created = Operator.objects.bulk_create(
        [Operator(**{k: row[k] for k in OPERATOR_FIELDS}) for row in operators], batch_size=2000
    )
    by_code = dict(Operator.objects.values_list("code", "pk"))
    held = AeoAuthorisation.objects.bulk_create(
        _one_at_a_time(
            AeoAuthorisation(
                operator_id=by_code[row["operator_code"]],
                programme=row["programme"],
                tier=row["tier"] or "",
                valid_from=row["valid_from"],
                valid_to=row["valid_to"],
            )
            for row in authorisations
        ),
        batch_size=2000,
    )
    audit.record(
        "operators.batch.loaded",
        actor,
        None,
        {"operators": len(created), "authorisations": len(held), "source": source},
    )
    return len(created), len(held)


def _one_at_a_time(statuses: Iterable[AeoAuthorisation]) -> list[AeoAuthorisation]:
    """An operator's statuses under one programme as a sequence: one that a later one
    replaces (an upgrade, a renewal) ends the day before it starts."""
    ordered = sorted(statuses, key=lambda a: (a.operator_id, a.programme, a.valid_from))
    for older, newer in pairwise(ordered):
        same = (older.operator_id, older.programme) == (newer.operator_id, newer.programme)
        if same and (older.valid_to is None or older.valid_to >= newer.valid_from):
            older.valid_to = newer.valid_from - timedelta(days=1)
    return ordered


@transaction.atomic
def attach_organisation(
    operator: Operator, organisation: Organisation, actor: User | None = None
) -> None:
    """Link a company record to the organisation whose users act for it."""
    if organisation.kind != OrganisationKind.OPERATOR:
        raise AccessError(_("%(name)s is not an economic operator") % {"name": organisation})
    operator.organisation = organisation
    operator.save(update_fields=["organisation"])
    audit.record(
        "operators.organisation.attached", actor, operator, {"organisation": organisation.pk}
    )


@transaction.atomic
def link_company(actor: User, organisation: Organisation, code: str) -> Operator:
    """Make ``organisation`` (an economic operator's) the company whose people act for the
    operator record ``code``; refused when the record is another organisation's."""
    code = code.strip()
    if not code:
        raise Refused(_("give the operator's identifier"), "operator")
    if organisation.kind != OrganisationKind.OPERATOR:
        raise Refused(
            _("%(organisation)s is not an economic operator") % {"organisation": organisation},
            "operator",
        )
    operator = Operator.objects.select_for_update().filter(code=code).first()
    if operator is None:
        raise Refused(_("no operator %(code)s on record") % {"code": repr(code)}, "operator")
    if operator.organisation_id not in (None, organisation.pk):
        raise NotAllowed(
            _("operator %(code)s is the company of another organisation (%(organisation)s)")
            % {"code": code, "organisation": operator.organisation}
        )
    if operator.organisation_id == organisation.pk:
        return operator
    attach_organisation(operator, organisation, actor)
    return operator


def size_class_for(employees: int) -> str:
    """The size class of a company by headcount, as EU Recommendation 2003/361 (Art. 2 of its
    annex) counts it: micro under 10, small under 50, medium under 250, else large."""
    for limit, size in ((10, SizeClass.MICRO), (50, SizeClass.SMALL), (250, SizeClass.MEDIUM)):
        if employees < limit:
            return size
    return SizeClass.LARGE


@transaction.atomic
def create_operator(actor: User, data: Mapping[str, Any]) -> Operator:
    """A company record made by customs from what the company said (an access request), when
    none is on record under its identifier yet."""
    code = str(data.get("code", "")).strip()
    if not code:
        raise Refused(_("give the operator's identifier"), "operator")
    if Operator.objects.filter(code=code).exists():
        raise Refused(
            _("operator %(code)s is on record: link to it instead") % {"code": code}, "operator"
        )
    employees = int(data.get("employees") or 0)
    operator = Operator(
        code=code,
        name=str(data.get("name", "")).strip(),
        country=str(data.get("country", "")).strip().upper(),
        trade_role=str(data.get("trade_role", "")),
        national_id=str(data.get("national_id", "")).strip(),
        eori=str(data.get("eori", "")).strip(),
        size_class=size_class_for(employees),
        employees=employees,
        established_on=data.get("established_on"),
    )
    try:
        operator.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Refused(f"{field}: {'; '.join(messages)}", "operator") from None
    operator.save()
    audit.record(
        "operators.operator.created",
        actor,
        operator,
        {"after": {k: str(getattr(operator, k)) for k in OPERATOR_FIELDS}},
    )
    return operator


@transaction.atomic
def assign_validator(
    operator: Operator, validator: User, actor: User | None
) -> ValidatorAssignment:
    """Give a validator the operator's file (idempotent)."""
    if validator.role != Role.VALIDATOR:
        raise AccessError(_("%(person)s is not an AEO validator") % {"person": validator})
    assignment, created = ValidatorAssignment.objects.get_or_create(
        operator=operator, validator=validator, ended_at=None
    )
    if created:
        audit.record("operators.validator.assigned", actor, operator, {"validator": validator.pk})
    return assignment


@transaction.atomic
def end_assignment(operator: Operator, validator: User, actor: User | None) -> None:
    ended = ValidatorAssignment.objects.filter(
        operator=operator, validator=validator, ended_at=None
    ).update(ended_at=timezone.now())
    if ended:
        audit.record("operators.validator.unassigned", actor, operator, {"validator": validator.pk})
