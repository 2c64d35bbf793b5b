"""The baselines the model is measured against: plain LightGBM and XGBoost on the raw mapped
columns, categorical columns handled natively by each library, no engineered features."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb

RAW_TEXT = (
    "office_code",
    "transport_mode",
    "declarant_code",
    "importer_code",
    "seller_code",
    "hs6",
    "origin_country",
    "dispatch_country",
)
RAW_NUMBERS = ("net_mass_kg", "customs_value", "tax_rate", "quantity", "duty_amount")


def _frame(frame: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for name, values in categories.items():
        source = (
            frame[name].astype("string")
            if name in frame
            else pd.Series(index=frame.index, dtype="string")
        )
        out[name] = pd.Categorical(source, categories=values)
    for name in RAW_NUMBERS:
        if name in frame:
            out[name] = frame[name].astype(float)
    return out


class Baseline:
    def __init__(self, kind: str, n_estimators: int = 300, learning_rate: float = 0.05) -> None:
        self.kind = kind
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate

    def fit(self, frame: pd.DataFrame) -> Baseline:
        labelled = frame[frame["fraud"].notna()]
        text = [c for c in RAW_TEXT if c in frame] + sorted(
            c for c in frame if c.startswith("attr.")
        )
        self.categories_ = {
            c: sorted(labelled[c].dropna().astype(str).unique().tolist()) for c in text
        }
        X, y = _frame(labelled, self.categories_), labelled["fraud"].astype(int).to_numpy()
        if self.kind == "lightgbm":
            self.model_ = lgb.LGBMClassifier(
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                verbose=-1,
                n_jobs=2,
            ).fit(X, y)
        else:
            self.model_ = xgb.XGBClassifier(
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                tree_method="hist",
                enable_categorical=True,
                max_cat_to_onehot=1,
                n_jobs=2,
            ).fit(X, y)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        return np.asarray(self.model_.predict_proba(_frame(frame, self.categories_)), dtype=float)
