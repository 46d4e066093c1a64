"""Stores: sessions round-trip, tickets count up per year, SQLite survives a reopen."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from botcore.errors import StoreError
from botcore.sessions import MemoryStore, Session, SQLiteStore, Turn, open_store
from tests.conftest import WIB


async def test_sqlite_round_trip_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "loket.db"
    store = SQLiteStore(path)
    s = Session(
        "whatsapp:628",
        "ktp",
        "hilang",
        "v1",
        {"nik": "1771044506050001"},
        turns=[Turn(1.0, "in", "ktp hilang")],
        updated_at=5.0,
    )
    await store.save(s)
    await store.close()
    again = SQLiteStore(path)
    loaded = await again.load("whatsapp:628")
    assert loaded == s
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    await again.forget("whatsapp:628")
    assert await again.load("whatsapp:628") is None
    await again.close()


@pytest.mark.parametrize("make", [MemoryStore, lambda: open_store("sqlite:///:memory:")])
async def test_ticket_numbers_count_up_per_year(make) -> None:  # type: ignore[no-untyped-def]
    store = make()
    t1 = await store.open_complaint("a", {"isi": "x"}, datetime(2026, 5, 1, tzinfo=WIB))
    t2 = await store.open_complaint("b", {}, datetime(2026, 5, 2, tzinfo=WIB))
    t3 = await store.open_complaint("c", {}, datetime(2027, 1, 2, tzinfo=WIB))
    assert (t1, t2, t3) == ("ADU-2026-000001", "ADU-2026-000002", "ADU-2027-000001")
    assert await store.request_operator("a", {}, [], datetime(2026, 5, 1, tzinfo=WIB)) == (1, 1)
    assert await store.request_operator("b", {}, [], datetime(2026, 5, 1, tzinfo=WIB)) == (2, 2)
    await store.close()


def test_bad_store_urls() -> None:
    with pytest.raises(StoreError, match="unknown store URL"):
        open_store("postgres://x")
    with pytest.raises(StoreError, match="names no file"):
        open_store("sqlite:///")


class StoresAgree(RuleBasedStateMachine):
    """The SQLite store behaves like the memory store under any sequence of saves and loads."""

    def __init__(self) -> None:
        super().__init__()
        self.memory = MemoryStore()
        self.sqlite = SQLiteStore(":memory:")

    @rule(
        key=st.sampled_from(["a", "b", "c"]),
        state=st.sampled_from(["menu", "hilang"]),
        slot=st.text(max_size=20),
    )
    def save(self, key: str, state: str, slot: str) -> None:
        import asyncio

        s = Session(key, "main", state, slots={"isi": slot})
        asyncio.run(self.memory.save(s))
        asyncio.run(self.sqlite.save(s))

    @rule(key=st.sampled_from(["a", "b", "c"]))
    def forget(self, key: str) -> None:
        import asyncio

        asyncio.run(self.memory.forget(key))
        asyncio.run(self.sqlite.forget(key))

    @invariant()
    def same(self) -> None:
        import asyncio

        for key in "abc":
            assert asyncio.run(self.memory.load(key)) == asyncio.run(self.sqlite.load(key))

    def teardown(self) -> None:
        self.sqlite.db.close()


TestStoresAgree = StoresAgree.TestCase
TestStoresAgree.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
