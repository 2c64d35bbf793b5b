"""A Time Release Study from event files to one result document (plain JSON-able data).

The document holds what the report shows and what a later study is compared with: the
event files' accounting (rows read, accepted, rejected with reasons), the settings, every
metric, the AEO effect and, when a previous study is given, the changes since it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from greenlane.core.trs import effect, events, metrics
from greenlane.core.words import Words, _

#: What is being done (English; each text is a message of its own, without values, so that
#: a page can translate the text it stored), and the share of the work done.
Step = Callable[[str, float], None]
READING = _("reading the event files")
COMPUTING = _("computing the metrics")
ESTIMATING = _("estimating the AEO effect")
DONE = _("done")
#: Every text ``run`` tells its step, for whoever translates a stored one.
STEPS = (READING, COMPUTING, ESTIMATING, DONE)
#: Rejected rows kept in the document (all are counted; a file can reject millions).
REJECTED_KEPT = 1_000


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and datetimes as JSON values; words as their stored form."""
    if isinstance(value, Words):
        return value.as_json()
    if isinstance(value, events.Rejection):  # the reasons in English too, for older readers
        return {
            "row": value.row,
            "reason": value.reason,
            "reasons": [r.as_json() for r in value.reasons],
            "consignment": value.consignment,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def read(paths: Sequence[Path], layout: str | None = None) -> tuple[pa.Table, dict[str, Any]]:
    """Every file's accepted consignments together, and the accounting of what was read."""
    logs, files = [], []
    seen: set[str] = set()
    repeated = 0
    for path in paths:
        log = events.read_events(path, layout)
        ids = log.consignments["consignment_id"]
        again = pc.is_in(ids, value_set=pa.array(sorted(seen), pa.string())) if seen else None
        if again is not None and pc.any(again).as_py():
            repeated += pc.sum(again).as_py()
            log.consignments = log.consignments.filter(pc.invert(again))
        seen.update(log.consignments["consignment_id"].to_pylist())
        logs.append(log)
        files.append(
            {
                "file": path.name,
                "layout": log.layout,
                "rows_read": log.rows_read,
                "rows_rejected": log.rows_rejected,
                "consignments_read": log.consignments_read,
                "consignments_accepted": log.consignments.num_rows,
                "rejected": [_plain(r) for r in log.rejected[:REJECTED_KEPT]],
            }
        )
    table = events.concat(logs) if logs else pa.table({})
    accounting = {
        "files": files,
        "consignments": table.num_rows,
        "repeated_across_files": repeated,
    }
    return table, accounting


def run(
    paths: Sequence[Path],
    title: str = "Time Release Study",
    settings: metrics.Settings | None = None,
    effect_settings: effect.EffectSettings | None = None,
    engine: str = "duckdb",
    url: str | None = None,
    previous: dict[str, Any] | None = None,
    step: Step | None = None,
    layout: str | None = None,
) -> dict[str, Any]:
    say = step or (lambda _text, _share: None)
    say(str(READING), 0.0)
    table, accounting = read(paths, layout)
    if table.num_rows == 0:
        raise events.EventFileError(_("no consignment passed the checks: nothing to measure"))
    say(str(COMPUTING), 0.3)
    backend = metrics.connect(engine, url)
    try:
        consignments = metrics.load(backend, table)
        results = metrics.run(backend, consignments, settings)
        say(str(ESTIMATING), 0.7)
        aeo = None
        if "aeo" in table.column_names and table.num_rows:
            aeo = effect.estimate(backend, consignments, effect_settings)
    finally:
        backend.disconnect()
    arrivals = table["arrival"]
    document = {
        "title": title,
        "engine": engine,
        "computed_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "period": [_iso(pc.min(arrivals).as_py()), _iso(pc.max(arrivals).as_py())],
        "input": accounting,
        "metrics": _plain(results),
        "effect": _plain(aeo) if aeo is not None else None,
    }
    if previous is not None:
        document["comparison"] = compare(document, previous)
    say(str(DONE), 1.0)
    return document


def outcome(document: dict[str, Any]) -> Words:
    """One line on what a run measured: accepted, excluded as outliers, measured."""
    return _(
        "%(accepted)s consignments accepted (%(rejected)s rows rejected), %(excluded)s "
        "excluded as outliers: %(measured)s measured",
        accepted=int(document["input"]["consignments"]),
        rejected=sum(int(f["rows_rejected"]) for f in document["input"]["files"]),
        excluded=len(document["metrics"]["excluded"]),
        measured=int(document["metrics"]["consignments"]),
    )


def named(title: str) -> Words:
    """A study by its title, as a notice names it ("The release study 'March'")."""
    return _("The release study %(title)s", title=repr(title))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def compare(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Changes since an earlier study, interval by interval and target by target."""
    before = {i["name"]: i for i in previous["metrics"]["intervals"]}
    intervals = []
    for now in current["metrics"]["intervals"]:
        then = before.get(now["name"])
        if then is None:
            continue
        row: dict[str, Any] = {"name": now["name"], "title": now["title"]}
        for figure in ("mean", "median", "p90"):
            a, b = then.get(figure), now.get(figure)
            row[figure] = {"previous": a, "current": b}
            if a is not None and b is not None:
                row[figure]["change_hours"] = b - a
                row[figure]["change_share"] = (b - a) / a if a else None
        intervals.append(row)
    old_targets = {t["hours"]: t["share"] for t in previous["metrics"]["targets"]}
    targets = [
        {"hours": t["hours"], "previous": old_targets.get(t["hours"]), "current": t["share"]}
        for t in current["metrics"]["targets"]
    ]
    return {
        "previous_title": previous.get("title"),
        "previous_period": previous.get("period"),
        "intervals": intervals,
        "targets": targets,
    }


def load_document(path: Path) -> dict[str, Any]:
    """A result document saved by ``greenlane trs run --json`` (for comparisons)."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise events.EventFileError(
            _("%(file)s: not a study result (%(problem)s)", file=path.name, problem=str(exc))
        ) from None
    if not isinstance(data, dict) or "metrics" not in data:
        raise events.EventFileError(_("%(file)s: not a study result (no metrics)", file=path.name))
    return data
