"""The editors' guide shows real changes to the bundled dialogs; this test makes each one.

A fenced block in docs/panduan-editor.md whose first line is

    # contoh: NAME · berkas: FILE · ACTION

is a step of example NAME on dialogs/FILE. ACTION is one of
    ganti:                the lines up to '# menjadi:' are replaced by the lines after it
    ganti semua: A → B    every A in the file becomes B (the block has no other lines)
    tambahkan di akhir:   the lines are added at the end of the file
    berkas baru:          the file is created with the lines
    hasil loket check:    (no berkas) the lines appear in what `loket check dialogs` prints
    hasil loket check --against:  the same for `loket check dialogs --against LAMA`
Each example starts from a fresh copy of the bundled dialogs. After its steps, the dialogs
must load and pass their conversation tests, unless the example shows `loket check` errors.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from botcore.convtest import run_tests
from botcore.spec import check_dialogs, load_dialogs
from channels.cli import main
from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "panduan-editor.md"
HEAD = re.compile(r"^# contoh: (?P<name>[\w-]+) · (?P<rest>.+)$")


@dataclass
class Step:
    file: str
    action: str
    body: list[str]
    line: int


@dataclass
class Example:
    name: str
    steps: list[Step] = field(default_factory=list)


def examples() -> dict[str, Example]:
    found: dict[str, Example] = {}
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```") and i + 1 < len(lines) and HEAD.match(lines[i + 1]):
            m = HEAD.match(lines[i + 1])
            assert m is not None
            end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
            parts = [p.strip() for p in m["rest"].split("·")]
            file = next(
                (p.removeprefix("berkas:").strip() for p in parts if p.startswith("berkas:")), ""
            )
            action = next(p for p in parts if not p.startswith("berkas:"))
            example = found.setdefault(m["name"], Example(m["name"]))
            example.steps.append(Step(file, action, lines[i + 2 : end], i + 2))
            i = end
        i += 1
    return found


def apply(root: Path, step: Step) -> None:
    where = f"{GUIDE.name}:{step.line}"
    path = root / step.file
    if step.action == "berkas baru:":
        path.write_text("\n".join(step.body) + "\n", encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    if step.action == "tambahkan di akhir:":
        path.write_text(text.rstrip("\n") + "\n" + "\n".join(step.body) + "\n", encoding="utf-8")
    elif step.action.startswith("ganti semua:"):
        old, new = (s.strip() for s in step.action.removeprefix("ganti semua:").split("→"))
        assert old in text, f"{where}: '{old}' is not in {step.file}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    elif step.action == "ganti:":
        cut = step.body.index("# menjadi:")
        old, new = "\n".join(step.body[:cut]) + "\n", "\n".join(step.body[cut + 1 :]) + "\n"
        assert text.count(old) == 1, f"{where}: the 'ganti' lines are not in {step.file} once"
        path.write_text(text.replace(old, new), encoding="utf-8")
    else:
        raise AssertionError(f"{where}: unknown action '{step.action}'")


ALL = examples()


def test_the_guide_has_its_examples() -> None:
    assert {"syarat", "layanan-baru", "ganti-nama", "salah-ketik", "tes-baru", "bahasa"} <= set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_an_example_of_the_guide_is_a_real_change(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, root = tmp_path / "lama", tmp_path / "dialogs"
    shutil.copytree(ROOT / "dialogs", old)
    shutil.copytree(ROOT / "dialogs", root)
    shows_errors = False
    for step in ALL[name].steps:
        if step.action.startswith("hasil loket check"):
            against = (
                ["--against", str(old), "--store", "memory://"]
                if "--against" in step.action
                else []
            )
            capsys.readouterr()
            main(["check", str(root), *against])
            out = capsys.readouterr().out.replace(str(tmp_path) + "/", "")
            for line in step.body:
                assert line.strip() in out, (
                    f"{GUIDE.name}:{step.line}: not printed:\n{line}\n---\n{out}"
                )
            shows_errors = shows_errors or ": error:" in "\n".join(step.body)
        else:
            apply(root, step)
    if shows_errors:
        return
    errors = [str(p) for p in check_dialogs(root) if p.severity == "error"]
    assert errors == [], f"example '{name}' leaves errors"
    report = asyncio.run(run_tests(load_dialogs(root)))
    assert report.ok, "\n".join(str(f) for f in report.failures) + "\n".join(
        str(p) for p in report.problems
    )
