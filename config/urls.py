"""Top-level routes: accounts, admin, the home router and the apps."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from centers import views as centre_views
from core import accounts, token_views
from core import api as core_api
from core import views as core_views

admin.site.site_header = _("chc administration")
admin.site.site_title = _("chc administration")
admin.site.index_title = _("System administration")
admin.site.login_form = accounts.AdminLoginForm

urlpatterns = [
    path("", centre_views.home, name="home"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/tokens/", token_views.api_tokens, name="api-tokens"),
    path("accounts/tokens/<int:pk>/revoke/", token_views.api_token_revoke, name="api-token-revoke"),
    path("api/v1/", include("config.api")),
    re_path(r"^api/", core_api.not_found),  # any other /api/ address: the API's JSON 404
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("readyz/", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("centers.urls")),
    path("", include("staff.urls")),
    path("", include("services.urls")),
    path("", include("reporting.urls")),
]
