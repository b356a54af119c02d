from __future__ import annotations

from django.urls import path

from haven.accounts import views

app_name = "accounts"
urlpatterns = [
    path("security/", views.security, name="security"),
]
