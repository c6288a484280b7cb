"""Print the import cycles among ktui's modules (imports inside functions and under
TYPE_CHECKING count: grimp reads them all). Exit status 1 when there is one.

Usage: python scripts/import_cycles.py [PREFIX]   (default ``ktui``; e.g. ``ktui.sim``)
"""

from __future__ import annotations

import sys

import grimp


def cycles(prefix: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), among the modules
    named ``prefix`` or under it."""
    graph = grimp.build_graph("ktui", include_external_packages=False)
    nodes = sorted(m for m in graph.modules if m == prefix or m.startswith(prefix + "."))
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n in nodes)
             for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in nodes:
        if v not in index:
            visit(v)
    return found


def main() -> int:
    prefix = sys.argv[1] if len(sys.argv) > 1 else "ktui"
    found = cycles(prefix)
    for component in found:
        print("cycle:", " <-> ".join(component))
    if not found:
        print(f"no import cycle among the modules of {prefix}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
