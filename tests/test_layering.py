"""The house has one way down: ui and cli -> services -> storage / x -> domain.

These tests read every module of ``crm`` with :mod:`ast` (nothing is imported, so a lazy
import inside a function or under ``TYPE_CHECKING`` counts like any other) and fail on an
arrow the layering forbids, naming the file, the line and the import, or on an import
cycle between packages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "crm"

# The layers, lowest first. A module may import its own layer and any layer below it.
# "base" holds the few top-level modules every layer may read (settings, app identity,
# logging, packaged resources).
LAYERS = ("domain", "base", "storage", "x", "services", "ui", "cli")
LEVEL = {
    "domain": 0,
    "base": 1,
    "storage": 2,
    "x": 2,
    "services": 3,
    "ui": 4,
    "cli": 5,
}
# The one storage module the screens and the command line may hold: the Database handle.
STORAGE_HANDLE = "crm.storage.db"


@dataclass(frozen=True)
class Arrow:
    source: str  # importing module, dotted
    target: str  # imported module, dotted (as far as it names a crm module)
    path: Path
    line: int

    def __str__(self) -> str:
        where = self.path.relative_to(PACKAGE_ROOT.parent)
        return f"{where}:{self.line}: {self.source} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "base"  # the crm package itself
    if parts[1] == "__main__":
        return "cli"  # ``python -m crm`` is the command line
    top = parts[1]
    if top in LEVEL:
        return top
    return "base"


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def arrows_of(path: Path) -> Iterator[Arrow]:
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "crm" or alias.name.startswith("crm."):
                    yield Arrow(module, alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node, module, is_package)
            if target != "crm" and not target.startswith("crm."):
                continue
            # "from crm.storage import db" names the module crm.storage.db.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                if _is_module(candidate):
                    yield Arrow(module, candidate, path, node.lineno)
                else:
                    yield Arrow(module, target, path, node.lineno)


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (PACKAGE_ROOT / relative).with_suffix(".py").is_file() or (
        PACKAGE_ROOT / relative / "__init__.py"
    ).is_file()


def all_arrows(root: Path = PACKAGE_ROOT) -> list[Arrow]:
    found = {arrow: None for path in sorted(root.rglob("*.py")) for arrow in arrows_of(path)}
    return list(found)


def forbidden(arrow: Arrow) -> str | None:
    """Why ``arrow`` breaks the layering, or None when it is allowed."""
    source, target = layer_of(arrow.source), layer_of(arrow.target)
    if source == target:
        return None
    if source in ("ui", "cli"):
        if target == "x":
            return "the screens and the command line reach X and Bluesky through services"
        if target == "storage" and arrow.target not in (STORAGE_HANDLE, "crm.storage"):
            return "the screens and the command line hold only the Database handle of storage"
        if source == "ui" and target == "cli":
            return "the screens do not call the command line"
        return None
    if {source, target} == {"storage", "x"}:
        return "storage and the network gateways are side by side; services join them"
    if LEVEL[target] > LEVEL[source]:
        return f"{source} sits below {target} and may not import it"
    return None


def test_every_module_is_read() -> None:
    modules = {module_name(p) for p in PACKAGE_ROOT.rglob("*.py")}
    # A sanity check that the walk sees the house, so an empty walk cannot pass the rules.
    assert {"crm.storage.db", "crm.services.people", "crm.cli"} <= modules
    assert len(all_arrows()) > 200


def test_imports_run_one_way_down() -> None:
    broken = [f"{arrow}  ({why})" for arrow in all_arrows() if (why := forbidden(arrow))]
    assert not broken, "Forbidden imports:\n" + "\n".join(broken)


def package_of(module: str, path_is_package: bool) -> str:
    return module if path_is_package else module.rpartition(".")[0]


def package_graph(arrows: list[Arrow]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for arrow in arrows:
        source = package_of(arrow.source, arrow.path.name == "__init__.py")
        target_path = PACKAGE_ROOT / Path(*arrow.target.split(".")[1:]) / "__init__.py"
        target = package_of(arrow.target, target_path.is_file())
        # Only the top-level packages are compared: crm.ui.kit and crm.ui are one room here.
        source, target = ".".join(source.split(".")[:2]), ".".join(target.split(".")[:2])
        if source != target and source != "crm" and target != "crm":
            graph.setdefault(source, set()).add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_cycle_between_packages() -> None:
    cycle = find_cycle(package_graph(all_arrows()))
    assert cycle is None, "Packages import each other: " + " -> ".join(cycle or [])


# The rules themselves, on arrows made up for the purpose: each forbidden kind is caught.
@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("crm.x.sync", "crm.services.audit"),
        ("crm.storage.db", "crm.services.people"),
        ("crm.domain.values", "crm.storage.models"),
        ("crm.services.people", "crm.ui.app"),
        ("crm.ui.main_window", "crm.x.gateway"),
        ("crm.cli.x", "crm.x.sync"),
        ("crm.ui.people.page", "crm.storage.search"),
        ("crm.cli.core", "crm.storage.models"),
        ("crm.storage.secrets", "crm.x.types"),
        ("crm.ui.main_window", "crm.cli.output"),
        ("crm.settings", "crm.services.people"),
    ],
)
def test_forbidden_arrows_are_caught(source: str, target: str) -> None:
    assert forbidden(Arrow(source, target, PACKAGE_ROOT / "x.py", 1))


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("crm.ui.main_window", "crm.storage.db"),
        ("crm.cli.core", "crm.services.people"),
        ("crm.cli.app", "crm.ui.app"),
        ("crm.services.people", "crm.storage.search"),
        ("crm.services.x_sync", "crm.x.gateway"),
        ("crm.storage.db", "crm.domain.errors"),
        ("crm.storage.db", "crm.settings"),
    ],
)
def test_allowed_arrows_pass(source: str, target: str) -> None:
    assert forbidden(Arrow(source, target, PACKAGE_ROOT / "x.py", 1)) is None


def test_a_package_cycle_is_found() -> None:
    assert find_cycle({"crm.x": {"crm.services"}, "crm.services": {"crm.x"}}) == [
        "crm.services",
        "crm.x",
        "crm.services",
    ]
