"""Training, registering and applying risk models; every change atomic and audited."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import joblib
import lightgbm
import numpy as np
import numpy.typing as npt
import pandas as pd
import sklearn
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from greenlane import __version__
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import data
from greenlane.apps.targeting.models import ModelVersion, Score
from greenlane.apps.targeting.signals import model_activated
from greenlane.core import errors
from greenlane.core.risk import drift, metrics
from greenlane.core.risk.features import FEATURES_VERSION
from greenlane.core.risk.model import FloatArray, Reason, RiskModel
from greenlane.core.words import gettext_noop

Say = Callable[[str], None]
HOLDOUT_SHARE = 0.2
#: Reasons (TreeSHAP contributions, ~2 ms per declaration) are computed at scoring time for
#: the highest-scored share, where officers look; for the others, when their page is opened.
REASONS_SHARE = 0.10
_loaded: dict[tuple[int, str], RiskModel] = {}


class TrainingError(errors.NotAllowed):
    """A model cannot be trained or used with the data and artifacts there are now: no
    inspection results of both kinds, no active model, an artifact missing or altered."""


def _models_dir() -> Path:
    path = Path(settings.VAR_DIR) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(
    actor: User | None = None,
    activate: bool = True,
    say: Say | None = None,
    saved: Callable[[ModelVersion], None] | None = None,
) -> ModelVersion:
    """Fit on every declaration and inspection result on record.

    Metrics come from a first fit on all but the last 20% of the labelled period, scored on
    that last part (a time-based holdout); the registered model is then fitted on everything.
    ``saved(version)`` runs in the transaction that registers the version.
    """
    say = say or (lambda _: None)
    say(gettext_noop("reading declarations"))
    frame = data.frame()
    labelled = frame[frame["fraud"].notna()] if not frame.empty else frame
    if labelled.empty or labelled["fraud"].astype(bool).nunique() < 2:
        raise TrainingError(_("training needs inspection results with and without irregularities"))
    cut = labelled["declaration_date"].quantile(1 - HOLDOUT_SHARE)
    say(gettext_noop("fitting on the earlier period"))
    early = RiskModel().fit(frame[frame["declaration_date"] < cut])
    holdout = labelled[labelled["declaration_date"] >= cut]
    revenue = holdout["revenue_recovered"].to_numpy(dtype=float)
    holdout_scores = early.predict_proba(holdout)[:, 1]
    holdout_metrics = metrics.report(
        holdout_scores, holdout["fraud"].astype(float).to_numpy(), revenue
    )
    say(gettext_noop("fitting on everything"))
    model = RiskModel().fit(frame)
    reference = _reference(model, frame)
    with transaction.atomic():
        number = (ModelVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
        path = _models_dir() / f"risk-model-v{number}.joblib"
        joblib.dump(model, path)
        # The earlier fit's scores on the held-out declarations, to compare this version with
        # whichever version is active when an analyst considers promoting it.
        np.savez(
            holdout_path(number),
            ids=holdout["id"].to_numpy(dtype=np.int64),
            probability=holdout_scores,
        )
        version = ModelVersion.objects.create(
            version=number,
            training_from=model.training_window_[0],
            training_to=model.training_window_[1],
            training_rows=len(frame),
            labelled_rows=len(labelled),
            holdout_from=cut.date(),
            feature_schema=[str(c) for c in model.feature_names_in_],
            hyperparameters=model.get_params(),
            library_versions={
                "greenlane": __version__,
                "python": platform.python_version(),
                "lightgbm": lightgbm.__version__,
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
            },
            metrics=holdout_metrics,
            reference=reference,
            artifact=str(path.relative_to(settings.VAR_DIR)),
            artifact_sha256=_sha256(path),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit.record(
            "targeting.model.trained",
            actor,
            version,
            {"version": number, "labelled_rows": len(labelled), "metrics": holdout_metrics},
        )
        if activate:
            activate_version(version, actor)
        if saved is not None:
            saved(version)
    return version


#: The reference score distribution is taken on the last weeks of the training period.
REFERENCE_DAYS = 28


def holdout_path(number: int) -> Path:
    return _models_dir() / f"risk-model-v{number}-holdout.npz"


def _reference(model: RiskModel, frame: pd.DataFrame) -> dict[str, Any]:
    """The new model's scores on the last weeks it learned from, as drift's yardstick: their
    bin edges, and the hit rate of that period's inspections."""
    end = frame["declaration_date"].max()
    recent = frame[frame["declaration_date"] > end - pd.Timedelta(days=REFERENCE_DAYS)]
    scores = model.predict_proba(recent)[:, 1]
    inspected = recent["fraud"].notna()
    found = recent.loc[inspected, "fraud"].astype(bool)
    edges = drift.reference_edges(scores)
    held = np.bincount(drift.bin_of(scores, edges), minlength=drift.BINS)
    return {
        "from": str(recent["declaration_date"].min().date()),
        "to": str(end.date()),
        "rows": len(recent),
        "edges": edges,
        "shares": drift.shares(held).round(6).tolist(),
        "mean": float(scores.mean()),
        "inspected": int(inspected.sum()),
        "hit_rate": float(found.mean()) if len(found) else None,
    }


@transaction.atomic
def activate_version(version: ModelVersion, actor: User | None = None) -> None:
    previous = (
        ModelVersion.objects.select_for_update().filter(is_active=True).exclude(pk=version.pk)
    )
    previous.update(is_active=False)
    version.is_active, version.activated_at = True, timezone.now()
    ModelVersion.objects.filter(pk=version.pk).update(
        is_active=True, activated_at=version.activated_at
    )
    audit.record("targeting.model.activated", actor, version, {"version": version.version})
    model_activated.send(ModelVersion, version=version, actor=actor)


def load(version: ModelVersion) -> RiskModel:
    """The fitted model, after checking the artifact is the one registered."""
    path = Path(settings.VAR_DIR) / version.artifact
    if not path.is_file():
        raise TrainingError(
            _("the artifact of model v%(version)s is missing (%(path)s)")
            % {"version": version.version, "path": path}
        )
    if _sha256(path) != version.artifact_sha256:
        raise TrainingError(
            _("the artifact of model v%(version)s does not match its registered hash")
            % {"version": version.version}
        )
    key = (version.pk, version.artifact_sha256)
    if key not in _loaded:
        model = joblib.load(path)
        if getattr(getattr(model, "features_", None), "version_", None) != FEATURES_VERSION:
            raise TrainingError(
                _(
                    "model v%(version)s was trained by a Greenlane whose features differ from "
                    "this one's; train a new version (greenlane train)"
                )
                % {"version": version.version}
            )
        _loaded.clear()  # keep one model in memory
        _loaded[key] = model
    return _loaded[key]


@dataclass(frozen=True)
class FrameScores:
    probability: npt.NDArray[np.float64]
    revenue_at_stake: npt.NDArray[np.float64]
    reasons: list[list[Reason]]  # empty outside the top reasons_share


def predict(model: RiskModel, frame: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """Every row's fraud probability and revenue at stake (probability x revenue a fraud of
    its kind puts at risk), without reasons."""
    probability = model.predict_proba(frame)[:, 1]
    return probability, probability * model.revenue_.predict(frame)


def score_frame(
    model: RiskModel, frame: pd.DataFrame, reasons_share: float = REASONS_SHARE
) -> FrameScores:
    """Probability and revenue at stake for every row; reasons for the highest-scored share."""
    probability, revenue = predict(model, frame)
    top = np.argsort(-probability, kind="stable")[: max(1, int(len(frame) * reasons_share))]
    reasons: list[list[Reason]] = [[] for _ in range(len(frame))]
    for i, why in zip(top, model.reasons(frame.iloc[top]), strict=True):
        reasons[i] = why
    return FrameScores(probability, revenue, reasons)


def reason_dicts(why: list[Reason]) -> list[dict[str, Any]]:
    """The reasons as stored: the English ``text`` (for exports and older readers) and the
    ``words`` that a page or the API translates into its reader's language."""
    return [
        {
            "feature": r.feature,
            "text": str(r.text),
            "words": r.text.as_json(),
            "weight": round(r.contribution, 3),
        }
        for r in why
    ]


def fill_reasons(scores: Sequence[Score]) -> None:
    """Reasons for those of ``scores`` stored without them (scoring in bulk leaves them out:
    TreeSHAP costs about a millisecond a declaration), computed together per model version
    and saved; each score is updated in place."""
    missing: dict[int, list[Score]] = {}
    for item in scores:
        if not item.reasons:
            missing.setdefault(item.model_version_id, []).append(item)
    for items in missing.values():
        model = load(items[0].model_version)
        frame = data.frame(
            Declaration.objects.filter(pk__in=[s.declaration_id for s in items]), labels=False
        ).set_index("id", drop=False)
        found = [s for s in items if s.declaration_id in frame.index]
        why = model.reasons(frame.loc[[s.declaration_id for s in found]])
        for item, reasons in zip(found, why, strict=True):
            item.reasons = reason_dicts(reasons)
        Score.objects.bulk_update(found, ["reasons"])


def ensure_reasons(item: Score) -> Score:
    """Reasons for a score stored without them (outside the top share at scoring time)."""
    fill_reasons([item])
    return item


#: How far back the declaration page looks at each party.
PARTY_DAYS = 365


def party_history(declaration: Declaration) -> list[dict[str, Any]]:
    """For the declaration page: each party's declarations, inspections and detection rate in
    the year before this declaration's date (read through the party's (code, date) index:
    a year of its history, whatever the years on record)."""
    from django.db.models import Count, Q

    out = []
    for role, field in (
        (_("Importer"), "importer_code"),
        (_("Declarant"), "declarant_code"),
        (_("Seller"), "seller_code"),
    ):
        code = getattr(declaration, field)
        if not code:
            continue
        day = declaration.declaration_date
        past = Declaration.objects.filter(
            **{field: code},
            declaration_date__gte=day - timedelta(days=PARTY_DAYS),
            declaration_date__lt=day,
        )
        counts = past.aggregate(
            n=Count("id"),
            inspected=Count("inspection"),
            hits=Count("inspection", filter=Q(inspection__fraud_found=True)),
        )
        rate = counts["hits"] / counts["inspected"] if counts["inspected"] else None
        out.append({"role": role, "code": code, **counts, "rate": rate})
    return out
