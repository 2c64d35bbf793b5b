"""A job's message (training, scoring and simulation runs) is kept as words, translated when
read (``greenlane.apps.text_to_json``)."""

from django.db import migrations

from greenlane.apps.text_to_json import text_to_json


class Migration(migrations.Migration):
    dependencies = [
        ("targeting", "0011_score_declaration_date"),
    ]

    operations = [
        text_to_json(
            "targeting",
            [("trainingrun", "message", True), ("scoringrun", "message", True),
             ("simulationrun", "message", True)],
        ),
    ]  # fmt: skip
