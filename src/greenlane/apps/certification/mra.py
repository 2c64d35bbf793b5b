"""Mutual recognition: MRAs, partner AEO lists, and "is this a recognised AEO on date D"."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import AEO_ROLES, Role
from greenlane.apps.assessments.services import DEFAULT_TYPES
from greenlane.apps.audit import services as audit
from greenlane.apps.certification.models import (
    MraKind,
    MutualRecognition,
    PartnerAeo,
    PartnerImport,
)
from greenlane.apps.certification.services import Refused
from greenlane.apps.operators.models import AeoAuthorisation, Operator, valid_on
from greenlane.apps.wording import all_translated
from greenlane.core.certification import partner_list
from greenlane.core.certification.mras import BENEFITS, Arrangement, Party, of_economy, shipped_mras
from greenlane.core.certification.network import economy_name
from greenlane.core.criteria.loader import shipped
from greenlane.core.criteria.schema import OperatorType
from greenlane.core.words import Words, stored

#: Operator types as a reader sees them (the core's ids are the codes).
_ROLE_LABELS = {
    "importer": pgettext_lazy("operator type", "importer"),
    "exporter": pgettext_lazy("operator type", "exporter"),
    "manufacturer": pgettext_lazy("operator type", "manufacturer"),
    "customs_broker": pgettext_lazy("operator type", "customs broker"),
    "warehouse_operator": pgettext_lazy("operator type", "warehouse operator"),
    "carrier": pgettext_lazy("operator type", "carrier"),
    "freight_forwarder": pgettext_lazy("operator type", "freight forwarder"),
    "port_operator": pgettext_lazy("operator type", "port operator"),
    "bonded_transporter": pgettext_lazy("operator type", "bonded transporter"),
    "air_carrier": pgettext_lazy("operator type", "air carrier"),
    "ground_handler": pgettext_lazy("operator type", "ground handler"),
}
ROLES: dict[str, Any] = {
    t.value: _ROLE_LABELS.get(t.value, t.value.replace("_", " ")) for t in OperatorType
}
#: The benefits of a domestic certificate, in the look-up (the API's words stay English).
DOMESTIC_BENEFITS = "domestic AEO benefits"
#: The operator type of an operator's trade role, for the role scope of an MRA: the same
#: mapping the self-test uses when a company has not stated its types.
TRADE_ROLE_TYPES = {role: kind.value for role, kind in DEFAULT_TYPES.items()}
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


def home_economy() -> str:
    """The economy of the administration's own programme (``settings.PROGRAMME``)."""
    return shipped().programme(settings.PROGRAMME).jurisdiction


def create_mra(user: User, data: dict[str, Any]) -> MutualRecognition:
    if user.role not in MANAGE_ROLES:
        raise Refused(_("MRAs are recorded by decision officers and administrators"))
    partner = str(data.get("partner_programme") or "").strip()
    if not partner or partner == settings.PROGRAMME:
        raise Refused(_("name the partner's programme (not our own)"), "partner_programme")
    authority = str(data.get("partner_authority") or "").strip()
    if not authority:
        raise Refused(_("name the partner administration"), "partner_authority")
    start, end = data.get("effective_from"), data.get("effective_to")
    if not isinstance(start, date):
        raise Refused(_("the date the MRA takes effect is needed"), "effective_from")
    if end is not None and end < start:
        raise Refused(_("the end is before the start"), "effective_to")
    benefits = [b for b in data.get("benefits") or [] if b]
    unknown = [b for b in benefits if b not in BENEFITS]
    if not benefits or unknown:
        raise Refused(
            _("choose the benefits from: %(benefits)s") % {"benefits": ", ".join(BENEFITS)},
            "benefits",
        )
    tiers = [t for t in data.get("partner_tiers") or [] if t]
    known = _partner_tiers(partner)
    if known is not None and any(t not in known for t in tiers):
        raise Refused(
            _("%(programme)s has the tiers %(tiers)s")
            % {"programme": partner, "tiers": ", ".join(sorted(known))},
            "partner_tiers",
        )
    roles = [r for r in data.get("partner_roles") or [] if r]
    if any(r not in ROLES for r in roles):
        raise Refused(
            _("choose the roles from: %(roles)s") % {"roles": ", ".join(ROLES)}, "partner_roles"
        )
    reference_url = web_address(data.get("reference_url"))
    signed = data.get("signed_on")
    with transaction.atomic():
        # A seeded record whose start no source gives is in force on no day: not an overlap.
        overlap = MutualRecognition.objects.filter(
            partner_programme=partner, effective_from__isnull=False
        ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
        if end is not None:
            overlap = overlap.filter(effective_from__lte=end)
        if overlap.exists():
            raise Refused(_("an MRA with this programme already covers part of that period"),
                          "effective_from")  # fmt: skip
        mra = MutualRecognition.objects.create(
            kind=MraKind.BILATERAL, parties=_hand_made_parties(partner, tiers, roles),
            partner_programme=partner, partner_authority=authority, partner_tiers=tiers,
            partner_roles=roles, signed_on=signed, effective_from=start, effective_to=end,
            signed_text=signed.isoformat() if isinstance(signed, date) else "unknown",
            effective_text=start.isoformat(), benefits=benefits, reference_url=reference_url,
            created_by=user,
        )  # fmt: skip
        audit.record(
            "certification.mra.created", user, mra,
            {"partner": partner, "from": start.isoformat(), "benefits": benefits, "roles": roles},
        )  # fmt: skip
    return mra


def _hand_made_parties(partner: str, tiers: list[str], roles: list[str]) -> list[dict[str, Any]]:
    found = shipped().programmes.get(partner)
    return [
        {"economy": home_economy(), "programme": settings.PROGRAMME, "tiers": [], "roles": []},
        {"economy": found.jurisdiction if found else "", "programme": partner, "tiers": tiers,
         "roles": roles},
    ]  # fmt: skip


@dataclass
class SeedReport:
    """What a seeding did, by record id of ``catalogue/mras.yaml``."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def seed(user: User | None, arrangements: Iterable[Arrangement] | None = None) -> SeedReport:
    """Record the home administration's MRAs from the cited data file: every arrangement our
    economy is a party to is created, or updated where the file changed, keyed by its record
    id (so seeding twice changes nothing). Each change is audited; all or nothing. A record
    whose partner programme already has a hand-made MRA is skipped (the hand-made one stays).
    ``user`` None: the system seeds (``greenlane mra seed`` without ``--by``)."""
    if user is not None and user.role not in MANAGE_ROLES:
        raise Refused(_("MRAs are recorded by decision officers and administrators"))
    economy = home_economy()
    report = SeedReport()
    with transaction.atomic():
        found = shipped_mras() if arrangements is None else tuple(arrangements)
        for arrangement in of_economy(found, economy):
            _seed_one(arrangement, economy, user, report)
    return report


def _seed_one(a: Arrangement, economy: str, user: User | None, report: SeedReport) -> None:
    values = _seeded_values(a, economy)
    found = MutualRecognition.objects.select_for_update().filter(data_id=a.id).first()
    if found is None:
        programme = values["partner_programme"]
        clash = MutualRecognition.objects.filter(
            data_id__isnull=True, partner_programme=programme
        ).first()
        if programme and clash is not None:
            report.skipped[a.id] = f"the hand-made MRA {clash.pk} with {programme} is kept"
            return
        created = MutualRecognition.objects.create(data_id=a.id, created_by=user, **values)
        audit.record(
            "certification.mra.seeded", user, created,
            {"record": a.id, "change": "created", "partner": created.partner_name,
             "from": a.in_effect, "sources": [s.url for s in a.sources]},
        )  # fmt: skip
        report.created.append(a.id)
        return
    changed = sorted(k for k, v in values.items() if getattr(found, k) != v)
    if not changed:
        report.unchanged.append(a.id)
        return
    for name in changed:
        setattr(found, name, values[name])
    found.save(update_fields=changed)
    audit.record(
        "certification.mra.seeded", user, found,
        {"record": a.id, "change": "updated", "fields": changed},
    )  # fmt: skip
    report.updated.append(a.id)


def _seeded_values(a: Arrangement, economy: str) -> dict[str, Any]:
    """The registry's fields for arrangement ``a`` seen from ``economy``. A bilateral
    arrangement's scope is its partner's; a plurilateral one keeps each party's in
    ``parties``."""
    partner = a.partners(economy)[0] if a.kind == "bilateral" else None
    return {
        "kind": a.kind,
        "name": a.name,
        "parties": [p.model_dump(mode="json") for p in a.parties],
        "partner_programme": (partner.programme or "") if partner else "",
        "partner_authority": _authority(partner) if partner else a.name[:200],
        "partner_tiers": list(partner.tiers) if partner else [],
        "partner_roles": [str(r) for r in partner.roles] if partner else [],
        "signed_on": a.signed_on,
        "effective_from": a.in_effect_from,
        "effective_to": None,
        "signed_text": a.signed,
        "effective_text": a.in_effect,
        "benefits": list(a.benefits),
        "sources": [s.model_dump(mode="json") for s in a.sources],
        "checked_on": a.checked,
        "notes": a.notes,
    }


def _authority(party: Party) -> str:
    """The partner programme's authority when encoded, else the economy's name."""
    programme = shipped().programmes.get(party.programme or "")
    if programme is not None:
        return programme.authority[:200]
    return economy_name(party.economy)


def web_address(raw: object) -> str:
    """An http(s) address to show as a link, or "" when none is given; anything else is
    refused: a ``javascript:`` or ``data:`` address stored here was rendered as a link that
    ran script when followed (issue 16)."""
    url = str(raw or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL:
        raise Refused(
            _("the source address is at most %(n)d characters") % {"n": MAX_URL}, "reference_url"
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise Refused(
            _("the source must be a web address starting http:// or https://"), "reference_url"
        ) from None
    return url


def import_list(mra: MutualRecognition, user: User, name: str, content: bytes) -> PartnerImport:
    """A partner's AEO list: valid rows stored in one transaction, others reported per row."""
    if user.role not in MANAGE_ROLES:
        raise Refused(_("partner lists are imported by decision officers and administrators"))
    if len(content) > MAX_LIST_MB * 1024 * 1024:
        raise Refused(
            _("%(file)s is larger than %(n)d MB") % {"file": name, "n": MAX_LIST_MB}, "file"
        )
    digest = hashlib.sha256(content).hexdigest()
    if mra.imports.filter(sha256=digest).exists():
        raise Refused(_("%(file)s: this very file was imported before") % {"file": name}, "file")
    try:
        parsed = partner_list.parse(content, _partner_tiers(mra.partner_programme))
    except partner_list.ListError as exc:
        raise Refused(
            Words(gettext_noop("%(file)s: %(why)s"), {"file": name, "why": exc.words}), "file"
        ) from None
    with transaction.atomic():
        batch = PartnerImport.objects.create(
            mra=mra, file_name=name[:255], sha256=digest, rows_read=parsed.read,
            rows_accepted=len(parsed.accepted), rows_rejected=len(parsed.rejected),
            rejected=[{**r, "reason": stored(r["reason"])} for r in parsed.rejected[:10_000]],
            imported_by=user,
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
                    role=r.role,
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
    basis: str  # "domestic certificate" or "MRA with <authority>" (in English: the API's)
    benefits: tuple[str, ...]
    valid_from: date
    valid_to: date | None
    role: str = ""  # the holder's operator type, when known
    #: ``basis`` and ``benefits`` as the page's reader sees them, in their language.
    basis_label: str = field(default="", compare=False)
    benefit_labels: tuple[str, ...] = field(default=(), compare=False)

    @property
    def role_label(self) -> Any:
        """The holder's operator type as a reader sees it ("" when not known)."""
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class Scope:
    """Which of a partner programme's AEOs an MRA covers: empty sets cover all. A holder
    whose role is not known is not refused on its role."""

    tiers: frozenset[str]
    roles: frozenset[str]

    def covers(self, tier: str, role: str) -> bool:
        return (not self.tiers or tier in self.tiers) and (
            not self.roles or not role or role in self.roles
        )


def _scopes(m: MutualRecognition) -> dict[str, Scope]:
    """Partner programme id → which of its AEOs ``m`` covers (a plurilateral MRA has one per
    encoded party other than ours)."""
    if m.kind == MraKind.PLURILATERAL:
        return {
            p["programme"]: Scope(frozenset(p.get("tiers") or ()), frozenset(p.get("roles") or ()))
            for p in m.parties
            if p.get("programme") and p["programme"] != settings.PROGRAMME
        }
    return {m.partner_programme: _list_scope(m)} if m.partner_programme else {}


def _list_scope(m: MutualRecognition) -> Scope:
    """The scope checked for the AEOs on the partner's list imported under ``m``."""
    return Scope(frozenset(m.partner_tiers), frozenset(m.partner_roles))


def _by_programme(
    mras: Iterable[MutualRecognition],
) -> dict[str, list[tuple[MutualRecognition, Scope]]]:
    out: dict[str, list[tuple[MutualRecognition, Scope]]] = {}
    for m in mras:
        for programme, scope in _scopes(m).items():
            out.setdefault(programme, []).append((m, scope))
    return out


def status(identifier: str, on: date) -> list[Recognition]:
    """Is the operator with this identifier (our code, EORI, national id, or the partner's id)
    a recognised AEO on ``on``: under which programme, with which benefits. A partner AEO is
    recognised when an MRA in force that day covers its programme, tier and (when known)
    role."""
    identifier = identifier.strip()
    if not identifier:
        return []
    out: list[Recognition] = []
    mras = [m for m in MutualRecognition.objects.all() if m.in_force(on)]
    by_programme = _by_programme(mras)
    operators = Operator.objects.filter(
        Q(code=identifier) | Q(eori=identifier) | Q(national_id=identifier)
    )
    held = AeoAuthorisation.objects.filter(valid_on(on), operator__in=operators).select_related(
        "operator"
    )
    for a in held:
        role = TRADE_ROLE_TYPES.get(a.operator.trade_role, "")
        if a.programme == settings.PROGRAMME:
            basis, benefits = "domestic certificate", (DOMESTIC_BENEFITS,)
            out.append(
                Recognition(
                    a.programme, a.tier, a.operator.name, basis, benefits, a.valid_from,
                    a.valid_to, role, basis_label=_("domestic certificate"),
                    benefit_labels=(_("domestic AEO benefits"),),
                )
            )  # fmt: skip
            continue
        scopes = by_programme.get(a.programme, [])
        covering = [m for m, scope in scopes if scope.covers(a.tier, role)]
        if covering:
            out.append(
                _partner(covering[0], a.programme, a.tier, role, a.operator.name, a.valid_from,
                         a.valid_to)
            )  # fmt: skip
    partner_rows = (
        PartnerAeo.objects.filter(
            Q(partner_id=identifier) | Q(national_id=identifier), mra__in=mras, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("mra")
    )
    for p in partner_rows:
        if _list_scope(p.mra).covers(p.tier, p.role):
            out.append(
                _partner(p.mra, p.mra.partner_programme, p.tier, p.role, p.name, p.valid_from,
                         p.valid_to)
            )  # fmt: skip
    return out


def basis(m: MutualRecognition) -> str:
    """The basis of a partner AEO's recognition, in English (the API's words)."""
    if m.kind == MraKind.PLURILATERAL:
        return f"MRA: {m.name}"
    return f"MRA with {m.partner_authority}"


def basis_label(m: MutualRecognition) -> str:
    """``basis(m)`` as the page's reader sees it."""
    if m.kind == MraKind.PLURILATERAL:
        return _("MRA: %(name)s") % {"name": m.name}
    return _("MRA with %(partner)s") % {"partner": m.partner_authority}


def _partner(
    m: MutualRecognition,
    programme: str,
    tier: str,
    role: str,
    holder: str,
    start: date,
    end: date | None,
) -> Recognition:
    named = [BENEFITS[b] for b in m.benefits if b in BENEFITS]
    return Recognition(
        programme, tier, holder, basis(m), tuple(str(b) for b in named), start, end, role,
        basis_label=basis_label(m), benefit_labels=tuple(all_translated(named)),
    )  # fmt: skip


#: The MRA benefits that lighten selectivity for a partner AEO's goods.
RISK_BENEFITS = frozenset({"reduced_inspection", "risk_score_reduction"})


def partner_periods(identifiers: set[str]) -> dict[str, list[tuple[date, date | None]]]:
    """For each identifier (our operator code, EORI or national id, or the partner's id) that
    names a partner programme's AEO: the periods in which both its AEO status and an MRA
    granting a selectivity benefit (``RISK_BENEFITS``) and covering its tier and (when known)
    role were in force, the dates inclusive.

    One query per source, whatever the number of identifiers (hot path)."""
    identifiers = {i.strip() for i in identifiers if i and i.strip()}
    if not identifiers:
        return {}
    mras = [
        m
        for m in MutualRecognition.objects.exclude(partner_programme=settings.PROGRAMME).exclude(
            effective_from__isnull=True
        )
        if RISK_BENEFITS & set(m.benefits)
    ]
    if not mras:
        return {}
    out: dict[str, list[tuple[date, date | None]]] = {}

    def add(key: str, m: MutualRecognition, covered: bool, start: date, end: date | None) -> None:
        if not covered or m.effective_from is None:
            return
        begin = max(start, m.effective_from)
        ends = [e for e in (end, m.effective_to) if e is not None]
        finish = min(ends) if ends else None
        if finish is None or begin <= finish:
            out.setdefault(key, []).append((begin, finish))

    by_programme = _by_programme(mras)
    held = AeoAuthorisation.objects.filter(
        Q(operator__code__in=identifiers)
        | Q(operator__eori__in=identifiers)
        | Q(operator__national_id__in=identifiers),
        programme__in=list(by_programme),
    ).values_list(
        "operator__code", "operator__eori", "operator__national_id", "operator__trade_role",
        "programme", "tier", "valid_from", "valid_to",
    )  # fmt: skip
    for code, eori, national, trade_role, programme, tier, start, end in held:
        role = TRADE_ROLE_TYPES.get(trade_role, "")
        for key in {code, eori, national} & identifiers:
            for m, scope in by_programme[programme]:
                add(key, m, scope.covers(tier, role), start, end)
    listed = PartnerAeo.objects.filter(
        Q(partner_id__in=identifiers) | Q(national_id__in=identifiers), mra__in=mras
    ).select_related("mra")
    for p in listed:
        for key in {p.partner_id, p.national_id} & identifiers:
            add(key, p.mra, _list_scope(p.mra).covers(p.tier, p.role), p.valid_from, p.valid_to)
    return out
