"""Dialogs drawn: every state and move of a dialog, untested states marked, labels escaped."""

from __future__ import annotations

from botcore.graph import diagram, dot_text, mermaid_text, to_dot, to_mermaid
from botcore.spec import DialogBundle, StateRef


def test_mermaid_has_every_state_and_move_of_the_dialog(mini_bundle: DialogBundle) -> None:
    text = to_mermaid(diagram(mini_bundle, "ktp", set()))
    assert text.startswith("---\ntitle: ktp\n---\nstateDiagram-v2\n")
    assert '  state "menu" as s_menu\n' in text and '  state "hilang" as s_hilang\n' in text
    assert '  state "kk.hilang" as x1\n' in text and '  state "main.menu" as x2\n' in text
    moves = [line.strip() for line in text.splitlines() if "-->" in line]
    assert moves == [
        "[*] --> s_menu",
        "[*] --> s_hilang : “ktp hilang”",
        "s_menu --> s_hilang : KTP-el hilang (hilang, kehilangan)",
        "s_menu --> x1 : KK hilang",
        "s_hilang --> x2 : Menu utama",
        "s_hilang --> s_menu : kembali",
    ]
    assert "  class x1,x2 outside\n" in text and "untested" not in text.split("classDef")[-1]


def test_asked_answers_intents_and_untested_states(mini_bundle: DialogBundle) -> None:
    untested = {StateRef("main", "aduan_hp"), StateRef("main", "petugas")}
    d = diagram(mini_bundle, "main", untested)
    text = to_mermaid(d)
    assert "  s_aduan --> s_aduan_hp : answer#58; isi\n" in text
    assert "  [*] --> s_petugas : operator#58; “petugas, operator, bicara dengan orang”\n" in text
    assert "  class s_aduan_hp,s_petugas untested\n" in text
    assert "  note right of s_aduan_hp : dashed red#58; no conversation test visits" in text
    assert [n.label for n in d.untested] == ["aduan_hp", "petugas"]
    states = {n.label for n in d.nodes if n.kind == "state"}
    assert states == set(mini_bundle.flows["main"].states)


def test_labels_with_syntax_characters_are_escaped() -> None:
    label = 'Say "hi" [now] {x} a:b; #1 100% <b> x|y\nnext line'
    assert mermaid_text(label) == (
        "Say #34;hi#34; #91;now#93; #123;x#125; a#58;b#59; #35;1 100#37; #60;b#62; x#124;y"
        " next line"
    )
    assert dot_text('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


def test_dot_draws_the_same_diagram(mini_bundle: DialogBundle) -> None:
    d = diagram(mini_bundle, "main", {StateRef("main", "jam")})
    dot = to_dot(d)
    assert dot.startswith('digraph "main" {') and dot.rstrip().endswith("}")
    assert 's_jam [label="jam", style="rounded,dashed", color="#cc0000"' in dot
    assert 's_menu -> s_jam [label="Jam layanan (jam, buka)"];' in dot
    assert dot.count(" -> ") == len(d.edges)
