"""The package's structure, read from its imports (every one, those inside functions too): no module imports
itself through others, and the plug-ins and stores are imported by nobody who should not know them."""

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "analysis"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of the package with the package's modules it imports."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from analysis import store` imports the module analysis.store
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, each once, as the path from its first module back to it."""
    circles, done = [], set()

    def visit(module, path):
        for nxt in sorted(graph[module]):
            if nxt in path:
                circle = path[path.index(nxt) :]
                if frozenset(circle) not in done:
                    done.add(frozenset(circle))
                    circles.append([*circle, nxt])
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for module in sorted(graph):
        visit(module, [module])
    return circles


def test_no_module_imports_itself_through_others():
    assert _circles(_imports()) == []


def test_the_backend_the_store_and_the_update_are_imported_only_where_they_belong():
    graph = _imports()
    # Dask is a plug-in: the stages that run on a cluster are handed one and never import the backend
    assert {m for m, imports in graph.items() if "analysis.dask_cluster" in imports} == {"analysis.pipeline"}
    # the store knows the folder's schema, not the estimator; the update knows the saved topics' fields only
    assert "analysis.topics" not in graph["analysis.store"]
    assert not {"analysis.topics", "analysis.pipeline", "analysis.store"} & graph["analysis.update"]
    # the CLI, the run and the estimator are the store's only users
    assert {m for m, imports in graph.items() if "analysis.store" in imports} == {
        "analysis.__main__", "analysis.pipeline", "analysis.topics"
    }  # fmt: skip
