"""Mutual recognition: MRAs, partner AEO lists, and "is this a recognised AEO on date D"."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import AEO_ROLES, Role
from greenlane.apps.audit import services as audit
from greenlane.apps.certification.models import MutualRecognition, PartnerAeo, PartnerImport
from greenlane.apps.certification.services import Refused
from greenlane.apps.operators.models import AeoAuthorisation, Operator, valid_on
from greenlane.core.certification import partner_list
from greenlane.core.criteria.loader import shipped

#: What an MRA may grant partner AEOs at import (words from TFA 7.7.3 and MRA practice).
BENEFITS = {
    "reduced_inspection": "Fewer physical and documentary inspections",
    "risk_score_reduction": "AEO status taken into account in risk scoring",
    "priority_inspection": "Priority when selected for inspection",
    "faster_release": "Faster release",
    "reduced_data": "Reduced data requirements",
}
MANAGE_ROLES = frozenset({Role.DECISION_OFFICER, Role.ADMINISTRATOR})
#: Who reads MRAs and looks up recognised AEOs: AEO staff, and risk analysts (MRA benefits).
VIEW_ROLES = frozenset(AEO_ROLES | {Role.RISK_ANALYST})
MAX_LIST_MB = 50
MAX_URL = 200  # the column's length


def _partner_tiers(programme: str) -> frozenset[str] | None:
    found = shipped().programmes.get(programme)
    if found is None:
        return None
    return frozenset(t.id for v in found.versions for t in v.tiers)


def create_mra(user: User, data: dict[str, Any]) -> MutualRecognition:
    if user.role not in MANAGE_ROLES:
        raise Refused("MRAs are recorded by decision officers and administrators")
    partner = str(data.get("partner_programme") or "").strip()
    if not partner or partner == settings.PROGRAMME:
        raise Refused("name the partner's programme (not our own)", "partner_programme")
    authority = str(data.get("partner_authority") or "").strip()
    if not authority:
        raise Refused("name the partner administration", "partner_authority")
    start, end = data.get("effective_from"), data.get("effective_to")
    if not isinstance(start, date):
        raise Refused("the date the MRA takes effect is needed", "effective_from")
    if end is not None and end < start:
        raise Refused("the end is before the start", "effective_to")
    benefits = [b for b in data.get("benefits") or [] if b]
    unknown = [b for b in benefits if b not in BENEFITS]
    if not benefits or unknown:
        raise Refused(f"choose the benefits from: {', '.join(BENEFITS)}", "benefits")
    tiers = [t for t in data.get("partner_tiers") or [] if t]
    known = _partner_tiers(partner)
    if known is not None and any(t not in known for t in tiers):
        raise Refused(f"{partner} has the tiers {', '.join(sorted(known))}", "partner_tiers")
    reference_url = web_address(data.get("reference_url"))
    with transaction.atomic():
        overlap = MutualRecognition.objects.filter(partner_programme=partner).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=start)
        )
        if end is not None:
            overlap = overlap.filter(effective_from__lte=end)
        if overlap.exists():
            raise Refused("an MRA with this programme already covers part of that period",
                          "effective_from")  # fmt: skip
        mra = MutualRecognition.objects.create(
            partner_programme=partner, partner_authority=authority, partner_tiers=tiers,
            signed_on=data.get("signed_on"), effective_from=start, effective_to=end,
            benefits=benefits, reference_url=reference_url,
            created_by=user,
        )  # fmt: skip
        audit.record(
            "certification.mra.created", user, mra,
            {"partner": partner, "from": start.isoformat(), "benefits": benefits},
        )  # fmt: skip
    return mra


def web_address(raw: object) -> str:
    """An http(s) address to show as a link, or "" when none is given; anything else is
    refused: a ``javascript:`` or ``data:`` address stored here was rendered as a link that
    ran script when followed (issue 16)."""
    url = str(raw or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL:
        raise Refused(f"the source address is at most {MAX_URL} characters", "reference_url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise Refused(
            "the source must be a web address starting http:// or https://", "reference_url"
        ) from None
    return url


def import_list(mra: MutualRecognition, user: User, name: str, content: bytes) -> PartnerImport:
    """A partner's AEO list: valid rows stored in one transaction, others reported per row."""
    if user.role not in MANAGE_ROLES:
        raise Refused("partner lists are imported by decision officers and administrators")
    if len(content) > MAX_LIST_MB * 1024 * 1024:
        raise Refused(f"{name} is larger than {MAX_LIST_MB} MB", "file")
    digest = hashlib.sha256(content).hexdigest()
    if mra.imports.filter(sha256=digest).exists():
        raise Refused(f"{name}: this very file was imported before", "file")
    try:
        parsed = partner_list.parse(content, _partner_tiers(mra.partner_programme))
    except partner_list.ListError as exc:
        raise Refused(f"{name}: {exc}", "file") from None
    with transaction.atomic():
        batch = PartnerImport.objects.create(
            mra=mra, file_name=name[:255], sha256=digest, rows_read=parsed.read,
            rows_accepted=len(parsed.accepted), rows_rejected=len(parsed.rejected),
            rejected=parsed.rejected[:10_000], imported_by=user,
        )  # fmt: skip
        # The newest list replaces the partner's earlier entries: a list is the full register.
        PartnerAeo.objects.filter(mra=mra).delete()
        PartnerAeo.objects.bulk_create(
            (
                PartnerAeo(
                    mra=mra,
                    source=batch,
                    partner_id=r.partner_id,
                    national_id=r.national_id,
                    name=r.name,
                    country=r.country,
                    tier=r.tier,
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                )
                for r in parsed.accepted
            ),
            batch_size=5000,
        )
        audit.record(
            "certification.mra.list_imported", user, mra,
            {"file": name, "sha256": digest, "accepted": len(parsed.accepted),
             "rejected": len(parsed.rejected)},
        )  # fmt: skip
    return batch


@dataclass(frozen=True)
class Recognition:
    programme: str
    tier: str
    holder: str
    basis: str  # "domestic certificate" or "MRA with <authority>"
    benefits: tuple[str, ...]
    valid_from: date
    valid_to: date | None


def status(identifier: str, on: date) -> list[Recognition]:
    """Is the operator with this identifier (our code, EORI, national id, or the partner's id)
    a recognised AEO on ``on``: under which programme, with which benefits."""
    identifier = identifier.strip()
    if not identifier:
        return []
    out: list[Recognition] = []
    mras = [m for m in MutualRecognition.objects.all() if m.in_force(on)]
    by_programme = {m.partner_programme: m for m in mras}
    operators = Operator.objects.filter(
        Q(code=identifier) | Q(eori=identifier) | Q(national_id=identifier)
    )
    held = AeoAuthorisation.objects.filter(valid_on(on), operator__in=operators).select_related(
        "operator"
    )
    for a in held:
        if a.programme == settings.PROGRAMME:
            basis, benefits = "domestic certificate", ("domestic AEO benefits",)
            out.append(
                Recognition(
                    a.programme, a.tier, a.operator.name, basis, benefits, a.valid_from, a.valid_to
                )
            )
        elif a.programme in by_programme and _tier_ok(by_programme[a.programme], a.tier):
            m = by_programme[a.programme]
            out.append(_partner(m, a.tier, a.operator.name, a.valid_from, a.valid_to))
    partner_rows = (
        PartnerAeo.objects.filter(
            Q(partner_id=identifier) | Q(national_id=identifier), mra__in=mras, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("mra")
    )
    for p in partner_rows:
        if _tier_ok(p.mra, p.tier):
            out.append(_partner(p.mra, p.tier, p.name, p.valid_from, p.valid_to))
    return out


def _tier_ok(mra: MutualRecognition, tier: str) -> bool:
    return not mra.partner_tiers or tier in mra.partner_tiers


def _partner(
    m: MutualRecognition, tier: str, holder: str, start: date, end: date | None
) -> Recognition:
    return Recognition(
        m.partner_programme, tier, holder, f"MRA with {m.partner_authority}",
        tuple(BENEFITS[b] for b in m.benefits), start, end,
    )  # fmt: skip


#: The MRA benefits that lighten selectivity for a partner AEO's goods.
RISK_BENEFITS = frozenset({"reduced_inspection", "risk_score_reduction"})


def partner_periods(identifiers: set[str]) -> dict[str, list[tuple[date, date | None]]]:
    """For each identifier (our operator code, EORI or national id, or the partner's id) that
    names a partner programme's AEO: the periods in which both its AEO status and an MRA
    granting a selectivity benefit (``RISK_BENEFITS``) were in force, the dates inclusive.

    One query per source, whatever the number of identifiers (hot path)."""
    identifiers = {i.strip() for i in identifiers if i and i.strip()}
    if not identifiers:
        return {}
    mras = [
        m
        for m in MutualRecognition.objects.exclude(partner_programme=settings.PROGRAMME)
        if RISK_BENEFITS & set(m.benefits)
    ]
    if not mras:
        return {}
    out: dict[str, list[tuple[date, date | None]]] = {}

    def add(key: str, m: MutualRecognition, tier: str, start: date, end: date | None) -> None:
        if not _tier_ok(m, tier):
            return
        begin = max(start, m.effective_from)
        ends = [e for e in (end, m.effective_to) if e is not None]
        finish = min(ends) if ends else None
        if finish is None or begin <= finish:
            out.setdefault(key, []).append((begin, finish))

    by_programme: dict[str, list[MutualRecognition]] = {}
    for m in mras:
        by_programme.setdefault(m.partner_programme, []).append(m)
    held = AeoAuthorisation.objects.filter(
        Q(operator__code__in=identifiers)
        | Q(operator__eori__in=identifiers)
        | Q(operator__national_id__in=identifiers),
        programme__in=list(by_programme),
    ).values_list(
        "operator__code", "operator__eori", "operator__national_id", "programme", "tier",
        "valid_from", "valid_to",
    )  # fmt: skip
    for code, eori, national, programme, tier, start, end in held:
        for key in {code, eori, national} & identifiers:
            for m in by_programme[programme]:
                add(key, m, tier, start, end)
    listed = PartnerAeo.objects.filter(
        Q(partner_id__in=identifiers) | Q(national_id__in=identifiers), mra__in=mras
    ).select_related("mra")
    for p in listed:
        for key in {p.partner_id, p.national_id} & identifiers:
            add(key, p.mra, p.tier, p.valid_from, p.valid_to)
    return out
