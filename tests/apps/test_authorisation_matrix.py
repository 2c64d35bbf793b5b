"""Every URL and API operation x every role x own / other organisation, against a table.

The table is the specification: a URL or API operation that is not in it fails the first two
tests, so no endpoint can be added without saying who may use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from greenlane.api.urls import api
from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services as assessment_services
from greenlane.apps.certification import mra as mra_services
from greenlane.apps.correspondence.models import Attachment, Message
from greenlane.apps.declarations.models import (
    IngestBatch,
    Inspection,
    RejectedRow,
    SavedMapping,
    Upload,
)
from greenlane.apps.monitoring.models import Alert as MonitoringAlert
from greenlane.apps.monitoring.models import Run as MonitoringRun
from greenlane.apps.notices.models import Notice
from greenlane.apps.operators import services as operator_services
from greenlane.apps.origin import services as origin_services
from greenlane.apps.targeting.models import (
    ModelVersion,
    RuleProfile,
    ScoringRun,
    SimulationRun,
    TrainingRun,
)
from tests import factories
from tests.kept import kept

ALL = frozenset(Role)
OPERATOR_ROLES = frozenset(
    {
        Role.VALIDATOR,
        Role.DECISION_OFFICER,
        Role.ADMINISTRATOR,
        Role.RISK_ANALYST,
        Role.TRADER,
        Role.CONSULTANT,
    }
)
INGEST = frozenset({Role.RISK_ANALYST, Role.INSPECTION_OFFICER, Role.ADMINISTRATOR})
MODELS = frozenset({Role.RISK_ANALYST, Role.ADMINISTRATOR})
SCORES = frozenset({Role.RISK_ANALYST, Role.INSPECTION_OFFICER, Role.ADMINISTRATOR})
RESULTS = frozenset({Role.INSPECTION_OFFICER, Role.ADMINISTRATOR})
EDIT = frozenset({Role.TRADER, Role.CONSULTANT})
READ = EDIT | {Role.VALIDATOR, Role.DECISION_OFFICER, Role.ADMINISTRATOR}
# Evidence: the operator, its consultant and the validator assigned to it; nobody else.
EVIDENCE_SPECIAL = (
    (Role.VALIDATOR, "other", 404),
    (Role.DECISION_OFFICER, "own", 404),
    (Role.DECISION_OFFICER, "other", 404),
    (Role.ADMINISTRATOR, "own", 404),
    (Role.ADMINISTRATOR, "other", 404),
)
MRA_VIEW = frozenset({Role.VALIDATOR, Role.DECISION_OFFICER, Role.ADMINISTRATOR, Role.RISK_ANALYST})
MRA_MANAGE = frozenset({Role.DECISION_OFFICER, Role.ADMINISTRATOR})
CUSTOMS = frozenset(
    {
        Role.VALIDATOR,
        Role.DECISION_OFFICER,
        Role.RISK_ANALYST,
        Role.INSPECTION_OFFICER,
        Role.STATISTICIAN,
        Role.ADMINISTRATOR,
    }
)
STUDIES = frozenset({Role.STATISTICIAN, Role.ADMINISTRATOR})
ADMIN = frozenset({Role.ADMINISTRATOR})
ROLLBACK = frozenset({Role.RISK_ANALYST, Role.ADMINISTRATOR})
QUEUE = frozenset({Role.VALIDATOR, Role.DECISION_OFFICER, Role.ADMINISTRATOR})
MONITOR_RUN = frozenset({Role.DECISION_OFFICER, Role.ADMINISTRATOR})
OWN_FIGURES = QUEUE | EDIT
COMPANY = frozenset({Role.TRADER, Role.CONSULTANT})
PUBLIC = None
NOT_IN_THREAD = tuple(
    (role, whose, 404)
    for role in (Role.VALIDATOR, Role.ADMINISTRATOR)
    for whose in ("own", "other")
)
READS_THREAD = ((Role.DECISION_OFFICER, "own", 403), (Role.DECISION_OFFICER, "other", 403))


@dataclass(frozen=True)
class Access:
    path: str  # "{op}" stands for an operator's primary key
    roles: frozenset[str] | None  # None: public
    scoped: bool = False  # an object that a trader or consultant may or may not own
    method: str = "get"
    signed_in: int = 200  # what a public page answers a signed-in user
    status: int = 200  # what a public page answers
    ok: int = 200  # what an allowed role gets (a POST without a body: 422, past the role check)
    special: tuple[tuple[str, str, int], ...] = ()  # (role, whose, status) exceptions
    body: str | None = None  # a JSON body to send


WEB: dict[str, Access] = {
    "home": Access("/", ALL),
    "login": Access("/login/", PUBLIC, signed_in=302),  # sends a signed-in user home
    "logout": Access("/logout/", PUBLIC, method="post", signed_in=302),
    "password_change": Access("/account/password/", ALL),
    "password_change_done": Access("/account/password/done/", ALL),
    # One's own notices only: someone else's notice is not found (404), whoever asks.
    "inbox": Access("/inbox/", ALL),
    "notice_open": Access("/inbox/{notice}/", ALL, ok=404),
    "notices_read": Access("/inbox/read", ALL, method="post", ok=302),
    "notice_settings": Access("/inbox/settings/", ALL),
    "operator_list": Access("/operators/", OPERATOR_ROLES),
    "operator_detail": Access("/operators/{op}/", OPERATOR_ROLES, scoped=True),
    "audit_log": Access("/audit/", frozenset({Role.ADMINISTRATOR})),
    "people_list": Access("/people/", frozenset({Role.ADMINISTRATOR})),
    "person_new": Access("/people/new/", frozenset({Role.ADMINISTRATOR})),
    "person_detail": Access("/people/{person}/", frozenset({Role.ADMINISTRATOR})),
    "person_action": Access(
        "/people/{person}/unlock", frozenset({Role.ADMINISTRATOR}), method="post", ok=302
    ),
    "organisation_list": Access("/organisations/", frozenset({Role.ADMINISTRATOR})),
    "organisation_detail": Access(
        "/organisations/{organisation}/", frozenset({Role.ADMINISTRATOR})
    ),
    "access_request_list": Access("/people/requests/", frozenset({Role.ADMINISTRATOR})),
    "access_request_detail": Access(
        "/people/requests/{access_request}/", frozenset({Role.ADMINISTRATOR})
    ),
    # A company's (or consultancy's) people, managed by its own: another organisation's
    # person is not found (404), whoever asks; a consultant's "own" is the trader's colleague.
    "colleague_list": Access("/colleagues/", COMPANY),
    "colleague_new": Access("/colleagues/new/", COMPANY),
    "colleague_action": Access(
        "/colleagues/{colleague}/remove",  # no tick: refused on the page it redirects to
        COMPANY,
        scoped=True,
        method="post",
        ok=302,
        special=((Role.CONSULTANT, "own", 404),),
    ),
    "access_request": Access("/account/request/", PUBLIC),
    "access_request_confirm": Access("/account/request/confirm/not-a-token/", PUBLIC),
    "address_change": Access("/account/email/", ALL),
    # The header's language switcher: anyone, signed in or not; it answers with a redirect.
    "language": Access("/language", PUBLIC, method="post", signed_in=302, status=302),
    "address_confirm": Access("/account/email/confirm/not-a-token/", PUBLIC),
    # A link that does not work says so; it is the same page signed in or not.
    "password_set": Access("/account/set-password/MQ/not-a-token/", PUBLIC),
    "password_forgot": Access("/account/forgot/", PUBLIC),
    "upload_new": Access("/declarations/uploads/new/", INGEST),
    "upload_detail": Access("/declarations/uploads/{upload}/", INGEST),
    "upload_progress": Access("/declarations/uploads/{upload}/progress", INGEST),
    "batch_list": Access("/declarations/batches/", INGEST),
    "mapping_list": Access("/declarations/mappings/", INGEST),
    "mapping_new": Access("/declarations/mappings/new/", INGEST),
    "mapping_detail": Access("/declarations/mappings/{mapping}/", INGEST),
    "batch_detail": Access("/declarations/batches/{batch}/", INGEST),
    # No reason and no tick: the form is refused (400), past the role check.
    "batch_rollback": Access(
        "/declarations/batches/{batch}/rollback/", ROLLBACK, method="post", ok=400
    ),
    "batch_rejected_csv": Access("/declarations/batches/{batch}/rejected.csv", INGEST),
    "model_list": Access("/risk/models/", MODELS),
    "model_train": Access("/risk/models/train/", MODELS, method="post", ok=302),
    "model_detail": Access("/risk/models/{version}/", MODELS),
    "model_activate": Access("/risk/models/{version}/activate/", MODELS, method="post", ok=302),
    "model_compare": Access("/risk/models/{version}/compare/", MODELS, method="post", ok=302),
    "training_progress": Access("/risk/models/runs/{training}/progress/", MODELS),
    "model_rollback": Access("/risk/models/{version}/rollback/", MODELS, method="post", ok=302),
    "scoring_progress": Access("/risk/scoring/{scoring}/progress/", SCORES),
    "score_list": Access("/risk/scores/", SCORES),
    "rule_list": Access("/risk/rules/", MODELS),
    "rule_detail": Access("/risk/rules/{rule}/", MODELS),
    "rule_action": Access("/risk/rules/{rule}/dry-run", MODELS, method="post", ok=302),
    "policy_list": Access("/risk/policies/", MODELS),
    "inspection_queue": Access("/risk/queue/", SCORES),
    "assign_inspections": Access("/risk/queue/assign/", SCORES, method="post", ok=302),
    "simulation_list": Access("/risk/simulations/", MODELS),
    "simulation_detail": Access("/risk/simulations/{simulation}/", MODELS),
    "simulation_progress": Access("/risk/simulations/{simulation}/progress/", MODELS),
    "what_if": Access("/risk/what-if/", MODELS),
    "declaration_detail": Access("/risk/declarations/{declaration}/", SCORES),
    "declaration_result": Access(
        "/risk/declarations/{declaration}/result/", RESULTS, method="post", ok=302
    ),
    "declaration_correction": Access(
        "/risk/declarations/{declaration}/result/correct/", RESULTS, method="post", ok=302
    ),
    "selftest_start": Access("/self-test/", EDIT, special=((Role.TRADER, "own", 302),)),
    "selftest_edit": Access("/operators/{op}/self-test/", EDIT, scoped=True),
    "selftest_answer": Access(
        "/operators/{op}/self-test/answers/COMP-RECORD", EDIT, scoped=True, method="post"
    ),
    "selftest_profile": Access(
        "/operators/{op}/self-test/profile", EDIT, scoped=True, method="post", ok=302
    ),
    "evidence_add": Access(
        "/operators/{op}/self-test/evidence", EDIT, scoped=True, method="post", ok=302
    ),
    "evidence_remove": Access(
        "/operators/{op}/self-test/evidence/{evidence}/remove",
        EDIT,
        scoped=True,
        method="post",
        ok=302,
    ),
    "selftest_submit": Access(
        "/operators/{op}/self-test/submit", EDIT, scoped=True, method="post", ok=302
    ),
    "selftest_report": Access("/operators/{op}/self-test/report/", EDIT, scoped=True),
    "selftest_pdf": Access("/operators/{op}/self-test/report.pdf", EDIT, scoped=True),
    "selftest_history": Access("/operators/{op}/self-tests/", READ, scoped=True),
    "snapshot_report": Access("/operators/{op}/self-tests/{snapshot}/", READ, scoped=True),
    "snapshot_pdf": Access("/operators/{op}/self-tests/{snapshot}/report.pdf", READ, scoped=True),
    "action_add": Access("/operators/{op}/action-plan/", EDIT, scoped=True, method="post", ok=302),
    "action_edit": Access(
        "/operators/{op}/action-plan/{action}/", EDIT, scoped=True, method="post", ok=302
    ),
    "evidence_download": Access(
        "/evidence/{evidence}/", READ, scoped=True, special=EVIDENCE_SPECIAL
    ),
    "catalogue_list": Access("/catalogue/", ALL),
    "catalogue_programme": Access("/catalogue/kr-aeo/", ALL),
    "application_new": Access("/operators/{op}/applications/new/", EDIT, scoped=True),
    "application_list": Access("/applications/", READ),
    "application_detail": Access("/applications/{application}/", READ, scoped=True),
    "application_transition": Access(
        "/applications/{application}/transitions/withdraw",
        READ,
        scoped=True,
        method="post",
        ok=409,
    ),
    "finding_save": Access(
        "/applications/{application}/findings", frozenset({Role.VALIDATOR}), method="post", ok=409
    ),
    "finding_close": Access(
        "/applications/{application}/findings/{finding}/close",
        frozenset({Role.VALIDATOR}),
        method="post",
        ok=409,
    ),
    "site_report": Access(
        "/applications/{application}/site-report",
        frozenset({Role.VALIDATOR}),
        method="post",
        ok=409,
    ),
    "certificate_list": Access("/certificates/", READ),
    "certification_statistics": Access(
        "/certification/statistics/",
        frozenset({Role.VALIDATOR, Role.DECISION_OFFICER, Role.ADMINISTRATOR, Role.STATISTICIAN}),
    ),
    "certificate_detail": Access("/certificates/{certificate}/", READ, scoped=True),
    # Correspondence: the company's side and the validator in charge write; decision officers
    # read (403 on writing); an administrator or another validator does not read (404).
    "application_message": Access(
        "/applications/{application}/messages",
        READ,
        scoped=True,
        method="post",
        ok=302,
        special=NOT_IN_THREAD + READS_THREAD,
    ),
    "certificate_message": Access(
        "/certificates/{certificate}/messages",
        READ,
        scoped=True,
        method="post",
        ok=302,
        special=(
            (Role.VALIDATOR, "other", 404),
            (Role.ADMINISTRATOR, "own", 404),
            (Role.ADMINISTRATOR, "other", 404),
            *READS_THREAD,
        ),
    ),
    "attachment_download": Access(
        "/messages/attachments/{attachment}/", READ, scoped=True, special=NOT_IN_THREAD
    ),
    "certificate_qr": Access("/certificates/{certificate}/qr.svg", READ, scoped=True),
    "certificate_pdf": Access("/certificates/{certificate}/certificate.pdf", READ, scoped=True),
    "certificate_document": Access(
        "/certificates/{certificate}/documents/1.pdf", READ, scoped=True
    ),
    "certificate_transition": Access(
        "/certificates/{certificate}/transitions/reinstate",
        READ,
        scoped=True,
        method="post",
        ok=409,
    ),
    "certificate_consent": Access(
        "/certificates/{certificate}/consent",
        READ,
        scoped=True,
        method="post",
        ok=409,
        special=((Role.TRADER, "own", 302), (Role.CONSULTANT, "own", 302)),
    ),
    "self_review_submit": Access(
        "/certificates/{certificate}/reviews/{review}/submit",
        READ,
        scoped=True,
        method="post",
        ok=409,
        special=((Role.TRADER, "own", 400), (Role.CONSULTANT, "own", 400)),
    ),
    "mra_list": Access("/mra/", MRA_VIEW),
    "mra_status": Access("/mra/status/?identifier=X", MRA_VIEW),
    "mra_detail": Access("/mra/{mra}/", MRA_VIEW),
    "mra_import": Access("/mra/{mra}/import", MRA_MANAGE, method="post", ok=302),
    "mra_rejected_csv": Access("/mra/{mra}/imports/{partner_import}/rejected.csv", MRA_VIEW),
    "certificate_reassess": Access(
        "/certificates/{certificate}/reassess",
        READ,
        scoped=True,
        method="post",
        ok=409,
        special=((Role.DECISION_OFFICER, "own", 400), (Role.DECISION_OFFICER, "other", 400)),
    ),
    "alert_list": Access("/monitoring/alerts/", QUEUE),
    "alert_detail": Access("/monitoring/alerts/{alert}/", QUEUE),
    "alert_action": Access("/monitoring/alerts/{alert}/acknowledge", QUEUE, method="post", ok=302),
    "monitoring_run": Access("/monitoring/run", MONITOR_RUN, method="post", ok=302),
    "run_progress": Access("/monitoring/runs/{run}/progress", QUEUE),
    "operator_monitoring": Access("/operators/{op}/monitoring/", OWN_FIGURES, scoped=True),
    "origin_list": Access("/origin/", SCORES),
    "origin_receive": Access("/origin/receive", SCORES, method="post", ok=302),
    "origin_detail": Access("/origin/{origin}/", SCORES),
    "origin_document": Access("/origin/{origin}/document.xml", SCORES),
    "origin_pdf": Access("/origin/{origin}/certificate.pdf", SCORES),
    "origin_verify": Access("/origin/{origin}/verification", SCORES, method="post", ok=302),
    "origin_verifications": Access("/origin/verifications/", SCORES),
    "origin_verification_extend": Access(
        "/origin/verifications/999999/extend", SCORES, method="post", ok=404
    ),
    "origin_verification_close": Access(
        "/origin/verifications/999999/close", SCORES, method="post", ok=404
    ),
    "origin_trust": Access("/origin/trust/", SCORES),
    "origin_trust_add": Access("/origin/trust/add", ADMIN, method="post", ok=302),
    "origin_trust_retire": Access("/origin/trust/999999/retire", ADMIN, method="post", ok=302),
    "origin_trust_crl": Access("/origin/trust/crl", ADMIN, method="post", ok=302),
    "trs_list": Access("/trs/", CUSTOMS),
    "trs_new": Access("/trs/new/", STUDIES),
    "trs_detail": Access("/trs/{study}/", CUSTOMS),
    "trs_events": Access("/trs/{study}/events", STUDIES, method="post", ok=302),
    # No such file in the study: refused on the page it redirects to (302), past the checks.
    "trs_event_remove": Access("/trs/{study}/events/999999/remove", STUDIES, method="post", ok=302),
    "trs_run": Access("/trs/{study}/run", STUDIES, method="post", ok=302),
    "trs_progress": Access("/trs/{study}/progress", CUSTOMS),
    "trs_report_html": Access("/trs/{study}/report.html", CUSTOMS),
    "trs_report_pdf": Access("/trs/{study}/report.pdf", CUSTOMS),
    "trs_summary": Access("/trs/{study}/summary/", CUSTOMS),
    "trs_rejected": Access("/trs/{study}/rejected.csv", CUSTOMS),
    "register": Access("/register/", PUBLIC),
    "verify": Access("/verify/", PUBLIC),
    "verify_number": Access("/verify/{number}/?code={code}", PUBLIC),
    "healthz": Access("/healthz", PUBLIC),
    "favicon": Access("/favicon.ico", PUBLIC, signed_in=301, status=301),
    "openapi-json": Access("/api/v1/openapi.json", PUBLIC),
    "openapi-view": Access("/api/v1/docs", PUBLIC),
    "api-console": Access("/api/v1/console", PUBLIC),
    "api-root": Access("/api/v1/", PUBLIC, status=404),  # nothing there; must not leak
}
API: dict[tuple[str, str], Access] = {
    ("get", "/api/v1/accounts/me"): Access("/api/v1/accounts/me", ALL),
    ("get", "/api/v1/notices"): Access("/api/v1/notices", ALL),
    ("get", "/api/v1/notices/unread"): Access("/api/v1/notices/unread", ALL),
    ("post", "/api/v1/notices/read"): Access("/api/v1/notices/read", ALL, method="post"),
    # Someone else's notice is not found, whoever asks.
    ("post", "/api/v1/notices/{notice_id}/read"): Access(
        "/api/v1/notices/{notice}/read", ALL, method="post", ok=404
    ),
    ("get", "/api/v1/operators"): Access("/api/v1/operators", OPERATOR_ROLES),
    ("get", "/api/v1/operators/{operator_id}"): Access(
        "/api/v1/operators/{op}", OPERATOR_ROLES, scoped=True
    ),
    ("post", "/api/v1/declarations/uploads"): Access(
        "/api/v1/declarations/uploads", INGEST, method="post", ok=422
    ),
    ("get", "/api/v1/declarations/uploads/{upload_id}"): Access(
        "/api/v1/declarations/uploads/{upload}", INGEST
    ),
    ("get", "/api/v1/declarations/batches"): Access("/api/v1/declarations/batches", INGEST),
    ("get", "/api/v1/risk/models"): Access("/api/v1/risk/models", MODELS),
    ("post", "/api/v1/risk/models/{version}/promote"): Access(
        "/api/v1/risk/models/{version}/promote", MODELS, method="post", body='{"reason": ""}'
    ),
    # The world's version was never active before: a rollback is refused past the role check.
    ("post", "/api/v1/risk/models/{version}/rollback"): Access(
        "/api/v1/risk/models/{version}/rollback",
        MODELS,
        method="post",
        body='{"reason": "x"}',
        ok=409,
    ),
    # The world's version kept no reference distribution: refused, past the role check.
    ("get", "/api/v1/risk/models/{version}/drift"): Access(
        "/api/v1/risk/models/{version}/drift", MODELS, ok=409
    ),
    # Customs systems use an API key (tests/apps/targeting/test_channels.py); staff a session.
    ("post", "/api/v1/declarations/channels"): Access(
        "/api/v1/declarations/channels", SCORES, method="post", body="{}", ok=422
    ),
    ("post", "/api/v1/declarations/assess"): Access(  # the first name of the one above
        "/api/v1/declarations/assess", SCORES, method="post", body="{}", ok=422
    ),
    ("get", "/api/v1/declarations/{declaration_id}/inspection"): Access(
        "/api/v1/declarations/{declaration}/inspection", SCORES
    ),
    ("post", "/api/v1/declarations/{declaration_id}/inspection"): Access(
        "/api/v1/declarations/{declaration}/inspection", RESULTS, method="post", body="{}", ok=422
    ),
    ("post", "/api/v1/declarations/{declaration_id}/inspection/corrections"): Access(
        "/api/v1/declarations/{declaration}/inspection/corrections",
        RESULTS,
        method="post",
        body="{}",
        ok=422,
    ),
    ("get", "/api/v1/risk/scores"): Access("/api/v1/risk/scores", SCORES),
    ("get", "/api/v1/risk/queue"): Access("/api/v1/risk/queue", SCORES),
    # An empty list is refused by the schema (422), past the role check.
    ("post", "/api/v1/risk/queue/assignments"): Access(
        "/api/v1/risk/queue/assignments", SCORES, method="post", body='{"decisions": []}', ok=422
    ),
    ("get", "/api/v1/risk/declarations/{declaration_id}/score"): Access(
        "/api/v1/risk/declarations/{declaration}/score", SCORES, ok=404
    ),
    ("get", "/api/v1/catalogue/baseline"): Access("/api/v1/catalogue/baseline", ALL),
    ("get", "/api/v1/catalogue/programmes"): Access("/api/v1/catalogue/programmes", ALL),
    ("get", "/api/v1/catalogue/programmes/{programme_id}"): Access(
        "/api/v1/catalogue/programmes/kr-aeo", ALL
    ),
    ("get", "/api/v1/catalogue/mappings"): Access("/api/v1/catalogue/mappings", ALL),
    ("get", "/api/v1/self-assessments"): Access("/api/v1/self-assessments", READ),
    ("get", "/api/v1/self-assessments/{assessment_id}"): Access(
        "/api/v1/self-assessments/{snapshot}", READ, scoped=True
    ),
    ("get", "/api/v1/self-assessments/operators/{operator_id}/draft"): Access(
        "/api/v1/self-assessments/operators/{op}/draft", EDIT, scoped=True
    ),
    ("put", "/api/v1/self-assessments/operators/{operator_id}/draft/answers/{requirement}"): Access(
        "/api/v1/self-assessments/operators/{op}/draft/answers/COMP-RECORD",
        EDIT,
        scoped=True,
        method="put",
        body='{"answer": "met"}',
    ),
    ("post", "/api/v1/self-assessments/operators/{operator_id}/draft/submit"): Access(
        "/api/v1/self-assessments/operators/{op}/draft/submit",
        EDIT,
        scoped=True,
        method="post",
        ok=400,  # nothing changed since the snapshot: refused, past the role and company checks
    ),
    ("get", "/api/v1/certification/applications"): Access(
        "/api/v1/certification/applications", READ
    ),
    ("post", "/api/v1/certification/applications"): Access(
        "/api/v1/certification/applications",
        EDIT,
        scoped=True,
        method="post",
        ok=201,
        body='{"operator": {op}, "tier": "A", "snapshot": {snapshot}}',
    ),
    ("get", "/api/v1/certification/certificates/{certificate_id}/documents"): Access(
        "/api/v1/certification/certificates/{certificate}/documents", READ, scoped=True
    ),
    ("get", "/api/v1/certification/certificates/{certificate_id}/document"): Access(
        "/api/v1/certification/certificates/{certificate}/document", READ, scoped=True
    ),
    ("get", "/api/v1/certification/certificates/{certificate_id}/documents/{version}"): Access(
        "/api/v1/certification/certificates/{certificate}/documents/1", READ, scoped=True
    ),
    ("get", "/api/v1/certification/applications/{application_id}"): Access(
        "/api/v1/certification/applications/{application}", READ, scoped=True
    ),
    ("post", "/api/v1/certification/applications/{application_id}/transitions/{name}"): Access(
        "/api/v1/certification/applications/{application}/transitions/withdraw",
        READ,
        scoped=True,
        method="post",
        body="{}",
        ok=409,
    ),
    ("post", "/api/v1/certification/certificates/{certificate_id}/transitions/{name}"): Access(
        "/api/v1/certification/certificates/{certificate}/transitions/reinstate",
        READ,
        scoped=True,
        method="post",
        body="{}",
        ok=409,
    ),
    ("get", "/api/v1/public/register"): Access("/api/v1/public/register", PUBLIC),
    ("get", "/api/v1/mra/status"): Access("/api/v1/mra/status?identifier=X", MRA_VIEW),
    ("get", "/api/v1/mra"): Access("/api/v1/mra/", MRA_VIEW),
    ("get", "/api/v1/public/certificates/{number}"): Access(
        "/api/v1/public/certificates/{number}?code={code}", PUBLIC
    ),
    ("get", "/api/v1/declarations/batches/{batch_id}"): Access(
        "/api/v1/declarations/batches/{batch}", INGEST
    ),
    # An empty reason is refused (400), past the role check.
    ("post", "/api/v1/declarations/batches/{batch_id}/rollback"): Access(
        "/api/v1/declarations/batches/{batch}/rollback",
        ROLLBACK,
        method="post",
        body='{"reason": ""}',
        ok=400,
    ),
    ("get", "/api/v1/declarations/batches/{batch_id}/rejected"): Access(
        "/api/v1/declarations/batches/{batch}/rejected", INGEST
    ),
    ("get", "/api/v1/trs/studies"): Access("/api/v1/trs/studies", CUSTOMS),
    ("get", "/api/v1/origin/certificates"): Access("/api/v1/origin/certificates", SCORES),
    ("post", "/api/v1/origin/certificates"): Access(
        "/api/v1/origin/certificates", SCORES, method="post", ok=422
    ),
    ("get", "/api/v1/origin/certificates/{certificate_id}"): Access(
        "/api/v1/origin/certificates/{origin}", SCORES
    ),
    ("get", "/api/v1/origin/certificates/{certificate_id}/document"): Access(
        "/api/v1/origin/certificates/{origin}/document", SCORES
    ),
    ("get", "/api/v1/origin/trust"): Access("/api/v1/origin/trust", SCORES),
    ("get", "/api/v1/origin/verifications"): Access("/api/v1/origin/verifications", SCORES),
    ("post", "/api/v1/origin/certificates/{certificate_id}/verifications"): Access(
        "/api/v1/origin/certificates/{origin}/verifications", SCORES, method="post", ok=400
    ),
    ("post", "/api/v1/origin/verifications/{verification_id}/close"): Access(
        "/api/v1/origin/verifications/999999/close", SCORES, method="post", ok=400
    ),
    ("get", "/api/v1/monitoring/alerts"): Access("/api/v1/monitoring/alerts", QUEUE),
    ("get", "/api/v1/monitoring/operators/{operator_id}/indicators"): Access(
        "/api/v1/monitoring/operators/{op}/indicators", OWN_FIGURES, scoped=True
    ),
    ("get", "/api/v1/trs/studies/{study_id}"): Access("/api/v1/trs/studies/{study}", CUSTOMS),
}


API_DOCS = {"openapi-json", "openapi-view", "api-root"}


def _web_url_names(resolver: URLResolver) -> set[str]:
    """Names of all URL patterns; in the API only its documentation pages (operations are
    checked through the OpenAPI schema below)."""
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = _web_url_names(entry)
            names |= inner & API_DOCS if entry.namespace == "api" else inner
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name"
            names.add(entry.name)
    return names


def test_every_web_url_is_in_the_table() -> None:
    assert _web_url_names(get_resolver()) == set(WEB)


def test_every_api_operation_is_in_the_table() -> None:
    schema = api.get_openapi_schema()
    operations = {
        (method, path.rstrip("/")) for path, item in schema["paths"].items() for method in item
    }
    assert operations == set(API)


@pytest.fixture(scope="module")
def built_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, object]]:
    """The world, made once for the module's two thousand requests (``tests.kept``)."""
    with kept(django_db_blocker):
        yield _world()


@pytest.fixture
def world(built_world: dict[str, object], db: None) -> dict[str, object]:
    return built_world


def _world() -> dict[str, object]:
    """Two operators: ``own`` belongs to the trader and is a client of the consultancy."""
    trader_org = factories.organisation("operator")
    other_org = factories.organisation("operator")
    consultancy = factories.organisation("consultancy")
    customs = factories.organisation("customs")
    own = factories.operator(trader_org)
    other = factories.operator(other_org)
    operator_services.grant_consultant_access(own, consultancy, None)
    batch = IngestBatch.objects.create(
        kind="declarations", file_name="f.csv", sha256="0" * 64, file_format="csv", mapping="kcs",
        rows_read=1, rows_accepted=0, rows_rejected=1,
    )  # fmt: skip
    RejectedRow.objects.create(batch=batch, row=1, reason="hs6 is missing", raw={"HS": ""})
    users = {
        role: factories.user(
            role,
            trader_org
            if role == Role.TRADER
            else consultancy
            if role == Role.CONSULTANT
            else customs,
        )
        for role in Role
    }
    upload = Upload.objects.create(
        file="uploads/f.csv",
        original_name="f.csv",
        mapping_name="kcs",
        uploaded_by=users[Role.ADMINISTRATOR],
    )
    version = ModelVersion.objects.create(
        version=7,
        training_from="2025-01-01",
        training_to="2025-06-30",
        training_rows=10,
        labelled_rows=5,
        feature_schema=["x"],
        hyperparameters={},
        library_versions={},
        metrics={"auc": 0.5},
        artifact="models/none.joblib",
        artifact_sha256="0" * 64,
    )
    declaration = factories.declaration(own)
    Inspection.objects.create(  # a result on record, for the correction page
        declaration=declaration, inspected_on=declaration.declaration_date, fraud_found=False
    )
    saved = SavedMapping.objects.create(
        name="mine", text="name: mine", created_by=users[Role.ADMINISTRATOR]
    )
    operator_services.assign_validator(own, users[Role.VALIDATOR], None)
    trader2 = factories.user(Role.TRADER, other_org)
    colleague = factories.user(Role.TRADER, trader_org)
    for manager in (users[Role.TRADER], users[Role.CONSULTANT], trader2):
        manager.manages_colleagues = True
        manager.save(update_fields=["manages_colleagues"])
    snapshots, evidence = {}, {}
    for whose, operator, author in (("own", own, users[Role.TRADER]), ("other", other, trader2)):
        factories.answered_draft(operator, author)
        evidence[whose] = assessment_services.add_evidence(
            operator, author, "REC-SYSTEM", factories.pdf_upload(f"{whose}.pdf")
        )
        snapshots[whose] = assessment_services.submit(operator, author)  # with the evidence
    action = assessment_services.save_action(
        own, users[Role.TRADER], {"requirement": "SEC-IT", "action": "Patch policy"}
    )
    applications, certificates = {}, {}
    for whose, operator in (("own", own), ("other", other)):
        applications[whose], certificates[whose] = factories.certified(
            operator, snapshots[whose], users[Role.DECISION_OFFICER]
        )
    finding = factories.finding(applications["own"], users[Role.VALIDATOR])
    partner = mra_services.create_mra(
        users[Role.ADMINISTRATOR],
        {"partner_programme": "eu-aeo", "partner_authority": "EU",
         "effective_from": date(2024, 1, 1), "benefits": ["faster_release"]},
    )  # fmt: skip
    partner_import = mra_services.import_list(
        partner, users[Role.ADMINISTRATOR], "l.csv",
        b"partner_id,name,country,valid_from\nX,Y,ZZ,2024-01-01\n",
    )  # fmt: skip
    reviews = {whose: factories.due_review(certificates[whose]) for whose in ("own", "other")}
    for whose in ("own", "other"):  # version 1 of each certificate's PDF (not rendered)
        factories.certificate_document(certificates[whose], users[Role.DECISION_OFFICER])
    study = factories.study(customs, users[Role.STATISTICIAN])
    run = MonitoringRun.objects.create(as_of=date(2026, 6, 30))
    training = TrainingRun.objects.create()
    simulation = SimulationRun.objects.create(
        period_from=date(2026, 1, 1), period_to=date(2026, 3, 31), inspection_rate=0.05,
        min_random_rate=0.005, exploration_share=0.1, aeo_reduction=0.2,
    )  # fmt: skip
    rule = RuleProfile.objects.create(
        name="arms", expression='hs6 startswith "93"', action="force", channel="red",
        reason="weapons",
    )  # fmt: skip
    alert = MonitoringAlert.objects.create(
        operator=own, rule="critical-finding", rules_version=date(2026, 1, 1), cause="x",
        severity="high", title="Critical finding at an inspection", run=run,
    )  # fmt: skip
    origin = origin_services.receive(
        users[Role.ADMINISTRATOR], customs.pk, b"<not-a-certificate/>", "api"
    ).certificate
    return {
        "origin": origin,
        "study": study,
        "rule": rule,
        "simulation": simulation,
        "training": training,
        "scoring": ScoringRun.objects.create(version=version, cause="an ingest"),
        "run": run,
        "alert": alert,
        "own": own, "other": other, "users": users, "batch": batch, "upload": upload,
        "version": version, "declaration": declaration, "mapping": saved,
        "snapshots": snapshots, "evidence": evidence, "action": action,
        "applications": applications, "certificates": certificates, "finding": finding,
        "reviews": reviews, "mra": partner, "partner_import": partner_import,
        "colleagues": {"own": colleague, "other": trader2},
        "access_request": factories.access_request(),
        "attachments": {whose: _attachment(applications[whose], users[Role.TRADER])
                        for whose in ("own", "other")},
        "notice": Notice.objects.create(
            recipient=factories.user(Role.VALIDATOR, customs), kind="assigned",
            title="Application 1 is assigned to you", link="/applications/",
        ),
    }  # fmt: skip


def _attachment(application: object, author: object) -> Attachment:
    from django.core.files.base import ContentFile
    from django.utils import timezone

    message = Message.objects.create(
        application=application, author=author, side="company", text="x", sent_at=timezone.now()
    )
    attachment = Attachment(
        message=message, original_name="a.pdf", content_type="application/pdf",
        size=len(factories.MINIMAL_PDF), sha256="0" * 64,
    )  # fmt: skip
    attachment.file.save("a.pdf", ContentFile(factories.MINIMAL_PDF))
    return attachment


ENDPOINTS = [(name, access) for name, access in WEB.items()] + [
    (f"{method.upper()} {path}", access) for (method, path), access in API.items()
]
CASES = [
    (name, access, whose)
    for name, access in ENDPOINTS
    for whose in (("own", "other") if access.scoped else ("own",))
]


def _expected(access: Access, role: str | None, whose: str, is_api: bool) -> int:
    if access.roles is PUBLIC:
        if access.method == "post":
            return 302
        return access.status if role is None or access.status != 200 else access.signed_in
    if role is None:
        return 401 if is_api else 302
    for special_role, special_whose, status in access.special:
        if role == special_role and whose == special_whose:
            return status
    if role not in access.roles:
        return 403
    if access.scoped and whose == "other" and role in (Role.TRADER, Role.CONSULTANT):
        return 404
    return access.ok


def url(world: dict[str, object], access: Access, whose: str) -> str:
    """The table's path with the world's objects (``whose``: the own or the other operator's)."""
    return (
        access.path.replace("{op}", str(world[whose].pk))  # type: ignore[attr-defined]
        .replace("{batch}", str(world["batch"].pk))  # type: ignore[attr-defined]
        .replace("{upload}", str(world["upload"].pk))  # type: ignore[attr-defined]
        .replace("{version}", str(world["version"].version))  # type: ignore[attr-defined]
        .replace("{declaration}", str(world["declaration"].pk))  # type: ignore[attr-defined]
        .replace("{mapping}", str(world["mapping"].pk))  # type: ignore[attr-defined]
        .replace("{snapshot}", str(world["snapshots"][whose].pk))  # type: ignore[index]
        .replace("{evidence}", str(world["evidence"][whose].pk))  # type: ignore[index]
        .replace("{action}", str(world["action"].pk))  # type: ignore[attr-defined]
        .replace("{application}", str(world["applications"][whose].pk))  # type: ignore[index]
        .replace("{certificate}", str(world["certificates"][whose].pk))  # type: ignore[index]
        .replace("{number}", world["certificates"][whose].number)  # type: ignore[index]
        .replace("{code}", world["certificates"][whose].verification_code)  # type: ignore[index]
        .replace("{finding}", str(world["finding"].pk))  # type: ignore[attr-defined]
        .replace("{review}", str(world["reviews"][whose].pk))  # type: ignore[index]
        .replace("{mra}", str(world["mra"].pk))  # type: ignore[attr-defined]
        .replace("{partner_import}", str(world["partner_import"].pk))  # type: ignore[attr-defined]
        .replace("{study}", str(world["study"].pk))  # type: ignore[attr-defined]
        .replace("{origin}", str(world["origin"].pk))  # type: ignore[attr-defined]
        .replace("{alert}", str(world["alert"].pk))  # type: ignore[attr-defined]
        .replace("{run}", str(world["run"].pk))  # type: ignore[attr-defined]
        .replace("{rule}", str(world["rule"].pk))  # type: ignore[attr-defined]
        .replace("{simulation}", str(world["simulation"].pk))  # type: ignore[attr-defined]
        .replace("{training}", str(world["training"].pk))  # type: ignore[attr-defined]
        .replace("{scoring}", str(world["scoring"].pk))  # type: ignore[attr-defined]
        .replace("{person}", str(world["users"][Role.TRADER].pk))  # type: ignore[index]
        .replace("{colleague}", str(world["colleagues"][whose].pk))  # type: ignore[index]
        .replace("{attachment}", str(world["attachments"][whose].pk))  # type: ignore[index]
        .replace("{notice}", str(world["notice"].pk))  # type: ignore[attr-defined]
        .replace("{access_request}", str(world["access_request"].pk))  # type: ignore[attr-defined]
        .replace("{organisation}", str(world["users"][Role.TRADER].organisation_id))  # type: ignore[index]
    )


@pytest.mark.parametrize(("name", "access", "whose"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
@pytest.mark.parametrize("role", [None, *Role], ids=["anonymous", *[r.value for r in Role]])
def test_access_matrix(
    world: dict[str, object], name: str, access: Access, whose: str, role: str | None
) -> None:
    client = Client()
    if role is not None:
        client.force_login(world["users"][role])  # type: ignore[index]
    path = url(world, access, whose)
    body = access.body
    if body is not None:
        body = body.replace("{op}", str(world[whose].pk)).replace(  # type: ignore[attr-defined]
            "{snapshot}",
            str(world["snapshots"][whose].pk),  # type: ignore[index]
        )
    if body is None:
        response = getattr(client, access.method)(path)
    else:
        response = getattr(client, access.method)(path, body, content_type="application/json")
    # A file download holds its file open until closed. Closing ends the request, which would
    # close the database connection and with it the module's world: not here.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    expected = _expected(access, role, whose, name.startswith(("GET ", "POST ", "PUT ")))
    assert response.status_code == expected, f"{role} {whose} {access.method.upper()} {path}"
