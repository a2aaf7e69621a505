"""A static guard for the code workflows run: no clock, randomness, environment, files or threads (review M9).

The strict sandbox (``workers.runner``) only polices code it re-imports; ``casefac`` and ``workflows.rules`` /
``workflows.options`` are passed through, so a ``datetime.now()`` in a pricing or validation helper reaches
a worker unnoticed (``test_runner_policing.py`` proves it). This test reads the source instead: every module
under ``workflows/`` and every module those import (transitively, by import graph, so a new helper is
covered the day a workflow imports it) is parsed, and each forbidden use below fails with file:line,
unless ``ALLOWED`` names it with a reason. Module-level constants those modules define must be immutable:
module globals are shared by every workflow instance of a worker process (the plain runner re-imports
nothing), so one case's accidental mutation would change another's commands.
"""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: First-party packages whose modules the graph follows.
OURS = ("casefac", "workflows", "activities", "records", "gateway", "starters", "workers")

#: ``a.b`` attribute chains (by their last two names) that read the clock, the environment or the OS.
FORBIDDEN_ATTRIBUTES = {
    "datetime.now": "the wall clock: use workflow.now()",
    "datetime.utcnow": "the wall clock: use workflow.now()",
    "datetime.today": "the wall clock: use workflow.now()",
    "date.today": "the wall clock: pass today in (see rules.local_today / submit_report)",
    "time.time": "the wall clock: use workflow.now()",
    "time.time_ns": "the wall clock: use workflow.now()",
    "time.monotonic": "a clock: use workflow.now()",
    "time.monotonic_ns": "a clock: use workflow.now()",
    "time.perf_counter": "a clock: use workflow.now()",
    "time.sleep": "blocks the event loop: use workflow.sleep()",
    "os.environ": "the environment differs per worker: settings belong in activities or the workflow input",
    "os.getenv": "the environment differs per worker: settings belong in activities or the workflow input",
    "os.urandom": "randomness: use workflow.random() / workflow.uuid4()",
}
#: Modules whose mere import is forbidden (randomness, ids from randomness, threads, subprocesses, sockets).
FORBIDDEN_IMPORTS = {
    "random": "randomness: use workflow.random()",
    "uuid": "random ids: use workflow.uuid4() or casefac.ids (derived keys)",
    "secrets": "randomness: keys are derived (casefac.ids), never drawn",
    "threading": "threads: workflow code runs on the workflow's event loop only",
    "concurrent": "threads/processes: workflow code runs on the workflow's event loop only",
    "multiprocessing": "processes: workflow code runs on the workflow's event loop only",
    "subprocess": "I/O: belongs in an activity",
    "socket": "I/O: belongs in an activity",
}
#: ``from X import Y`` of a forbidden callable (``from time import time``).
FORBIDDEN_FROM = {("time", n) for n in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "sleep")} | {
    ("os", "environ"), ("os", "getenv"), ("os", "urandom")}
#: Builtins that do I/O.
FORBIDDEN_BUILTINS = {"open": "file I/O: belongs in an activity (or at import time, see ALLOWED)",
                      "input": "I/O", "print": "I/O: use workflow.logger"}


@dataclass(frozen=True)
class Finding:
    module: str
    line: int
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.what} ({self.why})"


#: (module, what) → why it is safe. Each entry is reviewed: say what runs when, and why it cannot differ
#: between the first run and a replay.
ALLOWED: MappingProxyType[tuple[str, str], str] = MappingProxyType({
    ("casefac.errors", "time.time"): "the default clock of rate_limit_delay(), which only activities call (a "
                                     "provider's Retry-After); workflows import the module for ErrorType only",
    ("casefac.staff_assertion", "import secrets"): "the nonce of a new assertion, drawn when the CLI signs one; "
                                                   "workflows only verify and peek (pure functions of the token)",
    ("casefac.staff_directory", "os.environ"): "default_keys_dir(), the CLI's key location; workflows import the "
                                               "directory's models and constants only",
})


def module_path(name: str) -> Path | None:
    p = ROOT.joinpath(*name.split("."))
    for candidate in (p.with_suffix(".py"), p / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(tree: ast.Module, modname: str, is_package: bool) -> set[str]:
    """Every first-party module this module imports, anywhere in it (also inside functions and ``with``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = modname.split(".")
                base = ".".join(parts[: len(parts) - node.level + (1 if is_package else 0)])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # ``from casefac import ledes``
    return {m for m in found if m.split(".")[0] in OURS and module_path(m) is not None}


def workflow_modules() -> dict[str, Path]:
    """``workflows/*.py`` and everything first-party they import, transitively."""
    todo = [f"workflows.{p.stem}" for p in sorted((ROOT / "workflows").glob("*.py")) if p.stem != "__init__"]
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        path = module_path(name)
        if name in seen or path is None:
            continue
        seen[name] = path
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        todo.extend(_imported(tree, name, path.name == "__init__.py") - seen.keys())
    return seen


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def findings(module: str, source: str) -> list[Finding]:
    """Every forbidden use in one module's source."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted:
                tail = ".".join(dotted.split(".")[-2:])
                if tail in FORBIDDEN_ATTRIBUTES:
                    out.append(Finding(module, node.lineno, tail, FORBIDDEN_ATTRIBUTES[tail]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in FORBIDDEN_IMPORTS:
                    out.append(Finding(module, node.lineno, f"import {alias.name}", FORBIDDEN_IMPORTS[top]))
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            top = node.module.split(".")[0]
            if top in FORBIDDEN_IMPORTS:
                out.append(Finding(module, node.lineno, f"from {node.module} import", FORBIDDEN_IMPORTS[top]))
            for alias in node.names:
                if (node.module, alias.name) in FORBIDDEN_FROM:
                    out.append(Finding(module, node.lineno, f"{node.module}.{alias.name}", "see FORBIDDEN_ATTRIBUTES"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_BUILTINS:
            out.append(Finding(module, node.lineno, node.func.id, FORBIDDEN_BUILTINS[node.func.id]))
    return out


def test_the_import_graph_reaches_the_passed_through_helpers() -> None:
    """The graph is what makes the guard cover a helper the day a workflow imports it; check it finds them."""
    modules = workflow_modules()
    assert {"workflows.case", "workflows.advocate", "workflows.rules", "workflows.options", "casefac.pricing",
            "casefac.ledes", "casefac.contract_draft", "casefac.money", "casefac.state",
            "casefac.i18n"} <= modules.keys()
    assert not any(m.startswith(("gateway.", "starters.", "records.")) for m in modules)


def test_workflow_code_uses_no_clock_randomness_environment_file_or_thread() -> None:
    found = [f for name, path in sorted(workflow_modules().items())
             for f in findings(name, path.read_text(encoding="utf-8"))]
    unexpected = [f for f in found if (f.module, f.what) not in ALLOWED]
    assert not unexpected, "\n".join(map(str, unexpected))
    # an allow-list entry that no longer matches anything is stale: remove it, do not let it cover a new use
    stale = set(ALLOWED) - {(f.module, f.what) for f in found}
    assert not stale, stale


@pytest.mark.parametrize("source, what", [
    ("from datetime import datetime\ndef f():\n    return datetime.now()\n", "datetime.now"),
    ("import datetime\nx = datetime.date.today()\n", "date.today"),
    ("import time\nt = time.monotonic()\n", "time.monotonic"),
    ("from time import time\n", "time.time"),
    ("import os\nk = os.environ['KEY']\n", "os.environ"),
    ("import random\n", "import random"),
    ("from uuid import uuid4\n", "from uuid import"),
    ("import secrets\n", "import secrets"),
    ("import threading\n", "import threading"),
    ("def f(p):\n    return open(p).read()\n", "open"),
])
def test_the_guard_bites(source: str, what: str) -> None:
    assert [f.what for f in findings("probe", source)] == [what]


# ------------------------------------------------------------------------------------ frozen constants
#: Module-level names the workflows read that are deliberately not frozen, with why.
MUTABLE_OK: MappingProxyType[str, str] = MappingProxyType({
    "casefac.money.MONEY_CONTEXT": "decimal has no read-only Context; it is only passed to Decimal operations "
                                   "(never entered with localcontext, never assigned to)",
})
_IMMUTABLE = (str, bytes, int, float, bool, type(None), frozenset, tuple, MappingProxyType, range, Decimal, date,
              time, timedelta, PurePath, TypeVar, ZoneInfo, re.Pattern)


def _constants(module: str, path: Path) -> list[str]:
    """Module-level UPPER_CASE names assigned in the module's own source."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) and node.value is not None else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper() and not t.id.startswith("_")]
    return names


def _is_immutable(value: object) -> bool:
    if isinstance(value, tuple | frozenset):
        return all(_is_immutable(v) for v in value)
    if isinstance(value, MappingProxyType):
        return all(_is_immutable(k) and _is_immutable(v) for k, v in value.items())
    if isinstance(value, _IMMUTABLE):
        return True
    if isinstance(value, type) or type(value) is object:  # classes, enums, sentinels
        return True
    frozen = getattr(getattr(value, "model_config", None), "get", lambda _k: None)("frozen")
    params = getattr(value, "__dataclass_params__", None)
    return bool(frozen) or bool(params is not None and params.frozen) or callable(value)


def test_module_constants_the_workflows_read_are_immutable() -> None:
    """``CONTRACT_SIGNERS``, ``EXPONENT``, ``OPTIONS``, ``SERVICE_TASKS``… are mappings no case can change."""
    mutable = []
    for name, path in sorted(workflow_modules().items()):
        module = importlib.import_module(name)
        for const in _constants(name, path):
            value = getattr(module, const)
            if f"{name}.{const}" not in MUTABLE_OK and not _is_immutable(value):
                mutable.append(f"{name}.{const}: {type(value).__name__}")
    assert not mutable, "\n".join(mutable)


def test_the_frozen_constants_refuse_a_write() -> None:
    from casefac.activity_io import CONTRACT_SIGNERS
    from casefac.contract_draft import SERVICE_TASKS
    from casefac.money import EXPONENT
    from workflows.options import OPTIONS

    for mapping in (CONTRACT_SIGNERS, EXPONENT, OPTIONS, SERVICE_TASKS):
        key = next(iter(mapping))
        with pytest.raises(TypeError):
            mapping[key] = mapping[key]  # type: ignore[index]
