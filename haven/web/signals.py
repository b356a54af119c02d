"""Keep the search table in step with events saved one by one (bulk loads call event_texts_fill).

Also connects the receivers that make kept search counts stale when records change (haven.web.searchcache).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from haven.records.models import Event
from haven.web.searchcache import connect_receivers


@receiver(post_save, sender=Event, dispatch_uid="haven.web.event_text")
def _event_saved(sender: Any, instance: Event, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    from haven.web.textsearch import event_text_sync

    event_text_sync(instance)


connect_receivers()
