"""The triggers that keep the running totals, for PostgreSQL and SQLite, and a recount.

Each ``Count`` says how the rows of one source table add to one tally: the tally's key
columns and the measures summed, as SQL over the changed row ``{r}`` (and, for a count that
needs another table, the joined row ``j``). From it come:

- on PostgreSQL, statement-level triggers with transition tables: one grouped upsert per
  statement, so a COPY of a million declarations costs two hash aggregates, not a million
  row updates; an UPDATE nets old against new and touches no tally row when nothing counted
  changed (filling in a score's reasons, say); upserts go in key order, so two writers meet
  the same rows in the same order and wait rather than deadlock;
- on SQLite (the demo's database), row-level triggers doing the same for one row;
- ``recount``: the tallies computed afresh from the source tables, which ``check`` compares
  and ``rebuild`` writes (``greenlane tallies``).

An inspection counts under its declaration's office. Whichever of the two rows goes first
when both are deleted, the inspection is subtracted once: the inspection's trigger subtracts
it while its declaration still exists, the declaration's trigger subtracts the inspections
still attached. A declaration is always stored before its inspection (the foreign key says
so), so a new declaration brings no inspection with it and its insert does not look.

Changing this SQL means a new migration that calls ``install`` again (it replaces what is
there) and ``rebuild``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

DECLARATIONS = "declarations_declaration"
INSPECTIONS = "declarations_inspection"
SCORES = "targeting_score"


@dataclass(frozen=True)
class Count:
    tally: str
    source: str
    keys: tuple[tuple[str, str], ...]
    measures: tuple[tuple[str, str], ...]
    #: (table, condition) joined as ``j``; the count is nothing for a row without a match.
    join: tuple[str, str] | None = None
    #: False: a second way into a tally that another count recounts; not run on insert.
    primary: bool = True
    #: True: counted from another tally (its source) by that tally's trigger; a rebuild
    #: empties it and rebuilding the source fills it again.
    derived: bool = False

    def select(self, row: str, sign: str, source: str | None = None) -> str:
        """One SELECT of keys and signed measures for the row(s) named ``row``."""

        def sql(expr: str) -> str:
            return expr.replace("{r}", row)

        columns = [f"{sql(e)} AS {c}" for c, e in self.keys]
        columns += [f"{sign}({sql(e)}) AS {c}" for c, e in self.measures]
        tables = source or "(SELECT 1) AS one"
        if self.join:
            tables += f" JOIN {self.join[0]} j ON {sql(self.join[1])}"
        return f"SELECT {', '.join(columns)} FROM {tables}"

    def upsert(self, select: str, grouped: bool) -> str:
        keys = ", ".join(c for c, _ in self.keys)
        measures = [c for c, _ in self.measures]
        values = ", ".join(f"SUM({c})" if grouped else c for c in measures)
        # SQLite reads an ON after a FROM as a join's unless a WHERE comes between.
        tail = " WHERE 1 = 1"
        if grouped:
            nonzero = " OR ".join(f"SUM({c}) <> 0" for c in measures)
            tail = f" GROUP BY {keys} HAVING {nonzero} ORDER BY {keys}"
        sets = ", ".join(f"{c} = {self.tally}.{c} + excluded.{c}" for c in measures)
        return (
            f"INSERT INTO {self.tally} ({keys}, {', '.join(measures)}) "
            f"SELECT {keys}, {values} FROM ({select}) AS change{tail} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        )

    def recount(self) -> str:
        """The tally's rows as the source tables give them now (nonzero rows only)."""
        keys = ", ".join(c for c, _ in self.keys)
        sums = ", ".join(f"SUM({c}) AS {c}" for c, _ in self.measures)
        nonzero = " OR ".join(f"SUM({c}) <> 0" for c, _ in self.measures)
        select = self.select("r", "", f"{self.source} r")
        return f"SELECT {keys}, {sums} FROM ({select}) AS rows GROUP BY {keys} HAVING {nonzero}"


_ONE = "1"
_INSPECTION_MEASURES = (
    ("inspections", _ONE),
    ("irregularities", "CASE WHEN {r}.fraud_found THEN 1 ELSE 0 END"),
    ("critical", "CASE WHEN {r}.critical THEN 1 ELSE 0 END"),
    ("revenue_recovered_cents", "CAST(ROUND({r}.revenue_recovered * 100) AS BIGINT)"),
)


def _results(tally: str, keys: tuple[str, ...], by_day: bool = False) -> tuple[Count, Count]:
    """Inspection results counted under their declaration's columns ``keys`` (and the day of
    inspection when ``by_day``): from the inspection, joined to its declaration; and the same
    seen from the declaration, its inspection still attached (not run on insert: a new
    declaration brings no inspection with it)."""
    from_result = (("day", "{r}.inspected_on"),) if by_day else ()
    from_declaration = (("day", "j.inspected_on"),) if by_day else ()
    return (
        Count(
            tally,
            INSPECTIONS,
            from_result + tuple((k, f"j.{k}") for k in keys),
            _INSPECTION_MEASURES,
            join=(DECLARATIONS, "j.id = {r}.declaration_id"),
        ),
        Count(
            tally,
            DECLARATIONS,
            from_declaration + tuple((k, "{r}." + k) for k in keys),
            tuple((c, e.replace("{r}", "j")) for c, e in _INSPECTION_MEASURES),
            join=(INSPECTIONS, "j.declaration_id = {r}.id"),
            primary=False,
        ),
    )


COUNTS = (
    Count(
        "tallies_declarationtally",
        DECLARATIONS,
        (
            ("day", "{r}.declaration_date"),
            ("office_code", "{r}.office_code"),
            ("transport_mode", "{r}.transport_mode"),
        ),
        (("declarations", _ONE),),
    ),
    Count(
        "tallies_importertally",
        DECLARATIONS,
        (("importer_code", "{r}.importer_code"),),
        (("declarations", _ONE),),
    ),
    *_results("tallies_inspectiontally", ("office_code",), by_day=True),
    Count(
        "tallies_officetally",
        DECLARATIONS,
        (("office_code", "{r}.office_code"), ("transport_mode", "{r}.transport_mode")),
        (("declarations", _ONE),),
    ),
    *_results("tallies_officeinspectiontally", ("office_code",)),
    Count(
        "tallies_partytally",
        DECLARATIONS,
        (("importer_code", "{r}.importer_code"), ("declarant_code", "{r}.declarant_code")),
        (("declarations", _ONE),),
    ),
    *_results("tallies_partyinspectiontally", ("importer_code", "declarant_code")),
    # After the per-importer tally, which it counts (a rebuild empties them in this order).
    Count(
        "tallies_importercount",
        "tallies_importertally",
        (("id", "1"),),
        (("importers", "CASE WHEN {r}.declarations > 0 THEN 1 ELSE 0 END"),),
        derived=True,
    ),
    Count(
        "tallies_scoretally",
        SCORES,
        (("model_version_id", "{r}.model_version_id"),),
        (("scores", _ONE),),
    ),
)

SOURCES = tuple(dict.fromkeys(c.source for c in COUNTS))
OPERATIONS = ("insert", "update", "delete")


def _name(source: str) -> str:
    return f"greenlane_tally_{source}"


def _present(connection: Any) -> tuple[Count, ...]:
    """The counts whose tally table exists: a migration that runs before a later one has
    made its table installs (and recounts) only what it can see, and the later one calls
    ``install`` again."""
    tables = set(connection.introspection.table_names())
    return tuple(c for c in COUNTS if c.tally in tables)


def _postgresql(source: str, present: tuple[Count, ...]) -> list[str]:
    counts = [c for c in present if c.source == source]

    def body(*parts: tuple[str, str]) -> str:
        statements = []
        for count in counts:
            if parts == (("new_rows", ""),) and not count.primary:
                continue
            union = " UNION ALL ".join(count.select("r", sign, f"{rows} r") for rows, sign in parts)
            statements.append(count.upsert(union, grouped=True) + ";")
        return "\n    ".join(statements) or "NULL;"

    name = _name(source)
    function = f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {body(("new_rows", ""))}
  ELSIF TG_OP = 'DELETE' THEN
    {body(("old_rows", "-"))}
  ELSE
    {body(("old_rows", "-"), ("new_rows", ""))}
  END IF;
  RETURN NULL;
END
$body$"""
    each = "FOR EACH STATEMENT EXECUTE FUNCTION"
    return [
        function,
        *_drop_postgresql(source)[:3],
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {source} "
        f"REFERENCING NEW TABLE AS new_rows {each} {name}()",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {source} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {each} {name}()",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {source} "
        f"REFERENCING OLD TABLE AS old_rows {each} {name}()",
    ]


def _drop_postgresql(source: str) -> list[str]:
    name = _name(source)
    return [
        *(
            f"DROP TRIGGER IF EXISTS {name}_{op} ON {source}"
            for op in ("insert", "update", "delete")
        ),
        f"DROP FUNCTION IF EXISTS {name}()",
    ]


def _sqlite(source: str, present: tuple[Count, ...]) -> list[str]:
    counts = [c for c in present if c.source == source]
    name = _name(source)

    def statements(row: str, sign: str, insert: bool = False) -> str:
        return " ".join(
            c.upsert(c.select(row, sign), grouped=False) + ";"
            for c in counts
            if c.primary or not insert
        )

    return [
        *_drop_sqlite(source),
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {source} "
        f"BEGIN {statements('NEW', '', insert=True)} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {source} "
        f"BEGIN {statements('OLD', '-')} {statements('NEW', '')} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {source} BEGIN {statements('OLD', '-')} END",
    ]


def _drop_sqlite(source: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {_name(source)}_{op}" for op in OPERATIONS]


def _statements(connection: Any, drop: bool = False) -> Iterable[str]:
    vendor, present = connection.vendor, _present(connection)
    tables = set(connection.introspection.table_names())
    # A source without a tally yet (a tally counted from another, before its migration) gets
    # no trigger; a source that is no table yet has none to drop.
    counted = {c.source for c in present}
    for source in SOURCES:
        if source not in (tables if drop else counted):
            continue
        if vendor == "postgresql":
            yield from _drop_postgresql(source) if drop else _postgresql(source, present)
        elif vendor == "sqlite":
            yield from _drop_sqlite(source) if drop else _sqlite(source, present)
        else:  # pragma: no cover - settings allow only these two
            raise NotImplementedError(f"no tally triggers for {vendor}")


def install(connection: Any) -> None:
    """Create (or replace) every trigger."""
    with connection.cursor() as cursor:
        for statement in _statements(connection):
            cursor.execute(statement)


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection, drop=True):
            cursor.execute(statement)


def recount(connection: Any) -> dict[str, set[tuple[Any, ...]]]:
    """Each tally's nonzero rows as a recount of the source tables gives them."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for count in _present(connection):
            if count.primary:
                cursor.execute(count.recount())
                out[count.tally] = {_plain(row) for row in cursor.fetchall()}
    return out


def stored(connection: Any) -> dict[str, set[tuple[Any, ...]]]:
    """Each tally's nonzero rows as stored."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for count in _present(connection):
            if count.primary:
                keys = ", ".join(c for c, _ in count.keys)
                measures = [c for c, _ in count.measures]
                nonzero = " OR ".join(f"{c} <> 0" for c in measures)
                cursor.execute(
                    f"SELECT {keys}, {', '.join(measures)} FROM {count.tally} WHERE {nonzero}"
                )
                out[count.tally] = {_plain(row) for row in cursor.fetchall()}
    return out


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Dates as ISO text and integers as int: SQLite and PostgreSQL give them differently."""
    return tuple(
        v.isoformat() if hasattr(v, "isoformat") else int(v) if not isinstance(v, str) else v
        for v in row
    )


def check(connection: Any) -> dict[str, int]:
    """For each tally, how many of its keys (a day and office, an importer, ...) hold other
    figures than a recount gives (0 everywhere: all is well)."""
    counted, kept = recount(connection), stored(connection)
    keys = {c.tally: len(c.keys) for c in COUNTS}
    return {
        tally: len({row[: keys[tally]] for row in counted[tally] ^ kept[tally]})
        for tally in counted
    }


def rebuild(connection: Any) -> None:
    """Replace every tally with a recount (in the caller's transaction). On PostgreSQL the
    counted tables are locked against writes meanwhile, so that no change falls between the
    recount and the triggers; reads go on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            cursor.execute(f"LOCK TABLE {', '.join(SOURCES)} IN SHARE MODE")
        present = _present(connection)
        for count in present:
            if count.primary:
                cursor.execute(f"DELETE FROM {count.tally}")
        for count in present:
            if count.primary and not count.derived:
                columns = [c for c, _ in count.keys] + [c for c, _ in count.measures]
                cursor.execute(
                    f"INSERT INTO {count.tally} ({', '.join(columns)}) {count.recount()}"
                )
