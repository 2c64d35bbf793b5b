from django.urls import path

from greenlane.web import assessments, certification, declarations, mappings, risk, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/done/", views.password_changed, name="password_change_done"),
    path("operators/", views.operator_list, name="operator_list"),
    path("operators/<int:pk>/", views.operator_detail, name="operator_detail"),
    path("audit/", views.audit_log, name="audit_log"),
    path("declarations/uploads/new/", declarations.upload_new, name="upload_new"),
    path("declarations/uploads/<int:pk>/", declarations.upload_detail, name="upload_detail"),
    path(
        "declarations/uploads/<int:pk>/progress",
        declarations.upload_progress,
        name="upload_progress",
    ),
    path("declarations/batches/", declarations.batch_list, name="batch_list"),
    path("declarations/mappings/", mappings.mapping_list, name="mapping_list"),
    path("declarations/mappings/new/", mappings.mapping_new, name="mapping_new"),
    path("declarations/mappings/<int:pk>/", mappings.mapping_detail, name="mapping_detail"),
    path("declarations/batches/<int:pk>/", declarations.batch_detail, name="batch_detail"),
    path(
        "declarations/batches/<int:pk>/rejected.csv",
        declarations.batch_rejected_csv,
        name="batch_rejected_csv",
    ),
    path("risk/models/", risk.model_list, name="model_list"),
    path("risk/models/train/", risk.model_train, name="model_train"),
    path("risk/models/<int:version>/", risk.model_detail, name="model_detail"),
    path("risk/models/<int:version>/activate/", risk.model_activate, name="model_activate"),
    path("risk/scores/", risk.score_list, name="score_list"),
    path("risk/declarations/<int:pk>/", risk.declaration_detail, name="declaration_detail"),
    path("risk/declarations/<int:pk>/result/", risk.declaration_result, name="declaration_result"),
    path("self-test/", assessments.selftest_start, name="selftest_start"),
    path("operators/<int:pk>/self-test/", assessments.selftest_edit, name="selftest_edit"),
    path(
        "operators/<int:pk>/self-test/answers/<str:requirement>",
        assessments.selftest_answer,
        name="selftest_answer",
    ),
    path(
        "operators/<int:pk>/self-test/profile",
        assessments.selftest_profile,
        name="selftest_profile",
    ),
    path("operators/<int:pk>/self-test/evidence", assessments.evidence_add, name="evidence_add"),
    path(
        "operators/<int:pk>/self-test/evidence/<int:evidence_id>/remove",
        assessments.evidence_remove,
        name="evidence_remove",
    ),
    path(
        "operators/<int:pk>/self-test/submit", assessments.selftest_submit, name="selftest_submit"
    ),
    path(
        "operators/<int:pk>/self-test/report/", assessments.selftest_report, name="selftest_report"
    ),
    path("operators/<int:pk>/self-test/report.pdf", assessments.selftest_pdf, name="selftest_pdf"),
    path("operators/<int:pk>/self-tests/", assessments.selftest_history, name="selftest_history"),
    path(
        "operators/<int:pk>/self-tests/<int:sid>/",
        assessments.snapshot_report,
        name="snapshot_report",
    ),
    path(
        "operators/<int:pk>/self-tests/<int:sid>/report.pdf",
        assessments.snapshot_pdf,
        name="snapshot_pdf",
    ),
    path("operators/<int:pk>/action-plan/", assessments.action_add, name="action_add"),
    path("operators/<int:pk>/action-plan/<int:item>/", assessments.action_edit, name="action_edit"),
    path("evidence/<int:evidence_id>/", assessments.evidence_download, name="evidence_download"),
    path("catalogue/", assessments.catalogue_list, name="catalogue_list"),
    path(
        "catalogue/<str:programme_id>/",
        assessments.catalogue_programme,
        name="catalogue_programme",
    ),
    path(
        "operators/<int:pk>/applications/new/",
        certification.application_new,
        name="application_new",
    ),
    path("applications/", certification.application_list, name="application_list"),
    path("applications/<int:pk>/", certification.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/transitions/<str:name>",
        certification.application_transition,
        name="application_transition",
    ),
    path("applications/<int:pk>/findings", certification.finding_save, name="finding_save"),
    path(
        "applications/<int:pk>/findings/<int:finding>/close",
        certification.finding_close,
        name="finding_close",
    ),
    path("applications/<int:pk>/site-report", certification.site_report, name="site_report"),
    path("certificates/", certification.certificate_list, name="certificate_list"),
    path(
        "certification/statistics/",
        certification.certification_statistics,
        name="certification_statistics",
    ),
    path("certificates/<int:pk>/", certification.certificate_detail, name="certificate_detail"),
    path(
        "certificates/<int:pk>/transitions/<str:name>",
        certification.certificate_transition,
        name="certificate_transition",
    ),
    path(
        "certificates/<int:pk>/consent",
        certification.certificate_consent,
        name="certificate_consent",
    ),
    path(
        "certificates/<int:pk>/reviews/<int:review>/submit",
        certification.self_review_submit,
        name="self_review_submit",
    ),
    path("register/", certification.register, name="register"),
    path("verify/", certification.verify, name="verify"),
    path("verify/<str:number>/", certification.verify, name="verify_number"),
    path("verify/<str:number>/qr.svg", certification.verify_qr, name="verify_qr"),
    path("healthz", views.healthz, name="healthz"),
]
