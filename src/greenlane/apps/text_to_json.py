"""A migration that turns text columns into JSON columns holding words
(``Words.as_json``), keeping what they held: the texts stored before become JSON strings,
which are shown as they are (``apps.wording.translated``). On PostgreSQL each column is
rewritten once (``ALTER ... USING to_jsonb``), elsewhere (SQLite) the texts are quoted in
place before the table is rebuilt with the JSON column. Used by the migrations that store a
text column as words (declarations/0008, targeting/0012, monitoring/0003, trs/0003)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations, models


def text_to_json(
    app_label: str, columns: Sequence[tuple[str, str, bool]]
) -> migrations.SeparateDatabaseAndState:
    """The operation for ``columns`` of ``app_label``: (model name, column, blank) each, a
    ``TextField`` before and a ``JSONField`` (default "" when blank) after."""

    def alter(apps: Any, schema_editor: Any, to_json: bool) -> None:
        quote = schema_editor.quote_name
        for name, column, blank in columns:
            model = apps.get_model(app_label, name)
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

    def forwards(apps: Any, schema_editor: Any) -> None:
        alter(apps, schema_editor, to_json=True)

    def backwards(apps: Any, schema_editor: Any) -> None:
        alter(apps, schema_editor, to_json=False)

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(
                model_name=name,
                name=column,
                field=models.JSONField(blank=True, default=str) if blank else models.JSONField(),
            )
            for name, column, blank in columns
        ],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )
