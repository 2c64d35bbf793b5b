"""Risk features of declarations, free of leakage by construction.

History features (how often inspections of this importer, declarant, seller, HS code, origin,
office or pair found fraud) for a declaration on day D use only inspection results of
declarations dated strictly before D: the fitted history is a cumulative table per key and
date, and every row looks up the last entry *before* its own date. The same lookup serves the
training rows (each sees only its past) and new declarations (they see all of the history).

Consistency features compare the declared unit value with the median for the same HS code and
origin, the net mass with the HS code's usual consignment, and the declared duty rate with the
usual rate of the HS code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HISTORY_KEYS: tuple[tuple[str, ...], ...] = (
    ("importer_code",),
    ("declarant_code",),
    ("seller_code",),
    ("hs6",),
    ("origin_country",),
    ("office_code",),
    ("importer_code", "seller_code"),
    ("importer_code", "declarant_code"),
    ("hs6", "origin_country"),
    ("declarant_code", "hs6"),
    ("seller_code", "hs6"),
)
KEY_WORDS = {
    "importer_code": "importer",
    "declarant_code": "declarant",
    "seller_code": "seller",
    "hs6": "HS code",
    "origin_country": "origin",
    "office_code": "office",
}
CATEGORIES = ("office_code", "transport_mode", "origin_country", "hs2")
#: Raise when the features change: models fitted with another version cannot be applied.
FEATURES_VERSION = 1
#: Pseudo-count that shrinks the rate of a key with few inspections towards the overall rate.
SHRINK = 5.0


def _with_text_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns as text with "" for missing, so that lookups by key never meet a null."""
    keys = sorted({k for key in HISTORY_KEYS for k in key} & set(frame.columns))
    return frame.assign(**{k: frame[k].fillna("").astype(str) for k in keys})


def key_name(key: tuple[str, ...]) -> str:
    return "__".join(key)


def key_words(key: tuple[str, ...]) -> str:
    return "-".join(KEY_WORDS[k] for k in key) + (" pair" if len(key) > 1 else "")


@dataclass
class _History:
    key: tuple[str, ...]
    table: (
        pd.DataFrame
    )  # key columns, declaration_date, n and f: inspections and frauds up to that day


class HistoryFeatures:
    """Fit on labelled declarations (column ``fraud``: True/False, NaN when not inspected)."""

    def __init__(self, shrink: float = SHRINK) -> None:
        self.shrink = shrink

    def fit(self, frame: pd.DataFrame) -> HistoryFeatures:
        frame = _with_text_keys(frame)
        self.version_ = FEATURES_VERSION
        labelled = frame[frame["fraud"].notna()]
        y = labelled["fraud"].astype(float)
        labelled = labelled.assign(fraud=y, _all="")
        # The overall rate that shrinks each key's rate is itself history: earlier days only.
        self.overall_ = self._history(labelled, ("_all",))
        self.histories_ = [self._history(labelled, key) for key in HISTORY_KEYS]
        unit = np.log1p(frame["customs_value"] / frame["net_mass_kg"].clip(lower=0.01))
        reference = frame.assign(lu=unit)
        self.unit_ho_ = reference.groupby(["hs6", "origin_country"], observed=True)["lu"].median()
        self.unit_h_ = reference.groupby("hs6", observed=True)["lu"].median()
        self.rate_h_ = frame.groupby("hs6", observed=True)["tax_rate"].median()
        self.mass_h_ = (
            frame.assign(lm=np.log1p(frame["net_mass_kg"]))
            .groupby("hs6", observed=True)["lm"]
            .median()
        )
        self.attributes_ = sorted(c for c in frame.columns if c.startswith("attr."))
        self.categories_ = {
            c: sorted(self._category_source(frame, c).dropna().unique().tolist())
            for c in (*CATEGORIES, *self.attributes_)
        }
        return self

    @staticmethod
    def _history(labelled: pd.DataFrame, key: tuple[str, ...]) -> _History:
        cols = [*key, "declaration_date"]
        daily = labelled.groupby(cols, observed=True)["fraud"].agg(["size", "sum"]).reset_index()
        daily = daily.sort_values(cols)
        grouped = daily.groupby(list(key), observed=True)
        daily["n"] = grouped["size"].cumsum()  # inspections up to and including that day
        daily["f"] = grouped["sum"].cumsum()
        return _History(key, daily[[*cols, "n", "f"]].sort_values("declaration_date"))

    @staticmethod
    def _before(frame: pd.DataFrame, history: _History) -> tuple[np.ndarray, np.ndarray]:
        """Inspections and frauds of each row's key on days strictly before the row's date."""
        left = frame[[*history.key, "declaration_date"]].assign(_i=np.arange(len(frame)))
        left = left.sort_values("declaration_date", kind="stable")
        merged = pd.merge_asof(
            left,
            history.table,
            on="declaration_date",
            by=list(history.key),
            allow_exact_matches=False,
        ).sort_values("_i")
        return merged["n"].fillna(0.0).to_numpy(), merged["f"].fillna(0.0).to_numpy()

    @staticmethod
    def _category_source(frame: pd.DataFrame, name: str) -> pd.Series:
        return frame["hs6"].str[:2] if name == "hs2" else frame[name]

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = _with_text_keys(frame)
        out = pd.DataFrame(index=frame.index)
        total_n, total_f = self._before(frame.assign(_all=""), self.overall_)
        prior = np.divide(total_f, total_n, out=np.zeros_like(total_f), where=total_n > 0)
        for history in self.histories_:
            name = key_name(history.key)
            n, f = self._before(frame, history)
            out[f"{name}.n"] = n
            out[f"{name}.rate"] = (f + prior * self.shrink) / (n + self.shrink)
        unit = np.log1p(frame["customs_value"] / frame["net_mass_kg"].clip(lower=0.01))
        ref_ho = frame[["hs6", "origin_country"]].merge(
            self.unit_ho_.rename("ref").reset_index(), how="left", on=["hs6", "origin_country"]
        )["ref"]
        out["unit_value_vs_hs_origin"] = unit.to_numpy() - ref_ho.to_numpy(dtype=float)
        out["unit_value_vs_hs"] = unit.to_numpy() - frame["hs6"].map(self.unit_h_).to_numpy(
            dtype=float
        )
        out["duty_rate_vs_hs"] = frame["tax_rate"].to_numpy(dtype=float) - frame["hs6"].map(
            self.rate_h_
        ).to_numpy(dtype=float)
        out["log_value"] = np.log1p(frame["customs_value"].to_numpy(dtype=float))
        out["log_mass"] = np.log1p(frame["net_mass_kg"].to_numpy(dtype=float))
        out["mass_vs_hs"] = out["log_mass"].to_numpy() - frame["hs6"].map(self.mass_h_).to_numpy(
            dtype=float
        )
        out["tax_rate"] = frame["tax_rate"].to_numpy(dtype=float)
        out["origin_not_dispatch"] = (
            (
                frame["dispatch_country"].notna()
                & (frame["dispatch_country"] != frame["origin_country"])
            )
            .astype(int)
            .to_numpy()
        )
        out["weekday"] = frame["declaration_date"].dt.dayofweek.to_numpy()
        for name, categories in self.categories_.items():
            source = self._category_source(frame, name) if name in frame or name == "hs2" else None
            values = source if source is not None else pd.Series(index=frame.index, dtype=object)
            out[name] = pd.Categorical(values, categories=categories)
        return out

    def fit_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.fit(frame).transform(frame)
