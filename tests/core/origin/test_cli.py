"""`greenlane origin issue` and `greenlane origin verify`: the contracts of issue 20."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenlane.cli import CommandError, app
from tests.core.origin.pki import EXAMPLE, Pki, example, make_pki

runner = CliRunner()


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def files(pki: Pki, tmp_path: Path) -> Path:
    (tmp_path / "key.pem").write_bytes(pki.authority.key_pem)
    (tmp_path / "cert.pem").write_bytes(pki.authority.certificate_pem)
    (tmp_path / "expired-key.pem").write_bytes(pki.expired.key_pem)
    (tmp_path / "expired.pem").write_bytes(pki.expired.certificate_pem)
    pki.trust_directory(tmp_path / "trust")
    return tmp_path


def issue(files: Path, data: Path = EXAMPLE, key: str = "key.pem", cert: str = "cert.pem"):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        [
            "origin", "issue", str(data), "--key", str(files / key), "--cert", str(files / cert),
            "--out", str(files / "co.xml"),
        ],
    )  # fmt: skip


def test_it_issues_a_certificate_that_verify_accepts(files: Path) -> None:
    issued = issue(files)
    assert issued.exit_code == 0, issued.output
    assert "certificate KR-CN-2026-000123 signed" in issued.output
    verified = runner.invoke(
        app, ["origin", "verify", str(files / "co.xml"), "--trust", str(files / "trust")]
    )
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("valid: certificate KR-CN-2026-000123 (KR-CN)")


def test_verify_prints_the_contracted_json(files: Path) -> None:
    issue(files)
    result = runner.invoke(
        app,
        ["origin", "verify", str(files / "co.xml"), "--trust", str(files / "trust"), "--json"],
    )
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert {"valid", "reasons", "certificate_number", "issuer", "exporter", "items"} <= set(printed)
    assert printed["valid"] is True
    assert printed["reasons"] == []
    assert printed["issuer"]["name"] == "Korea Customs Service"
    assert printed["exporter"]["name"] == "Hanbit Electronics Co., Ltd."
    assert [item["quantity"] for item in printed["items"]] == ["1200", "500"]


def test_verify_exits_1_with_one_line_per_reason(files: Path) -> None:
    issue(files, key="expired-key.pem", cert="expired.pem")
    xml = files / "co.xml"
    xml.write_bytes(
        xml.read_bytes().replace(b"<cbc:ID>KR-CN-2026-000123<", b"<cbc:ID>KR-CN-2026-999<")
    )
    result = runner.invoke(app, ["origin", "verify", str(xml), "--trust", str(files / "trust")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "digest mismatch: the signed content was changed after it was signed"
    ]
    as_json = runner.invoke(
        app, ["origin", "verify", str(xml), "--trust", str(files / "trust"), "--json"]
    )
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["valid"] is False


def test_an_expired_signer_is_one_reason(files: Path) -> None:
    issue(files, key="expired-key.pem", cert="expired.pem")
    result = runner.invoke(
        app, ["origin", "verify", str(files / "co.xml"), "--trust", str(files / "trust")]
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("certificate expired: CN=KCS Origin Issuing Authority 2025")


def test_bad_data_is_named_field_by_field_and_nothing_is_written(files: Path) -> None:
    bad = example(exporting_country="Korea", items=[{"description": "x"}])
    (files / "bad.json").write_text(json.dumps(bad))
    result = issue(files, data=files / "bad.json")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any(": exporting_country: String should match pattern" in line for line in lines)
    assert any(": items.0.hs_code: Field required" in line for line in lines)
    assert not (files / "co.xml").exists()


def test_a_key_of_another_certificate_is_refused(files: Path) -> None:
    result = issue(files, key="expired-key.pem", cert="cert.pem")
    assert isinstance(result.exception, CommandError)  # main() prints it, exit 2
    assert str(result.exception) == "the key does not belong to the certificate"
    assert not (files / "co.xml").exists()


def test_a_missing_trust_list_or_file_is_a_usage_error(files: Path) -> None:
    issue(files)
    missing = runner.invoke(
        app, ["origin", "verify", str(files / "co.xml"), "--trust", str(files / "nowhere")]
    )
    assert isinstance(missing.exception, CommandError)
    assert str(missing.exception).endswith("nowhere: not a directory")
    absent = runner.invoke(
        app, ["origin", "verify", str(files / "none.xml"), "--trust", str(files / "trust")]
    )
    assert isinstance(absent.exception, CommandError)
    assert "none.xml: No such file or directory" in str(absent.exception)


def test_the_xmlsec1_command_accepts_what_issue_writes(files: Path, pki: Pki) -> None:
    """A standard verifier, by the trust list's root, as `docs/origin.md` shows it."""
    command = shutil.which("xmlsec1")
    if command is None:
        pytest.skip("xmlsec1 is not installed (make xmlsec1)")
    issue(files)
    root = str(files / "trust" / "root.pem")
    accepted = subprocess.run(
        [command, "--verify", "--trusted-pem", root, str(files / "co.xml")],
        capture_output=True,
        check=False,
    )
    assert accepted.returncode == 0, accepted.stderr
    tampered = files / "tampered.xml"
    tampered.write_bytes((files / "co.xml").read_bytes().replace(b"Hanbit", b"Hanbyt"))
    refused = subprocess.run(
        [command, "--verify", "--trusted-pem", root, str(tampered)],
        capture_output=True,
        check=False,
    )
    assert refused.returncode != 0
