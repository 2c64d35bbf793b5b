"""The declarations' link to their batch without a foreign-key constraint in the database
(decision 0033): checked row by row at commit, it cost a sixth of a large ingest."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0009_retired_months"),
    ]

    operations = [
        migrations.AlterField(
            model_name="declaration",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="declarations",
                to="declarations.ingestbatch",
            ),
        ),
    ]
