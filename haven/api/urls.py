"""/api/v1/: the REST API. Every view authenticates with its own token scheme, so none needs a session login."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from haven.api import cases, views
from haven.api.schema import SchemaView

app_name = "api"


def _api(view_class: Any) -> Any:
    # The API answers 401 itself (no redirect to the login page): LoginRequiredMiddleware must let it through.
    return login_not_required(view_class.as_view())


urlpatterns = [
    path("schema/", _api(SchemaView), name="schema"),
    path("me/", _api(views.MeView), name="me"),
    path("persons/", _api(views.PersonList), name="persons"),
    path("persons/<str:pk>/", _api(views.PersonDetail), name="person"),
    path("events/", _api(views.EventList), name="events"),
    path("events/<str:pk>/", _api(views.EventDetail), name="event"),
    path("acts/", _api(views.ActList), name="acts"),
    path("acts/<str:pk>/", _api(views.ActDetail), name="act"),
    path("information/", _api(views.InformationList), name="information-list"),
    path("information/<str:pk>/", _api(views.InformationDetail), name="information"),
    path("places/", _api(views.PlaceList), name="places"),
    path("places/<str:pk>/", _api(views.PlaceDetail), name="place"),
    path("vocabularies/", _api(views.VocabularyList), name="vocabularies"),
    path("terms/", _api(views.TermList), name="terms"),
    path("terms/<str:pk>/", _api(views.TermDetail), name="term"),
    path("cases/", _api(cases.CaseList), name="cases"),
    path("cases/<str:reference>/", _api(cases.CaseDetail), name="case"),
    path("search/", _api(views.SearchView), name="search"),
    path("export/aggregate/", _api(views.AggregateView), name="aggregate"),
]
