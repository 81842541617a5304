"""Architecture rules, enforced: which package may import which, which libraries stay out of which package,
the one-way order of bot/'s parts, and no import cycle anywhere. docs/architecture.md explains the tables.

Every import counts, at any depth: module level, inside functions, and under `if TYPE_CHECKING:`. A
deferred import hides a dependency from the interpreter, not from the design. Stdlib only, well under a second.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "connectors", "analyzers", "storage", "domain")
ENTRY_POINTS = ("main.py",)

# Top-level packages: which other project packages each may import. `domain` is the bottom.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "main": frozenset({"bot", "connectors", "analyzers", "storage", "domain"}),
    "bot": frozenset({"connectors", "analyzers", "storage", "domain"}),
    "connectors": frozenset({"domain"}),
    "analyzers": frozenset({"domain"}),
    "storage": frozenset({"domain"}),
    "domain": frozenset(),
}

_DATABASE = ("sqlalchemy", "alembic", "psycopg", "psycopg2")
_WEB = ("fastapi", "starlette", "jinja2", "uvicorn")
_HTTP = ("httpx", "requests", "urllib3", "aiohttp", "urllib.request", "tweepy", "slack_sdk")

# Libraries (dotted prefixes) a package must not import, with the reason printed on a violation.
FORBIDDEN_LIBRARIES: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "connectors": ((_DATABASE, "connectors know no database"),
                   (_WEB, "no web framework outside bot/")),
    "analyzers": ((_DATABASE, "analyzers know no database"),
                  (_HTTP, "analyzers are pure: no network client"),
                  (_WEB, "no web framework outside bot/")),
    "storage": ((_HTTP, "storage knows no platform or network client"),
                (_WEB, "no web framework outside bot/")),
    "domain": ((_WEB, "no web framework outside bot/"),),
}

# bot/'s parts, top to bottom. A part may import the parts of the layers BELOW its own, never above, and
# never another part of its own layer. A part is a module or a sub-package; the longest matching name wins
# (so `bot.alerts.sinks`, the AlertSink port that Services carries, sits below Services while the rest of
# bot.alerts sits above it). A new module directly in bot/ must be added here.
BOT_LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.commands",),                      # the CLI
    ("bot.bootstrap",),                     # composition root
    ("bot.handlers", "bot.scheduler"),      # what happens on each event; when commands are put on the bus
    ("bot.reports", "bot.web"),             # weekly report; inbox web app (independent of each other)
    ("bot.health",),                        # status/healthz/metrics verdict read from the database
    ("bot.retention",),                     # retention policy applied in batches (daily job, `retention`, `forget`)
    ("bot.alerts", "bot.campaign_matching"),  # spike keys, incidents, problems, outbox delivery, Slack sink;
    # campaigns from config/admins to the matcher and re-matching of stored posts
    ("bot.services",),                      # the Services handlers get
    ("bot.alerts.sinks",),                  # AlertSink protocol and the console/file sinks
    ("bot.messagebus", "bot.slack"),        # the bus; the Slack client and channel directory
    ("bot.events", "bot.clock", "bot.config", "bot.detector_cache", "bot.labels", "bot.leader",
     "bot.logging_setup", "bot.metrics", "bot.spreadsheet"),  # foundations
)


@dataclass(frozen=True)
class Import:
    path: Path  # relative to the root
    line: int
    importer: str  # dotted module name of the importing file
    target: str  # dotted name as imported (absolute)
    module: str | None  # the project module it resolves to, None for a library


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


def module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files(root: Path) -> dict[str, Path]:
    """Dotted module name → path relative to root, for every .py file of the checked packages."""
    files = [p for package in PACKAGES if (root / package).is_dir() for p in (root / package).rglob("*.py")]
    files += [root / entry for entry in ENTRY_POINTS if (root / entry).is_file()]
    return {module_name(p.relative_to(root)): p.relative_to(root)
            for p in sorted(files) if "__pycache__" not in p.parts}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name loads: the longest known prefix; None for a library."""
    if name.split(".")[0] not in modules:
        return None
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(root: Path, modules: dict[str, Path]) -> Iterator[Import]:
    for importer, path in modules.items():
        tree = ast.parse((root / path).read_text(encoding="utf-8"), filename=str(path))
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(path, node.lineno, importer, alias.name, _resolve(alias.name, modules))
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: from ..x import y
                    base_parts = package.split(".")
                    base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                    base = ".".join([*base_parts, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                if base == "__future__":
                    continue
                for alias in node.names:
                    # `from pkg import name` where pkg.name is a module imports that module.
                    submodule = f"{base}.{alias.name}"
                    if submodule in modules:
                        yield Import(path, node.lineno, importer, submodule, submodule)
                    else:
                        target = submodule if _resolve(base, modules) is None else base
                        yield Import(path, node.lineno, importer, target, _resolve(base, modules))


def _top(module: str) -> str:
    return module.split(".")[0]


def _bot_part(module: str) -> tuple[str, int] | None:
    """(part, layer index) of a bot module by the longest matching name in BOT_LAYERS."""
    best: tuple[str, int] | None = None
    for index, layer in enumerate(BOT_LAYERS):
        for part in layer:
            if (module == part or module.startswith(part + ".")) and (best is None or len(part) > len(best[0])):
                best = (part, index)
    return best


def _check_import(imp: Import) -> Iterator[Violation]:
    source = _top(imp.importer)
    if imp.module is None:  # a library
        for prefixes, reason in FORBIDDEN_LIBRARIES.get(source, ()):
            hit = next((p for p in prefixes if imp.target == p or imp.target.startswith(p + ".")), None)
            if hit:
                yield Violation(imp.path, imp.line, f"{source} ↛ {hit}",
                                f"{imp.importer} imports {imp.target}: {reason}")
        return
    target = _top(imp.module)
    if target != source and target not in MAY_IMPORT.get(source, frozenset()):
        allowed = ", ".join(sorted(MAY_IMPORT.get(source, ()))) or "nothing of the project"
        yield Violation(imp.path, imp.line, f"{source} ↛ {target}",
                        f"{imp.importer} imports {imp.module}; {source} may import {allowed} (MAY_IMPORT)")
    if source == "bot" and target == "bot" and imp.importer != "bot" and imp.module != "bot":
        mine, theirs = _bot_part(imp.importer), _bot_part(imp.module)
        for name, part in ((imp.importer, mine), (imp.module, theirs)):
            if part is None:
                yield Violation(imp.path, imp.line, "bot layers",
                                f"{name} belongs to no part of BOT_LAYERS; add it to the right layer")
        if mine is None or theirs is None or mine[0] == theirs[0]:
            return
        if theirs[1] < mine[1]:
            yield Violation(imp.path, imp.line, f"{mine[0]} ↛ {theirs[0]}",
                            f"{imp.importer} imports {imp.module}: {mine[0]} (layer {mine[1]}) may only import "
                            f"layers below it, {theirs[0]} is layer {theirs[1]} (BOT_LAYERS)")
        elif theirs[1] == mine[1]:
            yield Violation(imp.path, imp.line, f"{mine[0]} ↛ {theirs[0]}",
                            f"{imp.importer} imports {imp.module}: {mine[0]} and {theirs[0]} share layer "
                            f"{mine[1]} and must stay independent (BOT_LAYERS)")


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; returns the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _one_cycle(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first inside the component)."""
    members, start = set(component), component[0]
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError("a strongly connected component always holds a cycle")


def check(root: Path) -> list[Violation]:
    modules = project_files(root)
    imports = list(imports_of(root, modules))
    violations = [v for imp in imports for v in _check_import(imp)]
    graph: dict[str, set[str]] = {m: set() for m in modules}
    where: dict[tuple[str, str], Import] = {}
    for imp in imports:
        if imp.module is not None and imp.module != imp.importer:
            graph[imp.importer].add(imp.module)
            where.setdefault((imp.importer, imp.module), imp)
    for component in strongly_connected(graph):
        cycle = _one_cycle(component, graph)
        steps = [where[(a, b)] for a, b in itertools.pairwise(cycle)]
        detail = "; ".join(f"{s.path}:{s.line} imports {s.module}" for s in steps)
        others = f" (the cycle's component: {', '.join(component)})" if len(component) > len(cycle) - 1 else ""
        violations.append(Violation(steps[0].path, steps[0].line, "import cycle",
                                    f"{' → '.join(cycle)}{others}: {detail}"))
    return sorted(violations, key=lambda v: (str(v.path), v.line, v.rule))


@functools.cache
def _repository() -> tuple[dict[str, Path], list[Violation]]:
    return project_files(REPO), check(REPO)


def test_the_code_follows_the_architecture():
    modules, violations = _repository()
    assert len(modules) > 100, f"only {len(modules)} modules found under {REPO}: is the checker looking elsewhere?"
    assert not violations, "architecture rules broken (see tests/test_architecture.py, docs/architecture.md):\n" + \
        "\n".join(str(v) for v in violations)


def test_every_part_in_the_tables_exists():
    modules, _ = _repository()
    missing = [part for layer in BOT_LAYERS for part in layer if part not in modules]
    assert not missing, f"BOT_LAYERS names modules that no longer exist: {missing}"
    assert set(MAY_IMPORT) == {*PACKAGES, *(Path(e).stem for e in ENTRY_POINTS)}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checker_reports_forbidden_imports_and_cycles(tmp_path):
    _write(tmp_path, {
        "main.py": "import bot.handlers\n",
        "domain/__init__.py": "from dataclasses import dataclass\n",
        "domain/calendar.py": "from storage import models\n",  # domain is the bottom
        "analyzers/__init__.py": "",
        "analyzers/scoring.py": (
            "from typing import TYPE_CHECKING\n"
            "import domain\n"
            "if TYPE_CHECKING:\n"
            "    from storage import models\n"  # from pkg import submodule, type-checking only
            "def score():\n"
            "    import sqlalchemy.orm\n"  # deferred, still an import
            "    return sqlalchemy.orm\n"
        ),
        "storage/__init__.py": "",
        "storage/models.py": "from fastapi import FastAPI\nimport domain\n",
        "connectors/__init__.py": "",
        "connectors/a.py": "from connectors import b\n",
        "connectors/b.py": "from connectors.c import fetch\n",
        "connectors/c.py": "def fetch():\n    import connectors.a\n",
        "bot/__init__.py": "",
        "bot/handlers.py": "from bot.alerts import incidents\nfrom storage.models import X\nimport analyzers.scoring\n",
        "bot/gadgets.py": "from bot import events\n",
        "bot/events.py": "",
        "bot/alerts/__init__.py": "",
        "bot/alerts/incidents.py": "from bot.reports import weekly\nfrom bot.alerts.sinks import Sink\n",
        "bot/alerts/sinks.py": "",
        "bot/reports/__init__.py": "",
        "bot/reports/weekly.py": "from ..web.app import create_app\nfrom ..alerts import incidents\n",
        "bot/web/__init__.py": "",
        "bot/web/app.py": "",
    })
    found = {(str(v.path), v.line, v.rule) for v in check(tmp_path)}
    assert found == {
        ("domain/calendar.py", 1, "domain ↛ storage"),
        ("analyzers/scoring.py", 4, "analyzers ↛ storage"),
        ("analyzers/scoring.py", 6, "analyzers ↛ sqlalchemy"),
        ("storage/models.py", 1, "storage ↛ fastapi"),
        ("connectors/a.py", 1, "import cycle"),
        ("bot/alerts/incidents.py", 1, "bot.alerts ↛ bot.reports"),
        ("bot/alerts/incidents.py", 1, "import cycle"),
        ("bot/reports/weekly.py", 1, "bot.reports ↛ bot.web"),
        ("bot/gadgets.py", 1, "bot layers"),
    }, "\n".join(str(v) for v in check(tmp_path))
    cycles = [v.message for v in check(tmp_path) if v.rule == "import cycle"]
    assert any(m.startswith("connectors.a → connectors.b → connectors.c → connectors.a") for m in cycles)
    assert any("bot.alerts.incidents" in m and "bot.reports.weekly" in m for m in cycles)
