"""The criteria catalogue: programmes, dated versions, criteria and their baseline mappings."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from greenlane.api.auth import RoleAuth
from greenlane.core.criteria.loader import shipped
from greenlane.core.criteria.schema import Programme, Ref, Version

router = Router(tags=["catalogue"], auth=RoleAuth())


class VersionOut(Schema):
    version: str
    valid_from: date
    valid_to: date | None
    coverage: str


class ProgrammeOut(Schema):
    id: str
    title: str
    authority: str
    jurisdiction: str
    kind: str
    versions: list[VersionOut]


class RequirementOut(Schema):
    id: str
    group: str
    title: str
    practice: str
    evidence: list[str]
    na_allowed: bool


class MappingOut(Schema):
    programme: str
    version: str
    criterion: str
    requirement: str


def _cite(ref: Ref, version: Version) -> dict[str, Any]:
    source = next(s for s in version.sources if s.id == ref.source)
    return {"title": source.title, "url": source.url, "locator": ref.locator}


def _version_detail(programme: Programme, version: Version) -> dict[str, Any]:
    data = version.model_dump(mode="json")
    for criterion, raw in zip(version.criteria, data["criteria"], strict=True):
        raw["reference"] = _cite(criterion.reference, version)
    return {"programme": programme.id, "title": programme.title, **data}


@router.get("/baseline", response=list[RequirementOut], summary="The baseline requirements")
def baseline(request: HttpRequest) -> list[Any]:
    return list(shipped().baseline.requirements)


@router.get("/programmes", response=list[ProgrammeOut], summary="Programmes and their versions")
def programmes(request: HttpRequest) -> list[Programme]:
    return list(shipped().programmes.values())


@router.get(
    "/programmes/{programme_id}",
    summary="One programme version: criteria, tiers, eligibility, MSME provisions, sources",
    description="The version in force on `on` (default today), or the one named by `version`.",
)
def programme(
    request: HttpRequest, programme_id: str, version: str = "", on: date | None = None
) -> dict[str, Any]:
    found = shipped().programmes.get(programme_id)
    if found is None:
        raise HttpError(404, _("no programme '%(id)s'") % {"id": programme_id})
    if version:
        chosen = found.version_named(version)
        if chosen is None:
            raise HttpError(
                404,
                _("%(programme)s has no version '%(version)s'")
                % {"programme": programme_id, "version": version},
            )
    else:
        day = on or timezone.localdate()
        chosen = found.version_on(day)
        if chosen is None:
            raise HttpError(
                404,
                _("%(programme)s has no version in force on %(day)s")
                % {"programme": found.title, "day": day.isoformat()},
            )
    return _version_detail(found, chosen)


@router.get(
    "/mappings",
    response=list[MappingOut],
    summary="Programme criteria mapped onto baseline requirements",
)
def mappings(
    request: HttpRequest, programme: str = "", requirement: str = ""
) -> list[dict[str, str]]:
    rows = []
    for p in shipped().programmes.values():
        if programme and p.id != programme:
            continue
        for v in p.versions:
            for c in v.criteria:
                for r in c.maps_to:
                    if not requirement or r == requirement:
                        rows.append(
                            {
                                "programme": p.id,
                                "version": v.version,
                                "criterion": c.id,
                                "requirement": r,
                            }
                        )
    return rows
