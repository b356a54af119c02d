from __future__ import annotations

from django.urls import path

from haven.evidence import views

app_name = "evidence"
urlpatterns = [path("<int:pk>/download/", views.download, name="download")]
