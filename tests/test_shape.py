"""The shape the code keeps (issue 24): read from the source, so a change that breaks it fails
here rather than in a review."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "greenlane"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(), str(path))
    return out


MODULES = _modules()


def _imports(name: str, tree: ast.Module) -> Iterator[str]:
    """Every greenlane module ``name`` imports, at the top or inside a function."""
    package = name if MODULES_ARE_PACKAGES.get(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


MODULES_ARE_PACKAGES = {
    name: (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists() for name in MODULES
}


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target in _imports(name, tree) if target in MODULES and target != name}
        for name, tree in MODULES.items()
    }


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        here = stack.pop()
        if here == goal:
            return True
        if here not in seen:
            seen.add(here)
            stack.extend(graph.get(here, ()))
    return False


def test_the_graph_sees_imports_inside_functions() -> None:
    # The CLI imports its services inside the commands: the graph must see them, or the
    # test below could pass on a graph with no edges.
    assert "greenlane.apps.targeting.keys" in _graph()["greenlane.cli.platform"]


def test_no_service_imports_its_own_tasks_module_back() -> None:
    graph = _graph()
    tasks = [name for name in MODULES if name.endswith(".tasks")]
    assert tasks, "no tasks modules found: the test would check nothing"
    circles = [
        (task, service)
        for task in tasks
        for service in graph[task]
        if service.startswith(task.rpartition(".")[0]) and _reaches(graph, service, task)
    ]
    assert not circles


#: The decision path of a channel: from the API's request to the stored decision.
DECISION_PATH = (
    "greenlane.core.risk.selectivity",
    "greenlane.apps.targeting.channels",
    "greenlane.api.channels",
)


@pytest.mark.parametrize("module", DECISION_PATH)
def test_no_function_on_the_decision_path_is_over_40_lines(module: str) -> None:
    long = {
        node.name: node.end_lineno - node.lineno + 1  # type: ignore[operator]
        for node in ast.walk(MODULES[module])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > 40  # type: ignore[operator]
    }
    assert not long


#: What writes to the database, as the CLI must never spell it: commands parse, call a
#: service and print.
WRITES = {"save", "create", "bulk_create", "delete", "select_for_update", "get_or_create"}


def test_the_cli_is_a_package_whose_commands_write_no_model() -> None:
    assert not (PACKAGE / "cli.py").exists()
    modules = [name for name in MODULES if name.startswith("greenlane.cli.")]
    assert len(modules) >= 8
    writes = sorted(
        (name, node.lineno, node.func.attr)
        for name in modules
        for node in ast.walk(MODULES[name])
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (
            node.func.attr in WRITES
            or (node.func.attr == "record" and getattr(node.func.value, "id", "") == "audit")
        )
    )
    assert not writes
