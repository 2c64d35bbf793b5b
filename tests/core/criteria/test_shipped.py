"""The catalogue that ships: complete enough to be useful, honest where it is not."""

from __future__ import annotations

from greenlane.core.criteria.loader import shipped

CATALOGUE = shipped()


def test_it_carries_every_programme_the_project_promises() -> None:
    assert set(CATALOGUE.programmes) == {
        "wto-tfa", "wco-safe", "eu-aeo", "kr-aeo", "us-ctpat", "in-aeo", "cn-aeo", "jp-aeo",
    }  # fmt: skip


def test_every_baseline_requirement_is_used_by_some_programme() -> None:
    used = {
        r
        for p in CATALOGUE.programmes.values()
        for v in p.versions
        for c in v.criteria
        for r in c.maps_to
    }
    assert used == {r.id for r in CATALOGUE.baseline.requirements}


def test_every_partial_version_says_what_is_missing_and_every_source_has_a_url() -> None:
    for p in CATALOGUE.programmes.values():
        for v in p.versions:
            assert v.coverage == "complete" or v.missing, (p.id, v.version)
            assert all(s.url.startswith(("http://", "https://")) for s in v.sources)


def test_every_programme_has_a_version_for_most_of_the_last_decade() -> None:
    for p in CATALOGUE.programmes.values():
        assert min(v.valid_from for v in p.versions).year <= 2021, p.id
