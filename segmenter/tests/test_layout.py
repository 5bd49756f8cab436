"""The layout follows the data: each layer imports only the layers below it, and nothing loops.

Read from the source (every import, including those inside functions), so a new import that
breaks the order fails here before it confuses a reader or an import at start-up.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.paths import REPO

PACKAGES = ("segmenter", "narratives", "card_segmenter")
# Within segmenter: what each part may import. Basics are shared; the entry points at the top
# of the package compose the parts.
BASICS = {"errors", "files", "progress", "results", "sampling", "settings_file"}
ENTRY_POINTS = {"api", "comparison", "pipeline", "refresh", "spark", "streaming", "__init__"}
ALLOWED = {
    "basics": {"basics"},
    "ingest": {"basics", "ingest"},
    "explain": {"basics", "ingest", "explain"},
    "cluster": {"basics", "ingest", "explain", "cluster"},
    "model": {"basics", "ingest", "explain", "cluster", "model"},
    "charts": {"basics", "ingest", "explain", "cluster", "model", "charts"},
    "synthetic": {"basics", "ingest", "synthetic"},
    # The record of runs: it stores what the parts below produced (profiles, saved models)
    # and reads them back, but never fits or explains anything itself; the entry points and
    # the command line compose it with the pipeline.
    "workspace": {"basics", "model", "workspace"},
}


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of the three packages, tests left out, with its dotted name."""
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if "tests" not in parts:
                yield ".".join(p for p in parts if p != "__init__") or package, path


def imports(path: Path) -> set[str]:
    """The project modules a file imports, anywhere in it (TYPE_CHECKING blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    known = {name for name, _ in modules()}
    return {name for name in found if name in known}


GRAPH = {name: imports(path) for name, path in modules()}


def part(module: str) -> str:
    """The part of segmenter a module belongs to: a subpackage, basics, or entry."""
    pieces = module.split(".")
    if len(pieces) == 1 or pieces[1] in ENTRY_POINTS:
        return "entry"
    return "basics" if pieces[1] in BASICS else pieces[1]


def test_the_graph_was_read() -> None:
    assert "segmenter.pipeline" in GRAPH["segmenter.api"]
    assert "segmenter.ingest.schema" in GRAPH["segmenter.ingest.quality"]
    assert len(GRAPH) > 60


@pytest.mark.parametrize(
    ("package", "never"),
    [("segmenter", ("narratives", "card_segmenter")), ("narratives", ("card_segmenter",))],
)
def test_libraries_do_not_import_what_composes_them(package: str, never: tuple[str, ...]) -> None:
    wrong = {
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] in never
    }
    assert not wrong


def test_each_part_of_segmenter_imports_only_the_parts_below_it() -> None:
    wrong = {
        f"{module} ({part(module)}) -> {target} ({part(target)})"
        for module, targets in GRAPH.items()
        if module.startswith("segmenter") and part(module) != "entry"
        for target in targets
        if target.startswith("segmenter") and part(target) not in ALLOWED[part(module)]
    }
    assert not wrong


def test_no_module_imports_itself_through_others() -> None:
    # A package's __init__ is imported with each of its modules; an import of a package name
    # (`from segmenter.cluster import algorithms`) is an edge to the module, not to the package.
    packages = {name for name, path in modules() if path.name == "__init__.py"}
    graph = {m: {t for t in targets if t not in packages} for m, targets in GRAPH.items()}

    def cycle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            module, path = stack.pop()
            for target in sorted(graph.get(module, ())):
                if target == start:
                    return [*path, target]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
        return None

    assert not [cycle for module in graph if (cycle := cycle_from(module))]


def test_no_module_shadows_the_standard_library() -> None:
    shadowing = {
        str(path.relative_to(REPO))
        for _, path in modules()
        if path.stem in sys.stdlib_module_names and path.stem != "__init__"
    }
    assert not shadowing
