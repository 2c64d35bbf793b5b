"""Rule profiles and selectivity policies: saved checked, dry-run before use, audited."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import data
from greenlane.apps.targeting.models import RuleProfile, SelectivityPolicy
from greenlane.core import errors
from greenlane.core.risk import rulelang
from greenlane.core.risk.selectivity import Policy, PolicyError

DRY_RUN_DAYS = 30
#: Matched declarations a dry run keeps for the analyst to open.
DRY_RUN_SAMPLE = 20
RULE_FIELDS = ("expression", "action", "channel", "shift", "reason", "valid_from", "valid_to")


class Refused(errors.Refused):
    """The change cannot be made; the message says why (and where, for a rule)."""


def check_rule(values: dict[str, Any]) -> rulelang.Rule:
    """The parsed expression, or Refused naming the position of the problem."""
    try:
        parsed = rulelang.parse(values["expression"])
    except rulelang.RuleError as exc:
        from greenlane.apps.wording import translated  # the rule's error in the reader's words

        raise Refused(translated(exc.words), "expression") from None
    if values["action"] == RuleProfile.Action.FORCE and not values.get("channel"):
        raise Refused(_("a forcing rule needs its channel"), "channel")
    if values["action"] == RuleProfile.Action.SHIFT and not -1 <= values.get("shift", 0) <= 1:
        raise Refused(_("the score shift must be between -1 and 1"), "shift")
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end and end < start:
        raise Refused(_("the rule ends before it starts"), "valid_to")
    return parsed


def save_rule(user: User, values: dict[str, Any], rule: RuleProfile | None = None) -> RuleProfile:
    """Create or change a rule. A changed rule goes back to draft: inactive until dry-run."""
    check_rule(values)
    with transaction.atomic():
        if rule is None:
            rule = RuleProfile(name=values["name"], created_by=user)
            before: dict[str, Any] = {}
        else:
            rule = RuleProfile.objects.select_for_update().get(pk=rule.pk)
            before = {k: _plain(getattr(rule, k)) for k in RULE_FIELDS}
            rule.revision += 1
        for key in RULE_FIELDS:
            setattr(rule, key, values.get(key) if key != "channel" else values.get(key) or "")
        if rule.action == RuleProfile.Action.SHIFT:
            rule.channel = ""
        rule.is_active = False
        rule.save()
        audit.record(
            "targeting.rule.saved",
            user,
            rule,
            {"before": before, "after": {k: _plain(getattr(rule, k)) for k in RULE_FIELDS}},
        )
    return rule


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def recent_window(days: int = DRY_RUN_DAYS) -> tuple[date, date] | None:
    newest = Declaration.objects.aggregate(d=Max("declaration_date"))["d"]
    return None if newest is None else (newest - timedelta(days=days - 1), newest)


def dry_run(rule: RuleProfile, user: User, days: int = DRY_RUN_DAYS) -> RuleProfile:
    """Count what the rule selects among the last ``days`` days of declarations."""
    parsed = check_rule({k: getattr(rule, k) for k in RULE_FIELDS})
    window = recent_window(days)
    if window is None:
        raise Refused(_("there are no declarations to try the rule on"))
    recent = data.unlabelled(Declaration.objects.filter(declaration_date__range=window))
    matched = parsed.evaluate(recent) if not recent.empty else None
    hits = int(matched.sum()) if matched is not None else 0
    sample = _sample(recent[matched]) if matched is not None and hits else []
    with transaction.atomic():
        RuleProfile.objects.filter(pk=rule.pk).update(
            dry_run_revision=rule.revision,
            dry_run_hits=hits,
            dry_run_rows=len(recent),
            dry_run_from=window[0],
            dry_run_to=window[1],
            dry_run_sample=sample,
        )
        rule.refresh_from_db()
        audit.record(
            "targeting.rule.dry_run",
            user,
            rule,
            {"hits": hits, "rows": len(recent), "from": str(window[0]), "to": str(window[1])},
        )
    return rule


def _sample(matched: pd.DataFrame, size: int = DRY_RUN_SAMPLE) -> list[dict[str, Any]]:
    """Up to ``size`` of the matched declarations, spread evenly over them by date (the
    first and the last included), for the analyst to open and judge."""
    ordered = matched.sort_values(["declaration_date", "id"])
    picked = ordered.iloc[np.unique(np.linspace(0, len(ordered) - 1, size).round().astype(int))]
    return [
        {
            "id": int(row["id"]),
            "number": str(row["number"]),
            "date": row["declaration_date"].date().isoformat(),
            "office": str(row["office_code"]),
            "importer": str(row["importer_code"]),
            "hs6": str(row["hs6"]),
            "origin": str(row["origin_country"]),
        }
        for _, row in picked.iterrows()
    ]


DEACTIVATE_REASON_MAX = 2_000  # characters


def set_active(rule: RuleProfile, user: User, active: bool, reason: str = "") -> RuleProfile:
    """Switch the rule on or off. Switching it off needs a reason, kept in the audit log: from
    the next decision on, declarations it would have matched go by their scores alone."""
    reason = reason.strip()
    if not active and not reason:
        raise Refused(_("say why the rule is switched off"), "reason")
    if len(reason) > DEACTIVATE_REASON_MAX:
        raise Refused(
            _("the reason is longer than %(n)s characters")
            % {"n": number_format(DEACTIVATE_REASON_MAX, force_grouping=True)},
            "reason",
        )
    with transaction.atomic():
        locked = RuleProfile.objects.select_for_update().get(pk=rule.pk)
        if active and locked.dry_run_revision != locked.revision:
            raise Refused(_("dry-run the rule on recent declarations before activating it"))
        if active:  # a rule saved before a check it now fails (rule limits) stays inactive
            check_rule({k: getattr(locked, k) for k in RULE_FIELDS})
        locked.is_active = active
        locked.save(update_fields=["is_active", "updated_at"])
        audit.record(
            "targeting.rule.activated" if active else "targeting.rule.deactivated",
            user,
            locked,
            {"revision": locked.revision, **({"reason": reason} if reason else {})},
        )
    return locked


POLICY_FIELDS = (
    "capacity", "documentary_capacity", "expected_daily", "min_random_rate",
    "exploration_share", "aeo_reduction", "partner_reduction", "red_threshold",
    "yellow_threshold", "blue_revenue",
)  # fmt: skip


def as_policy(record: SelectivityPolicy) -> Policy:
    return Policy(
        office=record.office_code,
        version=str(record.version),
        **{k: getattr(record, k) for k in POLICY_FIELDS},
    )


def save_policy(user: User, office: str, values: dict[str, Any]) -> SelectivityPolicy:
    """A new version of the office's policy, refused with the reason when it cannot work."""
    office = office.strip().upper()
    if not office:
        raise Refused(_("name the customs office"), "office_code")
    try:
        Policy(office=office, **{k: values[k] for k in POLICY_FIELDS}).validate()
    except PolicyError as exc:
        raise Refused(str(exc)) from None
    latest = SelectivityPolicy.objects.filter(office_code=office).aggregate(v=Max("version"))["v"]
    try:
        with transaction.atomic():
            record = SelectivityPolicy.objects.create(
                office_code=office,
                version=(latest or 0) + 1,
                created_by=user,
                **{k: values[k] for k in POLICY_FIELDS},
            )
            audit.record(
                "targeting.policy.saved",
                user,
                record,
                {"office": office, "version": record.version, **asdict(as_policy(record))},
            )
    except IntegrityError:  # someone saved a version of this office's policy meanwhile
        raise Refused(_("the policy was changed meanwhile: reload and try again")) from None
    return record


def policies_in_force() -> list[SelectivityPolicy]:
    newest: dict[str, SelectivityPolicy] = {}
    for record in SelectivityPolicy.objects.order_by("office_code", "-version"):
        newest.setdefault(record.office_code, record)
    return list(newest.values())


STATISTICS_DAYS = 90


def rule_statistics(
    rules: list[RuleProfile], days: int = STATISTICS_DAYS, today: date | None = None
) -> dict[str, dict[str, Any]]:
    """For each rule, over the decisions of the last ``days`` days: the declarations it
    matched, the channels they got, how many were inspected with a result on record, how many
    of those held an irregularity (the rule's hit rate) and the revenue recovered."""
    from django.db.models import CharField, Count, Q, Sum
    from django.db.models.functions import Cast

    from greenlane.apps.targeting.models import ChannelDecision

    since = (today or date.today()) - timedelta(days=days - 1)
    decisions = ChannelDecision.objects.filter(declaration_date__gte=since).annotate(
        matched_text=Cast("matched_rules", CharField())
    )
    out: dict[str, dict[str, Any]] = {}
    for rule in rules:
        # Rule names are slugs, so the quoted name cannot match inside another name.
        hit = decisions.filter(matched_text__contains=f'"{rule.name}"')
        channels = {r["channel"]: r["n"] for r in hit.values("channel").annotate(n=Count("id"))}
        results = Declaration.objects.filter(
            number__in=hit.values("number"), inspection__isnull=False
        ).aggregate(
            inspected=Count("id"),
            found=Count("id", filter=Q(inspection__fraud_found=True)),
            recovered=Sum("inspection__revenue_recovered"),
        )
        inspected = results["inspected"]
        out[rule.name] = {
            "days": days,
            "matched": sum(channels.values()),
            "channels": channels,
            "inspected": inspected,
            "found": results["found"],
            "hit_rate": results["found"] / inspected if inspected else None,
            "recovered": float(results["recovered"] or 0),
        }
    return out
