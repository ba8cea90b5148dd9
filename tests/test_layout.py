"""The package's shape: no import circle between modules, and no module over 400 lines.

The import graph is read from the source with ast, not by importing: every ``import`` and ``from ...
import`` (absolute or relative) at module level or inside a function counts, since a function-level
import only hides a circle until that function runs. Imports under ``if TYPE_CHECKING:`` never run
and are left out.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "grid_app"
MAX_LINES = 400

# Known exceptions, each with its reason; the test fails once one of them no longer holds, so the
# list only shrinks.
KNOWN_LONG: dict[str, str] = {}  # path: why it is still over MAX_LINES
KNOWN_EDGES = {  # (importer, imported): why the circle through it stays for now
}


def _modules(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package) for every module of the package."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(tree: ast.AST):
    """Every Import / ImportFrom node at any depth, except under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not _type_checking(child))


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, dict[str, int]]:
    """module -> {imported module of the package: line of the first such import}.

    Importing a.b.c runs the packages a and a.b first, but those are not edges: only what a
    package's own __init__ imports is."""
    modules = _modules(root, package)
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges: dict[str, int] = {}
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:  # relative: climb from this module's package
                    base_parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from a.b import c` imports the module a.b.c when there is one, else names from a.b
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:  # `import a.b.c` of a name inside: its module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, iters = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(graph[nxt])))
    return None


def test_import_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert "grid_app.places.gcj02" in graph["grid_app.places.locate"]  # from package import module
    assert "grid_app.models" in graph["grid_app.places.layers"]  # from package import names
    assert "grid_app.web" in graph["grid_app"]  # inside create_app
    assert "grid_app.places.importer.specs" in graph["grid_app.places.importer"]  # a subpackage's module
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}}) is None


def test_import_graph_of_relative_and_hidden_imports(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    for name, text in {
        "__init__.py": "",
        "a.py": "from . import b\nfrom .sub.c import thing\n",
        "b.py": "def later():\n    from .sub import c\n",
        "sub/__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n",
        "sub/c.py": "import os\nfrom .. import a\nthing = 1\n",
    }.items():
        (pkg / name).write_text(text)
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"pkg": {}, "pkg.a": {"pkg.b": 1, "pkg.sub.c": 2}, "pkg.b": {"pkg.sub.c": 2},
                     "pkg.sub": {}, "pkg.sub.c": {"pkg.a": 2}}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]


def test_no_import_circle():
    graph = import_graph()
    for importer, imported in KNOWN_EDGES:
        assert imported in graph.get(importer, {}), f"{importer} no longer imports {imported}: drop it from KNOWN_EDGES"
        del graph[importer][imported]
    cycle = find_cycle(graph)
    where = [f"{a} (line {graph[a][b]}) -> {b}" for a, b in zip(cycle, cycle[1:])] if cycle else []
    assert cycle is None, "import circle: " + "; ".join(where)


def _line_counted_files() -> list[Path]:
    """Python modules of the package, scripts and tests, and the app's own JS and CSS."""
    files = [*(ROOT / PACKAGE).rglob("*.py"), *(ROOT / "scripts").rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
             *(ROOT / PACKAGE / "static").rglob("*.js"), *(ROOT / PACKAGE / "static").rglob("*.css")]
    skipped = (ROOT / PACKAGE / "migrations", ROOT / PACKAGE / "static" / "vendor")
    return sorted(f for f in files if not any(f.is_relative_to(s) for s in skipped))


def test_no_module_over_400_lines():
    sizes = {f.relative_to(ROOT).as_posix(): len(f.read_text(encoding="utf-8").splitlines())
             for f in _line_counted_files()}
    assert "grid_app/places/locate.py" in sizes and "grid_app/static/m/new.js" in sizes
    long = {path: n for path, n in sizes.items() if n > MAX_LINES and path not in KNOWN_LONG}
    assert long == {}, f"modules over {MAX_LINES} lines (split them by responsibility): {long}"
    stale = [path for path in KNOWN_LONG if sizes.get(path, 0) <= MAX_LINES]
    assert stale == [], f"no longer over {MAX_LINES} lines: drop them from KNOWN_LONG: {stale}"
