"""Scoring what is stored: every declaration on record gets a score from the active model.

A ``ScoringRun`` is queued in the transaction of what makes scores due — an ingest of new
declarations, a promotion or a rollback — and the background worker scores what that version
has not scored yet, chunk by chunk, each chunk committed with the run's progress. A run
stopped half-way loses nothing: the next one (or the same one, recovered) scores the rest.
``greenlane score`` runs the same engine in the foreground.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone

from greenlane import jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration, IngestBatch
from greenlane.apps.declarations.signals import batch_ingested
from greenlane.apps.targeting import data, services
from greenlane.apps.targeting.models import ModelVersion, Score, ScoringRun
from greenlane.apps.targeting.signals import model_activated

Step = Callable[[str, float], None]
#: Declarations read, scored and written per transaction: big enough for the booster and the
#: database's bulk paths, small enough that progress moves and memory stays flat.
CHUNK = 50_000
#: Reasons (TreeSHAP, ~0.5 ms a declaration) for the highest-scored 1% of each chunk: the
#: top of every list officers read (any top 500 overall is in its chunk's top 1%); the others
#: get theirs when their page is opened (``services.ensure_reasons``).
REASONS_SHARE = 0.01
COLUMNS = ("declaration_id", "model_version_id", "probability", "revenue_at_stake", "reasons")


@dataclass(frozen=True)
class ScoringResult:
    version: ModelVersion
    scored: int


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


def unscored(
    version: ModelVersion, declarations: QuerySet[Declaration] | None = None
) -> QuerySet[Declaration]:
    """The declarations (default: all on record) that ``version`` has not scored."""
    base = declarations if declarations is not None else Declaration.objects.all()
    return base.exclude(scores__model_version=version)


def score_stored(
    version: ModelVersion | None = None,
    declarations: QuerySet[Declaration] | None = None,
    actor: User | None = None,
    step: Step | None = None,
    counted: Callable[[int], None] | None = None,
) -> ScoringResult:
    """Score what ``version`` (default: the active one) has not scored yet, chunk by chunk in
    declaration order, each chunk committed; audited once at the end. ``counted`` is told how
    many there are to score before the first chunk."""
    step = step or (lambda _text, _share: None)
    version = version or active_version()
    if version is None:
        raise services.TrainingError("no active model: train one first (greenlane train)")
    model = services.load(version)
    todo = unscored(version, declarations)
    total = todo.count()
    if counted is not None:
        counted(total)
    step(f"{total:,} declarations to score with v{version.version}", 0.0)
    done, after = 0, 0
    while done < total and (upper := _chunk_end(todo, after)) is not None:
        frame = data.frame(todo.filter(pk__gt=after, pk__lte=upper), labels=False)
        after = upper
        if frame.empty:
            continue
        scored = services.score_frame(model, frame, REASONS_SHARE)
        with transaction.atomic():
            _store(version, frame["id"].tolist(), scored)
        done += len(frame)
        step(f"scored {done:,} of {total:,} declarations with v{version.version}", done / total)
    if done:
        audit.record(
            "targeting.declarations.scored",
            actor,
            version,
            {"version": version.version, "scored": done},
        )
    return ScoringResult(version, done)


def _chunk_end(todo: QuerySet[Declaration], after: int) -> int | None:
    """The id that closes the next chunk of at most ``CHUNK`` declarations past ``after``."""
    ids = todo.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    last = ids[CHUNK - 1 : CHUNK].first()
    return last if last is not None else ids.last()


def _store(version: ModelVersion, ids: Sequence[int], scored: services.FrameScores) -> None:
    """The chunk's scores, in one bulk statement; a score already there (another run got to
    it first) is kept."""
    rows = [
        (
            int(i), version.pk, float(p), round(float(s), 2),
            json.dumps(services.reason_dicts(why), ensure_ascii=False),
        )
        for i, p, s, why in zip(
            ids, scored.probability, scored.revenue_at_stake, scored.reasons, strict=True
        )
    ]  # fmt: skip
    now = timezone.now()
    table = Score._meta.db_table
    columns = ", ".join((*COLUMNS, "scored_at"))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, rows, now, table, columns)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [(*row, now) for row in rows],
            )


def _copy(cursor: Any, rows: list[tuple[Any, ...]], now: Any, table: str, columns: str) -> None:
    """PostgreSQL: COPY into a staging table, then one INSERT ... ON CONFLICT DO NOTHING."""
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS score_stage ON COMMIT DROP AS "
        f"SELECT {columns} FROM {table} WITH NO DATA"
    )
    cursor.execute("TRUNCATE score_stage")
    text = io.StringIO()
    stamp = now.isoformat()
    for row in rows:
        reasons = row[4].replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        text.write(f"{row[0]}\t{row[1]}\t{row[2]!r}\t{row[3]}\t{reasons}\t{stamp}\n")
    with cursor.cursor.copy(f"COPY score_stage ({columns}) FROM STDIN") as copy:
        copy.write(text.getvalue())
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM score_stage ON CONFLICT DO NOTHING"
    )


# -- in the background ---------------------------------------------------------------------


def request(version: ModelVersion, user: User | None, cause: str) -> ScoringRun:
    """Queue scoring with ``version``, in the caller's transaction; a run for it still
    waiting in the queue will score everything due when it starts, so it is reused."""
    with jobs.atomic():
        waiting = ScoringRun.objects.filter(version=version, status=ScoringRun.Status.QUEUED)
        found = waiting.select_for_update().first()
        if found is not None:
            return found
        record = ScoringRun.objects.create(version=version, requested_by=user, cause=cause[:200])
        audit.record(
            "targeting.scoring.queued", user, record, {"version": version.version, "cause": cause}
        )
        jobs.submit(score_declarations, record)
    return record


def execute(record: ScoringRun, step: Step | None = None) -> ScoringRun:
    """Run a queued scoring run: its progress and count on the record as it goes."""
    result = score_stored(
        record.version,
        actor=record.requested_by,
        step=step or jobs.step(record),
        counted=lambda total: ScoringRun.objects.filter(pk=record.pk).update(total=total),
    )
    with transaction.atomic():
        ScoringRun.objects.filter(pk=record.pk).update(
            status=ScoringRun.Status.DONE,
            progress=1.0,
            scored=result.scored,
            message=f"{result.scored:,} declarations scored with v{record.version.version}",
            finished_at=timezone.now(),
        )
        audit.record(
            "targeting.scoring.done",
            record.requested_by,
            record,
            {"version": record.version.version, "scored": result.scored},
        )
    record.refresh_from_db()
    return record


@jobs.background(
    "targeting.ScoringRun",
    refused=(services.TrainingError,),
    stopped="an internal error stopped the scoring (run {pk}); the scores written are kept "
    "and the next run scores the rest",
    audit_as="targeting.scoring",
)
def score_declarations(record: ScoringRun) -> None:
    """Execute a queued scoring run (in the background)."""
    execute(record)


@receiver(batch_ingested, dispatch_uid="targeting.scoring.after_ingest")
def after_ingest(sender: Any, batch: IngestBatch, actor: User | None, **_: Any) -> None:
    """New declarations are scored by the active model right after their ingest."""
    version = active_version()
    if version is not None and batch.rows_accepted:
        request(version, actor, f"ingest of {batch.file_name}")


@receiver(model_activated, dispatch_uid="targeting.scoring.after_activation")
def after_activation(sender: Any, version: ModelVersion, actor: User | None, **_: Any) -> None:
    """A version that becomes active scores what it has not scored yet."""
    request(version, actor, f"v{version.version} became the active model")
