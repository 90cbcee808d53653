"""The package's shape (issue 13): stages import only from the stages before them, no import
cycle anywhere (function-level imports included: grimp reads every import statement), the Dask
adapters and patsy stay where they belong, and no module grows past 500 lines.

Source of truth: the import graph as grimp (import-linter's engine) builds it from the source."""

from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "synthsurvey"


def test_import_linter_contracts_hold():
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def _cycles(graph):
    """Every import cycle among the package's modules, as lists of module names."""
    modules = sorted(graph.modules)
    edges = {module: sorted(m for m in graph.find_modules_directly_imported_by(module) if m in graph.modules)
             for module in modules}
    state, stack, found = {}, [], []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in edges[module]:
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in modules:
        if module not in state:
            visit(module)
    return found


def test_no_import_cycle_anywhere():
    graph = grimp.build_graph("synthsurvey", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_500_lines(path):
    assert len(path.read_text().splitlines()) <= 500


def test_tests_mirror_the_stages():
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tested = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir()}
    assert stages <= tested, stages - tested
