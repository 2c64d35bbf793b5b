"""Scoring what is stored: every declaration on record gets a score from the active model.

A ``ScoringRun`` is queued in the transaction of what makes scores due — an ingest of new
declarations, a promotion or a rollback — and the background worker scores what that version
has not scored yet, chunk by chunk, each chunk committed with the run's progress. A run
stopped half-way loses nothing: the next one (or the same one, recovered) scores the rest.
``greenlane score`` runs the same engine in the foreground.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from greenlane import jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import Declaration, IngestBatch
from greenlane.apps.declarations.signals import batch_ingested, batch_rolling_back
from greenlane.apps.targeting import data, services
from greenlane.apps.targeting.models import ACTIVATED, INGESTED, ModelVersion, Score, ScoringRun
from greenlane.apps.targeting.signals import model_activated
from greenlane.core.risk.model import COMPILE_ROWS
from greenlane.core.words import Words, gettext_noop

Step = Callable[[str, float], None]
#: Declarations read, scored and written per transaction: as many as the compiled booster
#: wants (``COMPILE_ROWS``), few enough that progress moves and memory stays flat.
CHUNK = COMPILE_ROWS
#: The highest scores of a version get their reasons (TreeSHAP, ~1 ms a declaration) at the
#: end of each run: the top of every list officers read. Others get theirs when a page shows
#: them (``services.fill_reasons``).
TOP_REASONS = 500


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
    declaration order, each chunk committed; then reasons for its highest scores; audited
    once at the end. ``counted`` is told how many there are to score before the first chunk."""
    step = step or (lambda _text, _share: None)
    version = version or active_version()
    if version is None:
        raise services.TrainingError(_("no active model: train one first (greenlane train)"))
    model = services.load(version)
    todo = unscored(version, declarations)
    total = todo.count()
    if counted is not None:
        counted(total)
    step(
        gettext_noop(
            "declarations to score with v%(version)s: %(count)s",
            version=version.version, count=total,
        ),
        0.0,
    )  # fmt: skip
    done = 0
    # The database reads chunk k and writes chunk k-1 while a second thread predicts chunk k
    # (lleaves and Arrow release the GIL): the two cores work at once.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoring") as pool:
        pending: tuple[npt.NDArray[np.int64], npt.NDArray[Any], Future[Predicted]] | None = None
        for frame in chain(_chunks(todo, total), [None]):  # None: write the last one
            predicted = (
                None
                if frame is None
                else (
                    frame["id"].to_numpy(),
                    frame["declaration_date"].to_numpy(),
                    pool.submit(services.predict, model, frame),
                )
            )
            if pending is not None:
                done += _write(version, *pending)
                step(
                    gettext_noop(
                        "scored %(done)s of %(total)s with v%(version)s",
                        done=done, total=total, version=version.version,
                    ),
                    done / total,
                )  # fmt: skip
            pending = predicted
    if done:
        _refresh_statistics(done)
        services.fill_reasons(top_without_reasons(version))
        audit.record(
            "targeting.declarations.scored",
            actor,
            version,
            {"version": version.version, "scored": done},
        )
    return ScoringResult(version, done)


Predicted = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _refresh_statistics(written: int) -> None:
    """After many scores, ``ANALYZE`` them (a sample; under a second at any size). A planner
    that still counts the scores autovacuum last saw reads every score of a version to find
    a month's (the model page's drift went from 55 ms to 1.9 s at two million)."""
    if connection.vendor == "postgresql" and written >= ingest.ANALYZE_ROWS:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Score._meta.db_table)}")


def _chunks(todo: QuerySet[Declaration], total: int) -> Iterator[pd.DataFrame]:
    """The declarations to score as frames of at most ``CHUNK``, by id, until ``total`` (those
    counted when the run started; later ones have a run of their own)."""
    after, read = 0, 0
    while read < total and (upper := _chunk_end(todo, after)) is not None:
        frame = data.unlabelled(todo.filter(pk__gt=after, pk__lte=upper))
        after = upper
        if not frame.empty:
            read += len(frame)
            yield frame


def _write(
    version: ModelVersion,
    ids: npt.NDArray[np.int64],
    dates: npt.NDArray[Any],
    scores: Future[Predicted],
) -> int:
    probability, revenue = scores.result()
    with transaction.atomic():
        store(version, ids, probability, revenue, dates)
    return len(ids)


def _chunk_end(todo: QuerySet[Declaration], after: int) -> int | None:
    """The id that closes the next chunk of at most ``CHUNK`` declarations past ``after``."""
    ids = todo.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    last = ids[CHUNK - 1 : CHUNK].first()
    return last if last is not None else ids.last()


def top_without_reasons(version: ModelVersion) -> list[Score]:
    """Those of ``version``'s ``TOP_REASONS`` highest scores that have no reasons yet."""
    top = Score.objects.filter(model_version=version).order_by("-probability", "id")
    return [s for s in top[:TOP_REASONS].select_related("model_version") if not s.reasons]


def store(
    version: ModelVersion,
    ids: npt.ArrayLike,
    probability: npt.ArrayLike,
    revenue_at_stake: npt.ArrayLike,
    dates: Sequence[Any] | npt.ArrayLike | None = None,
) -> None:
    """Scores of ``version`` for the declarations ``ids`` without reasons (a page fills them
    when it shows them), in bulk; a declaration that already has a score of ``version`` keeps
    it. ``dates``: the declarations' dates, in the order of ``ids`` (looked up when not given).
    Call it inside a transaction."""
    n = len(np.asarray(ids))
    if not n:
        return
    if dates is None:
        found = dict(
            Declaration.objects.filter(pk__in=[int(i) for i in np.asarray(ids)]).values_list(
                "pk", "declaration_date"
            )
        )
        dates = [found.get(int(i)) for i in np.asarray(ids)]
    scores = pa.table(
        {
            "declaration_id": pa.array(ids, pa.int64()),
            "model_version_id": pa.array(np.full(n, version.pk), pa.int64()),
            "probability": pa.array(probability, pa.float64()),
            "revenue_at_stake": pa.array(np.round(np.asarray(revenue_at_stake, float), 2)),
            "reasons": pa.array(np.full(n, "[]", dtype=object), pa.string()),
            "scored_at": pa.array(np.full(n, timezone.now().isoformat(), dtype=object)),
            "declaration_date": _dates(dates),
        }
    )
    if connection.vendor == "postgresql":
        _copy(scores)
    else:
        _insert(scores)


def _dates(dates: Sequence[Any] | npt.ArrayLike) -> pa.Array:
    """Declaration dates (dates, datetimes or ISO text) as an Arrow date column."""
    values = pd.to_datetime(pd.Series(list(np.asarray(dates, dtype=object))), errors="coerce")
    return pa.Array.from_pandas(values).cast(pa.date32())  # a missing date: null


def _insert(scores: pa.Table) -> None:
    table = connection.ops.quote_name(Score._meta.db_table)
    rows = list(zip(*scores.to_pydict().values(), strict=True))
    marks = ", ".join(["%s"] * scores.num_columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(scores.column_names)}) "
            f"VALUES ({marks}) ON CONFLICT DO NOTHING",
            rows,
        )


def _copy(scores: pa.Table) -> None:
    """PostgreSQL: the scores as CSV straight into the table with COPY. Should another
    writer have scored one of them meanwhile (a run racing this one, a real-time decision),
    the chunk goes through a staging table and ``INSERT ... ON CONFLICT DO NOTHING``
    instead. Scores are derived data, so the commit does not wait for the disk: a crash
    loses at most the last chunks, which the next run scores again."""
    text = io.BytesIO()
    pacsv.write_csv(scores, text, pacsv.WriteOptions(include_header=False))
    table = connection.ops.quote_name(Score._meta.db_table)
    columns = ", ".join(scores.column_names)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        try:
            with transaction.atomic():
                _copy_into(cursor, table, columns, text.getvalue())
        except (IntegrityError, psycopg.errors.UniqueViolation):  # COPY errors come unwrapped
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS score_stage ON COMMIT DROP AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            cursor.execute("TRUNCATE score_stage")
            _copy_into(cursor, "score_stage", columns, text.getvalue())
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM score_stage "
                "ON CONFLICT DO NOTHING"
            )


def _copy_into(cursor: Any, table: str, columns: str, csv: bytes) -> None:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(csv)


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
            message=gettext_noop(
                "declarations scored with v%(version)s: %(count)s",
                version=record.version.version,
                count=result.scored,
            ).as_json(),
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
    stopped=gettext_noop(
        "an internal error stopped the scoring (run %(pk)s); the scores written are kept "
        "and the next run scores the rest"
    ),
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
        request(version, actor, str(Words(INGESTED.message, {"file": batch.file_name})))


@receiver(model_activated, dispatch_uid="targeting.scoring.after_activation")
def after_activation(sender: Any, version: ModelVersion, actor: User | None, **_: Any) -> None:
    """A version that becomes active scores what it has not scored yet."""
    request(version, actor, str(Words(ACTIVATED.message, {"version": str(version.version)})))


@receiver(batch_rolling_back, dispatch_uid="targeting.scoring.before_rollback")
def before_rollback(
    sender: Any, batch: IngestBatch, actor: User | None, **_: Any
) -> dict[str, int]:
    """A file's declarations leave the record: their scores go first (no database foreign key
    would take them along, decision 0021)."""
    scores = connection.ops.quote_name(Score._meta.db_table)
    declarations = connection.ops.quote_name(Declaration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {scores} WHERE declaration_id IN "
            f"(SELECT id FROM {declarations} WHERE batch_id = %s)",
            [batch.pk],
        )
        return {"scores": int(cursor.rowcount)}
