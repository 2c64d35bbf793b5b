from __future__ import annotations

from pathlib import Path

import pytest

from greenlane.core.risk import mapping

GOOD = """
name: mine
columns:
  number: No
  declaration_date: Date
  office_code: Office
  importer_code: Importer
  hs6: HS
  origin_country: Origin
  net_mass_kg: Mass
  customs_value: Value
"""


def test_a_minimal_mapping_loads_and_lists_its_columns() -> None:
    m = mapping.parse(GOOD)
    assert m.name == "mine"
    assert m.kind == "declarations"
    assert m.columns["hs6"].column == "HS"
    assert m.source_columns()[:2] == ["No", "Date"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (GOOD.replace("  hs6: HS\n", ""), "required field(s) not mapped: hs6"),
        (GOOD + "  colour: Colour\n", "unknown field(s) for declarations: colour"),
        (GOOD + "surprise: 1\n", "surprise: Extra inputs are not permitted"),
        (GOOD.replace("name: mine", "name: Not A Name"), "name: String should match pattern"),
        (GOOD + "labels:\n  guilt: G\n", "unknown label field(s): guilt"),
        ("- a\n- list\n", "a mapping must be a YAML object"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_mapping_is_refused_with_the_reason(change: str, message: str) -> None:
    with pytest.raises(mapping.MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        mapping.parse(change, "mine.yaml")


def test_an_inspections_mapping_needs_a_result_and_its_date() -> None:
    with pytest.raises(mapping.MappingError, match="inspected_on"):
        mapping.parse("name: r\nkind: inspections\ncolumns: {number: N}\nlabels: {fraud: F}\n")


def test_the_shipped_mappings_load() -> None:
    shipped = mapping.shipped()
    assert {"kcs", "greenlane", "greenlane-inspections"} <= set(shipped)
    assert shipped["kcs"].has_labels
    assert shipped["kcs"].columns["transport_mode"].values == {
        "10": "1", "20": "2", "30": "3", "40": "4", "50": "5", "90": "9",
    }  # fmt: skip


def test_the_command_line_loads_a_name_or_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    assert mapping.load_file_or_name(str(path)).name == "mine"
    assert mapping.load_file_or_name("kcs").name == "kcs"
    with pytest.raises(mapping.MappingError, match="no mapping named 'nope'"):
        mapping.load_file_or_name("nope")


@pytest.mark.parametrize("kind", ["absolute", "relative", "missing"])
def test_a_name_is_never_read_as_a_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    name = {
        "absolute": str(path),
        "relative": "../" * 12 + str(path).lstrip("/"),
        "missing": str(tmp_path / "nothing.yaml"),
    }[kind]
    with pytest.raises(mapping.MappingError, match="no mapping named") as refused:
        mapping.named(name)
    assert "Importer" not in str(refused.value)  # nothing of the file's content
    assert mapping.named("kcs").name == "kcs"
