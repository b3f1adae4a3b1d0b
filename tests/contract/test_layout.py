"""The tree keeps its architecture: no import cycles, and each layer imports only below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "spine_ws"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(everywhere: bool) -> dict[str, set[str]]:
    """Every spine_ws module -> the modules it imports. `everywhere`: at the top, inside a
    function, or under TYPE_CHECKING (a type-only import is a dependency, and a cycle,
    all the same); else only what importing the module runs (its top level)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree) if everywhere else tree.body:
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = targets
    return {
        name: {t for t in targets if t in graph} | _externals(targets)
        for name, targets in graph.items()
    }


def _externals(targets: set[str]) -> set[str]:
    return {t.split(".")[0] for t in targets if not t.startswith("spine_ws")}


GRAPH = _imports(everywhere=True)
# What importing each module runs: where a lazy import (the generator, NATS) is the point.
AT_IMPORT = _imports(everywhere=False)


def _cycle() -> list[str] | None:
    """One import cycle among spine_ws modules, if there is any."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if target not in GRAPH:
                continue
            # A package's __init__ importing its own submodules is not a cycle.
            if target.startswith(node + ".") or node.startswith(target + "."):
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    """No spine_ws module imports, through others, itself."""
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("layer", "forbidden", "lazily"),
    [
        # The protocol core is sans-I/O: no web server, no transport, no plug-in API, and
        # no event loop, thread or clock of its own (time is passed in; tasks, timers and
        # the thread bridge live outside it).
        (
            "spine_ws.core",
            {
                "asyncio",
                "threading",
                "queue",
                "time",
                "socket",
                "selectors",
                "concurrent",
                "spine_ws.connection",
                "spine_ws.watchdog",
                "uvicorn",
                "starlette",
                "fastapi",
                "websockets",
                "nats",
                "spine_ws.transport",
                "spine_ws.sim",
                "spine_ws.cluster",
            },
            False,
        ),
        # The plug-in API is what simulations import: nothing of the server's wiring.
        ("spine_ws.sim", {"uvicorn", "starlette", "fastapi", "spine_ws.transport"}, False),
        # The generator stays out of the runtime's import graph (`spine-ws gen` imports
        # it when it runs).
        ("spine_ws", {"spine_ws.codegen", "datamodel_code_generator"}, True),
    ],
)
def test_each_layer_imports_only_below_it(layer: str, forbidden: set[str], lazily: bool) -> None:
    """The dependency rules of docs/architecture.md's tree, checked on the imports (every
    import, function-local and type-only ones too, unless importing it lazily is allowed)."""
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in (AT_IMPORT if lazily else GRAPH).items()
        if (module == layer or module.startswith(layer + "."))
        and not module.startswith("spine_ws.codegen")
        for target in targets
        if any(target == f or target.startswith(f + ".") for f in forbidden)
    )
    assert offending == []


def test_uvicorn_is_known_only_to_the_transport() -> None:
    """Everything that imports uvicorn lives in spine_ws.transport."""
    outside = sorted(
        m for m, t in GRAPH.items() if "uvicorn" in t and not m.startswith("spine_ws.transport")
    )
    assert outside == []


def test_nats_is_known_only_to_the_cluster() -> None:
    """Everything that imports nats-py lives in spine_ws.cluster, and nothing imports
    that at module level: a single process never needs the `cluster` extra."""
    outside = sorted(
        m for m, t in GRAPH.items() if "nats" in t and not m.startswith("spine_ws.cluster")
    )
    assert outside == []
    importers = sorted(
        m
        for m, targets in AT_IMPORT.items()
        if not m.startswith("spine_ws.cluster")
        and any(t.startswith("spine_ws.cluster") for t in targets)
    )
    assert importers == []
