from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_list_order")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["compartment", "confidentiality"], name="case_visibility"),
        ),
    ]
