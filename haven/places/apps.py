from __future__ import annotations

from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "haven.places"
    verbose_name = "Gazetteer"
