from django.urls import path

from greenlane.web import declarations, mappings, risk, views

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
    path("healthz", views.healthz, name="healthz"),
]
