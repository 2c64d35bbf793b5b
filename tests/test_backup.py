"""Backup and restore: a round trip into a new, empty database, and every refusal happening
before anything is written."""

from __future__ import annotations

import gzip
import io
import json
import stat
import tarfile
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from greenlane import backup
from greenlane.apps.accounts.models import Organisation
from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services as assessments
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent, ChainHead
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.operators.models import Operator
from greenlane.apps.origin import services as origin
from tests import factories
from tests.conftest import ON_POSTGRES
from tests.installation import greenlane, installation

pytestmark = pytest.mark.django_db

MODEL_BYTES = b"not really a joblib file\x00\x01\x02" * 100


@pytest.fixture
def var(settings: Any, tmp_path: Path) -> Path:
    """Evidence and model files in a folder of the test's own."""
    folder = tmp_path / "var"
    settings.VAR_DIR = folder
    settings.MEDIA_ROOT = folder / "media"
    return folder


@pytest.fixture
def economy(var: Path) -> dict[str, Any]:
    """Organisations, users, operators (one with a non-ASCII name), a self-test with an
    evidence file, declarations with inspections, audit events and a model artifact."""
    customs = factories.organisation()
    validator = factories.user(Role.VALIDATOR, customs)
    operator = factories.operator(factories.organisation("operator"), name="Ünïcode 무역 Ltd")
    trader = factories.user(Role.TRADER, operator.organisation)
    others = [factories.operator() for _ in range(3)]
    assessments.save_answer(operator, trader, "COMP-RECORD", "met", "three clean years")
    evidence = assessments.add_evidence(operator, trader, "REC-SYSTEM", factories.pdf_upload())
    for i, op in enumerate([operator, *others] * 10):
        decl = factories.declaration(op, declaration_date=date(2025, 1, 1 + i % 28))
        if i % 3 == 0:
            factories.inspection(decl, fraud=i % 2 == 0, revenue="12.34")
    for i in range(5):
        audit.record("test.backup.event", validator, operator, {"i": i, "note": "é"})
    # A certificate of origin: its bytes (a binary column) exactly as received.
    origin.receive(validator, customs.pk, b"<?xml version='1.0'?>\n<CO>\xc3\xa9\x00</CO>", "api")
    models_dir = var / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / "risk-model-v1.joblib").write_bytes(MODEL_BYTES)
    return {"operator": operator, "evidence": evidence}


# ---------------------------------------------------------------- an empty database elsewhere


@pytest.fixture
def target(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a new installation: its own var folder, and on the PostgreSQL leg a
    new database of its own (dropped afterwards)."""
    with installation(tmp_path / "restored", "greenlane_restore") as env:
        yield env


INSPECT = """
import json
from django.apps import apps
from django.core.files.storage import default_storage
from greenlane.apps.accounts.models import Organisation
from greenlane.apps.assessments.models import Evidence
from greenlane.apps.audit import services as audit
from greenlane.apps.operators.models import Operator
from greenlane.backup import _models
counts = {m._meta.label_lower: m._base_manager.count() for m in _models()}
checked, broken = audit.verify()
evidence = Evidence.objects.get()
with default_storage.open(evidence.file.name) as handle:
    content = handle.read().hex()
names = sorted(Operator.objects.values_list("name", flat=True))
last = Organisation.objects.order_by("-pk").values_list("pk", flat=True).first()
new = Organisation.objects.create(name="made after the restore", kind="customs", country="KR")
print(json.dumps({"counts": counts, "audit": [checked, broken is None], "evidence": content,
                  "evidence_sha": evidence.sha256, "names": names, "last_pk": last,
                  "new_pk": new.pk}))
"""


def _inspect(env: dict[str, str]) -> dict[str, Any]:
    done = greenlane(env, "manage", "shell", "-c", INSPECT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rows(env: dict[str, str]) -> int:
    """Rows in Greenlane's own tables of the target database (0 when it has no tables)."""
    if ON_POSTGRES:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename LIKE 'operators_%%'"
                )
            ]
            return sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    import sqlite3

    path = Path(env["GREENLANE_VAR_DIR"]) / "greenlane.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'operators_%'"
            )
        ]
        return sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)


# ---------------------------------------------------------------- archives, changed on purpose


def _rewrite(
    archive: Path,
    out: Path,
    member: Callable[[str, bytes], bytes] = lambda _n, b: b,
    manifest: Callable[[dict[str, Any]], None] = lambda _m: None,
    rehash: bool = False,
) -> Path:
    """Copy an archive, changing members (and, with ``rehash``, their hashes in the manifest)."""
    import hashlib

    with tarfile.open(archive, "r:gz") as tar:
        contents = {i.name: tar.extractfile(i).read() for i in tar}  # type: ignore[union-attr]
    document = json.loads(contents.pop(backup.MANIFEST))
    for name in contents:
        contents[name] = member(name, contents[name])
        if rehash:
            document["members"][name] = {
                "sha256": hashlib.sha256(contents[name]).hexdigest(),
                "size": len(contents[name]),
            }
    manifest(document)
    contents[backup.MANIFEST] = json.dumps(document).encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


# ---------------------------------------------------------------- tests


@pytest.mark.slow
def test_it_restores_a_backup_into_an_empty_database(
    economy: dict[str, Any], tmp_path: Path, target: dict[str, str]
) -> None:
    archive = tmp_path / "greenlane.tar.gz"
    summary = backup.backup(archive)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = summary.manifest
    head = ChainHead.objects.get()
    assert manifest["audit"] == {
        "events": AuditEvent.objects.count(),
        "last_seq": head.seq,
        "last_hash": head.hash,
        "verified": True,
    }
    assert manifest["models"]["declarations.declaration"]["rows"] == Declaration.objects.count()
    assert manifest["models"]["origin.origincertificate"]["rows"] == 1
    assert manifest["files"] == {"media": 1, "models": 1}
    assert "sessions.session" not in manifest["models"]

    done = greenlane(target, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "audit log intact" in done.stdout.lower()

    restored = _inspect(target)
    expected = {label: m["rows"] for label, m in manifest["models"].items()}
    assert restored["counts"] == expected
    assert restored["audit"] == [AuditEvent.objects.count(), True]
    assert bytes.fromhex(restored["evidence"]) == factories.MINIMAL_PDF
    assert restored["evidence_sha"] == economy["evidence"].sha256
    assert restored["names"] == sorted(Operator.objects.values_list("name", flat=True))
    assert "Ünïcode 무역 Ltd" in restored["names"]
    # The sequences continue after the restored rows (PostgreSQL: reset after loading).
    assert restored["last_pk"] == Organisation.objects.order_by("-pk").first().pk  # type: ignore[union-attr]
    assert restored["new_pk"] > restored["last_pk"]
    model = Path(target["GREENLANE_VAR_DIR"]) / "models" / "risk-model-v1.joblib"
    assert model.read_bytes() == MODEL_BYTES


def _one_bit_damaged(raw: bytes) -> bytes:
    """The archive with one bit flipped from its middle on, at the first place where that
    changes what it holds: now and then a flipped bit of a compressed stream decodes to the
    same bytes (an unused code of a Huffman table), and the archive is then undamaged."""
    original = gzip.decompress(raw)
    for offset in range(len(raw) // 2, len(raw)):
        damaged = bytearray(raw)
        damaged[offset] ^= 0x01
        try:
            if gzip.decompress(bytes(damaged)) != original:
                return bytes(damaged)
        except (OSError, EOFError, zlib.error):
            return bytes(damaged)
    raise AssertionError("no single bit flip damages the archive")


@pytest.mark.slow
def test_it_refuses_a_damaged_archive_before_writing_anything(
    economy: dict[str, Any], tmp_path: Path, target: dict[str, str]
) -> None:
    archive = backup.backup(tmp_path / "b.tar.gz").archive
    flipped = tmp_path / "flipped.tar.gz"
    flipped.write_bytes(_one_bit_damaged(archive.read_bytes()))
    changed = _rewrite(
        archive,
        tmp_path / "changed.tar.gz",
        member=lambda name, data: (
            data.replace(b"Test Trading", b"Test Tradinh", 1)
            if name == "data/operators.operator.jsonl"
            else data
        ),
    )

    for bad in (flipped, changed):
        done = greenlane(target, "restore", str(bad))
        assert done.returncode == 2
        reason = done.stderr.strip().splitlines()[-1]
        assert reason.startswith("greenlane: error: ")
        assert "damaged" in reason
        assert "Traceback" not in done.stderr
    assert not (Path(target["GREENLANE_VAR_DIR"]) / "greenlane.sqlite3").exists()
    assert not (Path(target["GREENLANE_VAR_DIR"]) / "media").exists()
    assert _rows(target) == 0


@pytest.mark.slow
def test_a_row_that_cannot_be_stored_leaves_the_database_empty_and_is_named(
    economy: dict[str, Any], tmp_path: Path, target: dict[str, str]
) -> None:
    archive = backup.backup(tmp_path / "b.tar.gz").archive
    first = Operator.objects.order_by("pk").first()
    assert first is not None

    def duplicate_code(name: str, data: bytes) -> bytes:
        if name != "data/operators.operator.jsonl":
            return data
        row = json.loads(data.splitlines()[0])
        row["pk"] = 999_999  # a new row with the first one's (unique) code
        return data + json.dumps(row).encode() + b"\n"

    bad = _rewrite(archive, tmp_path / "bad.tar.gz", member=duplicate_code, rehash=True)
    done = greenlane(target, "restore", str(bad))

    assert done.returncode == 2, done.stderr
    assert "operators.operator row pk=999999 cannot be stored" in done.stderr
    assert _rows(target) == 0
    assert _inspect_count(target, "audit.auditevent") == 0


@pytest.mark.slow
def test_an_audit_event_changed_in_the_archive_is_caught_and_nothing_is_restored(
    economy: dict[str, Any], tmp_path: Path, target: dict[str, str]
) -> None:
    archive = backup.backup(tmp_path / "b.tar.gz").archive

    def forge(name: str, data: bytes) -> bytes:
        if name != "data/audit.auditevent.jsonl":
            return data
        return data.replace(b'"test.backup.event"', b'"test.backup.forged"', 1)

    # The member hashes are recomputed: only the audit chain itself can tell.
    forged = _rewrite(archive, tmp_path / "forged.tar.gz", member=forge, rehash=True)
    done = greenlane(target, "restore", str(forged))

    assert done.returncode == 2, done.stderr
    assert "audit chain does not verify" in done.stderr
    assert "was changed after it was written" in done.stderr
    assert _rows(target) == 0


def _inspect_count(env: dict[str, str], label: str) -> int:
    script = f"from django.apps import apps; print(apps.get_model({label!r}).objects.count())"
    done = greenlane(env, "manage", "shell", "-c", script)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def test_it_refuses_a_database_that_holds_data(economy: dict[str, Any], tmp_path: Path) -> None:
    archive = backup.backup(tmp_path / "b.tar.gz").archive
    before = Operator.objects.count(), AuditEvent.objects.count()

    with pytest.raises(backup.BackupError, match=r"database is not empty .* point DATABASE_URL"):
        backup.restore(archive)
    assert (Operator.objects.count(), AuditEvent.objects.count()) == before


def test_it_refuses_a_backup_made_at_another_migration_state(
    economy: dict[str, Any], tmp_path: Path
) -> None:
    archive = backup.backup(tmp_path / "b.tar.gz").archive
    ours = backup.code_migrations()["certification"]

    def older(document: dict[str, Any]) -> None:
        document["migrations"]["certification"] = "0004_mutualrecognition_partnerimport"

    other = _rewrite(archive, tmp_path / "older.tar.gz", manifest=older)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(other)
    message = str(refused.value)
    assert "app certification" in message
    assert "0004_mutualrecognition_partnerimport" in message
    assert ours in message


def test_it_never_overwrites_an_archive(economy: dict[str, Any], tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(b"yesterday's backup")
    with pytest.raises(backup.BackupError, match="exists"):
        backup.backup(archive)
    assert archive.read_bytes() == b"yesterday's backup"
    assert list(tmp_path.glob(".b.tar.gz.*")) == []


def test_the_archive_holds_a_manifest_with_the_hash_of_every_member(
    economy: dict[str, Any], tmp_path: Path
) -> None:
    archive = backup.backup(tmp_path / "b.tar.gz").archive
    manifest = backup.read_manifest(archive)
    with tarfile.open(archive, "r:gz") as tar:
        names = set(tar.getnames())
    assert names == {*manifest["members"], backup.MANIFEST}
    assert "media/" + economy["evidence"].file.name in names
    assert "models/risk-model-v1.joblib" in names
    assert manifest["database"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["migrations"] == backup.code_migrations()
