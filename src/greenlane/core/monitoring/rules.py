"""Alert rules as dated data, and their evaluation on indicator rows.

An alert has a **cause**: the evidence that raised it (the newest detection counted, the
inspection with the critical finding, the certificate and its overdue review). The same rule
and cause never raise a second alert, however often monitoring runs.

An alert's title and summary are :class:`~greenlane.core.words.Words`, stored as data and
translated when a person reads them (``docs/i18n.md``, "Stored words").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.stats import binom

from greenlane.core.words import Figure, Words, _, ngettext


class RulesError(ValueError):
    """The rules file is not valid."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    severity: Literal["low", "medium", "high"]


class DetectionAbovePeers(_Rule):
    kind: Literal["detection_above_peers"]
    window_days: int = Field(gt=0)
    min_inspections: int = Field(ge=1)
    alpha: float = Field(gt=0, lt=1)
    min_ratio: float = Field(ge=1)
    min_peer_inspections: int = Field(ge=0)


class CriticalFinding(_Rule):
    kind: Literal["critical_finding"]
    window_days: int = Field(gt=0)


class ExpiryOverdueReview(_Rule):
    kind: Literal["expiry_overdue_review"]
    days_to_expiry: int = Field(gt=0)


Rule = Annotated[
    DetectionAbovePeers | CriticalFinding | ExpiryOverdueReview, Field(discriminator="kind")
]


class Version(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    valid_from: date
    note: str = ""
    rules: list[Rule]


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    versions: list[Version]

    def on(self, day: date) -> Version:
        """The version in force on ``day``."""
        candidates = [v for v in self.versions if v.valid_from <= day]
        if not candidates:
            raise RulesError(f"no alert rules in force on {day.isoformat()}")
        return max(candidates, key=lambda v: v.valid_from)


def parse(text: str, source: str = "rules") -> RuleSet:
    try:
        data = yaml.safe_load(text)
        rules = RuleSet.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise RulesError(f"{source}: {exc}") from None
    for version in rules.versions:
        ids = [r.id for r in version.rules]
        if len(ids) != len(set(ids)):
            raise RulesError(f"{source}: a rule id repeats in the version of {version.valid_from}")
    return rules


def shipped(path: Path | None = None) -> RuleSet:
    if path is not None:
        return parse(path.read_text(encoding="utf-8"), path.name)
    text = resources.files("greenlane").joinpath("monitoring/rules.yaml").read_text("utf-8")
    return parse(text, "monitoring/rules.yaml")


#: The titles of the shipped rules (``monitoring/rules.yaml``), written here as messages so
#: that ``make messages`` collects them: an alert's title is the rule's, translated when it is
#: read. A title that a later version of the rules brings is shown in English until it is
#: written here too and translated.
SHIPPED_TITLES = (
    _("Detection rate significantly above peers"),
    _("Critical finding at an inspection"),
    _("Certificate near expiry with an overdue self-review"),
)


def title_of(rule: _Rule) -> Words:
    """The rule's title as words, translated when an alert's reader reads it."""
    return Words(rule.title)


@dataclass(frozen=True)
class Candidate:
    """An alert the rules raise; whether it is new is the caller's to decide (by cause).
    ``title`` is the rule's; ``summary`` says in one sentence what raised it."""

    operator: str
    rule: str
    cause: str
    severity: str
    title: Words
    details: dict[str, Any]
    summary: Words | None = None


def notice_title(severity: str, operator: str, title: Words | str) -> Words:
    """The title of the notice that tells of a new alert (``operator``: its name and code;
    ``title``: the alert's), a whole sentence per severity."""
    if severity == "high":
        return _("High-severity alert on %(operator)s: %(title)s", operator=operator, title=title)
    if severity == "medium":
        return _("Medium-severity alert on %(operator)s: %(title)s", operator=operator, title=title)
    return _("Low-severity alert on %(operator)s: %(title)s", operator=operator, title=title)


def detection_p_value(detections: int, inspections: int, rate: float) -> float:
    """P(at least ``detections`` of ``inspections``) if the true rate were ``rate``."""
    if detections <= 0:
        return 1.0
    return float(binom.sf(detections - 1, inspections, rate))


def detection_alert(
    rule: DetectionAbovePeers, row: dict[str, Any], overall_rate: float | None
) -> Candidate | None:
    inspections, detections = row["inspections"], row["detections"]
    if inspections < rule.min_inspections or not detections:
        return None
    peer = row["peer_detection_rate"]
    use_peers = peer is not None and row["peer_inspections"] >= rule.min_peer_inspections
    reference = peer if use_peers else overall_rate
    if reference is None:
        return None
    rate = detections / inspections
    p = detection_p_value(detections, inspections, reference)
    # At the threshold counts as reaching it (a tolerance for 1.5 x 0.1 != 0.15 in binary).
    if p > rule.alpha or rate < rule.min_ratio * reference - 1e-12:
        return None
    return Candidate(
        operator=row["code"],
        rule=rule.id,
        # The newest detection counted: further clean inspections add nothing new; a new
        # detection that keeps the rate too high is a new cause.
        cause=f"last-detection:{row['last_detection']}",
        severity=rule.severity,
        title=title_of(rule),
        summary=_detection_summary(
            rule.window_days, detections, inspections, rate, reference, use_peers
        ),
        details={
            "window_days": rule.window_days,
            "detections": detections,
            "inspections": inspections,
            "rate": rate,
            "reference_rate": reference,
            "reference": "peers" if use_peers else "all operators",
            "peers": row["peers"],
            "p_value": p,
            "alpha": rule.alpha,
        },
    )


def _detection_summary(
    days: int, detections: int, inspections: int, rate: float, reference: float, peers: bool
) -> Words:
    values = {
        "inspections": inspections,
        "days": days,
        "rate": Figure(rate, 1, percent=True),
        "reference": Figure(reference, 1, percent=True),
    }
    if peers:
        return ngettext(
            "%(count)s detection in %(inspections)s inspections over the last %(days)s days "
            "(%(rate)s), against %(reference)s for its peers.",
            "%(count)s detections in %(inspections)s inspections over the last %(days)s days "
            "(%(rate)s), against %(reference)s for its peers.",
            detections,
            **values,
        )
    return ngettext(
        "%(count)s detection in %(inspections)s inspections over the last %(days)s days "
        "(%(rate)s), against %(reference)s for all operators.",
        "%(count)s detections in %(inspections)s inspections over the last %(days)s days "
        "(%(rate)s), against %(reference)s for all operators.",
        detections,
        **values,
    )


def critical_alerts(rule: CriticalFinding, findings: list[dict[str, Any]]) -> list[Candidate]:
    """One alert per critical finding (``findings``: operator, declaration id, number, date)."""
    return [
        Candidate(
            operator=f["operator"],
            rule=rule.id,
            cause=f"inspection:{f['declaration_id']}",
            severity=rule.severity,
            title=title_of(rule),
            summary=_(
                "A critical finding at the inspection of declaration %(declaration)s of %(date)s.",
                declaration=str(f["number"]),
                date=str(f["date"]),
            ),
            details={"declaration": f["number"], "date": str(f["date"])},
        )
        for f in findings
    ]


def expiry_alerts(
    rule: ExpiryOverdueReview, certificates: list[dict[str, Any]], as_of: date
) -> list[Candidate]:
    """Certificates ending within ``days_to_expiry`` days while a self-review is overdue
    (``certificates``: operator, number, valid_to, overdue_since or None)."""
    out = []
    for c in certificates:
        left = (c["valid_to"] - as_of).days
        if c["overdue_since"] is None or not 0 <= left <= rule.days_to_expiry:
            continue
        out.append(
            Candidate(
                operator=c["operator"],
                rule=rule.id,
                cause=f"certificate:{c['number']}:review-due:{c['overdue_since']}",
                severity=rule.severity,
                title=title_of(rule),
                summary=ngettext(
                    "Certificate %(certificate)s ends on %(valid_to)s, in %(count)s day, and "
                    "its self-review was due on %(review_due)s.",
                    "Certificate %(certificate)s ends on %(valid_to)s, in %(count)s days, and "
                    "its self-review was due on %(review_due)s.",
                    left,
                    certificate=str(c["number"]),
                    valid_to=str(c["valid_to"]),
                    review_due=str(c["overdue_since"]),
                ),
                details={
                    "certificate": c["number"],
                    "valid_to": str(c["valid_to"]),
                    "days_left": left,
                    "review_due": str(c["overdue_since"]),
                },
            )
        )
    return out
