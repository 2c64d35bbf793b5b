"""PostgreSQL: the running totals are rewritten by every ingest and scoring chunk, a few rows
many times over. Half-empty pages let each rewrite stay on its page without touching the
indexes (a HOT update: only counts change, never a key), and autovacuum comes after a fixed
number of dead rows rather than a share of the table, so a large ingest does not leave the
totals ten times their size for the pages to read through."""

from django.db import migrations

TABLES = (
    "tallies_declarationtally",
    "tallies_importertally",
    "tallies_inspectiontally",
    "tallies_officeinspectiontally",
    "tallies_officetally",
    "tallies_partyinspectiontally",
    "tallies_partytally",
    "tallies_scoretally",
)
SETTINGS = (
    "fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000, "
    "autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 10000"
)
NAMES = (
    "fillfactor", "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_threshold",
    "autovacuum_analyze_scale_factor", "autovacuum_analyze_threshold",
)  # fmt: skip


def tune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(NAMES)})")


class Migration(migrations.Migration):
    dependencies = [("tallies", "0002_office_and_party_tallies")]

    operations = [migrations.RunPython(tune, untune)]
