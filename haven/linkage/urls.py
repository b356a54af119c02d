from __future__ import annotations

from django.urls import path

from haven.linkage import views

app_name = "linkage"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/", views.run_create, name="run_create"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/pairs/", views.pairs, name="pairs"),
    path("runs/<int:pk>/clusters/", views.clusters, name="clusters"),
    path("runs/<int:pk>/decisions/", views.decisions, name="decisions"),
    path("pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("pairs/<int:pk>/decide/", views.pair_decide, name="pair_decide"),
    path("clusters/<int:pk>/", views.cluster_detail, name="cluster"),
    path("clusters/<int:pk>/decide/", views.cluster_decide, name="cluster_decide"),
    path("merges/", views.merges, name="merges"),
    path("merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
]
