"""What editors learn from residents: messages not understood (masked, grouped) and the funnel,
from conversations run through the real engine and store."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botcore.engine import UNMATCHED_CHARS, Engine
from botcore.matching import Normaliser
from botcore.reports import (
    Funnel,
    Group,
    Stage,
    describe_funnel,
    describe_unmatched,
    funnel,
    group_unmatched,
    vocabulary,
)
from botcore.sessions import SCHEMA, MemoryStore, Session, SQLiteStore, Store, Unmatched
from botcore.spec import DialogBundle
from tests.conftest import WIB, Chat, Clock

NIK = "1771044506050001"
START = datetime(2026, 12, 7, 9, 0, tzinfo=WIB)


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "loket.db")
    yield store
    await store.close()


def chat(bundle: DialogBundle, store: Store, clock: Clock, sender: str) -> Chat:
    return Chat(Engine(bundle, store, clock=clock), clock, sender=sender)


def texts(groups: list[Group]) -> list[set[str]]:
    return [set(g.texts) for g in groups]


async def test_messages_not_understood_are_kept_masked_with_state_and_time(
    mini_bundle: DialogBundle, sqlite: SQLiteStore, tmp_path: Path
) -> None:
    clock = Clock(START)
    resident = chat(mini_bundle, sqlite, clock, "6281234567890")
    await resident.say("halo")
    await resident.say(f"nik saya {NIK} kenapa belum jadi")
    await resident.say("1771 0445\n0605 0001")  # a NIK broken over two lines
    await resident.say("tolong telpon 0812-3456-7890")
    await resident.say("1")  # a number the menu knows: understood, not kept
    await resident.say("x" * 5000)
    kept = await sqlite.unmatched()
    assert [u.text for u in kept[:3]] == [
        "nik saya 1771**********01 kenapa belum jadi",
        "1771**********01",
        "tolong telpon 0812******90",
    ]
    assert {u.state for u in kept[:3]} == {"main.menu"} and kept[3].state == "ktp.menu"
    assert len(kept[3].text) == UNMATCHED_CHARS and kept[3].text.endswith("…")
    assert kept[0].at == (START + timedelta(seconds=10)).timestamp()
    columns = [c[1] for c in sqlite.db.execute("PRAGMA table_info(unmatched)")]
    assert columns == ["id", "conversation", "state", "text", "at"]  # no resident key

    # The session keeps the last turns for officers; once it is gone, nothing the reports
    # keep holds the number, in any page of the file.
    await sqlite.forget("console:6281234567890")
    sqlite.db.execute("VACUUM")
    await sqlite.close()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert NIK.encode() not in data and b"0812-3456-7890" not in data
    assert b"1771**********01" in data


async def test_only_typed_words_nothing_understood_are_kept(
    mini_bundle: DialogBundle, sqlite: SQLiteStore
) -> None:
    clock = Clock(START)
    resident = chat(mini_bundle, sqlite, clock, "628")
    await resident.say("ktp ilang")  # understood
    await resident.say("")  # nothing to read
    await resident.say("hilang")  # ambiguous: the bot asks, it did not fail to understand
    await resident.say("apa kabar")
    assert [u.text for u in await sqlite.unmatched()] == ["apa kabar"]


def test_typo_variants_land_in_one_group(bundle: DialogBundle) -> None:
    normalise = Normaliser(bundle.normalise)
    said = ["ktp ilang", "ktp ilangg", "Ktpp ilang!", "jam buka kapan", "kapan jam bukanya", "p"]
    records = [Unmatched(f"c{i}", "main.menu", t, 0.0) for i, t in enumerate(said)]
    groups = group_unmatched(records, normalise)
    assert texts(groups) == [
        {"ktp ilang", "ktp ilangg", "Ktpp ilang!"},
        {"jam buka kapan", "kapan jam bukanya"},
        {"p"},
    ]
    assert groups[0].words == "ktp hilang" and groups[0].size == 3
    assert len(groups[0].conversations) == 3


def test_a_typo_of_a_slang_word_joins_and_the_group_takes_its_typical_name(
    bundle: DialogBundle,
) -> None:
    # The slang list makes "bikin" "buat", which takes it away from "bkin"; the words as
    # written bring them back together. The name is the most central form, not the first.
    said = ["bkin paspor", "bikin paspor", "bikin pasport", "paspor"]
    records = [Unmatched(f"c{i}", "main.menu", t, 0.0) for i, t in enumerate(said)]
    groups = group_unmatched(records, Normaliser(bundle.normalise))
    assert texts(groups) == [{"bkin paspor", "bikin paspor", "bikin pasport"}, {"paspor"}]
    assert (groups[0].words, groups[0].shown, groups[0].keyword) == (
        "buat paspor",
        "bikin paspor",
        "buat paspor",
    )


def test_between_equals_the_group_is_named_by_the_words_the_bot_knows(
    bundle: DialogBundle,
) -> None:
    normalise = Normaliser(bundle.normalise)
    known = vocabulary(bundle, normalise)
    assert {"buat", "syarat", "libur"} <= known and not {"bkin", "lbr"} & known
    records = [Unmatched("a", "main.menu", "bkin paspor", 0.0)]
    records.append(Unmatched("b", "main.menu", "bikin paspor", 1.0))
    [group] = group_unmatched(records, normalise, known)
    assert (group.words, group.shown) == ("buat paspor", "bikin paspor")
    text = describe_unmatched(
        group_unmatched([Unmatched("a", "kantor.jam", "lbr ga", 0.0)], normalise, known),
        10,
        "sejak 2026-12-01",
        {"kantor": "dialogs/kantor.yaml"},
        known,
    )
    assert text.splitlines()[2:] == [
        '1. 1 pesan dari 1 percakapan: "lbr ga"',
        '   Contoh: "lbr ga"',
        "   Muncul di: kantor.jam (1)",
        '   Saran: tambahkan kata kunci "lbr tidak" ke keywords: pilihan yang dimaksud di '
        "dialogs/kantor.yaml (keadaan jam), atau ke keywords: keadaan jawabannya.",
        "   Kata yang belum dikenal bot: lbr. Jika itu singkatan atau salah ketik, minta "
        "programmer menambahkannya ke normalise: di bot.yaml.",
    ]


def test_numbers_group_together_and_suggest_no_keyword() -> None:
    said = ["7", "1771**********01", "12", "buat ktp", "buat kk"]
    records = [Unmatched("c", "main.menu", t, 0.0) for t in said]
    groups = group_unmatched(records, Normaliser({}))
    assert texts(groups) == [{"7", "1771**********01", "12"}, {"buat kk"}, {"buat ktp"}]
    assert groups[0].keyword == ""


unmatched_texts = st.lists(
    st.one_of(
        st.sampled_from(["ktp ilang", "ktp ilangg", "ktpp ilang", "jam buka", "jam bk", "👍"]),
        st.text(max_size=30),
    ),
    max_size=40,
)


@given(said=unmatched_texts, seed=st.randoms(use_true_random=False))
def test_grouping_never_loses_or_duplicates_a_message(said: list[str], seed: Random) -> None:
    records = [Unmatched(f"c{i % 3}", "main.menu", t, 0.0) for i, t in enumerate(said)]
    normalise = Normaliser({"ilang": "hilang"})
    groups = group_unmatched(records, normalise)
    together: Counter[str] = Counter()
    for g in groups:
        assert g.size > 0
        together += g.texts
    assert together == Counter(said)
    assert sum(g.size for g in groups) == len(said)
    # Arrival order does not change the groups.
    seed.shuffle(records)
    assert sorted(map(sorted, texts(group_unmatched(records, normalise)))) == sorted(
        map(sorted, texts(groups))
    )


async def script(bundle: DialogBundle, store: Store, clock: Clock) -> None:
    """Three residents start; two reach the KTP menu; one is left there, one goes on to
    'KTP hilang' and is left there, one asks the hours and goes back to the menu."""
    a, b, c = (chat(bundle, store, clock, s) for s in ("a", "b", "c"))
    await a.say("halo")
    await a.say("1")
    await b.say("halo")
    await b.say("1")
    await b.say("hilang")
    await c.say("jam buka")
    await c.say("menu")
    await c.say("aduh salah")  # not understood: still at the menu


async def test_funnel_counts_reached_and_left(
    mini_bundle: DialogBundle, sqlite: SQLiteStore
) -> None:
    clock = Clock(START)
    await script(mini_bundle, sqlite, clock)
    idle = mini_bundle.idle_minutes * 60
    now = clock.now.timestamp()
    # Right after: everyone may still answer.
    early = funnel(await sqlite.conversations(), now, idle)
    assert (early.conversations, early.ongoing) == (3, 3)
    assert all(s.left == 0 for s in early.stages)
    # An hour later all three went silent.
    later = funnel(await sqlite.conversations(), now + 3600, idle)
    assert (later.conversations, later.ongoing) == (3, 0)
    assert later.stages == (
        Stage("main.menu", 3, 1),
        Stage("ktp.menu", 2, 1),
        Stage("ktp.hilang", 1, 1),
        Stage("main.jam", 1, 0),
    )
    assert later.stages[1].drop_off == 0.5
    ktp = funnel(await sqlite.conversations(), now + 3600, idle, dialog="ktp")
    assert ktp.conversations == 2
    assert ktp.stages == (Stage("ktp.menu", 2, 1), Stage("ktp.hilang", 1, 1))


async def test_a_resident_back_after_silence_is_a_new_conversation(
    mini_bundle: DialogBundle, sqlite: SQLiteStore
) -> None:
    clock = Clock(START)
    a = chat(mini_bundle, sqlite, clock, "a")
    await a.say("halo")
    await a.say("1")
    clock.advance(hours=2)
    await a.say("jam buka")
    [ended, current] = sorted(await sqlite.conversations(), key=lambda c: c.started_at)
    assert ended.ended and ended.state == "ktp.menu"
    assert ended.states == ("main.menu", "ktp.menu")
    assert not current.ended and current.states == ("main.menu", "main.jam")
    assert ended.id != current.id
    result = funnel([ended, current], clock.now.timestamp(), 1800)
    assert (result.conversations, result.ongoing) == (2, 1)
    assert Stage("ktp.menu", 1, 1) in result.stages
    # --since: only what began after the first
    since = (START + timedelta(hours=1)).timestamp()
    assert [c.id for c in await sqlite.conversations(since)] == [current.id]


async def test_waiting_for_an_officer_is_not_leaving(
    mini_bundle: DialogBundle, sqlite: SQLiteStore
) -> None:
    clock = Clock(START)
    a = chat(mini_bundle, sqlite, clock, "a")
    await a.say("petugas")
    [conv] = await sqlite.conversations()
    assert conv.waiting
    result = funnel([conv], clock.now.timestamp() + 86400, 1800)
    assert result.ongoing == 1 and all(s.left == 0 for s in result.stages)


async def test_a_store_from_before_the_reports_is_upgraded_and_its_sessions_join_in(
    mini_bundle: DialogBundle, tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for script in SCHEMA[:4]:
        db.executescript(script)
    at = START.timestamp()
    old = Session("console:a", "ktp", "menu", mini_bundle.version, created_at=at, updated_at=at)
    db.execute("INSERT INTO sessions VALUES (?, ?, ?)", (old.key, old.to_json(), at))
    db.execute("PRAGMA user_version=4")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(SCHEMA)
    assert await store.conversations() == []  # no conversation id yet
    clock = Clock(START + timedelta(minutes=5))
    await chat(mini_bundle, store, clock, "a").say("hilang")
    [conv] = await store.conversations()
    assert conv.states == ("ktp.menu", "ktp.hilang") and conv.state == "ktp.hilang"
    await store.close()


async def test_memory_and_sqlite_stores_report_alike(
    mini_bundle: DialogBundle, sqlite: SQLiteStore
) -> None:
    memory = MemoryStore()
    found = []
    for store in (memory, sqlite):
        clock = Clock(START)
        await script(mini_bundle, store, clock)
        clock.advance(hours=1)
        await chat(mini_bundle, store, clock, "a").say("apa kabar")  # a second conversation
        conversations = await store.conversations()
        report = funnel(conversations, clock.now.timestamp(), 1800)
        unmatched = [(u.state, u.text, u.at) for u in await store.unmatched()]
        found.append((report, unmatched, sorted((c.states, c.ended) for c in conversations)))
    assert found[0] == found[1]


def test_funnel_table_is_aligned() -> None:
    text = describe_funnel(
        Funnel(12, 2, (Stage("main.menu", 12, 3), Stage("pengaduan.mulai", 4, 3))), 30, "x"
    )
    lines = text.splitlines()
    assert lines[0] == "Alur percakapan x: 12 percakapan, 2 masih berlangsung."
    assert lines[2:5] == [
        "keadaan          sampai  berhenti di sini  % berhenti",
        "main.menu            12                 3         25%",
        "pengaduan.mulai       4                 3         75%",
    ]
