"""How many importers have a declaration on record, as one row kept by the per-importer
tally's own trigger (the statistician's start page counted that tally, which grows with the
importers of every year on record)."""

from django.db import migrations, models

from greenlane.apps.tallies import triggers

SETTINGS = (
    "fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000, "
    "autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000"
)


def install(apps, schema_editor):
    """The triggers again (the per-importer tally now has its own) and a recount."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE tallies_importercount SET ({SETTINGS})")
    triggers.install(schema_editor.connection)
    triggers.rebuild(schema_editor.connection)


def reinstall(apps, schema_editor):
    """Back: the trigger on the per-importer tally would write into a table about to go; drop
    the triggers here, as 0002 does, and the last migration's install puts them back."""
    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tallies", "0003_tally_storage")]

    operations = [
        migrations.CreateModel(
            name="ImporterCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("importers", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, reinstall),
    ]
