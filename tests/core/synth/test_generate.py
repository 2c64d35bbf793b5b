from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from greenlane.core.synth import FILES, SynthConfig, generate

SMALL = SynthConfig(seed=7, operators=300, declarations=12_000, chunk_rows=5_000)


def _digests(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / f"{name}.parquet").read_bytes()).hexdigest()
        for name in FILES
    }


@pytest.fixture(scope="module")
def economy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(SMALL, out)
    return out


def test_it_writes_byte_identical_files_for_the_same_seed(economy: Path, tmp_path: Path) -> None:
    generate(SMALL, tmp_path)
    assert _digests(tmp_path) == _digests(economy)


def test_it_writes_different_data_for_another_seed(economy: Path, tmp_path: Path) -> None:
    generate(SynthConfig(seed=8, operators=300, declarations=12_000, chunk_rows=5_000), tmp_path)
    digests, other = _digests(economy), _digests(tmp_path)
    assert all(digests[name] != other[name] for name in FILES)


def test_it_writes_every_declaration_once_in_date_order(economy: Path) -> None:
    decl = pq.read_table(economy / "declarations.parquet")
    assert decl.num_rows == SMALL.declarations
    assert pc.count_distinct(decl["declaration_number"]).as_py() == SMALL.declarations
    days = decl["declaration_date"].to_numpy()
    assert (np.diff(days.astype("datetime64[D]").astype(int)) >= 0).all()
    assert days.min() >= np.datetime64(SMALL.start)
    assert days.max() < np.datetime64(date.fromordinal(SMALL.start.toordinal() + SMALL.days))


def test_it_keeps_values_in_their_domains(economy: Path) -> None:
    decl = pq.read_table(economy / "declarations.parquet")
    for column in ("quantity", "net_mass_kg", "customs_value", "duty_amount", "tax_rate"):
        assert pc.min(decl[column]).as_py() >= 0, column
    hs6 = decl["hs6"].cast("string").to_pylist()
    assert all(len(h) == 6 and h.isdigit() for h in hs6)
    countries = set(decl["origin_country"].cast("string").to_pylist())
    assert all(len(c) == 2 and c.isupper() for c in countries)


def test_inspection_results_agree_with_the_truth(economy: Path) -> None:
    truth = pq.read_table(economy / "truth.parquet").to_pylist()
    fraud = {row["declaration_number"]: row["fraud"] for row in truth}
    stake = {row["declaration_number"]: row["revenue_at_stake"] for row in truth}
    insp = pq.read_table(economy / "inspections.parquet").to_pylist()
    assert 0.02 * SMALL.declarations < len(insp) < 0.15 * SMALL.declarations
    for row in insp:
        if row["fraud_found"]:
            assert fraud[row["declaration_number"]]
            assert row["revenue_recovered"] == pytest.approx(stake[row["declaration_number"]])
        else:
            assert row["revenue_recovered"] == 0


def test_fraud_is_rare_and_carries_revenue(economy: Path) -> None:
    truth = pq.read_table(economy / "truth.parquet")
    rate = pc.mean(truth["fraud"]).as_py()
    assert 0.01 < rate < 0.10
    stake = truth["revenue_at_stake"].to_numpy()
    is_fraud = truth["fraud"].to_numpy(zero_copy_only=False)
    assert (stake[~is_fraud] == 0).all()
    assert (stake[is_fraud] > 0).mean() > 0.9


def test_undervalued_declarations_show_low_unit_values(economy: Path) -> None:
    """The planted undervaluation is learnable: unit value against the HS reference drops."""
    decl = pq.read_table(economy / "declarations.parquet")
    pattern = (
        pq.read_table(economy / "truth.parquet")["pattern"]
        .cast("string")
        .to_numpy(zero_copy_only=False)
    )
    unit = decl["customs_value"].to_numpy() / decl["net_mass_kg"].to_numpy()
    hs = decl["hs6"].cast("string").to_numpy(zero_copy_only=False)
    ratios = []
    for code in np.unique(hs[pattern == "undervaluation"]):
        mask = hs == code
        honest = (
            np.median(unit[mask & (pattern == "")]) if (mask & (pattern == "")).any() else np.nan
        )
        ratios.extend(unit[mask & (pattern == "undervaluation")] / honest)
    assert np.nanmedian(ratios) < 0.75


def test_aeo_consignments_are_released_faster(economy: Path) -> None:
    cons = pq.read_table(economy / "consignments.parquet")
    hours = (cons["release"].to_numpy() - cons["arrival"].to_numpy()).astype(
        "timedelta64[s]"
    ).astype(float) / 3600
    aeo = cons["aeo"].to_numpy(zero_copy_only=False)
    assert aeo.any()
    assert np.median(hours[aeo]) < 0.8 * np.median(hours[~aeo])
    channel = cons["channel"].cast("string").to_numpy(zero_copy_only=False)
    assert np.median(hours[channel == "red"]) > np.median(hours[channel == "green"])


def test_event_times_are_in_process_order(economy: Path) -> None:
    cons = pq.read_table(economy / "consignments.parquet")
    arrival, unloaded, release, exit_ = (
        cons[c].to_numpy() for c in ("arrival", "unloaded", "release", "exit")
    )
    registered, lodged = cons["registered"].to_numpy(), cons["lodged"].to_numpy()
    assert (unloaded >= arrival).all()
    assert (registered >= lodged).all()
    assert (release >= unloaded).all()
    assert (exit_ >= release).all()


def test_operators_include_msmes_and_certified_and_partner_aeos(economy: Path) -> None:
    ops = pq.read_table(economy / "operators.parquet")
    sizes = set(ops["size_class"].to_pylist())
    assert {"micro", "small", "medium", "large"} <= sizes
    auth = pq.read_table(economy / "aeo_authorisations.parquet")
    programmes = set(auth["programme"].to_pylist())
    assert "kr-aeo" in programmes
    assert len(programmes) > 2
    assert set(auth["operator_code"].to_pylist()) <= set(ops["code"].to_pylist())


def test_it_rejects_a_nonsensical_config() -> None:
    with pytest.raises(ValueError, match="declarations"):
        SynthConfig(declarations=0)
    with pytest.raises(ValueError, match="home_country"):
        SynthConfig(home_country="Korea")


PEAK_RSS = """
import json, resource, sys
from pathlib import Path
from greenlane.core.synth import SynthConfig, generate
n = int(sys.argv[1])
generate(SynthConfig(seed=1, operators=500, declarations=n, chunk_rows=20_000), Path(sys.argv[2]))
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _peak_kib(rows: int, out: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(rows), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(json.loads(done.stdout)["peak_kib"])


@pytest.mark.slow
def test_memory_does_not_grow_with_the_number_of_declarations(tmp_path: Path) -> None:
    small = _peak_kib(40_000, tmp_path / "small")
    large = _peak_kib(400_000, tmp_path / "large")
    # Ten times the rows, streamed in the same chunks: the peak stays about the same.
    assert large < small * 1.25 + 20_000, (small, large)


def test_partner_aeos_hold_tiers_the_catalogue_knows() -> None:
    """An MRA limited to some tiers is checked against the catalogue's tier ids: the synthetic
    partner AEOs must carry those ids, or no demo MRA limited to a tier would recognise them."""
    from greenlane.core.criteria.loader import shipped
    from greenlane.core.synth import world

    programmes = shipped().programmes
    checked = 0
    for programme, tier in world.PARTNER_PROGRAMMES.values():
        if programme in programmes:
            known = {t.id for v in programmes[programme].versions for t in v.tiers}
            assert tier in known, (programme, tier, sorted(known))
            checked += 1
    assert checked >= 5
    assert world.DOMESTIC_PROGRAMME in programmes
