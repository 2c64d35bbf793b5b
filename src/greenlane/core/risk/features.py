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

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
FEATURES_VERSION = 2
#: Pseudo-count that shrinks the rate of a key with few inspections towards the overall rate.
SHRINK = 5.0
#: Rows per block of the feature matrix handed to a compiled predictor.
BLOCK_ROWS = 8192


def key_name(key: tuple[str, ...]) -> str:
    return "__".join(key)


def key_words(key: tuple[str, ...]) -> str:
    return "-".join(KEY_WORDS[k] for k in key) + (" pair" if len(key) > 1 else "")


DAY_BITS = 21  # days since 1970 + DAY_OFFSET fit in 21 bits (years 1683 to 2257)
DAY_OFFSET = 1 << 20
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _text(frame: pd.DataFrame, column: str) -> pa.Array:
    """A key column as Arrow text with "" for missing, so that no lookup meets a null."""
    values = frame[column] if column in frame else pd.Series("", index=frame.index)
    array = pa.Array.from_pandas(values)
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    return pc.fill_null(array, "")


def _days(frame: pd.DataFrame) -> IntArray:
    days: IntArray = frame["declaration_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    return days + DAY_OFFSET


@dataclass
class _History:
    """Inspections (n) and frauds (f) of one key up to and including each day it was
    inspected: ``slots`` are key id << DAY_BITS | day, sorted, with running totals."""

    key: tuple[str, ...]
    pairs: pd.Index | None  # for a pair key: the dense id of each (code, code) seen in fitting
    slots: IntArray
    n: FloatArray
    f: FloatArray
    # Totals per key id over the whole history, and its last day: a row dated after that day
    # (any new declaration) needs a look-up, not a search.
    total_n: FloatArray
    total_f: FloatArray
    last_day: int


class HistoryFeatures:
    """Fit on labelled declarations (column ``fraud``: True/False, NaN when not inspected).

    Key values are coded against the vocabulary met in fitting and every lookup is a binary
    search in sorted integer arrays, so transforming a million declarations takes a second.
    """

    def __init__(self, shrink: float = SHRINK) -> None:
        self.shrink = shrink

    def fit(self, frame: pd.DataFrame) -> HistoryFeatures:
        self.version_ = FEATURES_VERSION
        columns = sorted({k for key in HISTORY_KEYS for k in key})
        self.vocabulary_ = {c: pc.unique(_text(frame, c)).sort() for c in columns}
        codes = self._codes(frame)
        labelled = frame["fraud"].notna().to_numpy()
        fraud = frame["fraud"].to_numpy(dtype=float, na_value=np.nan)[labelled]
        days = _days(frame)[labelled]
        # The overall rate that shrinks each key's rate is itself history: earlier days only.
        self.overall_ = self._history((), None, np.zeros(labelled.sum(), np.int64), days, fraud)
        self.histories_ = []
        for key in HISTORY_KEYS:
            ids, pairs = self._ids(key, codes, None)
            self.histories_.append(self._history(key, pairs, ids[labelled], days, fraud))
        hs = codes["hs6"]
        hs_origin, self.pairs_ho_ = self._ids(("hs6", "origin_country"), codes, None)
        unit = np.log1p(_floats(frame, "customs_value") / _floats(frame, "net_mass_kg").clip(0.01))
        self.unit_ho_ = _medians(
            hs_origin, unit, 0 if self.pairs_ho_ is None else len(self.pairs_ho_)
        )
        size = len(self.vocabulary_["hs6"])
        self.unit_h_ = _medians(hs, unit, size)
        self.rate_h_ = _medians(hs, _floats(frame, "tax_rate"), size)
        self.mass_h_ = _medians(hs, np.log1p(_floats(frame, "net_mass_kg")), size)
        self.attributes_ = sorted(c for c in frame.columns if c.startswith("attr."))
        self.categories_ = {
            c: sorted(self._category_source(frame, c).dropna().unique().tolist())
            for c in (*CATEGORIES, *self.attributes_)
        }
        return self

    def _codes(self, frame: pd.DataFrame) -> dict[str, IntArray]:
        """Each key column's values as positions in the fitted vocabulary (-1: never seen)."""
        return {
            c: pc.fill_null(pc.index_in(_text(frame, c), value_set=vocabulary), -1)
            .to_numpy()
            .astype(np.int64)
            for c, vocabulary in self.vocabulary_.items()
        }

    @staticmethod
    def _ids(
        key: tuple[str, ...], codes: dict[str, IntArray], pairs: pd.Index | None
    ) -> tuple[IntArray, pd.Index | None]:
        """One integer per row for ``key`` (-1: unseen); pairs get dense ids of their own."""
        if len(key) == 1:
            return codes[key[0]], None
        a, b = codes[key[0]], codes[key[1]]
        joint = np.where((a >= 0) & (b >= 0), (a << 32) | np.maximum(b, 0), -1)
        if pairs is None:
            pairs = pd.Index(np.unique(joint[joint >= 0]))
        ids = pairs.get_indexer(joint).astype(np.int64)
        return np.where(joint >= 0, ids, -1), pairs

    @staticmethod
    def _history(
        key: tuple[str, ...],
        pairs: pd.Index | None,
        ids: IntArray,
        days: IntArray,
        fraud: FloatArray,
    ) -> _History:
        slot = (ids << DAY_BITS) | days
        slots, inverse = np.unique(slot, return_inverse=True)
        n = np.bincount(inverse, minlength=len(slots)).astype(np.float64)
        f = np.bincount(inverse, weights=fraud, minlength=len(slots)).astype(np.float64)
        # Running totals within each key: a cumulative sum that restarts where the key changes.
        size = 1 if not key else len(pairs) if pairs is not None else int(ids.max(initial=-1)) + 1
        total_n, total_f = np.zeros(size), np.zeros(size)
        if len(slots):
            key_of = slots >> DAY_BITS
            starts = np.flatnonzero(np.r_[True, key_of[1:] != key_of[:-1]])
            n, f = _running(n, starts), _running(f, starts)
            ends = np.r_[starts[1:] - 1, len(slots) - 1]
            total_n[key_of[ends]], total_f[key_of[ends]] = n[ends], f[ends]
        last_day = int((slots & ((1 << DAY_BITS) - 1)).max(initial=0))
        return _History(key, pairs, slots, n, f, total_n, total_f, last_day)

    @staticmethod
    def _before(history: _History, ids: IntArray, days: IntArray) -> tuple[FloatArray, FloatArray]:
        """Inspections and frauds of each row's key on days strictly before the row's date."""
        if not len(history.slots):
            return np.zeros(len(ids)), np.zeros(len(ids))
        known = (ids >= 0) & (ids < len(history.total_n))
        safe_ids = np.where(known, ids, 0)
        n = np.where(known, history.total_n[safe_ids], 0.0)
        f = np.where(known, history.total_f[safe_ids], 0.0)
        early = np.flatnonzero(days <= history.last_day)  # rows inside the history's period
        if len(early):
            wanted = (safe_ids[early] << DAY_BITS) | days[early]
            at = np.searchsorted(history.slots, wanted, side="left") - 1
            safe = np.maximum(at, 0)
            found = known[early] & (at >= 0) & ((history.slots[safe] >> DAY_BITS) == ids[early])
            n[early] = np.where(found, history.n[safe], 0.0)
            f[early] = np.where(found, history.f[safe], 0.0)
        return n, f

    @staticmethod
    def _category_source(frame: pd.DataFrame, name: str) -> pd.Series:
        if name == "hs2":
            return frame["hs6"].str[:2]
        return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype=object)

    def columns(self, frame: pd.DataFrame) -> dict[str, npt.NDArray[np.float64] | pd.Categorical]:
        """The features in the model's column order (categories as pandas categoricals)."""
        codes = self._codes(frame)
        days = _days(frame)
        out: dict[str, npt.NDArray[np.float64] | pd.Categorical] = {}
        total_n, total_f = self._before(self.overall_, np.zeros(len(frame), np.int64), days)
        prior = np.divide(total_f, total_n, out=np.zeros_like(total_f), where=total_n > 0)
        for history in self.histories_:
            name = key_name(history.key)
            ids, _ = self._ids(history.key, codes, history.pairs)
            n, f = self._before(history, ids, days)
            out[f"{name}.n"] = n
            out[f"{name}.rate"] = (f + prior * self.shrink) / (n + self.shrink)
        value, mass = _floats(frame, "customs_value"), _floats(frame, "net_mass_kg")
        unit = np.log1p(value / mass.clip(0.01))
        hs = codes["hs6"]
        ho, _ = self._ids(("hs6", "origin_country"), codes, self.pairs_ho_)
        out["unit_value_vs_hs_origin"] = unit - _at(self.unit_ho_, ho)
        out["unit_value_vs_hs"] = unit - _at(self.unit_h_, hs)
        tax = _floats(frame, "tax_rate")
        out["duty_rate_vs_hs"] = tax - _at(self.rate_h_, hs)
        out["log_value"] = np.log1p(value)
        out["log_mass"] = log_mass = np.log1p(mass)
        out["mass_vs_hs"] = log_mass - _at(self.mass_h_, hs)
        out["tax_rate"] = tax
        origin, dispatch = _text(frame, "origin_country"), _text(frame, "dispatch_country")
        out["origin_not_dispatch"] = (
            pc.and_(pc.not_equal(dispatch, ""), pc.not_equal(dispatch, origin))
            .to_numpy(zero_copy_only=False)
            .astype(float)
        )
        out["weekday"] = ((days - DAY_OFFSET + 3) % 7).astype(float)  # 1970-01-01: Thursday
        for name, categories in self.categories_.items():
            out[name] = self._categorical(frame, name, categories)
        return out

    def _categorical(
        self, frame: pd.DataFrame, name: str, categories: list[object]
    ) -> pd.Categorical:
        if name != "hs2" and name not in frame:
            return pd.Categorical.from_codes(np.full(len(frame), -1), categories=categories)
        source = self._category_source(frame, name)
        if categories and all(isinstance(c, str) for c in categories):
            array = pa.Array.from_pandas(source)
            if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
                at = pc.index_in(array, value_set=pa.array(categories, pa.string()))
                return pd.Categorical.from_codes(
                    pc.fill_null(at, -1).to_numpy().astype(np.int64), categories=categories
                )
        return pd.Categorical(source, categories=categories)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.columns(frame), index=frame.index)

    def blocks(self, frame: pd.DataFrame, rows: int = BLOCK_ROWS) -> Iterator[FloatArray]:
        """The features as float matrices of ``rows`` rows (categories as their codes, missing
        as NaN: the layout of LightGBM's own pandas conversion), for compiled prediction.
        One block is reused, small enough to stay in the processor's cache: each block is
        overwritten by the next, so use it before asking for another (or call ``matrix``)."""
        columns = []
        for values in self.columns(frame).values():
            if isinstance(values, pd.Categorical):
                codes = values.codes.astype(np.float64)
                codes[values.codes < 0] = np.nan
                columns.append(codes)
            else:
                columns.append(values)
        block = np.empty((min(rows, len(frame)), len(columns)), dtype=np.float64)
        for start in range(0, len(frame), rows):
            m = min(rows, len(frame) - start)
            for j, values in enumerate(columns):
                block[:m, j] = values[start : start + m]
            yield block[:m]

    def matrix(self, frame: pd.DataFrame) -> FloatArray:
        """The whole feature matrix, a copy (``blocks`` reuses one buffer: never keep them)."""
        if not len(frame):
            return np.empty((0, 0))
        return np.concatenate([block.copy() for block in self.blocks(frame)])

    def fit_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.fit(frame).transform(frame)


def _floats(frame: pd.DataFrame, column: str) -> FloatArray:
    values: FloatArray = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def _running(values: FloatArray, starts: IntArray) -> FloatArray:
    total = np.cumsum(values)
    before = np.zeros(len(values))
    if len(starts) > 1:
        offsets = np.r_[0.0, total[starts[1:] - 1]]
        lengths = np.diff(np.r_[starts, len(values)])
        before = np.repeat(offsets, lengths)
    return total - before


def _medians(ids: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Median of ``values`` per id (NaN values ignored; NaN for an id without values)."""
    out = np.full(size, np.nan)
    keep = (ids >= 0) & ~np.isnan(values)
    if keep.any():
        series = pd.Series(values[keep]).groupby(ids[keep]).median()
        out[series.index.to_numpy()] = series.to_numpy()
    return out


def _at(reference: FloatArray, ids: IntArray) -> FloatArray:
    if not len(reference):
        return np.full(len(ids), np.nan)
    return np.where(ids >= 0, reference[np.maximum(ids, 0)], np.nan)
