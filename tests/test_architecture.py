"""The dependency direction of the house: forms ← workflows ← hub, nothing pointing back up.

Workflow modules also stay free of I/O libraries, so they remain deterministic and replayable.

Inside hub (hub/README.md draws the map):

- Only the web edge (hub/web) imports Litestar or ``hub.web``; a page never imports an API module
  (what both need lives in a domain, or in hub/web outside api/).
- The shared kernel (``KERNEL``) may be imported by anyone: tables and records, errors, the Actor,
  the context, accounts, the audit log, i18n, sealing, settings, the clock and the Temporal gateway.
- A domain (any other package ``hub/<name>/`` or module ``hub/<name>.py``) imports another domain
  only through its front door: names defined at the top of the package or module (its
  ``__init__.py``), never one starting with ``_``; when the domain declares ``__all__``, only the
  names it lists. A domain publishes a whole submodule by listing it in ``__all__`` (for instance
  ``__all__ = ["presenter"]`` in hub/requests/__init__.py allows ``hub.requests.presenter``);
  every other submodule is its own business.
- The composition roots (``ROOTS``: the command line, the worker, the demo seed, the hub's context)
  assemble everything and may import any domain's modules.

Rules the refactoring has not yet satisfied list today's offenders in ``KNOWN_OFFENDERS``; the test
requires the list to be exact, so a new offender fails, and so does one that was fixed but is
still listed: the list can only shrink.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "forms": {"workflows", "hub", "temporalio", "litestar", "piccolo", "weasyprint", "httpx"},
    "workflows": {"hub", "litestar", "piccolo", "weasyprint", "httpx", "asyncpg", "aiosqlite"},
}
KERNEL = {
    "hub.db",
    "hub.errors",
    "hub.actor",
    "hub.context",
    "hub.accounts",
    "hub.audit",
    "hub.i18n",
    "hub.sealing",
    "hub.settings",
    "hub.clock",
    "hub.temporal",
}
ROOTS = {"hub.cli", "hub.worker", "hub.seed", "hub.context"}

# Imports the refactoring is still to remove, by rule: "importing module -> imported module".
KNOWN_OFFENDERS: dict[str, set[str]] = {
    "only the web edge imports the web and litestar": set(),
    "pages do not import the api": set(),
    "domains import each other's front door only": set(),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upwards(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def hub_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in sorted((ROOT / "hub").rglob("*.py"))
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    }


def imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """Every module ``path`` imports, absolute, with the names taken from it (empty for ``import x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, [alias.name for alias in node.names]))
    return found


def home(module: str) -> str:
    """The package a module belongs to: ``hub.web``, or ``hub.<name>`` for a domain or the kernel."""
    return ".".join(module.split(".")[:2])


@cache
def front_door(domain: str) -> tuple[set[str] | None, set[str]]:
    """A domain's ``__all__`` (None when it declares none) and the submodules it has."""
    package = ROOT / Path(*domain.split("."))
    source = package / "__init__.py" if package.is_dir() else package.with_suffix(".py")
    declared = None
    if source.exists():
        for node in ast.parse(source.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
                declared = set(ast.literal_eval(node.value))
    submodules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"} | {
        p.parent.name for p in package.glob("*/__init__.py")
    }
    return declared, submodules


def public(domain: str, name: str) -> bool:
    """Whether another domain may import ``domain.name`` (a name or a submodule of it)."""
    declared, submodules = front_door(domain)
    if name.startswith("_"):
        return False
    if declared is not None:
        return name in declared
    return name not in submodules


def offenders(rule: str) -> set[str]:
    found = set()
    for name, path in hub_modules().items():
        mine = home(name)
        for module, names in imports(name, path):
            # ``from hub import sealing``: each name is a module of its own.
            targets = [(f"{module}.{n}", []) for n in names] if module == "hub" else [(module, names)]
            for target, taken in targets:
                if rule == "only the web edge imports the web and litestar":
                    if mine != "hub.web" and (home(target) == "hub.web" or target.split(".")[0] == "litestar"):
                        found.add(f"{name} -> {target}")
                elif rule == "pages do not import the api":
                    if name.startswith("hub.web.pages") and (target + ".").startswith("hub.web.api."):
                        found.add(f"{name} -> {target}")
                elif rule == "domains import each other's front door only":
                    other = home(target)
                    if (
                        not target.startswith("hub.")
                        or other in (mine, "hub.web")
                        or other in KERNEL
                        or mine in ROOTS | {"hub.web"}
                    ):
                        continue
                    if target == other:
                        if not all(public(other, n) for n in taken):
                            found.add(f"{name} -> {target}")
                    elif not public(other, target.split(".")[2]) or any(n.startswith("_") for n in taken):
                        found.add(f"{name} -> {target}")
    return found


@pytest.mark.parametrize("rule", sorted(KNOWN_OFFENDERS))
def test_hub_imports_keep_to_the_map(rule):
    found = offenders(rule)
    assert sorted(found - KNOWN_OFFENDERS[rule]) == [], "new imports against the rule"
    assert sorted(KNOWN_OFFENDERS[rule] - found) == [], "fixed: remove them from KNOWN_OFFENDERS"
