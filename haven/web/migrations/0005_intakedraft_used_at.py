"""When each intake draft was last saved or opened: drafts unused for HAVEN_DRAFT_DAYS are deleted."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def from_last_save(apps, schema_editor):  # type: ignore[no-untyped-def]
    # A draft written before this field existed was last used when it was last saved, as far as anyone knows.
    apps.get_model("web", "IntakeDraft").objects.update(used_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0004_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="intakedraft",
            name="used_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.RunPython(from_last_save, migrations.RunPython.noop, elidable=True),
    ]
