"""The MRA data file: every record cited and dated, and the loader's checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from greenlane.core.certification.mras import (
    CatalogueError,
    counts,
    exact,
    load_mras,
    of_economy,
    shipped_mras,
    spoken,
)

CHECKED_BY = date(2026, 12, 7)


def test_every_shipped_record_cites_a_source_and_the_day_it_was_checked() -> None:
    mras = shipped_mras()
    assert mras
    for mra in mras:
        assert mra.sources, mra.id
        assert all(s.url.startswith(("http://", "https://")) and s.title for s in mra.sources)
        assert mra.checked <= date.today(), mra.id
        # Both dates are stated: a day, a month, a year, or "unknown" (never left out).
        assert mra.signed, mra.id
        assert mra.in_effect, mra.id


def test_there_is_no_eu_korea_mra() -> None:
    pairs = {frozenset(p.economy for p in m.parties) for m in shipped_mras()}
    assert frozenset({"EU", "KR"}) not in pairs
    assert not [m for m in of_economy(shipped_mras(), "KR") if m.party("EU")]


def test_the_file_holds_the_counts_the_review_gives() -> None:
    """Korea 22 (Aug 2023), CTPAT 16 (Sept 2022), EU 7 + Canada, Japan 9 partners; India 9
    as of May 2025 of which the sources read name 7 (the file says which are missing)."""
    found = {c.programme: c.arrangements for c in counts(shipped_mras())}
    reviewed = ("kr-aeo", "us-ctpat", "eu-aeo", "jp-aeo", "in-aeo", "cn-aeo")
    assert {p: found[p] for p in reviewed} == {
        "kr-aeo": 22, "us-ctpat": 16, "eu-aeo": 8, "jp-aeo": 9, "in-aeo": 7, "cn-aeo": 3,
    }  # fmt: skip
    header = (Path(__file__).parents[3] / "src/greenlane/catalogue/mras.yaml").read_text()
    assert "CBIC had 9 MRAs in May 2025" in header
    aamra = next(m for m in shipped_mras() if m.kind == "plurilateral")
    assert len(aamra.parties) == 10
    assert aamra.signed == "2023-09-19"


def test_a_date_is_as_precise_as_its_source() -> None:
    kr_cn = next(m for m in shipped_mras() if m.id == "kr-cn")
    assert (kr_cn.signed, kr_cn.signed_on) == ("2013-06", None)
    assert kr_cn.in_effect_from == date(2014, 4, 1)
    assert spoken("2013-06") == "June 2013"
    assert spoken("unknown") == "unknown"
    assert exact("unknown") is None
    assert exact("2011") is None


GOOD = """\
mras:
  - id: kr-xx
    kind: bilateral
    parties:
      - {economy: KR, programme: kr-aeo}
      - {economy: CA, programme: null, roles: [exporter]}
    signed: 2010-06
    in_effect: unknown
    sources:
      - {title: A source, url: "https://example.org/mra"}
    checked: 2026-12-07
"""


def _load(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "mras.yaml"
    path.write_text(text)
    try:
        load_mras(path)
    except CatalogueError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_a_good_record_loads(tmp_path: Path) -> None:
    assert _load(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("kind: bilateral", "kind: trilateral"), "mras.0.kind: Input should be 'bilateral'"),
        (
            (
                "      - {economy: CA, programme: null, roles: [exporter]}\n",
                "      - {economy: CA, programme: null}\n      - {economy: MX, programme: null}\n",
            ),
            "a bilateral arrangement has exactly 2 parties, not 3",
        ),
        (
            ("kind: bilateral", "kind: plurilateral\n    name: Two of us"),
            "a plurilateral arrangement has at least 3 parties, not 2",
        ),
        (("programme: kr-aeo", "programme: kr-oea"), "unknown programme 'kr-oea'"),
        (("programme: kr-aeo", "programme: jp-aeo"), "jp-aeo is the programme of JP, not KR"),
        (
            ("programme: kr-aeo}", "programme: kr-aeo, tiers: [Gold]}"),
            "'Gold' is not a tier of kr-aeo",
        ),
        (("roles: [exporter]", "roles: [smuggler]"), "mras.0.parties.1.roles.0"),
        (("economy: CA", "economy: XX"), "'XX' is not an ISO 3166 country code"),
        (("signed: 2010-06", "signed: 2010-13"), "'2010-13' is not a date"),
        (("signed: 2010-06", "signed: June 2010"), "is not YYYY-MM-DD, YYYY-MM, YYYY or"),
        (("in_effect: unknown", "in_effect: 2009"), "in effect (2009) before signed (2010-06)"),
        (("    in_effect: unknown\n", ""), "mras.0.in_effect: required field is missing"),
        (("    checked: 2026-12-07\n", ""), "mras.0.checked: required field is missing"),
        (('url: "https://example.org/mra"', 'url: "javascript:alert(1)"'), "mras.0.sources.0.url"),
        (
            ('      - {title: A source, url: "https://example.org/mra"}\n', ""),
            "mras.0.sources: Input should be a valid list",
        ),
        (("    checked:", "    checkd: 2026-12-07\n    checked:"), "mras.0.checkd: unknown field"),
    ],
)
def test_a_bad_record_is_refused_with_its_line_and_reason(
    tmp_path: Path, change: tuple[str, str], words: str
) -> None:
    old, new = change
    assert old in GOOD
    problems = _load(tmp_path, GOOD.replace(old, new, 1))
    assert problems, change
    assert any(words in p for p in problems), problems
    assert all(p.startswith(f"{tmp_path / 'mras.yaml'}:") for p in problems)


def test_a_party_left_without_a_programme_is_linked_to_its_economys_encoded_one(
    tmp_path: Path,
) -> None:
    """The file says null where it was written before the economy's programme was encoded;
    loading links the party to that programme, so the file stays true as programmes are
    added."""
    path = tmp_path / "mras.yaml"
    path.write_text(GOOD.replace("programme: kr-aeo", "programme: null"))
    (mra,) = load_mras(path)
    assert mra.parties[0].programme == "kr-aeo"


def test_a_record_without_any_source_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        '    sources:\n      - {title: A source, url: "https://example.org/mra"}\n',
        "    sources: []\n",
    )
    (problem,) = _load(tmp_path, text)
    assert "mras.0.sources: List should have at least 1 item" in problem


def test_an_arrangement_is_recorded_once(tmp_path: Path) -> None:
    twice = GOOD + GOOD.removeprefix("mras:\n").replace("id: kr-xx", "id: kr-yy")
    (problem,) = _load(tmp_path, twice)
    assert "the same arrangement is recorded twice" in problem
    same_id = GOOD + GOOD.removeprefix("mras:\n").replace("economy: CA", "economy: MX")
    (problem,) = _load(tmp_path, same_id)
    assert "duplicate id 'kr-xx'" in problem


def test_catalogue_check_checks_the_mra_file_too(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from greenlane.cli import app

    runner = CliRunner()
    shipped = runner.invoke(app, ["catalogue", "check"])
    assert shipped.exit_code == 0, shipped.output
    assert "OK mras.yaml: 56 arrangements" in shipped.output
    path = tmp_path / "mras.yaml"
    path.write_text(GOOD.replace("programme: kr-aeo", "programme: kr-oea"))
    bad = runner.invoke(app, ["catalogue", "check", str(path)])
    assert bad.exit_code == 2
    assert f"{path}:5: mras.0.parties.0.programme: unknown programme 'kr-oea'" in bad.output


def test_dates_as_sourced_are_words_translated_where_shown() -> None:
    from greenlane.core.certification.mras import BENEFITS, said
    from greenlane.core.words import Words

    june = said("2013-06")
    assert isinstance(june, Words)
    assert june.message == "June %(year)s"
    assert june.params == {"year": "2013"}
    assert str(june) == spoken("2013-06") == "June 2013"  # the year is not grouped
    assert str(said("unknown")) == "unknown"
    assert said("2013-06-01") == "2013-06-01"
    assert all(isinstance(w, Words) for w in BENEFITS.values())
