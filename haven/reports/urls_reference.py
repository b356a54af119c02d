from __future__ import annotations

from django.urls import path

from haven.reports import views

app_name = "reference"

urlpatterns = [
    path("", views.reference_index, name="index"),
    path("chart/<slug:slug>.<str:fmt>", views.reference_download, name="download"),
    path("<slug:page>/", views.reference_page, name="page"),
]
