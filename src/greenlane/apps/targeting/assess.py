"""Real-time assessment: declarations in, channel, score and reasons out, each decision
stored with the versions of the policy, model and rules that made it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, Model, Q
from django.utils import timezone

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.certification import mra
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.operators.models import AeoAuthorisation
from greenlane.apps.targeting import data, selectivity, services
from greenlane.apps.targeting.models import ApiToken, ChannelDecision, ModelVersion, RuleProfile
from greenlane.core.risk import rulelang
from greenlane.core.risk.selectivity import ProfileRule, apply_rules, assign, certified_on

#: Reasons are written for declarations that leave the green channel (the top features);
#: a green one says why it is green only when a rule or the AEO benefit was involved.
REASONS_TOP = 3
NO_RULES: list[str] = []  # one object for every declaration no rule matched (converted once)


class Unassessable(Exception):
    """The declarations cannot be assessed; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, index: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.index, self.field = index, field


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
        raise Unassessable(
            f"the active rule {rule.name} cannot be used ({exc}): deactivate or change it"
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


def assess(
    declarations: list[dict[str, Any]], token: ApiToken | None = None, user: User | None = None
) -> list[dict[str, Any]]:
    """Channel, score, revenue at stake and reasons for each declaration (in input order),
    audited under the API key (its name and id, never the key) or the signed-in ``user``."""
    version = ModelVersion.objects.filter(is_active=True).first()
    if version is None:
        raise Unassessable("no active risk model: train and activate one first")
    policies = {p.office_code: p for p in selectivity.policies_in_force()}
    for i, d in enumerate(declarations):
        if d["office_code"] not in policies:
            raise Unassessable(
                f"office {d['office_code']} has no selectivity policy", i, "office_code"
            )
    model = services.load(version)
    frame = pd.DataFrame(declarations)
    frame["declaration_date"] = pd.to_datetime(frame["declaration_date"])
    for name in data.NUMBERS:  # absent numbers arrive as None: make them NaN, typed
        frame[name] = pd.to_numeric(frame.get(name), errors="coerce").astype(float)
    frame["attributes"] = [{}] * len(frame)
    probability = model.predict_proba(frame)[:, 1]
    revenue = probability * model.revenue_.predict(frame)  # as model.revenue_at_stake, once
    rules, rule_versions = _rules()
    dates = [d["declaration_date"] for d in declarations]
    held = certified_on(
        frame["importer_code"].tolist(), dates, _certificates(set(frame["importer_code"]))
    )
    sellers = frame["seller_code"].fillna("").astype(str).str.strip().tolist()
    partner = certified_on(sellers, dates, mra.partner_periods(set(sellers)))
    results: list[dict[str, Any] | None] = [None] * len(declarations)
    rows: list[dict[str, Any]] = []
    groups = frame.groupby(["office_code", frame["declaration_date"].dt.date], sort=False).indices
    with transaction.atomic():
        for (office, day), positions in groups.items():
            record = policies[office]
            policy = selectivity.as_policy(record)
            used = ChannelDecision.objects.select_for_update().filter(
                office_code=office, declaration_date=day
            )
            counts = used.aggregate(
                red=Count("id", filter=Q(channel="red")),
                yellow=Count("id", filter=Q(channel="yellow")),
            )
            part = frame.iloc[positions]
            matched = apply_rules(rules, part, day)
            sampled = np.array(
                [_chance(n, record.version, policy.min_random_rate) for n in part["number"]]
            )
            decision = assign(
                policy, probability[positions], revenue[positions], held[positions],
                matched.forced, matched.why, matched.shift, np.random.default_rng(0),
                used_red=counts["red"], used_yellow=counts["yellow"], sampled=sampled,
                partner_valid=partner[positions],
            )  # fmt: skip
            flagged = [j for j, c in enumerate(decision.channel) if c != "green"]
            explained = model.reasons(part.iloc[flagged], top=REASONS_TOP) if flagged else []
            model_reasons = dict(zip(flagged, explained, strict=True))
            randomly = decision.random if decision.random is not None else np.zeros(len(part), bool)
            explored = (
                decision.explored if decision.explored is not None else np.zeros(len(part), bool)
            )
            for j, i in enumerate(positions.tolist()):
                words = [r.text for r in model_reasons.get(j, [])] + decision.reasons[j]
                results[i] = {
                    "number": declarations[i]["number"],
                    "channel": decision.channel[j],
                    "probability": float(probability[i]),
                    "score": float(decision.score[j]),
                    "revenue_at_stake": float(revenue[i]),
                    "reasons": words,
                    "aeo_benefit": bool(held[i]),
                    "partner_aeo_benefit": bool(partner[i]),
                    "random": bool(randomly[j]),
                }
                rows.append(
                    {
                        "number": declarations[i]["number"], "office_code": office,
                        "declaration_date": day, "importer_code": declarations[i]["importer_code"],
                        "channel": decision.channel[j], "probability": float(probability[i]),
                        "score": float(decision.score[j]), "revenue_at_stake": float(revenue[i]),
                        "reasons": words, "random": bool(randomly[j]),
                        "explored": bool(explored[j]), "aeo": bool(held[i]),
                        "policy_id": record.pk, "model_version_id": version.pk,
                        "rules": rule_versions, "matched_rules": matched.matched[j] or NO_RULES,
                        "token_id": token.pk if token else None,
                    }
                )  # fmt: skip
        _store(rows)
        _keep_selected(
            [d for d, r in zip(declarations, results, strict=True) if r and r["channel"] != "green"]
        )
        audit.record(
            "targeting.assessed",
            user,
            ("targeting.batch", f"{timezone.now().isoformat()}"),
            {
                "declarations": len(rows),
                # Not "token" or "api_key": the audit log masks keys so named.
                "key_name": token.name if token else None,
                "key_id": token.pk if token else None,
                "channels": {
                    c: sum(r["channel"] == c for r in rows)
                    for c in ("red", "yellow", "blue", "green")
                },
                "model": version.version,
            },
        )
    return [r for r in results if r is not None]


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
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not the per-call proxy
    # A batch repeats its values (one date, one time, the same rule list): each distinct
    # value is converted once. Unhashable values (JSON lists) are told apart by identity,
    # which holds while ``rows`` is alive.
    memo: dict[tuple[int, Any], Any] = {}

    def prep(i: int, value: Any) -> Any:
        try:
            key = (i, value)
            hash(key)
        except TypeError:
            key = (i, ("id", id(value)))
        if key not in memo:
            memo[key] = fields[i].get_db_prep_save(value, db)
        return memo[key]

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


def _store(rows: list[dict[str, Any]]) -> None:
    """The decisions, stamped with the time they were made."""
    if not rows:
        return
    now = timezone.now()
    _insert(
        ChannelDecision,
        [*rows[0], "decided_at"],
        ({**row, "decided_at": now} for row in rows),
        converted=("declaration_date", "reasons", "rules", "matched_rules", "decided_at"),
    )


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
        row = {**d, "attributes": {"source": "assess API"}}
        for text in ("transport_mode", "declarant_code", "seller_code", "dispatch_country"):
            row[text] = row.get(text) or ""
        rows.append({name: row.get(name) for name in DECLARATION_COLUMNS})
    _insert(Declaration, DECLARATION_COLUMNS, rows, DECLARATION_COLUMNS, unique="number")
