"""Backup and restore: the database and the files (evidence, uploads, risk models) in one archive.

The archive is a gzip'd tar file:

- ``data/<app>.<model>.jsonl``: every row of a model, Django serialised JSON Lines, by primary
  key (streamed: memory stays bounded whatever the number of declarations);
- ``media/...``: the files under MEDIA_ROOT (self-test evidence, ingested uploads, TRS files);
- ``models/...``: the risk-model artefacts under VAR_DIR/models;
- ``manifest.json`` (last): Greenlane version, source database, time, the migration each app is
  at, rows per model, the audit chain's length and last hash, and the SHA-256 of every member.

Restore checks every member against the manifest before touching anything, refuses another
migration state or a database that holds data, loads all rows in one transaction, and commits
only when the row counts equal the manifest's and the audit chain verifies. See
docs/operations.md, "Backup and restore".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

import greenlane
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import ChainHead

FORMAT = "greenlane-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Not carried over: sessions (a login belongs to one server and its SECRET_KEY), the background
# task queue (queued work refers to the old server's state; running work would stay "running"
# for ever), and content types and permissions, which `migrate` recreates (their ids differ
# between databases; users' and groups' permissions travel by natural key instead).
EXCLUDED = (
    "auth.permission",
    "contenttypes.contenttype",
    "django_tasks_database.dbtaskresult",
    "sessions.session",
    # Running totals: the database's triggers count the declarations, results and scores
    # again as restore loads them.
    "tallies.declarationtally",
    "tallies.importercount",
    "tallies.importertally",
    "tallies.inspectiontally",
    "tallies.officeinspectiontally",
    "tallies.officetally",
    "tallies.partyinspectiontally",
    "tallies.partytally",
    "tallies.scoretally",
)
# Models whose references to permissions and groups must travel by name, not by id.
NATURAL_KEYS = ("accounts.user", "auth.group")
CHUNK = 2000
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """The backup or restore cannot go on; the message is one line an operator can act on."""


@dataclass
class Summary:
    manifest: dict[str, Any]
    archive: Path
    size: int = 0
    audit_events: int = 0
    audit_ok: bool = True
    counts: dict[str, int] = field(default_factory=dict)


def _quiet(_step: str, _done: int, _total: int) -> None:
    pass


class _Tally:
    """One running total (database rows, files) reported through ``progress``."""

    def __init__(self, progress: Progress, step: str, total: int) -> None:
        self.progress, self.step, self.total, self.done = progress, step, total, 0
        progress(step, 0, total)

    def add(self, n: int = 1) -> None:
        self.done += n
        self.progress(self.step, self.done, self.total)


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts datetimes to milliseconds; the audit chain hashes microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


class _Hashing(io.RawIOBase):
    """A read-only stream that hashes what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Left open: the wrappers read through it drop it before the rest is hashed."""

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha256.update(data)
        self.size += n
        return n


# ---------------------------------------------------------------- what is in the database


def _models() -> list[type[models.Model]]:
    """Every concrete, managed model that travels, in a stable order."""
    return sorted(
        (
            m
            for m in apps.get_models()
            if not m._meta.proxy and m._meta.managed and m._meta.label_lower not in EXCLUDED
        ),
        key=lambda m: m._meta.label_lower,
    )


def code_migrations() -> dict[str, str]:
    """The newest migration of each app in this code (the graph's leaf per app)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return {app: name for app, name in sorted(graph.leaf_nodes())}


def _unapplied(alias: str) -> list[str]:
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    """Regular files under ``root`` (symbolic links are not followed), by relative path."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _roots() -> dict[str, Path]:
    return {"media": Path(settings.MEDIA_ROOT), "models": Path(settings.VAR_DIR) / "models"}


# ---------------------------------------------------------------- backup


def backup(out: Path, progress: Progress = _quiet, alias: str = "default") -> Summary:
    """Write the archive ``out`` (0600, atomically: a temporary name, then a rename)."""
    out = out.resolve()
    if out.exists():
        raise BackupError(f"{out} exists; choose another name (a backup never overwrites one)")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent}: no such folder")
    pending = _unapplied(alias)
    if pending:
        raise BackupError(
            f"the database lacks migrations ({', '.join(pending[:3])}); run `greenlane migrate`"
        )
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    part = Path(name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            manifest = _write(handle, out.parent, progress, alias)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, out)
    except OSError as exc:  # a full disk, a folder we may not write to
        part.unlink(missing_ok=True)
        raise BackupError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return Summary(
        manifest=manifest,
        archive=out,
        size=out.stat().st_size,
        audit_events=manifest["audit"]["events"],
        audit_ok=manifest["audit"]["verified"],
        counts={label: m["rows"] for label, m in manifest["models"].items()},
    )


@contextmanager
def _snapshot(alias: str) -> Iterator[None]:
    """One consistent view of every table: on PostgreSQL a read-only REPEATABLE READ
    transaction (nobody waits); on SQLite the transaction holds the write lock (writers wait)."""
    connection = connections[alias]
    outer = not connection.in_atomic_block
    with transaction.atomic(using=alias):
        if outer and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _write(handle: IO[bytes], scratch: Path, progress: Progress, alias: str) -> dict[str, Any]:
    connection = connections[alias]
    members: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "greenlane_version": greenlane.__version__,
        "created_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "migrations": code_migrations(),
        "excluded": list(EXCLUDED),
        "models": {},
        "audit": {},
        "files": {},
        "members": members,
    }
    with tarfile.open(fileobj=handle, mode="w:gz", compresslevel=6) as tar:
        with _snapshot(alias):
            counts = {m._meta.label_lower: m._base_manager.using(alias).count() for m in _models()}
            events, broken = audit.verify()
            head = ChainHead.objects.using(alias).filter(id=1).values_list("seq", "hash").first()
            manifest["audit"] = {
                "events": events,
                "last_seq": head[0] if head else 0,
                "last_hash": head[1] if head else "",
                "verified": broken is None,
            }
            rows = _Tally(progress, "Database rows", sum(counts.values()))
            for model in _models():
                label = model._meta.label_lower
                member = f"data/{label}.jsonl"
                written = _dump_model(tar, member, model, scratch, rows, alias)
                members[member] = written
                manifest["models"][label] = {"rows": counts[label], "member": member}
        found = {prefix: list(_files(root)) for prefix, root in _roots().items()}
        files = _Tally(progress, "Files", sum(len(f) for f in found.values()))
        for prefix, paths in found.items():
            manifest["files"][prefix] = len(paths)
            for relative, path in paths:
                with path.open("rb") as source:
                    members[f"{prefix}/{relative}"] = _add(
                        tar, f"{prefix}/{relative}", source, path.stat().st_size
                    )
                files.add()
        text = json.dumps(manifest, indent=1, sort_keys=True).encode()
        _add(tar, MANIFEST, io.BytesIO(text), len(text))
    return manifest


def _dump_model(
    tar: tarfile.TarFile,
    member: str,
    model: type[models.Model],
    scratch: Path,
    tally: _Tally,
    alias: str,
) -> dict[str, Any]:
    """Serialise one model to a scratch file (tar needs each member's size first), add it."""
    label = model._meta.label_lower
    rows = model._base_manager.using(alias).order_by("pk").iterator(chunk_size=CHUNK)
    with tempfile.TemporaryFile(dir=scratch) as temp:
        text = io.TextIOWrapper(temp, encoding="utf-8", newline="\n", write_through=False)
        counted = _counting(rows, tally)
        serializers.serialize(
            "jsonl",
            counted,
            stream=text,
            cls=_Encoder,
            use_natural_foreign_keys=label in NATURAL_KEYS,
        )
        text.flush()
        size = temp.tell()
        temp.seek(0)
        written = _add(tar, member, temp, size)
        text.detach()
    return written


def _counting(rows: Iterator[Any], tally: _Tally) -> Iterator[Any]:
    n = 0
    for n, row in enumerate(rows, 1):
        if n % CHUNK == 0:
            tally.add(CHUNK)
        yield row
    tally.add(n % CHUNK)


def _add(tar: tarfile.TarFile, name: str, source: IO[bytes], size: int) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    hashing = _Hashing(source)
    tar.addfile(info, hashing)
    return {"sha256": hashing.sha256.hexdigest(), "size": hashing.size}


# ---------------------------------------------------------------- restore


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and (name == MANIFEST or path.parts[0] in ("data", "media", "models"))
        and len(path.parts) >= (1 if name == MANIFEST else 2)
    )


def read_manifest(archive: Path, progress: Progress = _quiet) -> dict[str, Any]:
    """Hash every member and check it against the manifest; nothing is written."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    hashes: dict[str, tuple[str, int]] = {}
    manifest: dict[str, Any] | None = None
    size = archive.stat().st_size
    try:
        with archive.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:gz") as tar:
            progress("Checking the archive", 0, size)
            for info in tar:
                if not info.isfile() or not _safe(info.name):
                    raise BackupError(f"{archive}: unexpected member {info.name!r}")
                if info.name in hashes:
                    raise BackupError(f"{archive}: member {info.name!r} appears twice")
                source = tar.extractfile(info)
                assert source is not None  # a regular file
                if info.name == MANIFEST:
                    manifest = json.loads(source.read())
                    hashes[info.name] = ("", 0)
                    continue
                hashing = _Hashing(source)
                while hashing.read(1 << 20):
                    pass
                hashes[info.name] = (hashing.sha256.hexdigest(), hashing.size)
                progress("Checking the archive", raw.tell(), size)
            # tar stops at its end marker; reading on to the end makes gzip check its CRC.
            while tar.fileobj.read(1 << 20):
                pass
            progress("Checking the archive", size, size)
    except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as exc:
        raise BackupError(f"{archive} is damaged or not a backup ({_line(exc)})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is damaged or not a Greenlane backup (no manifest found)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{archive} has backup format {manifest.get('format_version')}; this Greenlane "
            f"reads format {FORMAT_VERSION}"
        )
    expected = manifest["members"]
    for name, facts in expected.items():
        if name not in hashes:
            raise BackupError(f"{archive}: member {name} is missing")
        if hashes[name] != (facts["sha256"], facts["size"]):
            raise BackupError(f"{archive}: member {name} is damaged (SHA-256 differs)")
    extra = sorted(set(hashes) - set(expected) - {MANIFEST})
    if extra:
        raise BackupError(f"{archive}: member {extra[0]} is not in the manifest")
    return manifest


def check_migrations(manifest: dict[str, Any]) -> None:
    """Refuse a backup made at another migration state than this code's."""
    ours, theirs = code_migrations(), manifest["migrations"]
    for label in manifest["models"]:
        try:
            apps.get_model(label)
        except LookupError:
            raise BackupError(f"the backup holds {label}, which this code does not know") from None
    for app in sorted(set(ours) | set(theirs)):
        if ours.get(app) != theirs.get(app):
            backup, here = theirs.get(app) or "(absent)", ours.get(app) or "(absent)"
            raise BackupError(
                f"the backup's migrations differ from this code's: app {app} is at {backup} in "
                f"the backup and at {here} here; restore with Greenlane "
                f"{manifest['greenlane_version']}, then upgrade"
            )


def check_empty(alias: str = "default") -> None:
    """Refuse a database that holds rows, or file folders that hold files."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    excluded = {"auth.permission", "contenttypes.contenttype"}  # `migrate` fills these
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.proxy or label in excluded or model._meta.db_table not in tables:
            continue
        if model._base_manager.using(alias).exists():
            raise BackupError(
                f"the database is not empty ({label} holds rows); restore needs an empty "
                "database: point DATABASE_URL at a new one (createdb) or, with the embedded "
                "database, GREENLANE_VAR_DIR at a new folder"
            )
    for prefix, root in _roots().items():
        entries = root.rglob("*") if root.is_dir() else iter(())
        for entry in entries:
            if entry.is_symlink() or not entry.is_dir():
                raise BackupError(
                    f"{root} is not empty ({entry.relative_to(root)}); restore needs empty "
                    f"{prefix} folders"
                )


def restore(archive: Path, progress: Progress = _quiet, alias: str = "default") -> Summary:
    """Restore ``archive`` into an empty database and empty file folders."""
    archive = archive.resolve()
    manifest = read_manifest(archive, progress)
    check_migrations(manifest)
    check_empty(alias)
    call_command("migrate", interactive=False, verbosity=0, database=alias)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=settings.VAR_DIR))
    try:
        try:
            with transaction.atomic(using=alias):
                _load(archive, manifest, staging, progress, alias)
                counts = _check_counts(manifest, alias)
                events, broken = audit.verify()
                # A chain already broken when the backup was made is restored as it was (the
                # manifest says so, and the command warns); otherwise it must verify.
                if broken is not None and manifest["audit"]["verified"]:
                    raise BackupError(
                        f"the restored audit chain does not verify: event #{broken.seq}: "
                        f"{broken.reason}; nothing was restored"
                    )
                if events != manifest["audit"]["events"]:
                    raise BackupError(
                        "the restored audit chain's length differs from the manifest's; "
                        "nothing was restored"
                    )
        except OSError as exc:
            raise BackupError(
                f"cannot extract the files into {staging} ({exc.strerror or exc}); "
                "nothing was restored"
            ) from None
        try:
            _move_files(staging)
        except OSError as exc:
            raise BackupError(
                f"the database was restored but the files were not ({exc}); extract media/ and "
                f"models/ from {archive} by hand (tar xzf) into {settings.VAR_DIR}"
            ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Summary(
        manifest=manifest,
        archive=archive,
        size=archive.stat().st_size,
        audit_events=events,
        audit_ok=broken is None,
        counts=counts,
    )


def _load(
    archive: Path, manifest: dict[str, Any], staging: Path, progress: Progress, alias: str
) -> None:
    """Read the archive again (hashing it again: what is loaded is what was checked)."""
    by_member = {m["member"]: label for label, m in manifest["models"].items()}
    rows = _Tally(progress, "Database rows", sum(m["rows"] for m in manifest["models"].values()))
    files = _Tally(progress, "Files", sum(manifest["files"].values()))
    with tarfile.open(archive, mode="r:gz") as tar:
        for info in tar:
            if info.name == MANIFEST:
                continue
            source = tar.extractfile(info)
            assert source is not None
            hashing = _Hashing(source)
            if info.name in by_member:
                label = by_member[info.name]
                _load_model(hashing, label, rows, alias)
            else:
                target = staging / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    shutil.copyfileobj(hashing, out, 1 << 20)
                files.add()
            while hashing.read(1 << 20):
                pass
            if hashing.sha256.hexdigest() != manifest["members"][info.name]["sha256"]:
                raise BackupError(f"{archive}: member {info.name} changed while restoring")
    connection = connections[alias]
    try:
        connection.check_constraints()
    except DatabaseError as exc:
        raise BackupError(f"a restored row refers to a missing one: {_line(exc)}") from None
    statements = connection.ops.sequence_reset_sql(no_style(), _models())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _load_model(source: _Hashing, label: str, tally: _Tally, alias: str) -> None:
    model = apps.get_model(label)
    text = io.TextIOWrapper(io.BufferedReader(source), encoding="utf-8")
    batch: list[Any] = []
    try:
        for item in serializers.deserialize("jsonl", text, using=alias):
            batch.append(item)
            if len(batch) >= CHUNK:
                _insert(model, batch, alias)
                tally.add(len(batch))
                batch = []
        _insert(model, batch, alias)
        tally.add(len(batch))
    except serializers.base.DeserializationError as exc:
        raise BackupError(f"{label}: a row cannot be read: {_line(exc)}") from None


def _insert(model: type[models.Model], batch: list[Any], alias: str) -> None:
    """Insert rows as stored (raw: auto_now fields keep their values), in batches; on a
    failure, find and name the row."""
    if not batch:
        return
    try:
        with transaction.atomic(using=alias):
            _insert_raw(model, [item.object for item in batch], alias)
    except DatabaseError:
        for item in batch:
            try:
                with transaction.atomic(using=alias):
                    _insert_raw(model, [item.object], alias)
            except DatabaseError as exc:
                raise BackupError(
                    f"{model._meta.label_lower} row pk={item.object.pk} cannot be stored: "
                    f"{_line(exc)}; nothing was restored"
                ) from None
        raise
    for item in batch:
        if item.m2m_data:
            for accessor, values in item.m2m_data.items():
                getattr(item.object, accessor).set(values)


def _insert_raw(model: type[models.Model], objs: list[models.Model], alias: str) -> None:
    fields = list(model._meta.local_concrete_fields)
    size = max(1, connections[alias].ops.bulk_batch_size(fields, objs))
    manager = model._base_manager.db_manager(alias)
    for start in range(0, len(objs), size):
        # QuerySet._insert is what bulk_create and loaddata's raw save both end in; raw=True
        # stores every value as given (no auto_now, no default).
        manager._insert(objs[start : start + size], fields=fields, raw=True, using=alias)


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _check_counts(manifest: dict[str, Any], alias: str) -> dict[str, int]:
    counts = {}
    for label, facts in manifest["models"].items():
        found = apps.get_model(label)._base_manager.using(alias).count()
        if found != facts["rows"]:
            raise BackupError(
                f"{label}: {found} rows restored, the backup holds {facts['rows']}; "
                "nothing was restored"
            )
        counts[label] = found
    return counts


def _move_files(staging: Path) -> None:
    for prefix, root in _roots().items():
        source = staging / prefix
        if not source.is_dir():
            continue
        if root.exists():
            shutil.rmtree(root)  # holds no files (check_empty), only empty folders
        root.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, root)
