"""Near-duplicate record ids: the same case under two spellings.

Two exports of one case may give its id as `CASE-1` and ` case-1 `, or with a
Cyrillic `С` for the Latin `C`. Exact duplicate detection (`seenids`) lets both
through, and the case is counted twice. `NearIds` keeps each id's *near key*
(Unicode NFKC, invisible format characters dropped, surrounding space stripped,
case folded, cross-script look-alike letters mapped to Latin) and reports an id
whose near key an earlier, different id already had. ASCII digits and letters
are never mapped onto each other (`0`/`O`, `1`/`l`): ids such as `C-10` and
`C-1O` are rare and real, and reporting them would be noise.

Like `SeenIds`, the keys live in a private temporary SQLite table on disk, so
memory does not grow with the input.
"""

from __future__ import annotations

import sqlite3
import unicodedata

# Cyrillic and Greek letters (after case folding) that render like a Latin letter.
LOOK_ALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
})


def near_key(record_id: str) -> str:
    """The form two spellings of one id share."""
    text = unicodedata.normalize("NFKC", record_id)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width spaces, joiners, bidi marks
    return text.strip().casefold().translate(LOOK_ALIKES)


class NearIds:
    """Near keys seen so far, each with the first id that had it and where."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)  # "": a private temporary database on disk
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-4000", "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE near (key BLOB PRIMARY KEY, id BLOB NOT NULL, place TEXT) WITHOUT ROWID")
        self._db.execute("BEGIN")

    def earlier(self, record_id: str, place: str) -> tuple[str, str] | None:
        """Record `record_id` seen at `place`; when an earlier, different id had the same
        near key, return (that id, where it was)."""
        key = near_key(record_id).encode("utf-8", "surrogatepass")
        raw = record_id.encode("utf-8", "surrogatepass")
        if self._db.execute("INSERT OR IGNORE INTO near VALUES (?, ?, ?)", (key, raw, place)).rowcount:
            return None
        first, where = self._db.execute("SELECT id, place FROM near WHERE key = ?", (key,)).fetchone()
        if first == raw:
            return None
        return first.decode("utf-8", "surrogatepass"), where

    def close(self) -> None:
        self._db.close()


def near_message(record_id: str, earlier: tuple[str, str]) -> str:
    """The warning for an id that looks like an earlier one."""
    other, where = earlier
    return (f"record id {record_id!r} looks like {other!r} (at {where}): they differ only by surrounding spaces, case or "
            f"look-alike characters; the same record counted twice?")
