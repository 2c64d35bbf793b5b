"""A rejected row's reason and an upload's message are kept as words (``Words.as_json``),
translated when read. The texts stored before become JSON strings, which are shown as they
are: on PostgreSQL in the column's one rewrite (``to_jsonb``), elsewhere (SQLite) quoted in
place before the table is rebuilt with the JSON column."""

from typing import Any

from django.db import migrations, models

CHANGED = (("rejectedrow", "reason", False), ("upload", "message", True))


def forwards(apps: Any, schema_editor: Any) -> None:
    _alter(apps, schema_editor, to_json=True)


def backwards(apps: Any, schema_editor: Any) -> None:
    _alter(apps, schema_editor, to_json=False)


def _alter(apps: Any, schema_editor: Any, to_json: bool) -> None:
    """Both ways, ``apps`` holds the models before the migration (text): the columns' fields
    are made here, each way."""
    quote = schema_editor.quote_name
    for name, column, blank in CHANGED:
        model = apps.get_model("declarations", name)
        text = models.TextField(blank=blank)
        data = models.JSONField(blank=True, default=str) if blank else models.JSONField()
        for made in (text, data):
            made.set_attributes_from_name(column)
            made.model = model
        old, new = (text, data) if to_json else (data, text)
        table, quoted = quote(model._meta.db_table), quote(old.column)
        if schema_editor.connection.vendor == "postgresql":
            if to_json:
                kind, using = "jsonb", f"to_jsonb({quoted})"
            else:  # a JSON string back to its text; words as their JSON text
                kind = "text"
                using = (
                    f"CASE WHEN jsonb_typeof({quoted}) = 'string' THEN {quoted} #>> '{{}}' "
                    f"ELSE {quoted}::text END"
                )
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {quoted} TYPE {kind} USING {using}"
            )
            continue
        if to_json:
            schema_editor.execute(f"UPDATE {table} SET {quoted} = json_quote({quoted})")
            schema_editor.alter_field(model, old, new)
        else:
            schema_editor.alter_field(model, old, new)
            schema_editor.execute(
                f"UPDATE {table} SET {quoted} = json_extract({quoted}, '$') "
                f"WHERE json_valid({quoted}) AND json_type({quoted}) = 'text'"
            )


STATE_OPERATIONS = [
    migrations.AlterField(
        model_name="rejectedrow",
        name="reason",
        field=models.JSONField(),
    ),
    migrations.AlterField(
        model_name="upload",
        name="message",
        field=models.JSONField(blank=True, default=str),
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0007_indexes_for_periods_and_parties"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=STATE_OPERATIONS,
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
