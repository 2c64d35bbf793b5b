"""A study's message (a refusal, an internal error, a removed file) is kept as words,
translated when read (``greenlane.apps.text_to_json``)."""

from django.db import migrations

from greenlane.apps.text_to_json import text_to_json


class Migration(migrations.Migration):
    dependencies = [
        ("trs", "0002_study_rates_by_section"),
    ]

    operations = [text_to_json("trs", [("study", "message", True)])]
