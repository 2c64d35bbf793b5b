from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from greenlane.core.risk import mapping
from greenlane.core.risk.evaluate import evaluate
from greenlane.core.risk.features import HistoryFeatures
from greenlane.core.risk.frames import read_frame
from greenlane.core.risk.model import RiskModel
from greenlane.core.synth import SynthConfig, generate
from tests.shared_data import kcs_file


@pytest.fixture(scope="module")
def economy(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Synthetic declarations with their true labels, as a fully inspected training set."""
    out = tmp_path_factory.mktemp("economy")
    generate(
        SynthConfig(
            seed=11, operators=400, declarations=24_000, start=date(2025, 1, 1), consignments=False
        ),
        out,
    )
    frame, rejected = read_frame([out / "declarations.parquet"], mapping.named("greenlane"))
    assert rejected == 0
    truth = pd.read_parquet(out / "truth.parquet")
    frame = frame.merge(
        truth[["declaration_number", "fraud", "revenue_at_stake"]],
        left_on="number",
        right_on="declaration_number",
    )
    return frame.rename(columns={"revenue_at_stake": "revenue_recovered"}).drop(
        columns="declaration_number"
    )


def test_history_uses_only_earlier_days(economy: pd.DataFrame) -> None:
    """Changing every label from a day on never changes features of declarations before it."""
    cut = economy["declaration_date"].quantile(0.6)
    before = economy["declaration_date"] < cut
    shuffled = economy.copy()
    rng = np.random.default_rng(0)
    shuffled.loc[~before, "fraud"] = rng.permutation(shuffled.loc[~before, "fraud"].to_numpy())
    shuffled.loc[~before, "fraud"] = ~shuffled.loc[~before, "fraud"].astype(bool)
    history = [
        c
        for c in HistoryFeatures().fit(economy).transform(economy.head(1)).columns
        if c.endswith((".n", ".rate"))
    ]
    a = HistoryFeatures().fit(economy).transform(economy[before])[history]
    b = HistoryFeatures().fit(shuffled).transform(shuffled[before])[history]
    pd.testing.assert_frame_equal(a, b)


def test_a_declaration_does_not_see_its_own_day(economy: pd.DataFrame) -> None:
    day = economy["declaration_date"].min()
    first_day = economy[economy["declaration_date"] == day]
    features = HistoryFeatures().fit(economy).transform(first_day)
    assert (features["importer_code.n"] == 0).all()


def test_it_follows_the_estimator_contract(economy: pd.DataFrame) -> None:
    model = RiskModel(n_estimators=50)
    assert model.get_params()["n_estimators"] == 50
    assert not [k for k in vars(model) if k.endswith("_")]  # nothing learned before fit
    fitted = model.fit(economy)
    assert fitted is model
    assert clone(model).get_params() == model.get_params()
    assert not hasattr(clone(model), "booster_")
    proba = model.predict_proba(economy.head(100))
    assert proba.shape == (100, 2)
    assert np.allclose(proba.sum(axis=1), 1)
    assert ((proba >= 0) & (proba <= 1)).all()


def test_it_learns_the_planted_fraud_and_explains_in_words(economy: pd.DataFrame) -> None:
    cut = economy["declaration_date"].quantile(0.75)
    train, test = (
        economy[economy["declaration_date"] < cut],
        economy[economy["declaration_date"] >= cut],
    )
    model = RiskModel(n_estimators=150).fit(train)
    scores = model.predict_proba(test)[:, 1]
    from greenlane.core.risk.metrics import precision_at

    base = test["fraud"].mean()
    assert precision_at(scores, test["fraud"].astype(float), 5) > 3 * base
    top = int(np.argmax(scores))
    reasons = model.reasons(test.iloc[[top]])[0]
    assert reasons
    assert all(r.contribution > 0 and r.text for r in reasons)
    # The top 50's reasons are sentences about each declaration, not feature names.
    highest = test.iloc[np.argsort(-scores)[:50]]
    for (_, row), why in zip(highest.iterrows(), model.reasons(highest), strict=True):
        for reason in why:
            text = str(reason.text)
            assert text[0].isupper(), text
            assert not re.search(r"__|\.rate|log_|_vs_|_code|nan", text), text
            if reason.feature.startswith("importer_code"):
                assert f"Importer {row['importer_code']}" in text
    stake = model.revenue_at_stake(test.iloc[[top]])
    assert stake[0] > 0


def test_training_without_both_outcomes_is_refused(economy: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="with and without fraud"):
        RiskModel().fit(economy.assign(fraud=False))


def test_evaluate_refuses_a_test_period_before_training(tmp_path: Path) -> None:
    valid = kcs_file("valid.csv")
    with pytest.raises(ValueError, match="time-based split"):
        evaluate(mapping.named("kcs"), [valid], valid)


@pytest.mark.once
@pytest.mark.slow
def test_on_the_kcs_data_the_model_beats_both_baselines_and_the_published_figures() -> None:
    result = evaluate(mapping.named("kcs"), [kcs_file("train.csv")], kcs_file("valid.csv"))
    model, base = result["model"], result["baselines"]
    for n in (5, 10):
        key = f"precision@{n}"
        assert model[key] > base["lightgbm"][key], key
        assert model[key] > base["xgboost"][key], key
    assert model["precision@5"] > 0.762
    assert model["precision@10"] > 0.641
    assert result["rows"] == {"train": 37385, "test": 8134, "rejected": 0}


def _naive_history(
    frame: pd.DataFrame, rows: pd.DataFrame, key: tuple[str, ...]
) -> tuple[list[float], list[float]]:
    """Inspections and frauds of each row's key strictly before its date, by brute force."""
    labelled = frame[frame["fraud"].notna()]
    n, f = [], []
    for _, row in rows.iterrows():
        same = labelled["declaration_date"] < row["declaration_date"]
        for k in key:
            same &= labelled[k].fillna("") == ("" if pd.isna(row[k]) else row[k])
        n.append(float(same.sum()))
        f.append(float(labelled.loc[same, "fraud"].astype(float).sum()))
    return n, f


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 20),  # day
            st.sampled_from(["A", "B", "C", None]),  # importer
            st.sampled_from(["S1", "S2"]),  # seller
            st.sampled_from([True, False, None]),  # fraud (None: not inspected)
        ),
        min_size=1,
        max_size=40,
    ),
    query_days=st.lists(st.integers(0, 30), min_size=1, max_size=10),
)
def test_history_counts_match_a_brute_force_count(
    data: list[tuple[int, str | None, str, bool | None]], query_days: list[int]
) -> None:
    start = pd.Timestamp("2025-01-01")

    def frame(rows: list[tuple[int, str | None, str, bool | None]]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "declaration_date": [start + pd.Timedelta(days=d) for d, *_ in rows],
                "importer_code": [i for _, i, _, _ in rows],
                "seller_code": [s for _, _, s, _ in rows],
                "fraud": pd.Series([f for *_, f in rows], dtype=object),
                "declarant_code": "D",
                "hs6": "850440",
                "origin_country": "CN",
                "office_code": "O1",
                "dispatch_country": None,
                "customs_value": 100.0,
                "net_mass_kg": 2.0,
                "tax_rate": 8.0,
            }
        )

    train = frame(data)
    queries = frame(
        [(d, ("A", "B", "D", None)[i % 4], "S1", None) for i, d in enumerate(query_days)]
    )
    features = HistoryFeatures().fit(train)
    for rows in (train, queries):
        out = features.transform(rows)
        for key in (("importer_code",), ("importer_code", "seller_code")):
            n, _ = _naive_history(train, rows, key)
            assert out[f"{'__'.join(key)}.n"].tolist() == n, key


def test_compiled_prediction_gives_lightgbms_numbers(
    economy: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import greenlane.core.risk.model as module

    model = RiskModel(n_estimators=40).fit(economy)
    assert model.compiled(cache=tmp_path) is not None
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".o", ".txt"]
    monkeypatch.setattr(module, "COMPILE_ROWS", 10**9)
    by_lightgbm = model.predict_proba(economy)[:, 1]
    monkeypatch.setattr(module, "COMPILE_ROWS", 1)
    by_compiled = model.predict_proba(economy)[:, 1]
    np.testing.assert_allclose(by_compiled, by_lightgbm, rtol=0, atol=1e-12)
    # The compiled code is not pickled; a loaded model compiles (from the cache) again.
    import pickle

    loaded = pickle.loads(pickle.dumps(model))
    assert getattr(loaded, "_compiled", None) is None
    np.testing.assert_allclose(loaded.predict_proba(economy)[:, 1], by_lightgbm, atol=1e-12)


def test_revenue_at_stake_does_not_depend_on_what_is_scored_with_it(
    economy: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A declaration scored alone (real time) gets the revenue estimate it gets in a batch,
    by LightGBM and by the compiled code alike."""
    import greenlane.core.risk.model as module

    model = RiskModel(n_estimators=40).fit(economy)
    assert model.revenue_.model_ is not None  # the learned estimate, not the duty fallback
    monkeypatch.setattr(module, "COMPILE_ROWS", 10**9)
    batch = model.revenue_.predict(economy)
    picked = economy.groupby(economy["hs6"].str[:2]).head(1).index[:12]
    alone = [model.revenue_.predict(economy.loc[[i]])[0] for i in picked]
    np.testing.assert_allclose(alone, batch[economy.index.get_indexer(picked)], rtol=1e-9)
    monkeypatch.setattr(module, "COMPILE_ROWS", 1)
    np.testing.assert_allclose(model.revenue_.predict(economy), batch, rtol=1e-9)
    assert len(set(np.round(batch, 2))) > 100  # it varies with the declaration
