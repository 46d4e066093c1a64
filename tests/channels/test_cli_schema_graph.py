"""The `loket schema` and `loket graph` commands."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from botcore.schema import schema_text
from channels.cli import main
from tests.conftest import MINI


def test_schema_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$schema"].startswith("http://json-schema.org")
    assert main(["schema", "--write", "--dialogs", str(tmp_path)]) == 0
    assert (tmp_path / "schema.json").read_text() == schema_text()
    assert main(["schema", "--write", "--dialogs", str(tmp_path)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_graph_writes_mermaid_and_marks_what_tests_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without Graphviz: no dot on PATH, no pygraphviz. One plain line says so.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    assert main(["graph", "main", "--dialogs", str(MINI), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    text = (tmp_path / "main.mmd").read_text()
    assert "stateDiagram-v2" in text and "class " in text and " untested" in text
    assert not (tmp_path / "main.svg").exists()
    assert "SVG skipped: Graphviz's 'dot' is not on PATH and pygraphviz is not installed" in out
    # The mini tests visit the menu, KTP and KK only: the rest of main is drawn untested.
    assert "main: 8 states, 7 that no conversation test visits" in out


def test_graph_draws_svg_where_graphviz_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", "ktp", "--dialogs", str(MINI), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    if shutil.which("dot") is None:
        assert "SVG skipped" in out and not (tmp_path / "ktp.svg").exists()
    else:
        assert f"wrote {tmp_path / 'ktp.svg'}" in out
        assert "<svg" in (tmp_path / "ktp.svg").read_text()


def test_graph_of_an_unknown_dialog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "ktpp", "--dialogs", str(MINI)]) == 2
    err = capsys.readouterr().err
    assert "there is no dialog 'ktpp'" in err and "(known: kk, ktp, main)" in err
