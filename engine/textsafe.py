"""Untrusted strings reach the terminal escaped.

Ids, titles and receipt fields come from files other people wrote. Printed raw,
an escape sequence (ESC, CSI), a carriage return, a bidi override or a line
separator could clear the screen, hide text, or forge a line such as
"verified". Every text the `sla` command line writes to standard output and
standard error passes through `SafeStream`, which escapes those characters as
`\\uXXXX` and keeps newline and tab. Inside a JSON string `\\uXXXX` is the same
character, so JSON output stays valid and means the same; use `-o FILE` for a
file written byte for byte.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

# C0 controls but tab and newline, DEL and C1, the Unicode line/paragraph
# separators, and the bidirectional marks, embeddings, overrides and isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """`text` with every unsafe character written as `\\uXXXX`."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeStream:
    """A text stream whose writes have control characters escaped; everything else
    (flush, isatty, fileno, encoding ...) is the wrapped stream's."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(escape_controls(text))
        return len(text)

    @property
    def unescaped(self) -> TextIO:
        """The wrapped stream, for the engine's own control output only (the progress
        line's carriage return), never for text from a file."""
        return self._stream

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
