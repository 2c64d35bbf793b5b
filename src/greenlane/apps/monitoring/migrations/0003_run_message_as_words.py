"""A monitoring run's message is kept as words, translated when read
(``greenlane.apps.text_to_json``)."""

from django.db import migrations

from greenlane.apps.text_to_json import text_to_json


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_alert_words"),
    ]

    operations = [text_to_json("monitoring", [("run", "message", True)])]
