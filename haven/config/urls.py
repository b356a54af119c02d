from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from haven.accounts import views as account_views

admin.site.site_header = "Haven"
admin.site.site_title = "Haven"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("haven.accounts.urls")),
    path("evidence/", include("haven.evidence.urls")),
    path("cases/", include("haven.cases.urls")),
    path("jobs/", include("haven.jobs.urls")),
    path("linkage/", include("haven.linkage.urls")),
    path("estimation/", include("haven.estimation.urls")),
    path("reference/", include("haven.reports.urls_reference")),
    path("reports/", include("haven.reports.urls")),
    path("api/v1/", include("haven.api.urls")),
    path("account/api-tokens/", include("haven.api.token_urls")),
    path("import/", include("haven.exchange.urls")),
    path("", include("haven.web.urls")),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]
