"""State changes of self-tests and action plans; each one atomic and audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import CUSTOMS_ROLES
from greenlane.apps.assessments.evidence import EvidenceRefused, inspect, stored_name
from greenlane.apps.assessments.models import ActionItem, Answer, Evidence, SelfAssessment
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.operators.models import Operator, TradeRole
from greenlane.apps.wording import all_translated, translated
from greenlane.core import errors
from greenlane.core.criteria.engine import Profile, Readiness, answer_problems, assess
from greenlane.core.criteria.export import readiness_dict
from greenlane.core.criteria.gaps import gaps
from greenlane.core.criteria.loader import Catalogue, shipped
from greenlane.core.criteria.schema import OperatorType
from greenlane.core.words import Words

__all__ = ["EvidenceRefused", "Refused"]

#: The operator type a trade role implies when the operator has not said otherwise.
DEFAULT_TYPES = {
    TradeRole.IMPORTER: OperatorType.IMPORTER,
    TradeRole.BROKER: OperatorType.CUSTOMS_BROKER,
    TradeRole.EXPORTER: OperatorType.EXPORTER,
}


class Refused(errors.Refused):
    """A change that cannot be made; ``field`` names the input it is about (or "": the API's
    answers about self-tests always carry ``field``)."""

    field: str

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message, field)


def catalogue() -> Catalogue:
    return shipped()


def draft_of(operator: Operator) -> SelfAssessment | None:
    return operator.self_assessments.filter(status=SelfAssessment.Status.DRAFT).first()


def latest_snapshot(operator: Operator) -> SelfAssessment | None:
    return (
        operator.self_assessments.filter(status=SelfAssessment.Status.SUBMITTED)
        .order_by("-submitted_at", "-pk")
        .first()
    )


def current(operator: Operator) -> SelfAssessment | None:
    """What the company works on: its draft, else its latest snapshot (the next draft starts
    from it), else nothing yet."""
    return draft_of(operator) or latest_snapshot(operator)


def _draft_for_update(operator: Operator, user: User) -> SelfAssessment:
    """The operator's draft, locked; started from the last snapshot when there is none."""
    Operator.objects.select_for_update().filter(pk=operator.pk).first()  # one starter at a time
    draft = draft_of(operator)
    if draft is not None:
        return SelfAssessment.objects.select_for_update().get(pk=draft.pk)
    previous = latest_snapshot(operator)
    draft = SelfAssessment.objects.create(
        operator=operator,
        created_by=user,
        profile=dict(previous.profile) if previous else {},
    )
    if previous is not None:
        Answer.objects.bulk_create(
            Answer(
                assessment=draft,
                requirement=a.requirement,
                answer=a.answer,
                comment=a.comment,
                updated_by=a.updated_by,
            )
            for a in previous.answers.all()
        )
        Evidence.objects.bulk_create(
            Evidence(
                assessment=draft,
                requirement=e.requirement,
                file=e.file.name,
                original_name=e.original_name,
                content_type=e.content_type,
                size=e.size,
                sha256=e.sha256,
                uploaded_by=e.uploaded_by,
            )
            for e in previous.evidence.all()
        )
    audit.record(
        "assessments.selftest.started",
        user,
        draft,
        {"operator": operator.pk, "from_snapshot": previous.pk if previous else None},
    )
    return draft


def save_answer(
    operator: Operator, user: User, requirement: str, answer: str, comment: str
) -> Answer:
    """Autosave of one answer (an empty answer means "not answered yet")."""
    if len(comment) > 4000:
        raise Refused(
            _("a comment has at most %(limit)s characters")
            % {"limit": number_format(4000, force_grouping=True)},
            "comment",
        )
    if answer:
        errors = answer_problems(catalogue(), {requirement: answer})
        if errors:
            raise Refused(translated(errors[requirement]), "answer")
    elif requirement not in {r.id for r in catalogue().baseline.requirements}:
        raise Refused(_("not a baseline requirement"), "answer")
    with transaction.atomic():
        draft = _draft_for_update(operator, user)
        row = draft.answers.filter(requirement=requirement).first()
        before = (row.answer, row.comment) if row else ("", "")
        if before == (answer, comment) and row is not None:
            return row
        row, _created = Answer.objects.update_or_create(
            assessment=draft,
            requirement=requirement,
            defaults={"answer": answer, "comment": comment, "updated_by": user},
        )
        audit.record(
            "assessments.answer.saved",
            user,
            draft,
            {
                "requirement": requirement,
                "answer": [before[0], answer],
                "comment_changed": before[1] != comment,
            },
        )
    return row


PROFILE_FIELDS = {
    "declarations_per_year": (int, 0, 10_000_000),
    "years_since_serious_infringement": (float, 0, 100),
    "annual_turnover": (float, 0, 10**16),
    "paid_up_capital": (float, 0, 10**16),
}


def save_profile(operator: Operator, user: User, data: dict[str, Any]) -> SelfAssessment:
    """The facts the operator states about itself (types, volumes, infringements, scores)."""
    profile: dict[str, Any] = {}
    for key, (kind, low, high) in PROFILE_FIELDS.items():
        raw = data.get(key)
        if raw in (None, ""):
            continue
        try:
            value = kind(raw) + 0  # + 0: "-0" is stored as 0
        except (TypeError, ValueError):
            raise Refused(_("a number is needed"), key) from None
        if not low <= value <= high:
            raise Refused(
                _("between %(low)s and %(high)s")
                % {"low": low, "high": number_format(high, force_grouping=True)},
                key,
            )
        profile[key] = value
    profile["arrears"] = bool(data.get("arrears"))
    currency = str(data.get("currency") or "").strip().upper()
    if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise Refused(_("a three-letter currency code, e.g. KRW or USD"), "currency")
    if not currency and ("annual_turnover" in profile or "paid_up_capital" in profile):
        raise Refused(_("name the currency of the turnover and capital"), "currency")
    if currency:
        profile["currency"] = currency
    types = data.get("operator_types") or []
    known = {t.value for t in OperatorType}
    unknown = [t for t in types if t not in known]
    if unknown:
        raise Refused(
            _("unknown operator type '%(type)s'") % {"type": unknown[0]}, "operator_types"
        )
    profile["operator_types"] = sorted(set(types))
    scores = data.get("scores") or {}
    cleaned: dict[str, dict[str, float]] = {}
    for programme_id, groups in scores.items():
        programme = catalogue().programmes.get(programme_id)
        if programme is None:
            raise Refused(
                _("unknown programme '%(programme)s'") % {"programme": programme_id}, "scores"
            )
        version = programme.version_on(timezone.localdate())
        measured = {g.id for g in version.groups if g.measured} if version else set()
        for group, value in groups.items():
            if value in (None, ""):
                continue
            if group not in measured:
                raise Refused(
                    _("%(programme)s has no measured score '%(group)s'")
                    % {"programme": programme_id, "group": group},
                    "scores",
                )
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise Refused(_("a score is a number from 0 to 100"), "scores") from None
            if not 0 <= number <= 100:
                raise Refused(_("a score is a number from 0 to 100"), "scores")
            cleaned.setdefault(programme_id, {})[group] = number
    profile["scores"] = cleaned
    with transaction.atomic():
        draft = _draft_for_update(operator, user)
        before = draft.profile
        draft.profile = profile
        draft.save(update_fields=["profile", "updated_at"])
        audit.record("assessments.profile.saved", user, draft, {"before": before, "after": profile})
    return draft


def add_evidence(
    operator: Operator, user: User, requirement: str, upload: UploadedFile
) -> Evidence:
    if requirement not in {r.id for r in catalogue().baseline.requirements}:
        raise Refused(_("not a baseline requirement"), "requirement")
    name = (upload.name or "evidence")[:255]
    limit = settings.MAX_EVIDENCE_MB * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        raise Refused(
            _("%(file)s is larger than the limit of %(limit)s MB")
            % {"file": name, "limit": settings.MAX_EVIDENCE_MB},
            "file",
        )
    try:
        facts = inspect(name, upload.file, limit)
    except EvidenceRefused as exc:
        raise Refused(str(exc), "file") from None
    try:
        with transaction.atomic():
            draft = _draft_for_update(operator, user)
            if draft.evidence.filter(requirement=requirement, sha256=facts.sha256).exists():
                raise IntegrityError  # checked before the file is written: no orphan file
            evidence = Evidence(
                assessment=draft,
                requirement=requirement,
                original_name=name,
                content_type=facts.content_type,
                size=facts.size,
                sha256=facts.sha256,
                uploaded_by=user,
            )
            evidence.file.save(stored_name(name, facts.sha256), upload, save=False)
            evidence.save()
            audit.record(
                "assessments.evidence.added",
                user,
                draft,
                {"requirement": requirement, "file": name, "sha256": facts.sha256},
            )
    except IntegrityError:
        raise Refused(
            _("%(file)s is already attached to this requirement") % {"file": name}, "file"
        ) from None
    return evidence


@transaction.atomic
def remove_evidence(evidence: Evidence, user: User) -> None:
    assessment = SelfAssessment.objects.select_for_update().get(pk=evidence.assessment_id)
    if not assessment.is_draft:
        raise Refused(_("evidence of a submitted self-test cannot be removed"))
    audit.record(
        "assessments.evidence.removed",
        user,
        assessment,
        {"requirement": evidence.requirement, "file": evidence.original_name},
    )
    evidence.delete()  # the stored file stays: earlier snapshots may point to it


def evidence_downloaded(evidence: Evidence, user: User) -> None:
    """Record that ``user`` downloaded an evidence file: a company's confidential document,
    whoever reads it (its own staff, its consultant, the assigned validator)."""
    audit.record(
        "assessments.evidence.downloaded",
        user,
        evidence,
        {
            "operator": evidence.assessment.operator_id,
            "assessment": evidence.assessment_id,
            "requirement": evidence.requirement,
            "file": evidence.original_name,
            "sha256": evidence.sha256,
        },
    )


def snapshot_read(snapshots: list[SelfAssessment], user: User, via: str) -> None:
    """Record that a customs officer read a company's submitted self-test (``via``: the
    page, the PDF, the comparison or the API); the company's own side reads its own freely."""
    if getattr(user, "role", None) not in CUSTOMS_ROLES:
        return
    for snapshot in snapshots:
        audit.record(
            "assessments.snapshot.read",
            user,
            snapshot,
            {"operator": snapshot.operator_id, "via": via},
        )


def answers_of(assessment: SelfAssessment | None) -> dict[str, str | None]:
    if assessment is None:
        return {}
    return {a.requirement: (a.answer or None) for a in assessment.answers.all()}


#: Which declaration field names the operator, by its role in trade.
PARTY_FIELD = {
    TradeRole.IMPORTER: "importer_code",
    TradeRole.BROKER: "declarant_code",
    TradeRole.EXPORTER: "seller_code",
}


def declarations_last_year(operator: Operator, on: date) -> int:
    """Declarations on file in the 365 days up to ``on`` naming the operator in its role."""
    party = PARTY_FIELD[TradeRole(operator.trade_role)]
    return Declaration.objects.filter(
        **{party: operator.code},
        declaration_date__gt=on - timedelta(days=365),
        declaration_date__lte=on,
    ).count()


def profile_of(operator: Operator, assessment: SelfAssessment | None, on: date) -> Profile:
    """Facts from the operator record and its declarations, and what it stated itself."""
    stated = assessment.profile if assessment is not None else {}
    types = stated.get("operator_types") or [DEFAULT_TYPES[TradeRole(operator.trade_role)].value]
    declarations = stated.get("declarations_per_year")
    if declarations is None:
        declarations = declarations_last_year(operator, on)
    return Profile(
        years_in_business=float(operator.years_in_business(on)),
        declarations_per_year=declarations,
        years_since_serious_infringement=stated.get("years_since_serious_infringement"),
        arrears=bool(stated.get("arrears", False)),
        msme=operator.is_msme,
        operator_types=frozenset(types),
        scores=stated.get("scores") or {},
        annual_turnover=stated.get("annual_turnover"),
        paid_up_capital=stated.get("paid_up_capital"),
        currency=stated.get("currency"),
    )


def evaluate(
    operator: Operator,
    assessment: SelfAssessment | None,
    on: date | None = None,
    frozen: bool = True,
) -> dict[str, Any]:
    """Readiness and ranked gaps as plain data: the result a snapshot froze on submission
    (unless ``frozen`` is False), or computed now for a draft or an operator not started."""
    if frozen and assessment is not None and not assessment.is_draft and assessment.result:
        return assessment.result
    on = on or timezone.localdate()
    answers = answers_of(assessment)
    profile = profile_of(operator, assessment, on)
    readiness: Readiness = assess(catalogue(), answers, profile, on)
    result = readiness_dict(readiness, gaps(catalogue(), answers, profile, on, readiness))
    _keep_words(result, readiness)
    result["profile"] = {
        "years_in_business": profile.years_in_business,
        "declarations_per_year": profile.declarations_per_year,
        "msme": profile.msme,
        "operator_types": sorted(profile.operator_types),
    }
    return result


def _keep_words(result: dict[str, Any], readiness: Readiness) -> None:
    """``result`` with each tier's eligibility reasons and gate texts as words kept as data
    (``Words.as_json``), translated when the report is read (``shown``); the export writes
    them in English."""
    for stored, programme in zip(result["programmes"], readiness.programmes, strict=True):
        for tier, found in zip(stored["tiers"], programme.tiers, strict=True):
            tier["not_eligible_because"] = [r.as_json() for r in found.reasons]
            for gate, gate_found in zip(tier["gates"], found.gates, strict=True):
                words = gate_found.words
                gate["text"] = words.as_json() if isinstance(words, Words) else words


def shown(result: dict[str, Any]) -> dict[str, Any]:
    """A result of :func:`evaluate` with its words in the active language (for an answer
    that gives text, such as the API's); results stored before words were kept as data are
    shown as they are."""
    programmes = []
    for p in result.get("programmes", []):
        tiers = [
            t
            | {
                "not_eligible_because": all_translated(t.get("not_eligible_because", [])),
                "gates": [g | {"text": translated(g.get("text", ""))} for g in t.get("gates", [])],
            }
            for t in p.get("tiers", [])
        ]
        programmes.append(p | {"tiers": tiers})
    return result | {"programmes": programmes}


def submit(operator: Operator, user: User) -> SelfAssessment:
    """Freeze the draft into a snapshot; every requirement must be answered first."""
    with transaction.atomic():
        Operator.objects.select_for_update().filter(pk=operator.pk).first()
        if draft_of(operator) is None:  # e.g. a second click on "Submit"
            raise Refused(_("nothing has changed since the last snapshot"))
        draft = _draft_for_update(operator, user)
        answered = {k for k, v in answers_of(draft).items() if v}
        missing = [r.id for r in catalogue().baseline.requirements if r.id not in answered]
        if missing:
            listed = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
            raise Refused(
                ngettext(
                    "%(count)d requirement(s) not answered yet: %(requirements)s",
                    "%(count)d requirement(s) not answered yet: %(requirements)s",
                    len(missing),
                )
                % {"count": len(missing), "requirements": listed}
            )
        on = timezone.localdate()
        draft.result = evaluate(operator, draft, on)
        draft.assessed_on = on
        draft.catalogue_versions = {
            "baseline": catalogue().baseline.version.isoformat(),
            **{p["programme"]: p["version"] for p in draft.result["programmes"]},
        }
        draft.status = SelfAssessment.Status.SUBMITTED
        draft.submitted_at = timezone.now()
        draft.submitted_by = user
        draft.save()
        audit.record(
            "assessments.selftest.submitted",
            user,
            draft,
            {
                "operator": operator.pk,
                "best_tiers": {p["programme"]: p["best_tier"] for p in draft.result["programmes"]},
            },
        )
    return draft


# --------------------------------------------------------------------------- action plan


def _clean_action(data: dict[str, Any]) -> dict[str, Any]:
    action = str(data.get("action", "")).strip()
    if not action:
        raise Refused(_("say what will be done"), "action")
    if len(action) > 500:
        raise Refused(_("at most %(limit)d characters") % {"limit": 500}, "action")
    requirement = str(data.get("requirement", ""))
    if requirement not in {r.id for r in catalogue().baseline.requirements}:
        raise Refused(_("choose the requirement this action closes"), "requirement")
    target = data.get("target_date") or None
    if isinstance(target, str):
        try:
            target = date.fromisoformat(target)
        except ValueError:
            raise Refused(_("a date as YYYY-MM-DD"), "target_date") from None
    status = data.get("status") or ActionItem.Status.OPEN
    if status not in ActionItem.Status.values:
        raise Refused(_("open or done"), "status")
    owner = str(data.get("owner", "")).strip()
    if len(owner) > 120:
        raise Refused(_("at most %(limit)d characters") % {"limit": 120}, "owner")
    return {
        "action": action,
        "requirement": requirement,
        "target_date": target,
        "status": status,
        "owner": owner,
    }


@transaction.atomic
def save_action(
    operator: Operator, user: User, data: dict[str, Any], item: ActionItem | None = None
) -> ActionItem:
    fields = _clean_action(data)
    if item is None:
        item = ActionItem.objects.create(operator=operator, created_by=user, **fields)
        audit.record("assessments.action.added", user, item, _plain(fields))
        return item
    before = {k: getattr(item, k) for k in fields}
    for key, value in fields.items():
        setattr(item, key, value)
    item.save()
    audit.record(
        "assessments.action.changed",
        user,
        item,
        {"before": _plain(before), "after": _plain(fields)},
    )
    return item


@transaction.atomic
def delete_action(item: ActionItem, user: User) -> None:
    with transaction.atomic():
        audit.record("assessments.action.deleted", user, item, {"action": item.action})
        item.delete()


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}
