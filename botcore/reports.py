"""Reports for content editors, in Bahasa Indonesia: what the bot did not understand, grouped
by similarity, and where conversations stop (`loket report unmatched|funnel`).

Both read what the engine notes beside each session (sessions.Unmatched,
sessions.Conversation); nothing here knows who a resident is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from typing import Final

from rapidfuzz import fuzz, process

from .matching import Normaliser
from .sessions import Conversation, Unmatched
from .spec import DialogBundle

# fuzz.ratio over words sorted alphabetically (what fuzz.token_sort_ratio does, with the
# sorting done once per form rather than once per comparison). Word order does not matter
# ("jam buka kapan"/"kapan jam buka" 100) and letters do: "ktp ilangg" is 90 from "ktp
# hilang", "ktpp hilang" 95. token_set_ratio would put "ktp" with everything that contains
# it (100), and WRatio matches noise (tooling.md); "buat ktp"/"buat kk" at 80 stay apart.
GROUP_CUTOFF: Final = 85
EXAMPLES: Final = 3
NUMBER: Final = "#"  # every word with a digit in it: a menu number, a masked NIK


Words = Callable[[str], Sequence[str]]


@dataclass(slots=True)
class Group:
    """Messages that say much the same thing."""

    words: str  # normalised: its most typical form (see _typical)
    shown: str = ""  # the message as most often written in that form
    texts: Counter[str] = field(default_factory=Counter)  # as kept (masked), how often each
    states: Counter[str] = field(default_factory=Counter)
    conversations: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return sum(self.texts.values())

    @property
    def keyword(self) -> str:
        """What an editor could add as a keyword: its words without the numbers."""
        return " ".join(w for w in self.words.split() if w != NUMBER)


def form(words: Sequence[str]) -> str:
    """Words with numbers made alike, so that '7' and '1771**********01' group."""
    out: list[str] = []
    for w in words:
        w = NUMBER if any(ch.isdigit() for ch in w) else w
        if not (w == NUMBER and out and out[-1] == NUMBER):
            out.append(w)
    return " ".join(out)


def vocabulary(bundle: DialogBundle, normalise: Words) -> frozenset[str]:
    """The words the bot's own texts use, normalised: spelled as the office spells them, so
    a group is named by its best-spelled form and editors see which words are new to it."""
    texts = [*bundle.normalise.values(), *(t for t in astuple(bundle.texts) if isinstance(t, str))]
    texts += [k for i in bundle.intents for k in i.keywords]
    for flow in bundle.flows.values():
        texts.append(flow.title)
        for st in flow.states.values():
            texts += [st.say, *st.keywords]
            for c in st.choices:
                texts += [c.label, c.description, *c.keywords]
    for svc in bundle.services.values():
        texts += [svc.name, svc.summary, *(r.text for r in svc.requirements), *svc.steps]
    return frozenset(w for t in texts for w in normalise(t))


def _sorted(words: str) -> str:
    return " ".join(sorted(words.split()))


def group_unmatched(
    records: Iterable[Unmatched],
    normalise: Words,
    known: Collection[str] = (),
    cutoff: float = GROUP_CUTOFF,
) -> list[Group]:
    """Greedy leader clustering. Messages with the same normalised words (`normalise`: the
    matcher's, with the bot's slang list) form one item; items from the most frequent down
    join the group whose leader is closest, if within `cutoff`, else lead a new one. An item is
    compared twice, by normalised words and by the words as written, and the closer counts:
    slang brings "bikin" and "buat" together, but takes "bikin" away from its typo "bkin".
    Comparing with leaders only, not every member, keeps a chain of small differences from
    joining unrelated messages. `known` (see vocabulary) helps name each group."""
    items: dict[str, list[Unmatched]] = {}
    for r in records:
        items.setdefault(form(normalise(r.text)), []).append(r)
    keys: dict[str, tuple[str, str]] = {}  # form: its words sorted, normalised and as written
    for words, said in items.items():
        common = Counter(r.text for r in said).most_common(1)[0][0]
        keys[words] = (_sorted(words), _sorted(form(Normaliser.words(common))))
    groups: list[Group] = []
    forms: list[list[str]] = []  # per group, the forms in it
    leaders: tuple[list[str], list[str]] = ([], [])  # per group, its first form's keys
    for words in sorted(items, key=lambda f: (-len(items[f]), f)):
        found: tuple[int, float] | None = None  # group, score
        for key, choices in zip(keys[words], leaders, strict=True):
            best = (
                process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                if key  # no words at all (emoji, punctuation): a group of its own
                else None
            )
            if best is not None and (found is None or best[1] > found[1]):
                found = (best[2], best[1])
        if found is None:
            groups.append(Group(words))
            forms.append([])
            leaders[0].append(keys[words][0])
            leaders[1].append(keys[words][1])
        n = len(groups) - 1 if found is None else found[0]
        forms[n].append(words)
        group = groups[n]
        for r in items[words]:
            group.texts[r.text] += 1
            group.states[r.state] += 1
            group.conversations.add(r.conversation)
    for group, members in zip(groups, forms, strict=True):
        group.words = _typical({f: (keys[f], len(items[f])) for f in members}, known)
        group.shown = Counter(r.text for r in items[group.words]).most_common(1)[0][0]
    # Most messages first, then most residents; messages without words after those with.
    groups.sort(key=lambda g: (-g.size, -len(g.conversations), not g.words, g.words))
    return groups


TYPICAL_CANDIDATES: Final = 30  # forms of a group considered for its name, the most frequent


def _typical(members: dict[str, tuple[tuple[str, str], int]], known: Collection[str]) -> str:
    """The form that names a group: its medoid, the form closest in sum to all its messages;
    among equals, the one with most words the bot knows, then the most frequent. The leader
    is only the most frequent form, and among forms seen once each the first in the
    alphabet ("bkin paspor" before "buat paspor"): a poor keyword to suggest."""
    candidates = sorted(members, key=lambda f: (-members[f][1], f))[:TYPICAL_CANDIDATES]

    def rank(f: str) -> tuple[float, int, int]:
        (meant, written), count = members[f]
        total = sum(
            n * max(fuzz.ratio(meant, other[0]), fuzz.ratio(written, other[1]))
            for (other, n) in members.values()
        )
        return total, sum(w in known for w in f.split()), count

    return max(candidates, key=rank)


@dataclass(frozen=True, slots=True)
class Stage:
    state: str
    reached: int  # conversations that entered it
    left: int  # conversations whose last state it was, and that are over

    @property
    def drop_off(self) -> float:
        return self.left / self.reached if self.reached else 0.0


@dataclass(frozen=True, slots=True)
class Funnel:
    conversations: int
    ongoing: int  # neither silent for idle_minutes nor ended: not counted as left anywhere
    stages: tuple[Stage, ...]


def funnel(
    conversations: Iterable[Conversation], now: float, idle_seconds: float, dialog: str = ""
) -> Funnel:
    """Per state: how many conversations reached it, and how many were left there (their last
    state, then silence beyond idle_seconds or a new conversation). Waiting for an officer is
    not silence. With `dialog`, only conversations that entered it, and only its states."""
    prefix = f"{dialog}." if dialog else ""
    reached: Counter[str] = Counter()
    left: Counter[str] = Counter()
    total = ongoing = 0
    for c in conversations:
        states = {*c.states, c.state}
        if prefix and not any(s.startswith(prefix) for s in states):
            continue
        total += 1
        reached.update(states)
        if c.ended or (not c.waiting and now - c.last_at > idle_seconds):
            left[c.state] += 1
        else:
            ongoing += 1
    stages = tuple(
        Stage(state, n, left[state])
        for state, n in sorted(reached.items(), key=lambda kv: (-kv[1], kv[0]))
        if state.startswith(prefix)
    )
    return Funnel(total, ongoing, stages)


# -- in words, for editors -----------------------------------------------------------------


def _quote(text: str, limit: int = 60) -> str:
    return f'"{text if len(text) <= limit else text[: limit - 1] + "…"}"'


def _where(state: str, files: Mapping[str, str]) -> str:
    dialog, _, name = state.partition(".")
    file = files.get(dialog)
    return f"{file} (keadaan {name})" if file else state


def describe_unmatched(
    groups: Sequence[Group],
    limit: int,
    period: str,
    files: Mapping[str, str],
    known: Collection[str] = (),
) -> str:
    """The report as editors read it. `files`: dialog name -> its file, for the hints;
    `known`: the bot's words (see vocabulary), to point out the ones new to it."""
    if not groups:
        return f"Belum ada pesan yang tidak dipahami {period}."
    total = sum(g.size for g in groups)
    lines = [
        f"Pesan yang tidak dipahami {period}: {total} pesan dalam {len(groups)} kelompok "
        f"(pesan yang mirip dikelompokkan; yang paling sering di atas).",
    ]
    for n, g in enumerate(groups[:limit], 1):
        top = g.texts.most_common()
        conv = len(g.conversations)
        lines.append("")
        examples = [g.shown, *(t for t, _ in top if t != g.shown)][:EXAMPLES]
        lines.append(f"{n}. {g.size} pesan dari {conv} percakapan: {_quote(g.shown)}")
        lines.append("   Contoh: " + " · ".join(_quote(t, 40) for t in examples))
        lines.append("   Muncul di: " + ", ".join(f"{s} ({k})" for s, k in g.states.most_common()))
        where = _where(g.states.most_common(1)[0][0], files)
        if g.keyword:
            hint = (
                f'tambahkan kata kunci "{g.keyword}" ke keywords: pilihan yang dimaksud '
                f"di {where}, atau ke keywords: keadaan jawabannya."
            )
        elif g.words:
            hint = (
                "warga mengirim angka atau nomor (NIK, KK, dan HP disamarkan) yang tidak "
                f"dipahami; periksa apakah petunjuk di {where} cukup jelas."
            )
        else:
            hint = "pesan tanpa kata (emoji atau tanda baca); biasanya tidak perlu kata kunci."
        lines.append(f"   Saran: {hint}")
        new = [w for w in dict.fromkeys(g.keyword.split()) if w not in known]
        if known and new:
            lines.append(
                f"   Kata yang belum dikenal bot: {', '.join(new)}. Jika itu singkatan atau salah "
                "ketik, minta programmer menambahkannya ke normalise: di bot.yaml."
            )
    if len(groups) > limit:
        lines.append("")
        lines.append(f"({len(groups) - limit} kelompok lain tidak ditampilkan; pakai --limit.)")
    return "\n".join(lines)


def describe_funnel(f: Funnel, idle_minutes: int, period: str) -> str:
    if not f.stages:
        return f"Belum ada percakapan yang tercatat {period}."
    head = ("keadaan", "sampai", "berhenti di sini", "% berhenti")
    rows = [(s.state, str(s.reached), str(s.left), f"{s.drop_off:.0%}") for s in f.stages]
    width = [max(len(r[i]) for r in (head, *rows)) for i in range(4)]
    table = [
        "  ".join(
            [r[0].ljust(width[0]), *(cell.rjust(width[i]) for i, cell in enumerate(r) if i)]
        ).rstrip()
        for r in (head, *rows)
    ]
    return "\n".join(
        [
            f"Alur percakapan {period}: {f.conversations} percakapan, "
            f"{f.ongoing} masih berlangsung.",
            "",
            *table,
            "",
            "sampai: berapa percakapan masuk ke keadaan ini.",
            "berhenti di sini: berapa percakapan yang terakhir berada di sini, lalu warga diam "
            f"lebih dari {idle_minutes} menit atau memulai percakapan baru.",
            "Percakapan yang masih berlangsung dan yang menunggu petugas belum dihitung berhenti.",
        ]
    )
