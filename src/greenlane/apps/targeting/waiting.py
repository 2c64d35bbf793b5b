"""Which channel decisions still wait for a result, kept by the database.

A decision waits when it sent its declaration to a check (red or yellow) and no inspection
result is on record for a declaration with its number. The inspection queue lists those; a
query that worked it out each time (decisions with no matching result) reads every check
ever decided, which grows with the years. So the ``waiting`` column is kept by triggers, as
the running totals are (decision 0023): set when a decision is written, cleared when its
result arrives, set again when the result is deleted (a rolled-back results file), whichever
of result and declaration goes first. A partial index holds only the waiting decisions.

Changing this SQL means a new migration that calls ``install`` again.
"""

from __future__ import annotations

from typing import Any

DECISIONS = "targeting_channeldecision"
CHECKS = "('red', 'yellow')"
_RESULT_FOR = (
    "EXISTS (SELECT 1 FROM declarations_inspection i JOIN declarations_declaration d "
    "ON d.id = i.declaration_id WHERE d.number = {number})"
)

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION greenlane_decision_waiting() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  NEW.waiting := NEW.channel IN {CHECKS} AND NOT {_RESULT_FOR.format(number="NEW.number")};
  RETURN NEW;
END
$body$""",
    f"""CREATE OR REPLACE FUNCTION greenlane_result_settles() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE {DECISIONS} c SET waiting = false FROM new_rows r
      JOIN declarations_declaration d ON d.id = r.declaration_id
      WHERE c.number = d.number AND c.waiting;
  ELSE
    UPDATE {DECISIONS} c SET waiting = true FROM old_rows r
      JOIN declarations_declaration d ON d.id = r.declaration_id
      WHERE c.number = d.number AND NOT c.waiting AND c.channel IN {CHECKS};
  END IF;
  RETURN NULL;
END
$body$""",
    f"""CREATE OR REPLACE FUNCTION greenlane_declaration_unsettles() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  UPDATE {DECISIONS} c SET waiting = true FROM old_rows d
    JOIN declarations_inspection i ON i.declaration_id = d.id
    WHERE c.number = d.number AND NOT c.waiting AND c.channel IN {CHECKS};
  RETURN NULL;
END
$body$""",
    f"DROP TRIGGER IF EXISTS greenlane_decision_waiting ON {DECISIONS}",
    f"CREATE TRIGGER greenlane_decision_waiting BEFORE INSERT OR UPDATE OF channel, number "
    f"ON {DECISIONS} FOR EACH ROW EXECUTE FUNCTION greenlane_decision_waiting()",
    "DROP TRIGGER IF EXISTS greenlane_result_settles_insert ON declarations_inspection",
    "CREATE TRIGGER greenlane_result_settles_insert AFTER INSERT ON declarations_inspection "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION greenlane_result_settles()",
    "DROP TRIGGER IF EXISTS greenlane_result_settles_delete ON declarations_inspection",
    "CREATE TRIGGER greenlane_result_settles_delete AFTER DELETE ON declarations_inspection "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION greenlane_result_settles()",
    "DROP TRIGGER IF EXISTS greenlane_declaration_unsettles ON declarations_declaration",
    "CREATE TRIGGER greenlane_declaration_unsettles AFTER DELETE ON declarations_declaration "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION greenlane_declaration_unsettles()",
]
_RECOMPUTE = (
    f"UPDATE {DECISIONS} SET waiting = (channel IN {CHECKS} AND NOT "
    + _RESULT_FOR.format(number=f"{DECISIONS}.number")
    + ") WHERE id = NEW.id"
)
SQLITE = [
    *(
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "greenlane_decision_waiting_insert",
            "greenlane_decision_waiting_update",
            "greenlane_result_settles_insert",
            "greenlane_result_settles_delete",
            "greenlane_declaration_unsettles",
        )
    ),
    f"CREATE TRIGGER greenlane_decision_waiting_insert AFTER INSERT ON {DECISIONS} "
    f"BEGIN {_RECOMPUTE}; END",
    f"CREATE TRIGGER greenlane_decision_waiting_update AFTER UPDATE OF channel, number "
    f"ON {DECISIONS} BEGIN {_RECOMPUTE}; END",
    "CREATE TRIGGER greenlane_result_settles_insert AFTER INSERT ON declarations_inspection "
    f"BEGIN UPDATE {DECISIONS} SET waiting = 0 WHERE waiting AND number = "
    "(SELECT number FROM declarations_declaration WHERE id = NEW.declaration_id); END",
    "CREATE TRIGGER greenlane_result_settles_delete AFTER DELETE ON declarations_inspection "
    f"BEGIN UPDATE {DECISIONS} SET waiting = 1 WHERE NOT waiting AND channel IN {CHECKS} "
    "AND number = (SELECT number FROM declarations_declaration WHERE id = OLD.declaration_id); "
    "END",
    "CREATE TRIGGER greenlane_declaration_unsettles AFTER DELETE ON declarations_declaration "
    "WHEN EXISTS (SELECT 1 FROM declarations_inspection WHERE declaration_id = OLD.id) "
    f"BEGIN UPDATE {DECISIONS} SET waiting = 1 WHERE NOT waiting AND channel IN {CHECKS} "
    "AND number = OLD.number; END",
]
#: Every decision's flag computed afresh (the migration's first fill, and the check).
RECOUNT = (
    f"SELECT id, (channel IN {CHECKS} AND NOT "
    + _RESULT_FOR.format(number=f"{DECISIONS}.number")
    + f") AS waiting FROM {DECISIONS}"
)


def install(connection: Any) -> None:
    """Create (or replace) the triggers and set every decision's flag."""
    statements = POSTGRESQL if connection.vendor == "postgresql" else SQLITE
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    recount(connection)


def recount(connection: Any) -> None:
    """Set every decision's flag afresh (after writes made with the triggers off)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {DECISIONS} SET waiting = (channel IN {CHECKS} AND NOT "
            + _RESULT_FOR.format(number=f"{DECISIONS}.number")
            + ")"
        )


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table, name in (
                (DECISIONS, "greenlane_decision_waiting"),
                ("declarations_inspection", "greenlane_result_settles_insert"),
                ("declarations_inspection", "greenlane_result_settles_delete"),
                ("declarations_declaration", "greenlane_declaration_unsettles"),
            ):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for function in (
                "greenlane_decision_waiting", "greenlane_result_settles",
                "greenlane_declaration_unsettles",
            ):  # fmt: skip
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        else:
            for statement in SQLITE[:5]:
                cursor.execute(statement)


def differing(connection: Any) -> int:
    """Decisions whose flag is not what a recount gives (0: all is well)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {DECISIONS} c JOIN ({RECOUNT}) r ON r.id = c.id "
            "WHERE (c.waiting AND NOT r.waiting) OR (r.waiting AND NOT c.waiting)"
        )
        (n,) = cursor.fetchone()
    return int(n)
