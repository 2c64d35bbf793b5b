"""Builders for test data, going through the services like the application does."""

from __future__ import annotations

import functools
import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from greenlane.apps.accounts import services as accounts
from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.roles import CUSTOMS_ROLES, OrganisationKind, Role
from greenlane.apps.assessments.models import Answer, SelfAssessment
from greenlane.apps.declarations.models import Declaration, Inspection
from greenlane.apps.operators import services as operators
from greenlane.apps.operators.models import Operator

PASSWORD = "correct-horse-battery-staple"
_n = itertools.count(1)


def organisation(kind: str = OrganisationKind.CUSTOMS, name: str | None = None) -> Organisation:
    return accounts.create_organisation(name or f"{kind} {next(_n)}", kind, "KR")


def operator(
    org: Organisation | None = None, code: str | None = None, **fields: object
) -> Operator:
    n = next(_n)
    op = Operator.objects.create(
        code=code or f"T{n:06d}",
        name=fields.pop("name", f"Test Trading {n}"),
        country="KR",
        trade_role="importer",
        size_class=fields.pop("size_class", "small"),
        employees=20,
        established_on=date(2010, 1, 1),
        **fields,
    )
    if org is not None:
        operators.attach_organisation(op, org)
    return op


def user(role: str, org: Organisation | None = None, username: str | None = None) -> User:
    if org is None:
        kind = (
            OrganisationKind.CUSTOMS
            if role in CUSTOMS_ROLES
            else OrganisationKind.CONSULTANCY
            if role == Role.CONSULTANT
            else OrganisationKind.OPERATOR
        )
        org = organisation(kind)
    return accounts.create_user(username or f"{role}{next(_n)}", PASSWORD, role, org)


def declaration(importer: Operator, number: str | None = None, **fields: object) -> Declaration:
    values: dict[str, object] = {
        "number": number or f"D{next(_n):010d}",
        "declaration_date": date(2025, 3, 1),
        "office_code": "SEA1",
        "transport_mode": "1",
        "declarant_code": "B000001",
        "importer_code": importer.code,
        "seller_code": "S000001",
        "hs6": "850440",
        "origin_country": "CN",
        "dispatch_country": "CN",
        "quantity": Decimal("10"),
        "net_mass_kg": Decimal("100"),
        "customs_value": Decimal("1000.00"),
        "tax_rate": Decimal("8"),
        "duty_amount": Decimal("80.00"),
    }
    values.update(fields)
    return Declaration.objects.create(**values)


def inspection(decl: Declaration, fraud: bool = False, revenue: str = "0") -> Inspection:
    return Inspection.objects.create(
        declaration=decl,
        inspected_on=decl.declaration_date,
        fraud_found=fraud,
        revenue_recovered=Decimal(revenue),
    )


TODAY_FOR_TESTS = date.today()


def baseline_ids() -> list[str]:
    from greenlane.core.criteria.loader import shipped

    return [r.id for r in shipped().baseline.requirements]


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf_upload(name: str = "evidence.pdf", content: bytes = MINIMAL_PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def answered_draft(operator: Operator, author: User, answer: str = "met") -> SelfAssessment:
    """A draft self-test with every baseline requirement answered (set up directly, quickly)."""
    draft = SelfAssessment.objects.create(operator=operator, created_by=author)
    Answer.objects.bulk_create(
        Answer(assessment=draft, requirement=r, answer=answer, updated_by=author)
        for r in baseline_ids()
    )
    return draft


def certified(
    operator: Operator, snapshot: SelfAssessment, decider: User, tier: str = "A"
) -> tuple[Any, Any]:
    """An approved application with its certificate, set up directly (not through the workflow)."""
    from django.utils import timezone

    from greenlane.apps.certification.models import Application, Certificate

    now = timezone.now()
    application = Application.objects.create(
        number=f"APP-T-{operator.pk:06d}", operator=operator, programme="kr-aeo",
        version="current", tier=tier, snapshot=snapshot, stage="approved",
        submitted_by=decider, submitted_at=now, decided_by=decider, decided_at=now,
        decided_tier=tier, decision_reason="set up for a test",
    )  # fmt: skip
    certificate = Certificate.objects.create(
        number=f"KR-AEO-T-{operator.pk:06d}", application=application, operator=operator,
        programme="kr-aeo", tier=tier, valid_from=TODAY_FOR_TESTS, valid_to=None,
        issued_by=decider, issued_at=now,
    )  # fmt: skip
    return application, certificate


def certificate_document(certificate: Any, user: User) -> Any:
    """Version 1 of a certificate's PDF showing it as it stands, set up directly (not rendered:
    WeasyPrint is tested in tests/apps/certification/test_documents.py)."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from greenlane.apps.certification.models import CertificateDocument

    document = CertificateDocument(
        certificate=certificate, version=1, size=len(MINIMAL_PDF),
        sha256=hashlib.sha256(MINIMAL_PDF).hexdigest(), reason="issued",
        status=certificate.status, certificate_revision=certificate.revision, created_by=user,
        created_at=timezone.now(),
    )  # fmt: skip
    document.file.save(f"{certificate.number}-v1.pdf", ContentFile(MINIMAL_PDF))
    return document


def finding(application: Any, validator: User) -> Any:
    from greenlane.apps.certification.models import Finding

    return Finding.objects.create(
        application=application, criterion="KR-SM-1", stage="document_review",
        result="partly", severity="minor", corrective_action="Screen carriers",
        deadline=TODAY_FOR_TESTS, recorded_by=validator,
    )  # fmt: skip


def due_review(certificate: Any) -> Any:
    """A self-review whose window is open today (due in a month)."""
    from datetime import timedelta

    from greenlane.apps.certification.models import SelfReview

    return SelfReview.objects.create(
        certificate=certificate, period=1, opens_on=TODAY_FOR_TESTS - timedelta(days=30),
        due_on=TODAY_FOR_TESTS + timedelta(days=30),
    )  # fmt: skip


@functools.cache
def trs_document() -> dict[str, Any]:
    """The result document of the hand-computed study (tests/core/trs/cases.py), made once."""
    import tempfile

    import pyarrow.parquet as pq

    from greenlane.core.trs import effect, metrics, study
    from tests.core.trs.cases import consignments

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        pq.write_table(consignments(), path)
        return study.run(
            [path],
            title="Hand-computed study",
            settings=metrics.Settings(targets_hours=(3.0, 6.0), max_hours=50.0, iqr_factor=None),
            effect_settings=effect.EffectSettings(replicates=20),
        )


def study(org: Organisation, author: User, done: bool = True, **fields: Any) -> Any:
    from greenlane.apps.trs.models import Study

    return Study.objects.create(
        organisation=org,
        created_by=author,
        title=fields.pop("title", "A study"),
        status=Study.Status.DONE if done else Study.Status.DRAFT,
        result=trs_document() if done else None,
        **fields,
    )


def access_request(status: str = "waiting", **fields: Any) -> Any:
    """A company's request for access, its address confirmed (``waiting``) unless told."""
    from django.utils import timezone

    from greenlane.apps.accounts.models import AccessRequest

    n = next(_n)
    values: dict[str, Any] = {
        "kind": "operator", "legal_name": f"Requesting Trading {n}", "country": "KR",
        "identifier": f"R{n:06d}", "trade_role": "importer", "employees": 12,
        "established_on": date(2015, 5, 1), "first_name": "Ji-woo", "last_name": "Park",
        "email": f"jiwoo{n}@requesting.example", "status": status,
        "verified_at": None if status == "unverified" else timezone.now(),
    }  # fmt: skip
    values.update(fields)
    return AccessRequest.objects.create(**values)


def model_version(number: int = 1, active: bool = True) -> Any:
    """A registered risk-model version without an artifact: for what reads its scores and
    decisions, not for scoring."""
    from greenlane.apps.targeting.models import ModelVersion

    return ModelVersion.objects.create(
        version=number, training_from=date(2025, 1, 1), training_to=date(2025, 6, 30),
        training_rows=10, labelled_rows=5, feature_schema=["x"], hyperparameters={},
        library_versions={}, metrics={}, artifact="models/v.joblib", artifact_sha256="0",
        is_active=active,
    )  # fmt: skip
