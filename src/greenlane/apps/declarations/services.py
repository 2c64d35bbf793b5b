"""State changes of the declarations app that start from a person: uploads and results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration, Inspection, SavedMapping, Upload
from greenlane.core.risk.mapping import (
    ColumnMapping,
    MappingError,
    load_file_or_name,
    named,
    parse,
    shipped,
    to_yaml,
)
from greenlane.core.risk.readers import FileError, detect_format


class UploadRefused(Exception):
    """The upload cannot be queued; the message says why."""


def submit_upload(
    user: User, file: UploadedFile, mapping_name: str, mapping_text: str = ""
) -> Upload:
    """Check what can be checked at once (type, size, mapping), store the file, queue the ingest."""
    from greenlane.apps.declarations.tasks import ingest_upload

    name = file.name or "upload"
    try:
        detect_format(PurePath(name))
        if mapping_text:
            mapping = parse(mapping_text, "mapping file")
        else:
            mapping, mapping_text = mapping_named(mapping_name)
    except (FileError, MappingError) as exc:
        raise UploadRefused(str(exc)) from None
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if file.size is not None and file.size > limit:
        raise UploadRefused(f"{name} is larger than the limit of {settings.MAX_UPLOAD_MB} MB")
    with transaction.atomic():
        upload = Upload(
            original_name=name[:255],
            mapping_name=mapping.name,
            mapping_text=mapping_text,
            uploaded_by=user,
        )
        upload.file.save(name, file, save=False)
        upload.save()
        audit.record(
            "declarations.upload.queued",
            user,
            upload,
            {"file": upload.original_name, "size": file.size, "mapping": mapping.name},
        )
    result = ingest_upload.enqueue(upload.pk)
    Upload.objects.filter(pk=upload.pk).update(task_id=str(result.id))
    upload.refresh_from_db()
    return upload


class ResultRefused(Exception):
    """The inspection result cannot be recorded; the message says why."""


def record_inspection(
    declaration: Declaration,
    actor: User,
    *,
    fraud_found: bool,
    critical: bool = False,
    revenue_recovered: Decimal = Decimal(0),
    notes: str = "",
    inspected_on: date | None = None,
) -> Inspection:
    """An officer's result for one declaration; it becomes a label for the next training."""
    if critical and not fraud_found:
        raise ResultRefused("a finding can only be critical when an irregularity was found")
    if revenue_recovered < 0:
        raise ResultRefused("revenue recovered cannot be negative")
    day = inspected_on or timezone.localdate()
    if day < declaration.declaration_date:
        raise ResultRefused("the inspection cannot be dated before the declaration")
    with transaction.atomic():
        locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if Inspection.objects.filter(declaration=locked).exists():
            raise ResultRefused(f"declaration {locked.number} already has a result")
        inspection = Inspection.objects.create(
            declaration=locked,
            recorded_by=actor,
            inspected_on=day,
            fraud_found=fraud_found,
            critical=critical,
            revenue_recovered=revenue_recovered,
            notes=notes,
        )
        audit.record(
            "declarations.inspection.recorded",
            actor,
            locked,
            {
                "fraud_found": fraud_found,
                "critical": critical,
                "revenue_recovered": str(revenue_recovered),
            },
        )
    return inspection


class MappingRefused(Exception):
    """The mapping cannot be saved; the message says why."""


def mapping_named(name: str) -> tuple[ColumnMapping, str]:
    """A saved mapping by name, else a shipped one; with its YAML text when it is a saved one.
    Only names: what a request asks for never opens a file on the server."""
    saved = SavedMapping.objects.filter(name=name).first()
    if saved is not None:
        return parse(saved.text, f"saved mapping {name}"), saved.text
    return named(name), ""


def resolve_mapping_or_file(name_or_path: str) -> tuple[ColumnMapping, str]:
    """For the command line only, where a path is the user's own: a saved or shipped mapping
    by name, else a mapping file by path."""
    if SavedMapping.objects.filter(name=name_or_path).exists():
        return mapping_named(name_or_path)
    return load_file_or_name(name_or_path), ""


def save_mapping(user: User, mapping: ColumnMapping) -> SavedMapping:
    if mapping.name in shipped():
        raise MappingRefused(f"{mapping.name!r} is the name of a shipped mapping; choose another")
    text = to_yaml(mapping)
    with transaction.atomic():
        if SavedMapping.objects.select_for_update().filter(name=mapping.name).exists():
            raise MappingRefused(f"a mapping named {mapping.name!r} exists already")
        saved = SavedMapping.objects.create(
            name=mapping.name, title=mapping.title, kind=mapping.kind, text=text, created_by=user
        )
        audit.record(
            "declarations.mapping.saved", user, saved, {"name": mapping.name, "kind": mapping.kind}
        )
    return saved
