"""Simulations of a selectivity policy on past declarations (``core.risk.simulation``): asked
for by an analyst, run in the background, every change of state audited."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from greenlane import jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.operators.models import AeoAuthorisation
from greenlane.apps.targeting import data
from greenlane.apps.targeting.models import ChannelDecision, ModelVersion, Score, SimulationRun
from greenlane.apps.targeting.selectivity import Refused
from greenlane.core.risk import whatif
from greenlane.core.risk.selectivity import PolicyError, certified_on
from greenlane.core.risk.simulation import Scenario, Week, simulate, summary
from greenlane.core.words import Words, stored

Step = Callable[[str, float], None]

#: Two weeks are inspected at random before a model exists; a third is the least that shows
#: what the model does.
MIN_WEEKS = 3
RATES = ("inspection_rate", "min_random_rate", "exploration_share", "aeo_reduction")
FIELDS = ("period_from", "period_to", "office_code", *RATES, "seed")
#: Kept with each run in English; a page shows it in the reader's language (``gettext``).
LIMITATION = gettext_noop(
    "The replay sees only declarations that were inspected and have a recorded result, so it "
    "inherits the selection of the past: what officers chose to inspect then decides what the "
    "simulated policy can find now. Its hit rates and captured shares describe that sample, "
    "not every declaration; frauds among declarations never inspected stay unseen."
)


def inspected(period_from: date, period_to: date, office: str = "") -> QuerySet[Declaration]:
    """Declarations of the period (and office) with a recorded inspection result."""
    qs = Declaration.objects.filter(
        declaration_date__range=(period_from, period_to), inspection__isnull=False
    )
    return qs.filter(office_code=office) if office else qs


def weeks_with_results(period_from: date, period_to: date, office: str = "") -> int:
    """Weeks (counted from the first such declaration, as the replay does) that hold at least
    one declaration with a recorded result."""
    days = sorted(
        inspected(period_from, period_to, office)
        .order_by()
        .values_list("declaration_date", flat=True)
        .distinct()
    )
    return len({(d - days[0]).days // 7 for d in days}) if days else 0


def check(values: dict[str, Any]) -> None:
    """Refused, naming the field, when the simulation cannot be run as asked."""
    start, end = values["period_from"], values["period_to"]
    if end < start:
        raise Refused(_("the period ends before it starts"), "period_to")
    for name in RATES:
        if not 0 <= values[name] <= 1:
            raise Refused(
                _("must be between 0 and 1, not %(value)s") % {"value": values[name]}, name
            )
    if values["inspection_rate"] <= 0:
        raise Refused(_("the inspection rate must be above 0"), "inspection_rate")
    if values["min_random_rate"] > values["inspection_rate"]:
        raise Refused(
            _(
                "the random rate cannot exceed the inspection rate: the random sample is part "
                "of the inspections"
            ),
            "min_random_rate",
        )
    office = values.get("office_code", "")
    weeks = weeks_with_results(start, end, office)
    if weeks < MIN_WEEKS:
        found = {
            "weeks": weeks,
            "from": date_format(start, "SHORT_DATE_FORMAT"),
            "to": date_format(end, "SHORT_DATE_FORMAT"),
            "office": office,
            "least": MIN_WEEKS,
        }
        if office:
            text = ngettext(
                "%(weeks)s week(s) of declarations with an inspection result from %(from)s to "
                "%(to)s at office %(office)s; the replay needs at least %(least)s",
                "%(weeks)s week(s) of declarations with an inspection result from %(from)s to "
                "%(to)s at office %(office)s; the replay needs at least %(least)s",
                weeks,
            )
        else:
            text = ngettext(
                "%(weeks)s week(s) of declarations with an inspection result from %(from)s to "
                "%(to)s; the replay needs at least %(least)s",
                "%(weeks)s week(s) of declarations with an inspection result from %(from)s to "
                "%(to)s; the replay needs at least %(least)s",
                weeks,
            )
        raise Refused(text % found, "period_from")


def request(user: User | None, values: dict[str, Any]) -> SimulationRun:
    """Check and queue a simulation; the background worker runs it. The run, its audit event
    and its task commit together (``jobs.submit``)."""
    values = {**values, "office_code": (values.get("office_code") or "").strip().upper()}
    check(values)
    with jobs.atomic():
        run = SimulationRun.objects.create(
            requested_by=user, **{k: values[k] for k in FIELDS if k in values}
        )
        audit.record("targeting.simulation.queued", user, run, _settings(run))
        jobs.submit(run_simulation, run)
    return run


def _settings(run: SimulationRun) -> dict[str, Any]:
    return {
        "from": run.period_from.isoformat(),
        "to": run.period_to.isoformat(),
        "office": run.office_code,
        **{k: getattr(run, k) for k in (*RATES, "seed")},
    }


def aeo_status(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Whether each declaration's importer held a domestic AEO authorisation valid on its
    date (partner programmes under an MRA do not count: the benefit here is domestic)."""
    codes = frame["importer_code"].astype(str).tolist()
    periods: dict[str, list[tuple[object, object | None]]] = defaultdict(list)
    for code, start, end in AeoAuthorisation.objects.filter(
        operator__code__in=set(codes), programme=settings.PROGRAMME
    ).values_list("operator__code", "valid_from", "valid_to"):
        periods[code].append((start, end))
    return certified_on(codes, [d.date() for d in frame["declaration_date"]], periods)


def execute(run: SimulationRun, step: Step | None = None) -> SimulationRun:
    """Replay the period under the run's scenario and under the same scenario without
    exploration, and store both, week by week, in the run's result."""
    say = step or (lambda _text, _share: None)
    say(Words(gettext_noop("reading the inspected declarations")), 0.0)
    frame = data.frame(inspected(run.period_from, run.period_to, run.office_code))
    if frame.empty:
        raise Refused(_("no declaration with an inspection result in the period any more"))
    frame["fraud"] = frame["fraud"].astype(bool)
    frame["revenue_at_stake"] = np.where(frame["fraud"], frame["revenue_recovered"].fillna(0), 0.0)
    frame = frame.drop(columns=["revenue_recovered"])
    aeo = aeo_status(frame)
    scenario = Scenario(
        inspection_rate=run.inspection_rate,
        min_random_rate=run.min_random_rate,
        exploration_share=run.exploration_share,
        aeo_reduction=run.aeo_reduction,
        seed=run.seed,
    )
    runs: dict[str, list[Week]] = {}
    for n, (name, each) in enumerate(
        (
            ("scenario", scenario),
            ("no_exploration", dataclasses.replace(scenario, exploration_share=0)),
        )
    ):
        label = (
            gettext_noop("the scenario: week %(done)s of %(total)s")
            if name == "scenario"
            else gettext_noop("the scenario without exploration: week %(done)s of %(total)s")
        )

        def moved(done: int, total: int, n: int = n, label: str = label) -> None:
            say(Words(label, {"done": done, "total": total}), (n + done / total) / 2)

        runs[name] = simulate(frame, aeo, each, moved)
    weeks = runs["scenario"]
    if len(weeks) < MIN_WEEKS:
        raise Refused(
            ngettext(
                "%(count)s week with results; the replay needs %(needed)s",
                "%(count)s weeks with results; the replay needs %(needed)s",
                len(weeks),
            )
            % {"count": len(weeks), "needed": MIN_WEEKS}
        )
    result = {
        "declarations": len(frame),
        "frauds": int(frame["fraud"].sum()),
        "aeo_declarations": int(aeo.sum()),
        "weeks": len(weeks),
        "first": weeks[0].start,
        "last": str(frame["declaration_date"].max().date()),
        "limitation": LIMITATION,
        **{
            name: {"summary": summary(replay), "weeks": [_row(w) for w in replay]}
            for name, replay in runs.items()
        },
    }
    with transaction.atomic():
        SimulationRun.objects.filter(pk=run.pk).update(
            status=SimulationRun.Status.DONE,
            progress=1.0,
            result=result,
            finished_at=timezone.now(),
            message=Words(
                gettext_noop(
                    "inspected declarations replayed: %(declarations)s, over %(weeks)s weeks"
                ),
                {"declarations": len(frame), "weeks": len(weeks)},
            ).as_json(),
        )
        run.refresh_from_db()
        audit.record(
            "targeting.simulation.done",
            None,
            run,
            {"declarations": len(frame), "weeks": len(weeks), **_summaries(result)},
        )
    return run


def _row(week: Week) -> dict[str, Any]:
    return {**dataclasses.asdict(week), "hit_rate": week.hit_rate}


def _summaries(result: dict[str, Any]) -> dict[str, Any]:
    return {name: result[name]["summary"] for name in ("scenario", "no_exploration")}


def fail(run_id: int, message: str | Words) -> None:
    """Mark a run failed with a plain message (never a stack trace), kept as words."""
    with transaction.atomic():
        SimulationRun.objects.filter(pk=run_id).update(
            status=SimulationRun.Status.FAILED, message=stored(message), finished_at=timezone.now()
        )
        audit.record(
            "targeting.simulation.failed",
            None,
            (SimulationRun._meta.label_lower, run_id),
            {"message": str(message)},
        )


@jobs.background(
    "targeting.SimulationRun",
    refused=(Refused, PolicyError),
    fail=lambda record, message: fail(record.pk, message),
    stopped=gettext_noop(
        "an internal error stopped the simulation (run %(pk)s); nothing was stored"
    ),
)
def run_simulation(record: SimulationRun) -> None:
    """Run a queued simulation (in the background)."""
    execute(record, jobs.step(record))


#: How far back ``newest_scored`` looks, a month at a time.
NEWEST_MONTHS = 24


def newest_scored(version: ModelVersion) -> date | None:
    """The newest declaration date with a score of ``version`` and an inspection result,
    within two years of the newest declaration on record (None: none there)."""
    # A month at a time down the date index: each query reads one month's declarations with
    # results, whatever the years on record (one query's plan may join every score instead).
    newest = (
        Declaration.objects.order_by("-declaration_date")
        .values_list("declaration_date", flat=True)
        .first()
    )
    end = newest
    for _month in range(NEWEST_MONTHS if end else 0):
        assert end is not None
        start = end - timedelta(days=30)
        month = _scored_with_results(version, start, end).order_by("-declaration_date", "-id")
        for day, probability in month.values_list("declaration_date", "probability"):
            if probability is not None:
                return day  # type: ignore[no-any-return]
        end = start - timedelta(days=1)
    return None


def _scored_with_results(version: ModelVersion, start: date, end: date) -> QuerySet[Declaration]:
    """The declarations of the period with a result, each with its score by ``version`` as
    ``probability`` (None: not scored). The score is looked up per declaration in the unique
    index, after the join with the results: a filter on it would run the lookup for every
    declaration of the period, and a join could read every score of the version."""
    score = Score.objects.filter(model_version=version, declaration=OuterRef("pk")).order_by()
    # The results' own date bounds them too (never before their declaration), so that
    # neither side of the join is read whole, whatever the planner prefers.
    return Declaration.objects.filter(
        declaration_date__range=(start, end), inspection__inspected_on__gte=start
    ).annotate(probability=Subquery(score.values("probability")[:1]))


def ranking(
    version: ModelVersion,
    period_from: date,
    period_to: date,
    office: str = "",
    random_only: bool = False,
) -> whatif.Ranking:
    """The stored scores of ``version`` for declarations of the period (and office) with an
    inspection result, against that result; ``random_only``: only the declarations drawn as
    random compliance samples (the one sample the past selection did not choose)."""
    found = _scored_with_results(version, period_from, period_to)
    if office:
        found = found.filter(office_code=office)
    if random_only:
        drawn = ChannelDecision.objects.filter(random=True, number=OuterRef("number"))
        found = found.filter(Exists(drawn))
    rows = [
        row
        for row in found.order_by("declaration_date", "id").values_list(
            "probability", "inspection__fraud_found", "inspection__revenue_recovered"
        )
        if row[0] is not None
    ]
    probability, fraud, revenue = (
        (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [])
    )
    return whatif.Ranking(probability, fraud, [float(r) for r in revenue])
