"""The shared cache's table (settings.CACHES: Django's database cache), made with the migrations.

Django makes it with its ``createcachetable`` command; running that here means every database Haven migrates —
a new instance, an upgrade, the test databases — has it, with no extra step to forget.
"""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    for cache in settings.CACHES.values():
        if cache["BACKEND"].endswith("DatabaseCache"):
            schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(cache['LOCATION'])}")


class Migration(migrations.Migration):
    dependencies = [("web", "0003_search_counts")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
