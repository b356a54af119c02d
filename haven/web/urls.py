from __future__ import annotations

from django.urls import path

from haven.web import views

app_name = "web"
urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("records/persons/<int:pk>/", views.person_detail, name="person"),
    path("records/events/<int:pk>/", views.event_detail, name="event"),
    path("records/acts/<int:pk>/", views.act_detail, name="act"),
    path("records/information/<int:pk>/", views.information_detail, name="information"),
    path("records/places/<int:pk>/", views.place_detail, name="place"),
]
