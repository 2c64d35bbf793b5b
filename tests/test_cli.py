from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import typer
from django.db import connection
from typer.testing import CliRunner

from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.cli import app

runner = CliRunner()


def test_synth_writes_the_files_and_summarises(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["synth", str(tmp_path), "--declarations", "3000", "--operators", "120", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(tmp_path / "declarations.parquet").num_rows == 3000
    assert pq.read_metadata(tmp_path / "operators.parquet").num_rows == 120
    assert "declarations.parquet" in result.output
    assert "3,000" in result.output


def test_synth_refuses_a_bad_option_clearly(tmp_path: Path) -> None:
    from greenlane.cli import CommandError

    result = runner.invoke(app, ["synth", str(tmp_path), "--operators", "3"])
    assert isinstance(result.exception, CommandError)
    assert "operators must be at least 50" in str(result.exception)


@pytest.mark.django_db
def test_audit_verify_passes_on_an_intact_chain() -> None:
    audit.record("test.one")
    audit.record("test.two")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0
    assert "intact" in result.output


@pytest.mark.django_db
def test_audit_verify_names_the_first_broken_link() -> None:
    events = [audit.record("test.event", data={"i": i}) for i in range(4)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = 'test.forged' WHERE seq = %s", [events[1].seq]
        )
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at event #{events[1].seq}" in result.output


@pytest.mark.django_db
def test_createadmin_creates_an_audited_administrator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENLANE_ADMIN_PASSWORD", "a-long-and-unusual-passphrase")
    result = runner.invoke(app, ["createadmin", "chief", "--organisation", "Customs HQ"])
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="chief")
    assert user.role == "administrator"
    assert user.organisation.name == "Customs HQ"
    assert user.check_password("a-long-and-unusual-passphrase")
    assert AuditEvent.objects.filter(
        action="accounts.user.created", subject_id=str(user.pk)
    ).exists()


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENLANE_ADMIN_PASSWORD", "password")
    result = runner.invoke(app, ["createadmin", "chief"])
    assert result.exit_code != 0
    assert "too common" in str(result.exception)
    assert not User.objects.filter(username="chief").exists()
    assert not Organisation.objects.filter(name="Customs administration").exists()


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command under ``group`` (a Click group), as the words that call it, groups too."""
    out = []
    for name, command in sorted(group.commands.items()):
        out.append((*path, name))
        if getattr(command, "commands", None) is not None:  # a group of its own
            out += _commands(command, (*path, name))
    return out


def test_every_command_has_help() -> None:
    """Walked from the app: a command added anywhere is checked."""
    commands = _commands(typer.main.get_command(app))
    documented = {("demo",), ("serve",), ("migrate",), ("createadmin",), ("synth",),
                  ("audit", "verify"), ("monitor",), ("worker",), ("token", "revoke")}  # fmt: skip
    assert documented <= set(commands)
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage" in result.output, command


def test_serve_says_so_when_the_port_is_taken() -> None:
    import socket

    from greenlane.cli import CommandError

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert isinstance(result.exception, CommandError)
    assert f"cannot listen on 127.0.0.1:{port}" in str(result.exception)


@pytest.mark.django_db
def test_the_rejected_rows_file_of_an_ingest_holds_no_formulas(tmp_path: Path) -> None:
    import csv

    from tests.core.risk.rows import good_row, spoil, write_csv

    layout = tmp_path / "layout.yaml"
    layout.write_text((Path(__file__).parent / "apps/declarations/layout.yaml").read_text())
    row = spoil(good_row(1), "bad_hs")
    row["Note"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    data = write_csv(tmp_path / "decl.csv", [good_row(0), row])
    out = tmp_path / "rejected.csv"
    result = runner.invoke(
        app, ["ingest", str(data), "--mapping", str(layout), "--rejected-out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[1][lines[0].index("Note")] == "'@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.mark.django_db
def test_token_revoke_revokes_the_key_at_once_audited() -> None:
    from greenlane.apps.targeting.keys import token_for
    from greenlane.cli import CommandError

    made = runner.invoke(app, ["token", "create", "ASYCUDA"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert token_for(key) is not None
    result = runner.invoke(app, ["token", "revoke", "ASYCUDA"])
    assert result.exit_code == 0, result.output
    assert "Key ASYCUDA revoked." in result.output
    assert token_for(key) is None
    assert AuditEvent.objects.filter(action="targeting.token.revoked").count() == 1
    again = runner.invoke(app, ["token", "revoke", "ASYCUDA"])
    assert isinstance(again.exception, CommandError)
    assert "no active key named 'ASYCUDA'" in str(again.exception)
