"""The layering and the public API that DESIGN.md promises."""

from __future__ import annotations

import ast
from pathlib import Path

import botcore
from tests.conftest import ROOT

FORBIDDEN = ("aiohttp", "telegram", "channels")


def test_botcore_imports_no_channel_side_package() -> None:
    offenders = []
    for path in (ROOT / "botcore").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_only_machine_imports_transitions() -> None:
    users = [
        p.name
        for p in (ROOT / "botcore").rglob("*.py")
        if "from transitions" in p.read_text() or "import transitions" in p.read_text()
    ]
    assert users == ["machine.py"]


def test_public_api_is_sorted_and_complete() -> None:
    assert botcore.__all__ == sorted(botcore.__all__)
    for name in botcore.__all__:
        assert hasattr(botcore, name), name


def test_dialog_files_never_name_python() -> None:
    # Callbacks come from an allow-list; no dialog may carry a dotted import path.
    for path in Path(ROOT / "dialogs").glob("*.yaml"):
        assert "botcore." not in path.read_text() and "import" not in path.read_text()
