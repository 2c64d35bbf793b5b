"""Strict loading of the catalogue: every problem names the file, the line and the reason.

Files are composed with PyYAML into nodes first so that each value keeps its line; the data
is then validated by the pydantic models in :mod:`.schema`, and cross-references (criteria →
baseline requirements, gates → groups and criteria, citations → sources) and validity periods
are checked here. A catalogue either loads whole or not at all.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from greenlane.core.criteria.schema import (
    Baseline,
    Gate,
    Programme,
    Ref,
    Version,
)
from greenlane.core.risk.mapping import MAX_YAML_DEPTH
from greenlane.core.risk.mapping import Yaml12Loader as _Yaml12Loader

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
#: The most values one catalogue or self-test file may hold, each alias counted as the values
#: it repeats: the largest shipped programme (in-aeo, with aliases) has about 1,700.
MAX_VALUES = 100_000


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class CatalogueError(Exception):
    """One or more problems in catalogue files; ``str()`` lists them one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, eq=False)  # hashed by identity: compiled forms are cached per object
class Catalogue:
    baseline: Baseline
    programmes: dict[str, Programme]

    def programme(self, programme_id: str) -> Programme:
        try:
            return self.programmes[programme_id]
        except KeyError:
            known = ", ".join(sorted(self.programmes))
            raise KeyError(f"no programme '{programme_id}' (known: {known})") from None


class _Document:
    """A parsed YAML file with the line of every value, addressed by its path."""

    def __init__(self, text: str, origin: str) -> None:
        self.origin = origin
        self.lines: dict[Path_, int] = {}
        self.problems: list[Problem] = []
        self.values = 0
        loader = _Yaml12Loader(text)
        try:
            node = loader.get_single_node()
            self.data = self._build(loader, node, ()) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            reason = getattr(exc, "problem", None) or str(exc)
            raise CatalogueError([Problem(origin, line, f"not valid YAML: {reason}")]) from None
        finally:
            loader.dispose()

    def _build(self, loader: Any, node: yaml.Node, path: Path_) -> Any:
        # Aliases (a dated version repeating the one before) are welcome, but each is built
        # again: bound the values built, so nested aliases cannot stand for billions of them,
        # and the depth, since an alias may point at its own ancestor.
        self.values += 1
        if self.values > MAX_VALUES or len(path) > MAX_YAML_DEPTH:
            reason = (
                f"more than {MAX_VALUES:,} values, aliases counted"
                if self.values > MAX_VALUES
                else f"nested deeper than {MAX_YAML_DEPTH} levels, aliases counted"
            )
            raise CatalogueError([Problem(self.origin, node.start_mark.line + 1, reason)])
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if key in out:
                    line = key_node.start_mark.line + 1
                    self.problems.append(Problem(self.origin, line, f"duplicate key '{key}'"))
                out[key] = self._build(loader, value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._build(loader, item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            return loader.construct_object(node, deep=True)
        except ValueError as exc:  # a date YAML reads as one but the calendar lacks: 2024-02-30
            where = ".".join(str(p) for p in path)
            reason = f"{where}: {node.value!r} is not a date ({exc})"
            raise CatalogueError([Problem(self.origin, node.start_mark.line + 1, reason)]) from None

    def line(self, path: Path_) -> int:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def problem(self, path: Path_, reason: str) -> Problem:
        where = ".".join(str(p) for p in path)
        return Problem(self.origin, self.line(path), f"{where}: {reason}" if where else reason)

    def validate(self, model: type[M]) -> M:
        if self.problems:
            raise CatalogueError(self.problems)
        if not isinstance(self.data, dict):
            raise CatalogueError([Problem(self.origin, 1, "the file must hold a YAML mapping")])
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            problems = [self.problem(tuple(e["loc"]), _message(e)) for e in exc.errors()]
            raise CatalogueError(problems) from None


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def read_document(path: Path) -> _Document:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError([Problem(str(path), 1, f"cannot read the file: {exc}")]) from None
    return _Document(text, str(path))


def _duplicates(items: Iterable[tuple[Path_, str]], what: str) -> Iterator[tuple[Path_, str]]:
    seen: set[str] = set()
    for path, ident in items:
        if ident in seen:
            yield path, f"duplicate {what} id '{ident}'"
        seen.add(ident)


def _refs(model: Any, path: Path_) -> Iterator[tuple[Path_, Ref]]:
    """Every citation inside ``model``, with its path."""
    if isinstance(model, Ref):
        yield path, model
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            yield from _refs(getattr(model, name), (*path, name))
    elif isinstance(model, list):
        for i, item in enumerate(model):
            yield from _refs(item, (*path, i))


def _baseline_problems(baseline: Baseline) -> Iterator[tuple[Path_, str]]:
    yield from _duplicates(
        ((("requirements", i, "id"), r.id) for i, r in enumerate(baseline.requirements)),
        "requirement",
    )
    yield from _duplicates(
        ((("groups", i, "id"), g.id) for i, g in enumerate(baseline.groups)), "group"
    )
    groups = {g.id for g in baseline.groups}
    for i, req in enumerate(baseline.requirements):
        if req.group not in groups:
            yield ("requirements", i, "group"), f"unknown group '{req.group}'"
    sources = {s.id for s in baseline.sources}
    for path, ref in _refs(baseline, ()):
        if ref.source not in sources:
            yield (*path, "source"), f"cites unknown source '{ref.source}'"


def score_range(version: Version, group_id: str) -> tuple[float, float]:
    """The lowest and highest score a group can have."""
    group = next(g for g in version.groups if g.id == group_id)
    if group.scoring == "percent":
        return 0.0, 100.0
    members = [c for c in version.criteria if c.group == group_id]
    penalised = sum(1 for c in members if not c.bonus)
    bonuses = sum(1 for c in members if c.bonus)
    return 100.0 - group.deduct_not_met * penalised, 100.0 + group.bonus * bonuses


def _gate_problems(
    version: Version, gate: Gate, path: Path_, groups: set[str]
) -> Iterator[tuple[Path_, str]]:
    if gate.score is not None:
        if gate.score not in groups:
            yield (*path, "score"), f"unknown group '{gate.score}'"
            return
        low, high = score_range(version, gate.score)
        if gate.min is not None and not low <= gate.min <= high:
            yield (*path, "min"), f"threshold {gate.min:g} is out of range {low:g}..{high:g}"
    for field in ("criteria", "share"):
        selector = getattr(gate, field)
        if selector is None:
            continue
        known = {c.id for c in version.criteria}
        for j, ident in enumerate(selector.ids):
            if ident not in known:
                yield (*path, field, "ids", j), f"unknown criterion '{ident}'"
        for j, group in enumerate(selector.groups):
            if group not in groups:
                yield (*path, field, "groups", j), f"unknown group '{group}'"
        if not any(selector.matches(c) for c in version.criteria):
            yield (*path, field), "selects no criteria"


def _version_problems(version: Version, path: Path_, requirements: set[str]) -> Iterator[Any]:
    for field, what in (("sources", "source"), ("groups", "group"), ("criteria", "criterion")):
        items = getattr(version, field)
        yield from _duplicates(
            (((*path, field, i, "id"), item.id) for i, item in enumerate(items)), what
        )
    yield from _duplicates(
        (((*path, "tiers", i, "id"), t.id) for i, t in enumerate(version.tiers)), "tier"
    )
    groups = {g.id for g in version.groups}
    for i, criterion in enumerate(version.criteria):
        where = (*path, "criteria", i)
        if criterion.group not in groups:
            yield (*where, "group"), f"unknown group '{criterion.group}'"
        for j, req in enumerate(criterion.maps_to):
            if req not in requirements:
                yield (*where, "maps_to", j), f"maps to unknown baseline requirement '{req}'"
    for i, tier in enumerate(version.tiers):
        for j, gate in enumerate(tier.gates):
            yield from _gate_problems(version, gate, (*path, "tiers", i, "gates", j), groups)
    if version.self_review is not None:
        tier_ids = {t.id for t in version.tiers}
        for j, named in enumerate(version.self_review.tiers):
            if named not in tier_ids:
                yield (*path, "self_review", "tiers", j), f"unknown tier '{named}'"
    sources = {s.id for s in version.sources}
    for ref_path, ref in _refs(version, path):
        if ref.source not in sources:
            yield (*ref_path, "source"), f"cites unknown source '{ref.source}'"


def _programme_problems(programme: Programme, requirements: set[str]) -> Iterator[Any]:
    names: list[tuple[Path_, str]] = [
        (("versions", i, "version"), v.version) for i, v in enumerate(programme.versions)
    ]
    names += [
        (("versions", i, "aliases", j), alias)
        for i, v in enumerate(programme.versions)
        for j, alias in enumerate(v.aliases)
    ]
    yield from _duplicates(names, "version name")
    ordered = sorted(enumerate(programme.versions), key=lambda iv: iv[1].valid_from)
    for (_, earlier), (i, later) in itertools.pairwise(ordered):
        if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
            yield (
                ("versions", i, "valid_from"),
                f"version {later.version} overlaps version {earlier.version} "
                f"(which runs {earlier.valid_from} to {earlier.valid_to or 'open-ended'})",
            )
    for i, version in enumerate(programme.versions):
        yield from _version_problems(version, ("versions", i), requirements)


def load_baseline(path: Path) -> Baseline:
    document = read_document(path)
    baseline = document.validate(Baseline)
    problems = [document.problem(p, r) for p, r in _baseline_problems(baseline)]
    if problems:
        raise CatalogueError(problems)
    return baseline


def load_programme(path: Path, baseline: Baseline) -> Programme:
    """One programme file, validated against ``baseline``; raises :class:`CatalogueError`."""
    document = read_document(path)
    programme = document.validate(Programme)
    requirements = {r.id for r in baseline.requirements}
    problems = [document.problem(p, r) for p, r in _programme_problems(programme, requirements)]
    if problems:
        raise CatalogueError(problems)
    return programme


def shipped_root() -> Path:
    return Path(str(resources.files("greenlane") / "catalogue"))


def load_catalogue(root: Path | None = None) -> Catalogue:
    """The baseline and every programme under ``root`` (default: the shipped catalogue)."""
    root = root or shipped_root()
    baseline = load_baseline(root / "baseline.yaml")
    programmes: dict[str, Programme] = {}
    problems: list[Problem] = []
    for path in sorted((root / "programmes").glob("*.yaml")):
        try:
            programme = load_programme(path, baseline)
        except CatalogueError as exc:
            problems.extend(exc.problems)
            continue
        if programme.id in programmes:
            problems.append(Problem(str(path), 1, f"duplicate programme id '{programme.id}'"))
        programmes[programme.id] = programme
    if problems:
        raise CatalogueError(problems)
    return Catalogue(baseline, programmes)


@functools.cache
def shipped() -> Catalogue:
    """The catalogue that comes with Greenlane, loaded once per process."""
    return load_catalogue()


def check(paths: list[Path], baseline: Baseline | None = None) -> list[Programme]:
    """Validate programme files (or folders of them) the way the shipped catalogue is loaded."""
    baseline = baseline or shipped().baseline
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    programmes, problems = [], []
    for path in files:
        try:
            programmes.append(load_programme(path, baseline))
        except CatalogueError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogueError(problems)
    return programmes
