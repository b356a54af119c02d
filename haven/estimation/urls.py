from __future__ import annotations

from django.urls import path

from haven.estimation import views

app_name = "estimation"
urlpatterns = [
    path("", views.run_list, name="runs"),
    path("new/", views.run_new, name="new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/models/", views.run_models, name="models"),
    path("runs/<int:pk>/rerun/", views.run_rerun, name="rerun"),
    path("runs/<int:pk>/<str:name>.svg", views.run_plot, name="plot"),
]
