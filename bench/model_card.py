"""Measure the risk model for docs/model-card.md: the KCS split and the synthetic economy.

KCS: fit on train.csv (2020), score valid.csv (Jan-Mar 2021), baselines in the same run.
Synthetic economy: fit on the inspection results of the first nine months (the labels a
customs service has: ~5% of declarations, chosen by its legacy selection), score every
declaration of the last three months against the ground truth, with revenue at stake.

    python bench/model_card.py [--shared ../shared] [--declarations 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from greenlane.core.risk import mapping, metrics
from greenlane.core.risk.baselines import Baseline
from greenlane.core.risk.evaluate import evaluate
from greenlane.core.risk.frames import read_frame
from greenlane.core.risk.model import RiskModel
from greenlane.core.synth import SynthConfig, generate
from synth import write

MARK = "bench/model_card.py"
SHARED = Path(
    os.environ.get("GREENLANE_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared"
)
KEYS = ("precision@1", "precision@5", "precision@10", "recall@10", "revenue@5", "revenue@10", "auc")


def synthetic(declarations: int) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="greenlane-card-"))
    generate(
        SynthConfig(
            seed=3,
            operators=3_000,
            declarations=declarations,
            start=date(2025, 1, 1),
            consignments=False,
        ),
        out,
    )
    frame, _ = read_frame([out / "declarations.parquet"], mapping.named("greenlane"))
    inspections = pd.read_parquet(out / "inspections.parquet")
    truth = pd.read_parquet(out / "truth.parquet")
    cut = pd.Timestamp(date(2025, 10, 1))
    train = frame[frame["declaration_date"] < cut].merge(
        inspections[["declaration_number", "fraud_found", "revenue_recovered"]],
        how="left", left_on="number", right_on="declaration_number",
    ).rename(columns={"fraud_found": "fraud"})  # fmt: skip
    test = frame[frame["declaration_date"] >= cut].merge(
        truth[["declaration_number", "fraud", "revenue_at_stake"]],
        left_on="number",
        right_on="declaration_number",
    )
    y, revenue = test["fraud"].astype(float).to_numpy(), test["revenue_at_stake"].to_numpy()
    result: dict[str, Any] = {
        "model": metrics.report(RiskModel().fit(train).predict_proba(test)[:, 1], y, revenue),
        "baselines": {
            k: metrics.report(Baseline(k).fit(train).predict_proba(test)[:, 1], y, revenue)
            for k in ("lightgbm", "xgboost")
        },
        "rows": {
            "train": len(train),
            "train_inspected": int(train["fraud"].notna().sum()),
            "test": len(test),
        },
        "base_rate": {"test": round(float(y.mean()), 4)},
    }
    return result


def table(title: str, result: dict[str, Any]) -> list[str]:
    model, base = result["model"], result["baselines"]
    lines = [
        f"### {title}",
        "",
        "| metric | model | LightGBM (raw) | XGBoost (raw) |",
        "|---|---|---|---|",
    ]
    for key in KEYS:
        if key in model:
            cells = [model[key], base["lightgbm"][key], base["xgboost"][key]]
            lines.append(f"| {key} | " + " | ".join(f"{v:.3f}" for v in cells) + " |")
    rate = result["base_rate"]["test"]
    lines += [
        "",
        f"Rows: {json.dumps(result['rows'])}; fraud rate in the test set: {rate:.1%}.",
        "",
    ]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared"
    )
    parser.add_argument("--declarations", type=int, default=200_000)
    parser.add_argument("--write", type=Path, default=Path("docs/model-card.md"))
    args = parser.parse_args(argv)
    kcs = args.shared / "data" / "kcs-import-declarations"
    lines = [f"<!-- {MARK} begin -->"]
    kcs_result = evaluate(mapping.named("kcs"), [kcs / "train.csv"], kcs / "valid.csv")
    lines += table(
        "KCS data: fit on train.csv (2020), scored on valid.csv (Jan-Mar 2021)", kcs_result
    )
    title = (
        f"Synthetic economy ({args.declarations:,} declarations, seed 3): fit on Jan-Sep "
        "inspections, scored on all of Oct-Dec against the truth"
    )
    lines += table(title, synthetic(args.declarations))
    lines.append(f"<!-- {MARK} end -->")
    section = "\n".join(lines)
    print(section)
    write(args.write, section, MARK)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
