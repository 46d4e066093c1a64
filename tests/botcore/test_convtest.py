"""Conversation tests: their format is checked before any of them runs."""

from __future__ import annotations

from pathlib import Path

from botcore.convtest import run_tests
from botcore.spec import DialogBundle, load_dialogs


async def test_the_mini_tests_pass(mini_bundle: DialogBundle) -> None:
    report = await run_tests(mini_bundle)
    assert report.ok and report.tests == 1


async def test_a_malformed_test_file_is_reported_and_not_run(tree: Path) -> None:
    (tree / "tests" / "bad.yaml").write_text(
        "tests:\n"
        "  - name: x\n"
        '    now: "2026-13-01 09:00"\n'
        "    turns:\n"
        "      - say: halo\n"
        "        expect: {stat: main.menu}\n"
        "      - {}\n"
        "  - turns: []\n"
    )
    report = await run_tests(load_dialogs(tree))
    found = {(p.line, p.message) for p in report.problems}
    assert (3, "'now: 2026-13-01 09:00' in test 1 of the test file is not valid") in found
    assert (6, "unknown key 'stat' in 'expect' of turn 1 of test 1 of the test file") in found
    assert (7, "turn 2 of test 1 of the test file needs 'say' or 'tap' or 'kind'") in found
    assert any(line == 8 and "missing 'name'" in m for line, m in found)
    assert report.tests == 1 and not report.ok  # only the good file ran
