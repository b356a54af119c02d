from __future__ import annotations

from django.apps import AppConfig


class VocabConfig(AppConfig):
    name = "haven.vocab"
    verbose_name = "Vocabularies"
