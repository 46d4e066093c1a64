"""Free text to a trigger: normalisation, then numbers, labels, keywords, intents, typo correction.

Rule-based and explainable: every Match says why it matched. The order is
  1. a tapped choice id, or a number of a listed choice;
  2. the whole message equal to a choice label or to an intent keyword ("menu", "petugas");
  3. keywords contained in the message (all words of a keyword, in any order), scored by how
     many words they share; the state's choices win ties over shortcuts to other states, and
     those over global intents;
  4. if nothing matched, words are corrected to the bot's vocabulary (rapidfuzz) and 3 runs again;
  5. if still nothing, a rare word shared with a few targets makes the bot ask which was meant.
Two different targets with the same best score are never guessed between: the bot asks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from rapidfuzz import fuzz, process

from .spec import DialogBundle, IntentSpec, StateRef, StateSpec

FUZZY_CUTOFF: Final = 85  # fuzz.ratio; "kehilangn"/"kehilangan" scores 95, "hilang"/"pulang" 67
FUZZY_MIN_LEN: Final = 4  # shorter words are corrected too eagerly ("kk" -> "ke")
RARE_TARGETS: Final = 3  # a word naming at most this many targets may be asked about
MAX_TOKENS: Final = 60  # longer messages are matched on their first words only

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_REPEAT_RE = re.compile(r"([^\W\d_])\1{2,}", re.UNICODE)

Tokens = tuple[str, ...]
Source = Literal["choice", "topic", "intent"]
_RANK: Final[dict[Source, int]] = {"choice": 0, "topic": 1, "intent": 2}


class Normaliser:
    """Lower-case words with punctuation, repeated letters and slang normalised."""

    def __init__(self, words: Mapping[str, str]) -> None:
        self.single: dict[str, Tokens] = {}
        self.double: dict[tuple[str, str], Tokens] = {}
        for src, dst in words.items():
            key = self.words(src)
            value = self.words(dst)
            if len(key) == 1:
                self.single[key[0]] = value
            elif len(key) == 2:
                self.double[(key[0], key[1])] = value

    @staticmethod
    def words(text: str) -> Tokens:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = _REPEAT_RE.sub(r"\1", text)
        return tuple(_WORD_RE.findall(text))

    def keyword(self, text: str) -> Tokens:
        """A keyword's distinct words: 'Kartu Keluarga (KK)' is kk once, not twice."""
        return tuple(dict.fromkeys(self(text)))

    def __call__(self, text: str) -> Tokens:
        raw = self.words(text)[:MAX_TOKENS]
        out: list[str] = []
        i = 0
        while i < len(raw):
            if i + 1 < len(raw) and (raw[i], raw[i + 1]) in self.double:
                out.extend(self.double[(raw[i], raw[i + 1])])
                i += 2
                continue
            out.extend(self.single.get(raw[i], (raw[i],)))
            i += 1
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a match leads: a choice of the current state, a state elsewhere, or an intent."""

    source: Source
    label: str
    ref: StateRef | None = None  # destination state (None for intents with an action)
    choice_id: str = ""
    intent: IntentSpec | None = None

    @property
    def key(self) -> str:
        if self.intent is not None and self.ref is None:
            return f"intent:{self.intent.id}"
        return str(self.ref)


@dataclass(frozen=True, slots=True)
class Match:
    target: Target | None
    why: str
    options: tuple[Target, ...] = ()  # when ambiguous: the candidates to ask about

    @property
    def ambiguous(self) -> bool:
        return bool(self.options)


NO_MATCH: Final = Match(None, "nothing matched")


Entry = tuple[Target, Tokens]  # one keyword (as words) of one target


class _Index:
    """Keywords by the words in them, so a message is checked only against keywords it shares
    a word with."""

    __slots__ = ("by_word",)

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_word: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            for word in set(entry[1]):
                self.by_word[word].append(entry)

    def sharing(self, words: Iterable[str]) -> Iterable[Entry]:
        for w in words:
            yield from self.by_word.get(w, ())


_EMPTY: Final = _Index(())


class Matcher:
    """Built once per dialog bundle; `match` is pure and cheap (no I/O, cached corrections)."""

    def __init__(self, bundle: DialogBundle) -> None:
        self.normalise = Normaliser(bundle.normalise)
        self.labels = state_labels(bundle)
        global_entries: list[Entry] = []
        self.intent_exact: dict[Tokens, Target] = {}
        for intent in bundle.intents:
            t = Target("intent", intent.id, intent.target, intent=intent)
            for k in (self.normalise.keyword(w) for w in intent.keywords):
                if k:
                    global_entries.append((t, k))
                    self.intent_exact.setdefault(k, t)
        for flow in bundle.flows.values():
            for st in flow.states.values():
                t = Target("topic", self.labels[st.ref], st.ref)
                global_entries += [(t, k) for k in map(self.normalise.keyword, st.keywords) if k]
        self.global_index = _Index(global_entries)
        self.local: dict[StateRef, _Index] = {}
        self.numbered: dict[StateRef, tuple[Target, ...]] = {}
        self.choice_exact: dict[StateRef, dict[Tokens, Target]] = {}
        all_entries = list(global_entries)
        for flow in bundle.flows.values():
            for st in flow.states.values():
                entries: list[Entry] = []
                exact: dict[Tokens, Target] = {}
                numbered = []
                for c in st.choices:
                    t = Target("choice", c.label, c.target, choice_id=c.id)
                    numbered.append(t)
                    label = self.normalise(c.label)
                    keywords = (
                        self.normalise.keyword(c.label),
                        *map(self.normalise.keyword, c.keywords),
                    )
                    entries += [(t, k) for k in keywords if k]
                    exact[label] = t
                    exact.setdefault(self.normalise(c.id.replace("_", " ")), t)
                self.local[st.ref] = _Index(entries)
                self.numbered[st.ref] = tuple(numbered)
                self.choice_exact[st.ref] = exact
                all_entries += entries
        vocabulary = {w for _, kw in all_entries for w in kw}
        targets_of: dict[str, set[str]] = defaultdict(set)
        for t, kw in all_entries:
            for w in kw:
                targets_of[w].add(t.key)
        self.vocabulary = sorted(w for w in vocabulary if len(w) >= FUZZY_MIN_LEN)
        self._vocab_set = frozenset(vocabulary)
        self.rare = frozenset(w for w, keys in targets_of.items() if len(keys) <= RARE_TARGETS)
        self._correct = lru_cache(maxsize=4096)(self._correct_word)

    # -- public ---------------------------------------------------------------------------

    def match(self, state: StateSpec, text: str) -> Match:
        tokens = self.normalise(text)
        if not tokens:
            return NO_MATCH
        ref = state.ref
        if len(tokens) == 1 and tokens[0].isdigit():
            n = int(tokens[0])
            numbered = self.numbered.get(ref, ())
            if 1 <= n <= len(numbered):
                return Match(numbered[n - 1], f"number {n} of the listed choices")
            return NO_MATCH
        exact = self.choice_exact.get(ref, {}).get(tokens)
        if exact is not None:
            return Match(exact, f"the label of choice '{exact.choice_id}'")
        intent = self.intent_exact.get(tokens)
        if intent is not None:
            return Match(intent, f"the keyword of intent '{intent.label}'")
        local = self.local.get(ref, _EMPTY)
        found = self._by_keywords(local, tokens, "keyword")
        if found.target is not None or found.ambiguous:
            return found
        corrected = tuple(self._correct(w) for w in tokens)
        if corrected != tokens:
            fixes = ", ".join(
                f"'{a}'→'{b}'" for a, b in zip(tokens, corrected, strict=True) if a != b
            )
            found = self._by_keywords(local, corrected, f"typo correction ({fixes})")
            if found.target is not None or found.ambiguous:
                return found
        return self._by_rare_words(local, corrected)

    def correct(self, word: str) -> str:
        return self._correct(word)

    # -- internals ------------------------------------------------------------------------

    def _correct_word(self, word: str) -> str:
        if len(word) < FUZZY_MIN_LEN or word in self._vocab_set or word.isdigit():
            return word
        best = process.extractOne(
            word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        return str(best[0]) if best else word

    def _by_keywords(self, local: _Index, tokens: Tokens, how: str) -> Match:
        present = frozenset(tokens)
        best: dict[str, tuple[int, int, Target, Tokens]] = {}
        for index in (local, self.global_index):
            for t, kw in index.sharing(present):
                if present.issuperset(kw):
                    entry = (len(kw), -_RANK[t.source], t, kw)
                    old = best.get(t.key)
                    if old is None or entry[:2] > old[:2]:
                        best[t.key] = entry
        if not best:
            return NO_MATCH
        top = max(e[:2] for e in best.values())
        # Equal word count: the closest context wins (state choice, then shortcut, then intent).
        winners = [e for e in best.values() if e[:2] == top]
        if len(winners) == 1:
            _, _, target, kw = winners[0]
            return Match(target, f"{how}: '{' '.join(kw)}' → {target.key}")
        return Match(
            None, f"{how}: several targets share the best keywords", tuple(e[2] for e in winners)
        )

    def _by_rare_words(self, local: _Index, tokens: Tokens) -> Match:
        rare = self.rare.intersection(tokens)
        if not rare:
            return NO_MATCH
        hits: dict[str, Target] = {}
        for index in (local, self.global_index):
            for t, _ in index.sharing(rare):
                hits.setdefault(t.key, t)
        if not hits or len(hits) > RARE_TARGETS:
            return NO_MATCH
        words = ", ".join(sorted(rare))
        if len(hits) == 1:
            target = next(iter(hits.values()))
            return Match(target, f"the word(s) {words} point only to {target.key}")
        return Match(None, f"the word(s) {words} point to several targets", tuple(hits.values()))


def state_labels(bundle: DialogBundle) -> dict[StateRef, str]:
    """A short human name per state: the label of a choice leading to it, else its service."""
    labels: dict[StateRef, str] = {}
    for flow in bundle.flows.values():
        for st in flow.states.values():
            for c in st.choices:
                labels.setdefault(c.target, c.label)
    for flow in bundle.flows.values():
        for st in flow.states.values():
            if st.ref not in labels:
                service = bundle.services.get(st.service)
                labels[st.ref] = service.name if service else flow.title
    return labels
