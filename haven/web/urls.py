from __future__ import annotations

from django.urls import path

from haven.web import dashboard as dashboard_views
from haven.web import map as map_views
from haven.web import notes as note_views
from haven.web import views
from haven.web.intake import typeahead as typeahead_views
from haven.web.intake import views as intake_views

app_name = "web"
urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/facets/", views.search_facets, name="search_facets"),
    path("records/persons/<int:pk>/", views.person_detail, name="person"),
    path("records/events/<int:pk>/", views.event_detail, name="event"),
    path("records/acts/<int:pk>/", views.act_detail, name="act"),
    path("records/information/<int:pk>/", views.information_detail, name="information"),
    path("records/places/<int:pk>/", views.place_detail, name="place"),
    path("map/", map_views.map_page, name="map"),
    path("map/data/", map_views.map_data, name="map_data"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("intake/", intake_views.intake_page, name="intake"),
    path("intake/<int:pk>/", intake_views.intake_page, name="intake_draft"),
    path("intake/<int:pk>/discard/", intake_views.discard, name="intake_discard"),
    path("intake/drafts/", intake_views.drafts_page, name="intake_drafts"),
    path("intake/autosave/", intake_views.autosave, name="intake_autosave"),
    path("intake/add/<str:part>/", intake_views.add_part, name="intake_add"),
    path("intake/duplicates/", intake_views.duplicates, name="intake_duplicates"),
    path("typeahead/persons/", typeahead_views.persons_view, name="typeahead_persons"),
    path("typeahead/places/", typeahead_views.places_view, name="typeahead_places"),
    path("typeahead/terms/", typeahead_views.terms_view, name="typeahead_terms"),
    path("records/<str:kind>/<int:pk>/notes/", note_views.note_add, name="note_add"),
]
