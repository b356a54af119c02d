from __future__ import annotations

from django.urls import path

from haven.exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/result/", views.outcome, name="result"),
    path("<int:pk>/problems.csv", views.problems_csv, name="problems"),
]
