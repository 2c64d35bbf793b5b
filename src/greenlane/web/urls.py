from django.urls import path

from greenlane.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/done/", views.password_changed, name="password_change_done"),
    path("operators/", views.operator_list, name="operator_list"),
    path("operators/<int:pk>/", views.operator_detail, name="operator_detail"),
    path("audit/", views.audit_log, name="audit_log"),
    path("healthz", views.healthz, name="healthz"),
]
