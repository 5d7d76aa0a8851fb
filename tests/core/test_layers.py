"""`core` is the ground floor: every domain package builds on it, and it knows none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import returnees
from returnees.core.scheduler import PeriodicJob, periodic_jobs, register_jobs

CORE = Path(returnees.__file__).parent / "core"


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_core_imports_no_package_above_it():
    upward = {
        f"{path.name}: {module}"
        for path in CORE.glob("*.py")
        for module in imported_modules(path)
        if module.startswith("returnees") and not module.startswith("returnees.core")
    }
    assert upward == set()


def test_a_package_adds_its_jobs_without_touching_core(app):
    before = [job.id for job in periodic_jobs(app)]
    job = PeriodicJob("count-new-things", lambda session: 0, seconds=60)
    register_jobs(app, [job])
    assert [job.id for job in periodic_jobs(app)] == [*before, "count-new-things"]
    assert before.index("read-replies") < before.index("send-due-messages")
