"""A rejected row's reason and an upload's message are kept as words (``Words.as_json``),
translated when read. The texts stored before become JSON strings, which are shown as they
are (``greenlane.apps.text_to_json``: on PostgreSQL in the column's one rewrite, ``to_jsonb``;
elsewhere, SQLite, quoted in place before the table is rebuilt with the JSON column)."""

from django.db import migrations

from greenlane.apps.text_to_json import text_to_json


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0007_indexes_for_periods_and_parties"),
    ]

    operations = [
        text_to_json(
            "declarations", [("rejectedrow", "reason", False), ("upload", "message", True)]
        ),
    ]
