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
    path("jobs/", include("haven.jobs.urls")),
    path("", include("haven.web.urls")),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]
