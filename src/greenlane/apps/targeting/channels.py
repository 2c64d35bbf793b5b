"""Channel decisions in real time: declarations in; a channel, score, revenue at stake and
reasons out for each, stored with the versions of the policy, model and rules that made it.

The path is load (what is in force) → score (the active model) → decide per office-day
(``core.risk.selectivity``, against what the day has already used) → store (decisions,
the selected declarations, one audit event under the key or the person). One record,
``ChannelOutcome``, is both the answer and the stored decision."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, Field, Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.certification import mra
from greenlane.apps.declarations.ingest import declaration_ids
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.operators.models import AeoAuthorisation
from greenlane.apps.targeting import data, scoring, selectivity, services
from greenlane.apps.targeting.models import (
    ApiToken,
    ChannelDecision,
    ModelVersion,
    RuleProfile,
    SelectivityPolicy,
)
from greenlane.apps.wording import all_translated, translated
from greenlane.core import errors
from greenlane.core.risk import rulelang
from greenlane.core.risk.model import RiskModel
from greenlane.core.risk.selectivity import (
    Day,
    ProfileRule,
    Used,
    apply_rules,
    assign,
    certified_on,
)
from greenlane.core.words import Words

#: Reasons are written for declarations that leave the green channel (the top features);
#: a green one says why it is green only when a rule or the AEO benefit was involved.
REASONS_TOP = 3
NO_RULES: list[str] = []  # one object for every declaration no rule matched (converted once)


class Undecidable(errors.NotAllowed):
    """No channel can be decided for the batch: nothing in force to decide with (409), or
    ``field`` of the declaration at ``index`` is at fault (the API answers 422 there)."""

    def __init__(self, message: str, index: int | None = None, field: str | None = None) -> None:
        super().__init__(message, field)
        self.index = index


def _chance(number: str, policy_version: int, rate: float) -> bool:
    """The random draw of one declaration: reproducible from the server's secret (for audit)
    and unpredictable without it (a trader cannot time a declaration to escape it)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{policy_version}:{number}".encode(), hashlib.sha256
    ).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _condition(rule: RuleProfile) -> rulelang.Rule:
    """An active rule saved before the present limits is refused by name, not a 500: the
    analyst deactivates or changes it (dropping it silently would change the channels)."""
    try:
        return rulelang.parse(rule.expression)
    except rulelang.RuleError as exc:
        raise Undecidable(
            _("the active rule %(rule)s cannot be used (%(why)s): deactivate or change it")
            % {"rule": rule.name, "why": translated(exc.words)}
        ) from None


def _rules() -> tuple[list[ProfileRule], list[list[Any]]]:
    active = list(RuleProfile.objects.filter(is_active=True).order_by("name"))
    rules = [
        ProfileRule(
            id=r.name,
            condition=_condition(r),
            reason=r.reason,
            force=r.channel or None,  # type: ignore[arg-type]
            shift=r.shift if r.action == RuleProfile.Action.SHIFT else 0.0,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in active
    ]
    return rules, [[r.name, r.revision] for r in active]


def _certificates(codes: set[str]) -> dict[str, list[tuple[date, date | None]]]:
    periods: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for code, start, end in AeoAuthorisation.objects.filter(
        operator__code__in=codes, programme=settings.PROGRAMME
    ).values_list("operator__code", "valid_from", "valid_to"):
        periods[code].append((start, end))
    return periods


@dataclass(slots=True)
class ChannelOutcome:
    """One declaration's channel decision: what the caller is answered and what is stored."""

    number: str
    office_code: str
    declaration_date: date
    importer_code: str
    channel: str
    probability: float
    score: float  # after the AEO benefit and the score rules
    revenue_at_stake: float
    reasons: list[Words]
    aeo_benefit: bool
    partner_aeo_benefit: bool
    random: bool
    explored: bool
    matched_rules: list[str]
    policy_id: int

    def answer(self) -> dict[str, Any]:
        """What a customs system is told (the API's ``ChannelOut``), in the active language."""
        return {
            "number": self.number, "channel": self.channel, "probability": self.probability,
            "score": self.score, "revenue_at_stake": self.revenue_at_stake,
            "reasons": all_translated(self.reasons), "aeo_benefit": self.aeo_benefit,
            "partner_aeo_benefit": self.partner_aeo_benefit, "random": self.random,
        }  # fmt: skip


@dataclass(frozen=True)
class _InForce:
    """What decides today: the active model, the offices' policies and the active rules."""

    version: ModelVersion
    model: RiskModel
    policies: dict[str, SelectivityPolicy]
    rules: list[ProfileRule]
    rule_versions: list[list[Any]]


@dataclass(frozen=True)
class _Scores:
    """The model's view of every declaration of the batch, and the AEO status of its parties."""

    probability: npt.NDArray[np.float64]
    revenue: npt.NDArray[np.float64]
    aeo: npt.NDArray[np.bool_]
    partner: npt.NDArray[np.bool_]


def decide(
    declarations: list[dict[str, Any]], token: ApiToken | None = None, user: User | None = None
) -> list[ChannelOutcome]:
    """Channel, score, revenue at stake and reasons for each declaration (in input order),
    audited under the API key (its name, never the key) or the signed-in ``user``."""
    in_force = _load(declarations)
    frame = _frame(declarations)
    scores = _score(in_force.model, frame)
    outcomes: list[ChannelOutcome | None] = [None] * len(declarations)
    groups = frame.groupby(["office_code", frame["declaration_date"].dt.date], sort=False).indices
    with transaction.atomic():
        for (office, day), positions in groups.items():
            part = frame.iloc[positions]
            decided = _decide_office_day(in_force, office, day, part, scores, positions)
            for i, outcome in zip(positions.tolist(), decided, strict=True):
                outcomes[i] = outcome
        done = [o for o in outcomes if o is not None]
        _store(done, in_force, token)
        selected = [(d, o) for d, o in zip(declarations, done, strict=True) if o.channel != "green"]
        _keep_selected([d for d, _ in selected])
        _score_selected([o for _, o in selected], in_force.version)
        _audit(done, in_force.version, token, user)
    return done


def _load(declarations: list[dict[str, Any]]) -> _InForce:
    """The model, policies and rules in force; every declaration's office must have a policy."""
    version = ModelVersion.objects.filter(is_active=True).first()
    if version is None:
        raise Undecidable(_("no active risk model: train and activate one first"))
    policies = {p.office_code: p for p in selectivity.policies_in_force()}
    for i, d in enumerate(declarations):
        if d["office_code"] not in policies:
            raise Undecidable(
                _("office %(office)s has no selectivity policy") % {"office": d["office_code"]},
                i,
                "office_code",
            )
    rules, rule_versions = _rules()
    return _InForce(version, services.load(version), policies, rules, rule_versions)


def _frame(declarations: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(declarations)
    frame["declaration_date"] = pd.to_datetime(frame["declaration_date"])
    for name in data.NUMBERS:  # absent numbers arrive as None: make them NaN, typed
        frame[name] = pd.to_numeric(frame.get(name), errors="coerce").astype(float)
    frame["attributes"] = [{}] * len(frame)
    return frame


def _score(model: RiskModel, frame: pd.DataFrame) -> _Scores:
    """The model's probability and revenue at stake, and which importers held a certificate
    and which sellers were partner AEOs on each declaration's date."""
    probability = model.predict_proba(frame)[:, 1]
    revenue = probability * model.revenue_.predict(frame)  # as model.revenue_at_stake, once
    dates = frame["declaration_date"].dt.date.tolist()
    importers = frame["importer_code"].tolist()
    held = certified_on(importers, dates, _certificates(set(importers)))
    sellers = frame["seller_code"].fillna("").astype(str).str.strip().tolist()
    partner = certified_on(sellers, dates, mra.partner_periods(set(sellers)))
    return _Scores(probability, revenue, held, partner)


def _decide_office_day(
    in_force: _InForce,
    office: str,
    day: date,
    part: pd.DataFrame,
    scores: _Scores,
    positions: npt.NDArray[np.intp],
) -> list[ChannelOutcome]:
    """One office-day's channels, against the capacity its earlier decisions used (locked
    until the batch commits, so two batches cannot both take the last examination)."""
    record = in_force.policies[office]
    policy = selectivity.as_policy(record)
    matched = apply_rules(in_force.rules, part, day)
    sampled = np.array([_chance(n, record.version, policy.min_random_rate) for n in part["number"]])
    decision = assign(
        policy,
        Day(scores.probability[positions], scores.revenue[positions], scores.aeo[positions],
            matched.forced, matched.why, matched.shift, scores.partner[positions]),
        _used(office, day, sampled),
    )  # fmt: skip
    reasons = _model_reasons(in_force.model, part, decision.channel)
    numbers, importers = part["number"].tolist(), part["importer_code"].tolist()
    return [
        ChannelOutcome(
            number=numbers[j], office_code=office, declaration_date=day,
            importer_code=importers[j], channel=decision.channel[j],
            probability=float(scores.probability[i]), score=float(decision.score[j]),
            revenue_at_stake=float(scores.revenue[i]),
            reasons=decision.reasons[j] + reasons.get(j, []), aeo_benefit=bool(scores.aeo[i]),
            partner_aeo_benefit=bool(scores.partner[i]), random=bool(decision.random[j]),
            explored=bool(decision.explored[j]), matched_rules=matched.matched[j] or NO_RULES,
            policy_id=record.pk,
        )
        for j, i in enumerate(positions.tolist())
    ]  # fmt: skip


def _used(office: str, day: date, sampled: npt.NDArray[np.bool_]) -> Used:
    """What the office-day's earlier decisions used, with their rows locked."""
    counts = (
        ChannelDecision.objects.select_for_update()
        .filter(office_code=office, declaration_date=day)
        .aggregate(
            red=Count("id", filter=Q(channel="red")),
            yellow=Count("id", filter=Q(channel="yellow")),
        )
    )
    return Used(red=counts["red"], yellow=counts["yellow"], sampled=sampled)


def _model_reasons(
    model: RiskModel, part: pd.DataFrame, channel: list[str]
) -> dict[int, list[Words]]:
    """The model's top reasons, for the declarations that leave the green channel."""
    flagged = [j for j, c in enumerate(channel) if c != "green"]
    if not flagged:
        return {}
    explained = model.reasons(part.iloc[flagged], top=REASONS_TOP)
    return {j: [r.text for r in why] for j, why in zip(flagged, explained, strict=True)}


def _audit(
    outcomes: list[ChannelOutcome], version: ModelVersion, token: ApiToken | None, user: User | None
) -> None:
    """One event for the batch, whose actor is the key (a customs system) or the person."""
    audit.record(
        "targeting.channels.decided",
        token if token is not None else user,
        ("targeting.batch", f"{timezone.now().isoformat()}"),
        {
            "declarations": len(outcomes),
            # Not "token" or "api_key": the audit log masks keys so named.
            "key_name": token.name if token else None,
            "key_id": token.pk if token else None,
            "channels": {
                c: sum(o.channel == c for o in outcomes) for c in ("red", "yellow", "blue", "green")
            },
            "model": version.version,
        },
    )


class _Converted:
    """Field values as the database takes them. A batch repeats its values (one date, one
    time, the same rule list): each distinct value is converted once. Unhashable values (JSON
    lists) are told apart by identity, which holds while the batch's rows are alive."""

    def __init__(self, fields: Sequence[Field[Any, Any]]) -> None:
        self.fields = fields
        self.db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the per-call proxy
        self.memo: dict[tuple[int, Any], Any] = {}

    def __call__(self, i: int, value: Any) -> Any:
        try:
            key = (i, value)
            hash(key)
        except TypeError:
            key = (i, ("id", id(value)))
        if key not in self.memo:
            self.memo[key] = self.fields[i].get_db_prep_save(value, self.db)
        return self.memo[key]


def _insert(
    model: type[Model],
    names: Sequence[str],
    rows: Iterable[dict[str, Any]],
    converted: Collection[str],
    unique: str | None = None,
) -> None:
    """Insert ``rows`` with one prepared statement (the ORM's bulk_create spent most of a
    10,000-declaration batch building model instances). The ``converted`` columns (dates,
    times, decimals, JSON) go through their fields' own conversion, so SQLite and PostgreSQL
    store what the ORM would; a row whose ``unique`` value is on record is skipped."""
    fields = [model._meta.get_field(name) for name in names]
    prep = _Converted(fields)  # type: ignore[arg-type]
    wanted = [name in converted for name in names]
    values = [
        [prep(i, row[name]) if wanted[i] else row[name] for i, name in enumerate(names)]
        for row in rows
    ]
    if not values:
        return
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
        + (f" ON CONFLICT ({quote(unique)}) DO NOTHING" if unique else "")
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


STORED = (
    "number", "office_code", "declaration_date", "importer_code", "channel", "probability",
    "score", "revenue_at_stake", "reasons", "random", "explored", "aeo", "policy_id",
    "model_version_id", "rules", "matched_rules", "token_id", "decided_at",
)  # fmt: skip


def _store(outcomes: list[ChannelOutcome], in_force: _InForce, token: ApiToken | None) -> None:
    """The decisions, with the model, rules and key that made them and the time."""
    now, model_id, token_id = timezone.now(), in_force.version.pk, token.pk if token else None
    rows = (
        {
            "number": o.number, "office_code": o.office_code,
            "declaration_date": o.declaration_date, "importer_code": o.importer_code,
            "channel": o.channel, "probability": o.probability, "score": o.score,
            "revenue_at_stake": o.revenue_at_stake,
            "reasons": [r.as_json() for r in o.reasons], "random": o.random,
            "explored": o.explored, "aeo": o.aeo_benefit, "policy_id": o.policy_id,
            "model_version_id": model_id, "rules": in_force.rule_versions,
            "matched_rules": o.matched_rules, "token_id": token_id, "decided_at": now,
        }
        for o in outcomes
    )  # fmt: skip
    converted = ("declaration_date", "reasons", "rules", "matched_rules", "decided_at")
    _insert(ChannelDecision, STORED, rows, converted)


DECLARATION_COLUMNS = (
    "number", "declaration_date", "office_code", "transport_mode", "declarant_code",
    "importer_code", "seller_code", "hs6", "origin_country", "dispatch_country", "quantity",
    "net_mass_kg", "customs_value", "tax_rate", "duty_amount", "attributes",
)  # fmt: skip


def _keep_selected(declarations: list[dict[str, Any]]) -> None:
    """Keep the declarations sent to a check (not the green ones), so that officers find
    them in their queue and their results become labels; a number already on record (an
    ingested file, an earlier call) is left as it is."""
    rows = []
    for d in declarations:
        row = {**d, "attributes": {"source": "channel-decision API"}}
        for text in ("transport_mode", "declarant_code", "seller_code", "dispatch_country"):
            row[text] = row.get(text) or ""
        rows.append({name: row.get(name) for name in DECLARATION_COLUMNS})
    _insert(Declaration, DECLARATION_COLUMNS, rows, DECLARATION_COLUMNS, unique="number")


def _score_selected(outcomes: list[ChannelOutcome], version: ModelVersion) -> None:
    """The score behind each kept declaration's channel, as the active model's score of it,
    so that its page and the queue say the same (reasons follow when its page is opened); a
    declaration already scored by that version keeps its score."""
    ids = _ids([o.number for o in outcomes])
    kept = [o for o in outcomes if o.number in ids]
    scoring.store(
        version,
        [ids[o.number] for o in kept],
        [o.probability for o in kept],
        [o.revenue_at_stake for o in kept],
        [o.declaration_date for o in kept],
    )


def _ids(numbers: list[str]) -> dict[str, int]:
    """The ids of the declarations kept by the real-time path (not a file's), by number."""
    return declaration_ids(numbers, among=Declaration.objects.filter(batch__isnull=True))
