from __future__ import annotations

from django.urls import path

from haven.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.reports_index, name="index"),
    path("organisation/", views.organisation_report, name="organisation"),
    path("transit/", views.transit_report, name="transit"),
    path("dossier/", views.dossier_report, name="dossier"),
]
