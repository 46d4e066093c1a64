"""Cutting text to a platform's limits without splitting a character from its modifiers."""

from __future__ import annotations

import unicodedata
from typing import Final

_JOINERS: Final = frozenset("\u200d\ufe0e\ufe0f")


def split_text(text: str, limit: int = 4096) -> list[str]:
    """Chunks of at most `limit` characters, cut at line ends; a longer line is cut at its last
    space that fits, else wherever an emoji or accented letter stays whole."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return [text] if text.strip() else []
    chunks: list[str] = []
    lines: list[str] = []
    size = -1  # the length of "\n".join(lines)

    def flush() -> None:
        nonlocal size
        if chunk := "\n".join(lines).strip("\n"):
            chunks.append(chunk)
        lines.clear()
        size = -1

    for line in text.split("\n"):
        while len(line) > limit:
            flush()
            space = line.rfind(" ", 1, limit + 1)
            cut = space if space > 0 else safe_cut(line, limit)
            chunks.append(line[:cut].rstrip())
            line = line[cut:].lstrip(" ")
        if size + 1 + len(line) > limit:
            flush()
        lines.append(line)
        size += 1 + len(line)
    flush()
    return [c for c in chunks if c.strip()]


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" if cut, never inside a character."""
    if len(text) <= limit:
        return text
    return text[: safe_cut(text, limit - 1)].rstrip() + "…"


def safe_cut(text: str, at: int) -> int:
    """An index at or before `at` that does not split a character from its modifiers."""
    cut = at
    while 0 < cut < len(text) and _binds(text[cut - 1], text[cut]):
        cut -= 1
    return cut or at  # one unbroken cluster longer than the limit: cut it anyway


def _binds(before: str, char: str) -> bool:
    return (
        char in _JOINERS
        or before == "\u200d"
        or unicodedata.combining(char) != 0
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tones
        or "\U000e0020" <= char <= "\U000e007f"  # tag sequences (subdivision flags)
    )
