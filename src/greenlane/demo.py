"""Seed the demo: the synthetic economy in the database, one organisation and login per role.

The shell-level orchestration of several apps' services; only used by ``greenlane demo`` and
the tests. Every write goes through a service, so the audit log records the seeding too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from greenlane.apps.accounts import services as accounts
from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.roles import OrganisationKind, Role
from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.operators import services as operators
from greenlane.apps.operators.models import AeoAuthorisation, Operator
from greenlane.core.risk import mapping
from greenlane.core.synth import SynthConfig, generate

DEMO_PASSWORD = "greenlane-demo"
CUSTOMS_ORG = "Greenlane Customs Administration"
CONSULTANCY_ORG = "Harbour Compliance Consulting"


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    organisation: str


CUSTOMS_USERS = (
    ("validator", Role.VALIDATOR, "Vera", "Validator"),
    ("decision", Role.DECISION_OFFICER, "Dae-jung", "Decider"),
    ("analyst", Role.RISK_ANALYST, "Ana", "Lyst"),
    ("inspector", Role.INSPECTION_OFFICER, "Ines", "Spector"),
    ("statistician", Role.STATISTICIAN, "Stat", "Istician"),
    ("admin", Role.ADMINISTRATOR, "Addy", "Ministrator"),
)


def demo_config(declarations: int = 60_000, operators_: int = 1_500, seed: int = 42) -> SynthConfig:
    """The demo's year of data ends yesterday, so periods on the home pages are current."""
    start = timezone.localdate() - timedelta(days=365)
    return SynthConfig(seed=seed, operators=operators_, declarations=declarations, start=start)


def is_seeded() -> bool:
    return Organisation.objects.filter(name=CUSTOMS_ORG).exists()


def seed(
    config: SynthConfig, var: Path, progress: Callable[[str, int, int], None] | None = None
) -> list[Login]:
    """Generate the synthetic economy under ``var/synth`` and ingest it, all in one transaction.

    The declarations and inspection results go through the same validating ingestion as any
    user's file, with the shipped ``greenlane`` mappings.
    """
    out = var / "synth" / f"seed-{config.seed}"
    summary = generate(
        config,
        out,
        progress=(lambda done, total: progress("synth", done, total)) if progress else None,
    )

    def step(done: int, _total: int | None) -> None:
        if progress:
            progress("load", done, summary.declarations)

    with transaction.atomic():
        operators.load_operators(
            pq.read_table(out / "operators.parquet").to_pylist(),
            pq.read_table(out / "aeo_authorisations.parquet").to_pylist(),
            source=str(out),
        )
        for name, file in (("greenlane", "declarations"), ("greenlane-inspections", "inspections")):
            result = ingest.ingest(
                out / f"{file}.parquet",
                mapping.named(name),
                progress=step if file == "declarations" else None,
            )
            if result.rows_rejected:
                raise RuntimeError(f"the synthetic {file} had {result.rows_rejected} rejected rows")
        logins = _personas(config)
        _release_study(out / "consignments.parquet", out / "trs-sample.parquet")
        _selectivity()
    _monitoring()
    return logins


def _monitoring() -> None:
    """An inspection officer finds a critical irregularity on the demo trader's latest
    declaration; the monitoring run that follows raises the alert validators then handle.
    Monitoring reads committed data through its own connection: run after the seeding."""
    from greenlane.apps.declarations import services as declarations
    from greenlane.apps.monitoring import services as monitoring
    from greenlane.apps.monitoring.models import Run

    trader = Operator.objects.get(organisation__users__username="trader")
    latest = (
        Declaration.objects.filter(importer_code=trader.code, inspection__isnull=True)
        .order_by("-declaration_date", "-pk")
        .first()
    )
    if latest is not None:
        declarations.record_inspection(
            latest,
            User.objects.get(username="inspector"),
            fraud_found=True,
            critical=True,
            notes="Undeclared dual-use goods found at examination (demo record)",
        )
    monitoring.execute(Run.objects.create(as_of=timezone.localdate(), status=Run.Status.RUNNING))


#: Today's declarations per office that the demo's customs system sends for channels.
ARRIVALS_PER_OFFICE = 120


def arrivals(per_office: int = ARRIVALS_PER_OFFICE) -> int:
    """This morning's declarations at each office, sent by the demo's customs system through
    the channel-decision path (its own API key), so that inspectors start the day with a
    queue decided by the active model, the rules and each office's capacity. They are copies
    of recent declarations without a result, under new numbers and today's date. Needs an
    active model; returns how many were sent."""
    from greenlane.apps.targeting import channels, keys
    from greenlane.apps.targeting.models import ApiToken

    today = timezone.localdate()
    token = ApiToken.objects.filter(name=DEMO_SYSTEM, revoked_at__isnull=True).first()
    if token is None:
        token, _key = keys.make_token(DEMO_SYSTEM, None)  # the key itself is not needed
    sent = 0
    offices = Declaration.objects.values_list("office_code", flat=True).distinct()
    for office in sorted(set(offices)):
        recent = (
            Declaration.objects.filter(office_code=office, inspection__isnull=True)
            .order_by("-declaration_date", "-id")
            .values(*ARRIVAL_FIELDS)[:per_office]
        )
        batch = [
            {**row, "number": f"T{today:%y%m%d}{office}{i:05d}", "declaration_date": today,
             **{k: float(row[k]) for k in ARRIVAL_NUMBERS if row[k] is not None}}
            for i, row in enumerate(recent)
        ]  # fmt: skip
        if batch:
            channels.decide(batch, token)
            sent += len(batch)
    return sent


DEMO_SYSTEM = "demo customs system"
ARRIVAL_NUMBERS = ("quantity", "net_mass_kg", "customs_value", "tax_rate", "duty_amount")
ARRIVAL_FIELDS = (
    "office_code", "transport_mode", "declarant_code", "importer_code", "seller_code", "hs6",
    "origin_country", "dispatch_country", *ARRIVAL_NUMBERS,
)  # fmt: skip


def _selectivity() -> None:
    """A policy per office sized on its traffic (5% examined, 1% of it at random) and two
    rules an analyst wrote, tried on recent declarations and activated."""
    import math

    from greenlane.apps.targeting import selectivity

    analyst = User.objects.get(username="analyst")
    days = max(Declaration.objects.dates("declaration_date", "day").count(), 1)
    for office, n in (
        Declaration.objects.values_list("office_code")
        .annotate(n=Count("id"))
        .order_by("office_code")
    ):
        daily = max(math.ceil(n / days), 1)
        selectivity.save_policy(
            analyst,
            office,
            {
                "capacity": max(math.ceil(daily * 0.05), 2),
                "documentary_capacity": max(math.ceil(daily * 0.1), 2),
                "expected_daily": daily,
                "min_random_rate": 0.01,
                "exploration_share": 0.1,
                "aeo_reduction": 0.2,
                "partner_reduction": 0.1,
                "red_threshold": 0.0,
                "yellow_threshold": 0.0,
                "blue_revenue": None,
            },
        )
    for name, values in (
        ("arms-and-ammunition", {"expression": 'hs6 startswith "93"', "action": "force",
         "channel": "red", "shift": 0.0, "reason": "Arms and ammunition are always examined"}),
        ("low-unit-value-electronics", {"expression": 'hs6 startswith "85" and customs_value / '
         "net_mass_kg < 20", "action": "shift", "channel": "", "shift": 0.15,
         "reason": "Electronics declared under 20 per kg: possible undervaluation"}),
        ("medicines-via-third-country", {"expression": 'hs6 startswith "30" and '
         "dispatch_country != origin_country", "action": "force", "channel": "yellow",
         "shift": 0.0, "reason": "Medicines shipped through a third country: check the "
         "certificates of origin and the import licence"}),
    ):  # fmt: skip
        rule = selectivity.save_rule(analyst, {"name": name, **values})
        selectivity.dry_run(rule, analyst)
        selectivity.set_active(rule, analyst, True)


def _release_study(consignments: Path, sample: Path) -> None:
    """A finished Time Release Study of the last four weeks of arrivals, as the WCO guide
    samples a period of declarations (four weeks here, so that every office shows)."""
    import pyarrow.compute as pc
    from django.core.files import File

    from greenlane.apps.trs import services as trs
    from greenlane.apps.trs.models import Study
    from greenlane.core.trs import study as trs_study

    table = pq.read_table(consignments)
    end = pc.max(table["arrival"]).as_py()
    start = end - timedelta(days=28)
    pq.write_table(
        table.filter(pc.greater(table["arrival"], pa.scalar(start, table["arrival"].type))), sample
    )
    statistician = User.objects.get(username="statistician")
    record = trs.create_study(
        statistician,
        title="Release times, last four weeks (demo)",
        scope="All offices and modes; imports (synthetic economy)",
        period_start=start.date(),
        period_end=end.date(),
        sample_design="Every consignment arriving in the four weeks, followed to release",
        replicates=100,
    )
    with sample.open("rb") as handle:
        trs.add_event_file(record, statistician, File(handle, name=sample.name))  # type: ignore[arg-type]
    settings, effect_settings = trs.study_settings(record)
    result = trs_study.run(
        [sample], title=record.title, settings=settings, effect_settings=effect_settings
    )
    trs.finish(record.pk, Study.Status.DONE, trs_study.outcome(result), result)


def _personas(config: SynthConfig) -> list[Login]:
    customs = accounts.create_organisation(
        CUSTOMS_ORG, OrganisationKind.CUSTOMS, config.home_country
    )
    logins = []
    for username, role, first, last in CUSTOMS_USERS:
        accounts.create_user(
            username,
            DEMO_PASSWORD,
            role,
            customs,
            first_name=first,
            last_name=last,
            email=f"{username}@customs.demo.example",
            check_password=False,
        )
        logins.append(Login(username, role, customs.name))

    # The trader: a certified MSME importer with plenty of declarations; a second, uncertified
    # trader shows that one company never sees another's data.
    busy = dict(
        Declaration.objects.values("importer_code")
        .annotate(n=Count("id"))
        .values_list("importer_code", "n")
    )
    certified = set(AeoAuthorisation.objects.values_list("operator__code", flat=True))
    importers = Operator.objects.filter(trade_role="importer").order_by("code")
    msme_aeo = [op for op in importers if op.is_msme and op.code in certified]
    plain = [op for op in importers if op.code not in certified]
    trader_op = max(msme_aeo or list(importers), key=lambda op: busy.get(op.code, 0))
    other_op = max(plain, key=lambda op: busy.get(op.code, 0))
    for username, op in (("trader", trader_op), ("trader2", other_op)):
        org = accounts.create_organisation(
            op.name + f" ({op.code})", OrganisationKind.OPERATOR, op.country
        )
        operators.attach_organisation(op, org)
        accounts.create_user(
            username, DEMO_PASSWORD, Role.TRADER, org, check_password=False,
            email=f"{username}@{op.code.lower()}.demo.example", manages_colleagues=True,
        )  # fmt: skip
        logins.append(Login(username, Role.TRADER, org.name))

    consultancy = accounts.create_organisation(
        CONSULTANCY_ORG, OrganisationKind.CONSULTANCY, config.home_country
    )
    accounts.create_user(
        "consultant", DEMO_PASSWORD, Role.CONSULTANT, consultancy, check_password=False,
        email="consultant@consultancy.demo.example", manages_colleagues=True,
    )  # fmt: skip
    clients = [trader_op, *[op for op in plain if op != other_op][:3]]
    for op in clients:
        operators.grant_consultant_access(op, consultancy, None)
    logins.append(Login("consultant", Role.CONSULTANT, consultancy.name))
    _self_tests(trader_op)
    _applications([other_op, *clients[1:]])
    _mras()
    _origin(config.home_country, trader_op.code)
    return logins


def _mras() -> None:
    """The home administration's real MRAs, from the cited data file (``catalogue/mras.yaml``),
    seeded by the administrator. The synthetic economy's foreign sellers hold partner AEO
    status (synthetic) under some of those programmes; only arrangements in force, with a
    known start, give them a benefit."""
    from greenlane.apps.certification import mra

    mra.seed(User.objects.get(username="admin"))


def _origin(home: str, importer: str) -> None:
    """Certificates of origin from a partner (China, or Korea when at home in China): its
    demo root trusted, three certificates that hold and two that do not."""
    from greenlane.apps.origin import samples

    partner = "CN" if home != "CN" else "KR"
    admin = User.objects.get(username="admin")
    samples.seed_demo(admin, home, partner, importer, timezone.localdate())


def _applications(operators_: list[Operator]) -> None:
    """Applications at different stages, so that every customs page has something to show:
    one certified, one waiting for a decision, one with a request for information open, one
    waiting for a validator."""
    from greenlane.apps.assessments import services as assessments
    from greenlane.apps.certification import services as certification
    from greenlane.core.criteria.loader import shipped

    users = {u.username: u for u in User.objects.filter(username__in=["admin", "validator",
                                                                       "decision"])}  # fmt: skip
    requirements = shipped().baseline.requirements
    for n, operator in enumerate(operators_[:4]):
        author = (
            User.objects.filter(organisation_id=operator.organisation_id).first() or users["admin"]
        )
        for req in requirements:
            assessments.save_answer(operator, author, req.id, "met", "")
        scores = {"kr-aeo": {"legal_compliance": str(96 - 4 * n), "internal_control": "88"}}
        assessments.save_profile(operator, author, {"scores": scores})
        snapshot = assessments.submit(operator, author)
        app = certification.apply(operator, author, "AA", snapshot)
        if n == 3:
            continue  # waits for a validator
        certification.transition(app, users["admin"], "assign", validator=users["validator"])
        if n == 2:
            certification.transition(
                app, users["validator"], "request_information",
                question="Please send last year's stock reconciliation reports.",
            )  # fmt: skip
            continue
        for criterion in certification.version_today().criteria:
            certification.record_finding(
                app, users["validator"], {"criterion": criterion.id, "result": "compliant"}
            )
        certification.transition(app, users["validator"], "recommend", note="All criteria met")
        if n == 0:
            certification.transition(
                app, users["decision"], "approve", reason="All criteria met", tier="AA"
            )


def _self_tests(operator: Operator) -> None:
    """The demo trader's self-test history: two snapshots showing progress, a current draft
    with a few gaps left, an action plan, and the validator assigned to its file."""
    from greenlane.apps.assessments import services as assessments
    from greenlane.apps.assessments.models import SelfAssessment
    from greenlane.core.criteria.loader import shipped

    trader = User.objects.get(username="trader")
    validator = User.objects.get(username="validator")
    operators.assign_validator(operator, validator, None)
    requirements = shipped().baseline.requirements
    first = {"security": "partly", "records": "partly", "cooperation": "not_met"}
    second = {"security": "partly"}
    for overrides, days_ago in ((first, 120), (second, 30)):
        for req in requirements:
            assessments.save_answer(operator, trader, req.id, overrides.get(req.group, "met"), "")
        snapshot = assessments.submit(operator, trader)
        # Synthetic history: date the snapshots as if they had been submitted months ago.
        then = timezone.now() - timedelta(days=days_ago)
        SelfAssessment.objects.filter(pk=snapshot.pk).update(submitted_at=then, created_at=then)
    now = {"SEC-IT": "partly", "SEC-TRAINING": "partly", "SEC-CONVEYANCE": "na"}
    for req in requirements:
        assessments.save_answer(operator, trader, req.id, now.get(req.id, "met"), "")
    for req_id, action, owner in (
        ("SEC-IT", "Two-factor sign-in for the customs and ERP systems", "IT manager"),
        ("SEC-TRAINING", "Yearly security awareness session for warehouse staff", "HR"),
    ):
        assessments.save_action(
            operator,
            trader,
            {"requirement": req_id, "action": action, "owner": owner, "target_date": ""},
        )


def logins() -> list[Login]:
    return [
        Login(u.username, u.role, u.organisation.name if u.organisation else "")
        for u in User.objects.select_related("organisation").order_by("id")
    ]
