from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_case_external_id")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["-opened_on", "reference"], name="case_list_order"),
        ),
    ]
