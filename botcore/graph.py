"""One dialog drawn as a state diagram: Mermaid text and Graphviz DOT, both from the spec.

The diagram is drawn from the dialog's spec rather than from its `transitions` machine: the
machine knows moves by trigger (`choice:ktp`) and has a hidden entry state with a move to every
state, while the spec knows what residents see on each move (the choice's label and keywords),
which moves leave the dialog, and which states are shortcuts. States that no conversation test
visits are drawn dashed and red.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from .spec import DialogBundle, StateRef

KEYWORDS_SHOWN: Final = 3
UNTESTED_NOTE: Final = "dashed red: no conversation test visits this state"


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    kind: Literal["state", "external"] = "state"
    untested: bool = False


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # a node id, or "" for the start point
    target: str
    label: str = ""


@dataclass(slots=True)
class Diagram:
    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    @property
    def untested(self) -> list[Node]:
        return [n for n in self.nodes if n.untested]


def _words(keywords: tuple[str, ...]) -> str:
    shown = ", ".join(keywords[:KEYWORDS_SHOWN])
    return shown + (", …" if len(keywords) > KEYWORDS_SHOWN else "")


def diagram(bundle: DialogBundle, dialog: str, unvisited: set[StateRef]) -> Diagram:
    """The states of `dialog`, the moves out of them, and where moves leave the dialog."""
    flow = bundle.flows[dialog]
    d = Diagram(f"{flow.title} ({dialog})" if flow.title != dialog else dialog)
    outside: dict[StateRef, str] = {}

    def node_id(ref: StateRef) -> str:
        if ref.dialog == dialog:
            return f"s_{ref.state}"
        if ref not in outside:
            outside[ref] = f"x{len(outside) + 1}"
        return outside[ref]

    for st in flow.states.values():
        d.nodes.append(Node(node_id(st.ref), st.ref.state, untested=st.ref in unvisited))
    start = StateRef(dialog, flow.start)
    if start not in {st.ref for st in flow.states.values() if st.keywords}:
        d.edges.append(Edge("", node_id(start)))
    for st in flow.states.values():
        if st.keywords:  # shortcuts: typed anywhere, they lead here
            d.edges.append(Edge("", node_id(st.ref), f"“{_words(st.keywords)}”"))
    for intent in bundle.intents:  # global intents, from every state of every dialog
        if intent.target is not None and intent.target.dialog == dialog:
            label = f"{intent.id}: “{_words(intent.keywords)}”"
            d.edges.append(Edge("", node_id(intent.target), label))
    for st in flow.states.values():
        here = node_id(st.ref)
        for c in st.choices:
            label = c.label + (f" ({_words(c.keywords)})" if c.keywords else "")
            d.edges.append(Edge(here, node_id(c.target), label))
        if st.ask and st.next:
            d.edges.append(Edge(here, node_id(st.next), f"answer: {st.ask.slot}"))
        if st.back:
            d.edges.append(Edge(here, node_id(st.back), "kembali"))
    d.nodes += [Node(i, str(ref), "external") for ref, i in outside.items()]
    return d


# --- Mermaid ---------------------------------------------------------------------------------

# Characters Mermaid would read as syntax: written as its entity codes (#34; for ").
_MERMAID_SPECIAL: Final = frozenset('"#;:<>[]{}|%`\\')


def mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid label: one line, syntax characters as entity codes."""
    flat = " ".join(text.split())
    return "".join(f"#{ord(c)};" if c in _MERMAID_SPECIAL else c for c in flat)


def to_mermaid(d: Diagram) -> str:
    lines = [
        "---",
        f"title: {mermaid_text(d.title)}",
        "---",
        "stateDiagram-v2",
        "  direction LR",
        "  classDef untested stroke:#c00,stroke-width:2px,stroke-dasharray:5 5,color:#c00",
        "  classDef outside fill:#eee,stroke:#999,color:#555",
    ]
    if d.untested:
        lines.append(f"  %% {UNTESTED_NOTE}")
    lines += [f'  state "{mermaid_text(n.label)}" as {n.id}' for n in d.nodes]
    for e in d.edges:
        source = e.source or "[*]"
        label = f" : {mermaid_text(e.label)}" if e.label else ""
        lines.append(f"  {source} --> {e.target}{label}")
    for kind, nodes in (
        ("untested", d.untested),
        ("outside", [n for n in d.nodes if n.kind == "external"]),
    ):
        if nodes:
            lines.append(f"  class {','.join(n.id for n in nodes)} {kind}")
    if d.untested:
        first = d.untested[0].id
        lines.append(f"  note right of {first} : {mermaid_text(UNTESTED_NOTE)}")
    return "\n".join(lines) + "\n"


# --- Graphviz --------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """A DOT string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(d: Diagram) -> str:
    lines = [
        f"digraph {dot_text(d.title)} {{",
        "  rankdir=LR;",
        f"  label={dot_text(d.title + (' — ' + UNTESTED_NOTE if d.untested else ''))};",
        '  labelloc="t";',
        '  node [shape=box, style="rounded", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        "  start [shape=point, width=0.15];",
    ]
    for n in d.nodes:
        attrs = [f"label={dot_text(n.label)}"]
        if n.untested:
            attrs.append('style="rounded,dashed", color="#cc0000", fontcolor="#cc0000"')
        elif n.kind == "external":
            attrs.append('style="rounded,filled", fillcolor="#eeeeee", color="#999999"')
        lines.append(f"  {n.id} [{', '.join(attrs)}];")
    for e in d.edges:
        label = f" [label={dot_text(e.label)}]" if e.label else ""
        lines.append(f"  {e.source or 'start'} -> {e.target}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
