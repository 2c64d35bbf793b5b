"""Release-time metrics of a Time Release Study, written once with Ibis.

Every figure is an Ibis expression over the table of accepted consignments
(``events.read_events``), so the same study runs on DuckDB (the default, in process), on the
application's PostgreSQL or on Spark by handing over another backend. Results come back as
plain data (lists of dicts) for reports, the API and tests.

Method (WCO TRS Guide): the duration of each interval between two stages, in hours, where
both stages were recorded; arrival to release is the headline. Outliers are excluded before
any figure by a stated rule, and listed with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from greenlane.core.risk.schema import TRANSPORT_MODE_WORDS
from greenlane.core.words import Figure, Words, _


@dataclass(frozen=True)
class Interval:
    name: str
    title: Words
    start: str
    end: str
    #: Negative durations mean "not waited" (e.g. declaration filed before arrival): count 0.
    floor_zero: bool = False


INTERVALS: tuple[Interval, ...] = (
    Interval("total", _("Arrival to release"), "arrival", "release"),
    Interval("unloading", _("Arrival to unloading"), "arrival", "unloaded"),
    Interval(
        "awaiting_declaration",
        _("Arrival to lodgement (0 if lodged before arrival)"),
        "arrival",
        "lodged",
        floor_zero=True,
    ),
    Interval("registration", _("Lodgement to registration"), "lodged", "registered"),
    Interval("clearance", _("Registration to release"), "registered", "release"),
    Interval("awaiting_examination", _("Registration to examination"), "registered", "exam_start"),
    Interval("examination", _("Examination"), "exam_start", "exam_end"),
    # Not "other_agency": that is the yes/no dimension a breakdown groups by, and a duration
    # of the same name replaced it (one group per distinct number of hours).
    Interval("other_agencies", _("Other government agencies"), "oga_start", "oga_end"),
    Interval("removal", _("Release to exit"), "release", "exit"),
)
BREAKDOWNS = (
    "office_code",
    "transport_mode",
    "channel",
    "aeo",
    "mra_partner",
    "pre_arrival",
    "other_agency",
    "hs_section",
)
#: HS sections by their first chapter (WCO Harmonized System nomenclature).
HS_SECTIONS: tuple[tuple[int, str], ...] = (
    (1, "I"), (6, "II"), (15, "III"), (16, "IV"), (25, "V"), (28, "VI"), (39, "VII"),
    (41, "VIII"), (44, "IX"), (47, "X"), (50, "XI"), (64, "XII"), (68, "XIII"), (71, "XIV"),
    (72, "XV"), (84, "XVI"), (86, "XVII"), (90, "XVIII"), (93, "XIX"), (94, "XX"), (97, "XXI"),
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """What a statistician sets for a study (saved with it, printed in its report)."""

    targets_hours: tuple[float, ...] = (24.0, 48.0, 72.0)
    #: Outlier rule: arrival to release longer than this many hours is excluded ...
    max_hours: float | None = 30 * 24.0
    #: ... and so is anything above the third quartile plus this many interquartile ranges.
    iqr_factor: float | None = 3.0
    breakdowns: tuple[str, ...] = BREAKDOWNS
    curve_step_hours: float = 1.0
    curve_max_hours: float = 240.0


@dataclass
class Results:
    settings: Settings
    consignments: int
    excluded: list[dict[str, Any]]
    thresholds: dict[str, float | None]
    intervals: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    breakdowns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pattern: list[dict[str, Any]] = field(default_factory=list)
    curve: list[dict[str, Any]] = field(default_factory=list)
    #: The release curve of AEO and of other consignments ("true" / "false"), when known.
    curve_by_aeo: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def hours(t: ir.Table, start: str, end: str) -> ir.FloatingValue:
    return (t[end].epoch_seconds() - t[start].epoch_seconds()).cast("float64") / 3600.0


def hs_section(hs6: ir.StringValue) -> ir.StringValue:
    chapter = hs6.substr(0, 2).cast("int32")
    cases = []
    bounds = [first for first, _ in HS_SECTIONS[1:]] + [100]
    for (first, name), upper in zip(HS_SECTIONS, bounds, strict=True):
        cases.append(((chapter >= first) & (chapter < upper), name))
    return ibis.cases(*cases, else_="unknown")


def with_durations(t: ir.Table) -> ir.Table:
    """One row per consignment with a column per interval (hours; null if a stage is absent)."""
    columns: dict[str, ir.Value] = {}
    for interval in INTERVALS:
        if interval.start in t.columns and interval.end in t.columns:
            value = hours(t, interval.start, interval.end)
            columns[interval.name] = (
                ibis.greatest(value, ibis.literal(0.0)) if interval.floor_zero else value
            )
    if "hs6" in t.columns:
        columns["hs_section"] = hs_section(t.hs6)
    return t.mutate(**columns)


def _stats(column: ir.FloatingValue) -> dict[str, ir.Value]:
    return {
        "n": column.count(),
        "mean": column.mean(),
        "median": column.quantile(0.5),
        "p90": column.quantile(0.9),
        "std": column.std(),
        "min": column.min(),
        "max": column.max(),
    }


def _share(condition: ir.BooleanValue) -> ir.FloatingValue:
    # Counted as integers and divided as floats: PostgreSQL and Spark would average the
    # literals 1.0/0.0 as decimals (rounded to a few places).
    hits = ibis.ifelse(condition, 1, 0)
    return hits.sum().cast("float64") / hits.count().cast("float64")


def _rows(backend: Any, expr: ir.Table) -> list[dict[str, Any]]:
    table: pa.Table = backend.to_pyarrow(expr)
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def outlier_thresholds(backend: Any, t: ir.Table, settings: Settings) -> dict[str, float | None]:
    q = _rows(backend, t.aggregate(q1=t.total.quantile(0.25), q3=t.total.quantile(0.75)))[0]
    iqr_limit = None
    if settings.iqr_factor is not None and q["q1"] is not None:
        iqr_limit = q["q3"] + settings.iqr_factor * (q["q3"] - q["q1"])
    return {"q1": q["q1"], "q3": q["q3"], "iqr_limit": iqr_limit, "max_hours": settings.max_hours}


def run(backend: Any, consignments: ir.Table, settings: Settings | None = None) -> Results:
    """Every figure of the study on ``backend`` (an Ibis backend holding ``consignments``)."""
    settings = settings or Settings()
    t = with_durations(consignments)
    limits = outlier_thresholds(backend, t, settings)
    # Each rule's reason, by a code the backend computes (the words are put in afterwards).
    reasons: list[tuple[ir.BooleanValue, str]] = []
    words: dict[str, Words] = {}
    if limits["max_hours"] is not None:
        reasons.append((t.total > limits["max_hours"], "max"))
        words["max"] = _("arrival to release over %(hours)s h", hours=_hours(limits["max_hours"]))
    if limits["iqr_limit"] is not None:
        reasons.append((t.total > limits["iqr_limit"], "iqr"))
        words["iqr"] = _(
            "arrival to release over Q3 + %(factor)s x IQR (%(limit)s h)",
            factor=_hours(settings.iqr_factor or 0.0), limit=Figure(limits["iqr_limit"], 1),
        )  # fmt: skip
    if reasons:
        outlier = ibis.or_(*(condition for condition, _code in reasons))
        reason = ibis.cases(*reasons)
        excluded = [
            {**row, "reason": words[row["reason"]].as_json()}
            for row in _rows(
                backend,
                t.filter(outlier)
                .select("consignment_id", total_hours=t.total, reason=reason)
                .order_by("consignment_id"),
            )
        ]
        kept = t.filter(~outlier)
    else:
        excluded, kept = [], t
    total = _rows(backend, kept.aggregate(n=kept.count()))[0]["n"]
    interval_rows = []
    for interval in INTERVALS:
        if interval.name not in kept.columns:
            continue
        figures = _rows(backend, kept.aggregate(**_stats(kept[interval.name])))[0]
        interval_rows.append({"name": interval.name, "title": interval.title.as_json(), **figures})
    targets = _rows(
        backend,
        kept.aggregate(
            **{
                f"within_{i}": _share(kept.total <= hours_)
                for i, hours_ in enumerate(settings.targets_hours)
            }
        ),
    )[0]
    results = Results(
        settings=settings,
        consignments=total,
        excluded=excluded,
        thresholds=limits,
        intervals=interval_rows,
        targets=[
            {"hours": h, "share": targets[f"within_{i}"]}
            for i, h in enumerate(settings.targets_hours)
        ],
    )
    for name in settings.breakdowns:
        if name in kept.columns:
            results.breakdowns[name] = breakdown(backend, kept, name, settings)
    results.pattern = _rows(
        backend,
        kept.group_by(hour=kept.arrival.hour(), weekday=kept.arrival.day_of_week.index())
        .aggregate(n=kept.count(), mean=kept.total.mean())
        .order_by(["weekday", "hour"]),
    )
    results.curve = release_curve(backend, kept, settings)
    if "aeo" in kept.columns:
        for flag in (True, False):
            part = kept.filter(kept.aeo == flag)
            results.curve_by_aeo[str(flag).lower()] = release_curve(backend, part, settings)
    return results


#: The modes of transport (their words in ``TRANSPORT_MODE_WORDS``) as a breakdown's groups.
MODE_GROUPS: dict[str, Words] = {
    "sea": _("Sea"),
    "rail": _("Rail"),
    "road": _("Road"),
    "air": _("Air"),
    "post": _("Post"),
    "multimodal": _("Multimodal"),
    "fixed installation": _("Fixed installation"),
    "inland waterway": _("Inland waterway"),
    "unknown": _("Unknown"),
}
#: How a breakdown's groups read: the codes and yes/no values a log holds, in words.
GROUP_WORDS: dict[str, dict[str, Words]] = {
    "transport_mode": {
        code: MODE_GROUPS.get(word, Words(word.capitalize()))
        for word, code in TRANSPORT_MODE_WORDS.items()
    },
    "aeo": {"true": _("AEO"), "false": _("Not an AEO")},
    "pre_arrival": {
        "true": _("Declared before arrival"),
        "false": _("Declared on or after arrival"),
    },
    "other_agency": {"true": _("Another agency involved"), "false": _("Customs only")},
    "channel": {
        "green": _("Green channel"),
        "yellow": _("Yellow channel"),
        "red": _("Red channel"),
        "blue": _("Blue channel"),
    },
}
NOT_RECORDED = _("(not recorded)")


def group_label(name: str, group: str | None) -> Words | str:
    """A breakdown group as a reader reads it ("Sea", not "1"; "AEO", not "true"): words,
    or the group's code as the log gives it (an office)."""
    if group is None or group == "":
        return NOT_RECORDED
    return GROUP_WORDS.get(name, {}).get(group, group)


def _hours(value: float) -> Figure:
    """A number of hours as the settings give it: 720, 1.5 (no trailing zeros)."""
    return Figure(value, 0 if float(value).is_integer() else len(f"{value:g}".partition(".")[2]))


def breakdown(backend: Any, t: ir.Table, name: str, settings: Settings) -> list[dict[str, Any]]:
    within = {f"within_{i}": _share(t.total <= h) for i, h in enumerate(settings.targets_hours)}
    stats = _stats(t.total)
    return _rows(
        backend,
        t.group_by(group=t[name].cast("string")).aggregate(**stats, **within).order_by("group"),
    )


def release_curve(backend: Any, t: ir.Table, settings: Settings) -> list[dict[str, Any]]:
    """Share of consignments released within each step of hours, up to the curve's end (or
    to the last release, when that comes earlier)."""
    step = settings.curve_step_hours
    counts = _rows(
        backend,
        t.group_by(bucket=(t.total / step).ceil().cast("int64"))
        .aggregate(n=t.count())
        .order_by("bucket"),
    )
    total = sum(row["n"] for row in counts)
    by_bucket = {row["bucket"]: row["n"] for row in counts}
    out, running = [], 0
    last = int(settings.curve_max_hours / step)
    if by_bucket:
        last = min(last, max(by_bucket))  # the curve ends where every consignment is released
    for bucket in range(last + 1):
        running += by_bucket.get(bucket, 0)
        out.append({"hours": bucket * step, "share": running / total if total else None})
    return out


ENGINES = ("duckdb", "postgres", "spark")


def connect(engine: str = "duckdb", url: str | None = None) -> Any:
    """An Ibis backend: DuckDB in process (default), PostgreSQL at ``url``, or Spark (local
    with two threads unless ``GREENLANE_SPARK_MASTER`` names a cluster)."""
    if engine == "duckdb":
        return ibis.duckdb.connect()
    if engine == "postgres":
        if not url or not url.startswith(("postgres://", "postgresql://")):
            raise ValueError("the postgres engine needs a postgres:// database URL")
        return ibis.connect(url.replace("postgresql://", "postgres://", 1))
    if engine == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise ValueError(
                "the spark engine needs PySpark: pip install 'greenlane[spark]'"
            ) from None
        session = (
            SparkSession.builder.master(os.environ.get("GREENLANE_SPARK_MASTER", "local[2]"))
            .appName("greenlane-trs")
            .config("spark.sql.session.timeZone", "UTC")  # event times are UTC throughout
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
        return ibis.pyspark.connect(session)
    raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")


def load(backend: Any, consignments: pa.Table) -> ir.Table:
    """The accepted consignments as a table the backend reads (Ibis uploads it once)."""
    del backend  # a memtable travels to whichever backend runs the expression
    return ibis.memtable(consignments)
