"""The catalogue that ships: complete enough to be useful, honest where it is not."""

from __future__ import annotations

from greenlane.core.criteria.loader import shipped

CATALOGUE = shipped()


FIRST_EIGHT = {"wto-tfa", "wco-safe", "eu-aeo", "kr-aeo", "us-ctpat", "in-aeo", "cn-aeo", "jp-aeo"}
#: APEC members' programmes added from the expert review (issue 22), one per economy.
APEC_ADDED = {
    "hk-aeo": "HK", "sg-stp": "SG", "my-aeo": "MY", "ca-pip": "CA", "mx-oea": "MX",
    "cl-oea": "CL", "pe-oea": "PE", "tw-aeo": "TW", "ph-aeo": "PH", "au-att": "AU",
    "nz-ses": "NZ", "th-aeo": "TH", "vn-aeo": "VN", "id-aeo": "ID", "eaeu-aeo": "RU",
}  # fmt: skip


def test_it_carries_every_programme_the_project_promises() -> None:
    assert set(CATALOGUE.programmes) == FIRST_EIGHT | set(APEC_ADDED)
    assert len(CATALOGUE.programmes) >= 23
    for programme_id, economy in APEC_ADDED.items():
        assert CATALOGUE.programmes[programme_id].jurisdiction == economy


def test_every_apec_programme_is_one_economys() -> None:
    economies = [p.jurisdiction for p in CATALOGUE.programmes.values() if p.kind != "framework"]
    assert len(economies) == len(set(economies)), "two programmes of one economy"


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


def test_every_first_programme_has_a_version_for_most_of_the_last_decade() -> None:
    """The first eight were written with their history; a programme added later may start
    with the version its sources describe (its file says what earlier rules are missing)."""
    for p in CATALOGUE.programmes.values():
        if p.id in FIRST_EIGHT:
            assert min(v.valid_from for v in p.versions).year <= 2021, p.id


def _texts(model: object) -> list[str]:
    """Every piece of prose a person reads in ``model`` (not ids, codes or URLs)."""
    from pydantic import BaseModel

    prose = {"title", "text", "practice", "note", "locator"}
    out: list[str] = []
    if isinstance(model, BaseModel):
        for name in type(model).model_fields:
            value = getattr(model, name)
            if name in prose and isinstance(value, str):
                out.append(value)
            elif name in ("missing", "procedure", "evidence"):
                out.extend(value)
            else:
                out.extend(_texts(value))
    elif isinstance(model, list | tuple):
        for item in model:
            out.extend(_texts(item))
    return out


def test_no_programme_text_speaks_in_field_names() -> None:
    """Pages show these texts to customs officers and traders: 'no validity_years is set'
    is the file talking to itself."""
    import re

    from greenlane.core.criteria import schema

    fields = {
        name
        for model in vars(schema).values()
        if isinstance(model, type) and hasattr(model, "model_fields")
        for name in model.model_fields
        if "_" in name
    }
    pattern = re.compile(r"\b(" + "|".join(sorted(fields)) + r")\b")
    found = [
        (p.id, text[:80])
        for p in CATALOGUE.programmes.values()
        for text in _texts(p)
        if pattern.search(text)
    ]
    assert found == []
