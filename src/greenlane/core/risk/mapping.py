"""Column mappings: how a user's file maps onto the declaration schema.

A mapping is written once (in a YAML file or saved from the web page) and reused for every
file of the same layout. Loading is strict: unknown keys, unknown target fields and a mapping
without a required field are errors that name the problem.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from greenlane.core.risk.schema import DECLARATION_FIELDS, FIELDS, LABEL_FIELDS
from greenlane.core.words import Words, _, listed

#: The longest mapping text read (a recoding of a few thousand codes stays far below).
MAX_MAPPING_BYTES = 1 << 20
#: The deepest nesting a YAML file of Greenlane's may have (a mapping needs four levels).
MAX_YAML_DEPTH = 32


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 would read a column named No, Yes, On or Off
    as a boolean and lose its name. And no nesting deeper than ``MAX_YAML_DEPTH``: PyYAML
    composes recursively, so a file of ten thousand ``[`` would reach Python's limit."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Loader(Yaml12Loader):
    """A mapping's YAML: no anchors or aliases (``&a``, ``*a``). Each alias is the same object
    again, so 700 bytes of nested aliases ("billion laughs") stand for billions of values that
    validation walks (81 s in a web request); a mapping never needs one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name, *name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


class MappingError(ValueError):
    """A mapping cannot be used; the message says where and why: ``words`` for a person (in
    their language), ``str()`` in English."""

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


class _Invalid(ValueError):
    """A mapping's fields do not hold together (raised inside pydantic's validation, which
    keeps it as the error's context)."""

    def __init__(self, words: Words) -> None:
        super().__init__(str(words))
        self.words = words


class Source(BaseModel):
    """One target field: the column it comes from and, optionally, a recoding of its values."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str = Field(min_length=1)
    values: dict[str, str] | None = None
    scale: float | None = None  # multiply numbers, e.g. tonnes -> kg: 1000

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date_format: str = "%Y-%m-%d"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    sheet: str | None = None  # Excel: the sheet to read (default: the first)


class ColumnMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,59}$")
    #: ``declarations``: declarations, optionally with inspection results (labels);
    #: ``inspections``: inspection results for declarations already on record.
    kind: Literal["declarations", "inspections"] = "declarations"
    title: str = ""
    currency: str = Field(default="", max_length=3)
    options: Options = Options()
    columns: dict[str, Source]
    attributes: list[str] = []  # source columns kept as they are, for features and reference
    labels: dict[str, Source] = {}

    @field_validator("columns", "labels", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        """``field: Column Name`` is short for ``field: {column: Column Name}``."""
        if isinstance(value, dict):
            return {k: v if isinstance(v, dict) else {"column": str(v)} for k, v in value.items()}
        return value

    @field_validator("attributes", mode="before")
    @classmethod
    def _names_as_text(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _targets_known(self) -> ColumnMapping:
        names = {f.name for f in DECLARATION_FIELDS} if self.kind == "declarations" else {"number"}
        unknown = sorted(set(self.columns) - names)
        if unknown:
            raise _Invalid(
                _(
                    "unknown field(s) for %(kind)s: %(fields)s",
                    kind=self.kind, fields=", ".join(unknown),
                )
            )  # fmt: skip
        required = (
            [f.name for f in DECLARATION_FIELDS if f.required]
            if self.kind == "declarations"
            else ["number"]
        )
        missing = ", ".join(name for name in required if name not in self.columns)
        labels = ""
        if self.kind == "inspections":
            labels = ", ".join(n for n in ("fraud", "inspected_on") if n not in self.labels)
        if missing and labels:
            raise _Invalid(
                _(
                    "required field(s) not mapped: %(fields)s; under labels: %(labels)s",
                    fields=missing, labels=labels,
                )
            )  # fmt: skip
        if missing:
            raise _Invalid(_("required field(s) not mapped: %(fields)s", fields=missing))
        if labels:
            raise _Invalid(
                _("required field(s) not mapped under labels: %(fields)s", fields=labels)
            )
        label_names = {f.name for f in LABEL_FIELDS}
        unknown = sorted(set(self.labels) - label_names)
        if unknown:
            raise _Invalid(_("unknown label field(s): %(fields)s", fields=", ".join(unknown)))
        return self

    def source_columns(self) -> list[str]:
        used = [s.column for s in self.columns.values()] + [s.column for s in self.labels.values()]
        return list(dict.fromkeys(used + list(self.attributes)))

    @property
    def has_labels(self) -> bool:
        return "fraud" in self.labels


def to_yaml(mapping: ColumnMapping) -> str:
    """The mapping as YAML that ``parse`` reads back to an equal mapping."""
    data = mapping.model_dump(exclude_defaults=True)
    data["name"] = mapping.name
    data["columns"] = {k: _short_source(v) for k, v in data.get("columns", {}).items()}
    if "labels" in data:
        data["labels"] = {k: _short_source(v) for k, v in data["labels"].items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _short_source(source: dict[str, Any]) -> Any:
    return source["column"] if set(source) == {"column"} else source


def parse(text: str, origin: str | Words = "<mapping>") -> ColumnMapping:
    """The mapping ``text`` says; ``origin`` (a file name, or words such as "mapping file")
    starts every error's message."""
    if len(text) > MAX_MAPPING_BYTES:
        raise MappingError(
            _(
                "%(origin)s: longer than %(size)s KB; no column mapping needs that",
                origin=origin, size=MAX_MAPPING_BYTES >> 10,
            )
        )  # fmt: skip
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise MappingError(
            _("%(origin)s: not valid YAML: %(problem)s", origin=origin, problem=str(exc))
        ) from None
    if not isinstance(data, dict):
        raise MappingError(_("%(origin)s: a mapping must be a YAML object", origin=origin))
    try:
        return ColumnMapping.model_validate(data)
    except ValidationError as exc:
        problems = listed([_problem(e) for e in exc.errors()])
        raise MappingError(
            _("%(origin)s: %(problems)s", origin=origin, problems=problems)
        ) from None


def _problem(error: Any) -> Words:
    """One of pydantic's errors: where, and what (pydantic's own words are English only; the
    mapping's own checks are words)."""
    where = ".".join(str(p) for p in error["loc"])
    found = (error.get("ctx") or {}).get("error")
    what: str | Words = found.words if isinstance(found, _Invalid) else error["msg"]
    if not where:
        return _("mapping: %(problem)s", problem=what)
    return _("%(where)s: %(problem)s", where=where, problem=what)


def shipped() -> dict[str, ColumnMapping]:
    """The mappings that come with Greenlane (``greenlane/mappings/*.yaml``)."""
    folder = resources.files("greenlane") / "mappings"
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            mapping = parse(entry.read_text(encoding="utf-8"), f"mappings/{entry.name}")
            found[mapping.name] = mapping
    return found


def named(name: str) -> ColumnMapping:
    """A shipped mapping by its name. Never a file: a name that looks like a path is only an
    unknown name, so what a request asks for cannot open, or tell apart, files on the server."""
    mappings = shipped()
    if name not in mappings:
        if not mappings:
            raise MappingError(_("no mapping named %(name)s (none shipped)", name=repr(name[:80])))
        raise MappingError(
            _(
                "no mapping named %(name)s (shipped: %(known)s)",
                name=repr(name[:80]), known=", ".join(sorted(mappings)),
            )
        )  # fmt: skip
    return mappings[name]


def load_file_or_name(name_or_path: str) -> ColumnMapping:
    """A mapping file by path, else a shipped mapping by name: for the command line only,
    where the path is the user's own. A request goes through ``named``."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.is_file():
            raise MappingError(_("%(path)s: no such mapping file", path=str(path)))
        return parse(path.read_text(encoding="utf-8"), str(path))
    return named(name_or_path)


__all__ = [
    "FIELDS",
    "MAX_MAPPING_BYTES",
    "MAX_YAML_DEPTH",
    "ColumnMapping",
    "MappingError",
    "Source",
    "Yaml12Loader",
    "listed",
    "load_file_or_name",
    "named",
    "parse",
    "shipped",
]
