"""The risk model's life after training: retraining (on request or weekly), the comparison of
a challenger with the active champion, promotion by an analyst, and drift.

A retrained version never scores by itself: it waits as a challenger, compared with the
active version on the same held-out inspected declarations, until an analyst promotes it
(``promote``), giving a reason when it did worse. Drift is read week by week from the scores
and inspection results on record (``drift``), against the reference the version kept at
training.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Avg, Case, Count, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from greenlane import jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration, Inspection
from greenlane.apps.notices import services as notices
from greenlane.apps.targeting import data, services
from greenlane.apps.targeting.models import ChannelDecision, ModelVersion, Score, TrainingRun
from greenlane.apps.targeting.permissions import MODEL_ROLES
from greenlane.core import errors
from greenlane.core.risk import drift as core
from greenlane.core.words import Words, gettext_noop

Step = Callable[[str, float], None]
#: Fewer held-out inspected declarations than this, unseen by the champion, and the
#: comparison falls back on the whole held-out period (and says the champion saw part of it).
MIN_COMPARED = 200
#: Metrics shown side by side; the first decides the verdict.
COMPARED = ("precision@5", "recall@5", "revenue@5")
NOT_COMPARABLE = "not comparable"
#: The verdicts (codes, kept in the comparison and compared by the pages) as a reader sees them.
VERDICTS = {
    "better": pgettext_lazy("verdict of a model comparison", "better"),
    "worse": pgettext_lazy("verdict of a model comparison", "worse"),
    "no clear difference": pgettext_lazy("verdict of a model comparison", "no clear difference"),
    NOT_COMPARABLE: pgettext_lazy("verdict of a model comparison", "not comparable"),
}
#: A week's drift (``core.risk.drift.psi_status``, codes) as a reader sees it.
DRIFT_STATUSES = {
    "no scores": pgettext_lazy("drift of a week's scores", "no scores"),
    "stable": pgettext_lazy("drift of a week's scores", "stable"),
    "moderate shift": pgettext_lazy("drift of a week's scores", "moderate shift"),
    "major shift": pgettext_lazy("drift of a week's scores", "major shift"),
}
NO_CHAMPION = "no other active version to compare"


class Refused(errors.NotAllowed):
    """The version cannot be promoted now: it is already active, is not yet compared with the
    active version, or did worse than it and no reason was given."""


# -- champion and challenger -------------------------------------------------------------


def compare(challenger: ModelVersion, champion: ModelVersion | None = None) -> dict[str, Any]:
    """Compare ``challenger`` with ``champion`` (default: the active version) on the
    challenger's held-out inspected declarations, store the result on the challenger and
    return it."""
    champion = champion or ModelVersion.objects.filter(is_active=True).first()
    if champion is None or champion.pk == challenger.pk:
        result: dict[str, Any] = {"champion": None, "note": NO_CHAMPION}
    else:
        result = _compare(challenger, champion)
    ModelVersion.objects.filter(pk=challenger.pk).update(comparison=result)
    challenger.comparison = result
    return result


def _compare(challenger: ModelVersion, champion: ModelVersion) -> dict[str, Any]:
    base: dict[str, Any] = {
        "champion": champion.version,
        "compared_at": timezone.now().isoformat(timespec="seconds"),
    }
    path = services.holdout_path(challenger.version)
    if not path.is_file():
        return {
            **base,
            "error": f"v{challenger.version} kept no held-out scores to compare",
            "problem": "no_holdout",
        }
    held = np.load(path)
    by_id = dict(zip(held["ids"].tolist(), held["probability"].tolist(), strict=True))
    inspected = Declaration.objects.filter(
        inspection__isnull=False,
        declaration_date__gte=challenger.holdout_from,
        declaration_date__lte=challenger.training_to,
    )
    unseen = inspected.filter(declaration_date__gt=champion.training_to)
    rows = data.frame(unseen)
    rows = rows[rows["id"].isin(by_id)] if not rows.empty else rows
    seen = rows.empty or len(rows) < MIN_COMPARED or rows["fraud"].astype(bool).nunique() < 2
    if seen:  # too few declarations the champion never saw: use the whole held-out period
        rows = data.frame(inspected)
        rows = rows[rows["id"].isin(by_id)] if not rows.empty else rows
    if rows.empty or rows["fraud"].astype(bool).nunique() < 2:
        return {**base, "error": "too few held-out inspection results, with and without "
                "irregularities, to compare the versions", "problem": "too_few"}  # fmt: skip
    try:
        with translation.override(None):  # kept with the version: in the source language
            champion_scores = services.load(champion).predict_proba(rows)[:, 1]
    except services.TrainingError as exc:
        return {
            **base,
            "error": f"the champion cannot score: {exc}",
            "problem": "champion_failed",
            "detail": str(exc),
        }
    challenger_scores = rows["id"].map(by_id).to_numpy(dtype=float)
    fraud = rows["fraud"].astype(float).to_numpy()
    revenue = rows["revenue_recovered"].fillna(0).to_numpy(dtype=float)
    differences = core.compare(champion_scores, challenger_scores, fraud, revenue, COMPARED)
    seen_rows = int((rows["declaration_date"].dt.date <= champion.training_to).sum())
    # Scored on declarations it learned from, the champion looks better than it is: the
    # figures are shown, but no verdict is drawn from them.
    verdict = NOT_COMPARABLE if seen else differences[0].verdict
    return {
        **base,
        "rows": len(rows),
        "frauds": int(fraud.sum()),
        "from": str(rows["declaration_date"].min().date()),
        "to": str(rows["declaration_date"].max().date()),
        "champion_saw_them": seen,
        "seen_rows": seen_rows,
        "metrics": [
            {
                "metric": d.metric,
                "champion": d.champion,
                "challenger": d.challenger,
                "low": d.low,
                "high": d.high,
                "verdict": NOT_COMPARABLE if seen else d.verdict,
            }
            for d in differences
        ],
        "verdict": verdict,
    }


def verdict_label(code: str | None) -> str:
    """A verdict as the reader sees it (a code it does not know, as it is)."""
    return str(VERDICTS.get(code or "", code or ""))


def drift_label(code: str) -> str:
    """A week's drift status as the reader sees it."""
    return str(DRIFT_STATUSES.get(code, code))


def comparison_problem(compared: dict[str, Any], version: int) -> str:
    """Why ``version``'s comparison could not be made, in the reader's language ("" when it
    was made). A comparison stored before its problem was kept as a code says it in English."""
    problem = compared.get("problem")
    if problem == "no_holdout":
        return _("v%(version)s kept no held-out scores to compare") % {"version": version}
    if problem == "too_few":
        return _(
            "too few held-out inspection results, with and without irregularities, to compare "
            "the versions"
        )
    if problem == "champion_failed":
        return _("the champion cannot score: %(error)s") % {"error": compared.get("detail", "")}
    return str(compared.get("error") or "")


def comparison_note(compared: dict[str, Any]) -> str:
    """What the comparison says instead of figures, in the reader's language ("" when none)."""
    note = str(compared.get("note") or "")
    return _("no other active version to compare") if note == NO_CHAMPION else note


def promote(version: ModelVersion, actor: User | None, reason: str = "") -> ModelVersion:
    """Make ``version`` the active one, after its comparison with the active version; a
    challenger that did worse needs a reason."""
    champion = ModelVersion.objects.filter(is_active=True).first()
    if champion is not None and champion.pk == version.pk:
        raise Refused(
            _("v%(version)s is already the active version") % {"version": version.version}
        )
    reason = reason.strip()
    if champion is not None:
        compared = version.comparison or {}
        if compared.get("champion") != champion.version:
            raise Refused(
                _("compare v%(version)s with the active v%(active)s before promoting it")
                % {"version": version.version, "active": champion.version}
            )
        if compared.get("verdict") in (None, "worse", NOT_COMPARABLE) and not reason:
            values = {"version": version.version, "active": champion.version}
            if compared.get("verdict") == "worse":
                why = _("v%(version)s did worse than v%(active)s: give the reason to promote it")
            else:
                why = _(
                    "v%(version)s could not be compared fairly with v%(active)s: give the reason "
                    "to promote it"
                )
            raise Refused(why % values)
    with transaction.atomic():
        services.activate_version(version, actor)
        audit.record(
            "targeting.model.promoted",
            actor,
            version,
            {
                "version": version.version,
                "champion": champion.version if champion else None,
                "verdict": (version.comparison or {}).get("verdict"),
                "reason": reason,
            },
        )
    return version


def roll_back(version: ModelVersion, actor: User | None, reason: str) -> ModelVersion:
    """Make an earlier active version the active one again, with the reason (no comparison:
    it scored before, and the newer one is what is in doubt). Scores it lacks are made in the
    background; the scores of every version are kept."""
    reason = reason.strip()
    if not reason:
        raise Refused(_("say why the model is rolled back"), "reason")
    if len(reason) > 2_000:
        raise Refused(
            _("the reason is longer than %(n)s characters")
            % {"n": number_format(2_000, force_grouping=True)},
            "reason",
        )
    if version.is_active:
        raise Refused(
            _("v%(version)s is already the active version") % {"version": version.version}
        )
    if version.activated_at is None:
        raise Refused(
            _("v%(version)s has never been the active version: compare it and promote it instead")
            % {"version": version.version}
        )
    services.load(version)  # its artifact must be there and unaltered before it takes over
    current = ModelVersion.objects.filter(is_active=True).first()
    with transaction.atomic():
        services.activate_version(version, actor)
        audit.record(
            "targeting.model.rolled_back",
            actor,
            version,
            {
                "version": version.version,
                "from": current.version if current else None,
                "reason": reason,
            },
        )
    return version


# -- (re)training runs -------------------------------------------------------------------


def retrain(
    actor: User | None = None, step: Step | None = None, run: TrainingRun | None = None
) -> ModelVersion:
    """Train a challenger on everything on record (inspection results included) and compare
    it with the active version; it does not score until promoted. With ``run``, the version is
    linked to it as it is registered, and a run that already has one (it was stopped after the
    training) is only compared again: never two challengers from one run."""
    step = step or (lambda _text, _share: None)
    version = None
    if run is not None:
        version = TrainingRun.objects.get(pk=run.pk).version
    if version is None:
        shares = iter((0.05, 0.3, 0.7))
        link = (
            (lambda v: TrainingRun.objects.filter(pk=run.pk).update(version=v))
            if run is not None
            else None
        )
        version = services.train(
            actor, activate=False, say=lambda text: step(text, next(shares, 0.8)), saved=link
        )
    step(gettext_noop("comparing with the active version"), 0.85)
    compare(version)
    return version


def request(user: User | None) -> TrainingRun:
    """Queue a training run: the run, its audit event and its task commit together
    (``jobs.submit``)."""
    with jobs.atomic():
        record = TrainingRun.objects.create(requested_by=user)
        audit.record("targeting.training.queued", user, record, {})
        jobs.submit(retrain_model, record)
    return record


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@jobs.periodic("retraining", setting="RETRAIN_SCHEDULE", on="weekly")
def schedule_due(day: date) -> TrainingRun | None:
    """Queue the week's scheduled retraining unless there is one, or a version was trained
    this week anyway (several workers may ask at once: the database lets one create it)."""
    monday = week_of(day)
    if ModelVersion.objects.filter(created_at__date__gte=monday).exists():
        return None  # a version was trained this week already (by an analyst, or the demo)
    try:
        with jobs.atomic():
            record = TrainingRun.objects.create(week=monday)
            audit.record("targeting.training.scheduled", None, record, {"week": monday.isoformat()})
            jobs.submit(retrain_model, record)
    except IntegrityError:
        return None
    return record


def execute(record: TrainingRun, step: Step | None = None) -> TrainingRun:
    step = step or (lambda _text, _share: None)
    version = retrain(record.requested_by, step, run=record)
    with transaction.atomic():
        TrainingRun.objects.filter(pk=record.pk).update(
            status=TrainingRun.Status.DONE,
            progress=1.0,
            version=version,
            message=_summary(version),
            finished_at=timezone.now(),
        )
        audit.record(
            "targeting.training.done", record.requested_by, record, {"version": version.version}
        )
    record.refresh_from_db()
    return record


def _tell(record: TrainingRun, done: bool) -> None:
    what = gettext_noop("The training run %(number)s", number=record.pk)
    notices.tell_outcome(
        record.requested_by, done, what=what, message=record.message,
        link=reverse("model_list"), about=record, roles=MODEL_ROLES,
    )  # fmt: skip


@jobs.background(
    "targeting.TrainingRun",
    refused=(services.TrainingError,),
    tell=_tell,
    stopped=gettext_noop("an internal error stopped the training (run %(pk)s); nothing changed"),
    audit_as="targeting.training",
)
def retrain_model(record: TrainingRun) -> None:
    """Execute a queued training run (in the background)."""
    execute(record, jobs.step(record))


#: What a training run says it found, by the verdict of its comparison (whole sentences).
SUMMARIES = {
    "better": gettext_noop("v%(version)s trained: better than v%(champion)s on %(metric)s"),
    "worse": gettext_noop("v%(version)s trained: worse than v%(champion)s on %(metric)s"),
    "no clear difference": gettext_noop(
        "v%(version)s trained: no clear difference from v%(champion)s on %(metric)s"
    ),
}


def _metric() -> Any:
    """The metric the comparison is judged on, in words ("precision in the top 5%")."""
    name, _at, n = COMPARED[0].partition("@")
    assert name == "precision"
    return gettext_noop("precision in the top %(n)s%%", n=n)


def _summary(version: ModelVersion) -> Any:
    """What the run found, as words (its message, translated when read)."""
    compared = version.comparison or {}
    if compared.get("champion") is None:
        return gettext_noop(
            "v%(version)s trained; no active version to compare with", version=version.version
        ).as_json()
    if "error" in compared:
        return gettext_noop(
            "v%(version)s trained; comparison: %(error)s",
            version=version.version, error=compared["error"],
        ).as_json()  # fmt: skip
    said = SUMMARIES.get(compared.get("verdict") or "")
    if said is None:
        return gettext_noop(
            "v%(version)s trained: not comparable with v%(champion)s",
            version=version.version, champion=compared["champion"],
        ).as_json()  # fmt: skip
    return Words(
        said.message,
        {"version": version.version, "champion": compared["champion"], "metric": _metric()},
    ).as_json()


# -- drift -------------------------------------------------------------------------------


def drift(version: ModelVersion, weeks: int = 12, until: date | None = None) -> dict[str, Any]:
    """Week by week (declaration dates, Monday first): how ``version`` scored declarations
    against its training reference (bin shares, PSI) and what inspections found (hit rate
    with its interval, against the reference period's)."""
    until = until or timezone.localdate()
    start = week_of(until) - timedelta(weeks=weeks - 1)
    reference = version.reference or {}
    edges = reference.get("edges")
    by_week: dict[date, dict[str, Any]] = {
        start + timedelta(weeks=w): {"scored": 0, "sum": 0.0, "bins": [0] * core.BINS}
        for w in range(weeks)
    }
    if edges:
        bin_case = Case(
            *[When(probability__lt=e, then=Value(i)) for i, e in enumerate(edges)],
            default=Value(len(edges)),
            output_field=IntegerField(),
        )
        # The version's scores of the period, from the (version, date) index alone.
        batch = Score.objects.filter(
            model_version=version,
            declaration_date__gte=start,
            declaration_date__lte=until,
        ).annotate(week=TruncWeek("declaration_date"), bin=bin_case)
        # Decisions whose declaration has no stored score, against the period's scores only
        # (unbounded, the anti-join may read every score of the version).
        stored = batch.filter(declaration__number=OuterRef("number"))
        live = ChannelDecision.objects.filter(
            ~Exists(stored),
            model_version=version,
            declaration_date__gte=start,
            declaration_date__lte=until,
        ).annotate(week=TruncWeek("declaration_date"), bin=bin_case)
        for source in (batch, live):
            for row in source.values("week", "bin").annotate(
                n=Count("id"), mean=Avg("probability")
            ):
                week = _as_date(row["week"])
                if week in by_week:
                    item = by_week[week]
                    item["bins"][row["bin"]] += row["n"]
                    item["scored"] += row["n"]
                    item["sum"] += row["mean"] * row["n"]
    # The results' own date bounds them too (never before their declaration): with the
    # declaration's date alone, the planner may join every result on record (ten years of
    # them) to the period's declarations.
    inspections = (
        Inspection.objects.filter(
            inspected_on__gte=start,
            declaration__declaration_date__gte=start,
            declaration__declaration_date__lte=until,
        )
        .annotate(week=TruncWeek("declaration__declaration_date"))
        .values("week")
        .annotate(n=Count("id"), hits=Count("id", filter=Q(fraud_found=True)))
    )
    found = {_as_date(r["week"]): (r["n"], r["hits"]) for r in inspections}
    reference_rate = reference.get("hit_rate")
    expected = reference.get("shares") or [1] * core.BINS
    out = []
    for week, item in sorted(by_week.items()):
        scored = item["scored"]
        value = core.psi(expected, item["bins"]) if scored else None
        inspected, hits = found.get(week, (0, 0))
        interval = core.wilson(hits, inspected)
        out.append(
            {
                "week": week.isoformat(),
                "scored": scored,
                "mean": item["sum"] / scored if scored else None,
                "shares": core.shares(item["bins"]).round(4).tolist(),
                "psi": value,
                "status": core.psi_status(value),
                "inspected": inspected,
                "hits": hits,
                "hit_rate": hits / inspected if inspected else None,
                "hit_low": interval[0] if interval else None,
                "hit_high": interval[1] if interval else None,
                "hit_below_reference": bool(
                    interval and reference_rate is not None and interval[1] < reference_rate
                ),
            }
        )
    latest = next((w for w in reversed(out) if w["scored"]), None)
    return {
        "version": version.version,
        "reference": {k: reference.get(k) for k in ("from", "to", "rows", "mean", "hit_rate")},
        "weeks": out,
        "latest": latest,
        "shifted_weeks": [w["week"] for w in out if w["status"] == "major shift"],
        "low_hit_weeks": [w["week"] for w in out if w["hit_below_reference"]],
    }


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value
