"""Headless Chromium for the report tests, and a small PNG reader to look at its screenshots.

On a developer's machine without Chromium the browser tests skip, saying why. Under CI
they are required: `.ci/run` sets SLA_REQUIRE_BROWSER=1, and then a missing browser
fails them, so CI cannot pass without having rendered the reports in a real browser.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


REQUIRE = "SLA_REQUIRE_BROWSER"


def chromium() -> str:
    """The browser binary ($SLA_CHROMIUM, else chromium on PATH). When absent the test skips
    with the reason, unless $SLA_REQUIRE_BROWSER=1 (CI), where it fails."""
    explicit = os.environ.get("SLA_CHROMIUM")
    found = explicit or next((shutil.which(c) for c in CANDIDATES if shutil.which(c)), None)
    if not found:
        reason = ("chromium is not installed, so the HTML reports were not rendered in a real browser "
                  "(Debian: apt-get install chromium fonts-noto-cjk; or set SLA_CHROMIUM=/path/to/chrome)")
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{reason}; {REQUIRE}=1 requires it", pytrace=False)
        pytest.skip(reason)
    return found


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="sla-chromium-") as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, timeout=180)


def screenshot(html: Path, png: Path, size: str = "1100,2400") -> bytes:
    proc = _run([f"--screenshot={png}", f"--window-size={size}", html.resolve().as_uri()])
    assert png.exists(), f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]!r}"
    return png.read_bytes()


def dump_dom(html: Path) -> str:
    proc = _run(["--dump-dom", html.resolve().as_uri()])
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.decode("utf-8")


def png_pixels(data: bytes, max_rows: int | None = None) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows (the first `max_rows`) of an 8-bit,
    non-interlaced RGB/RGBA PNG, as Chromium writes them."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(min(height, max_rows or height)):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def colours(data: bytes, rows: int = 500, step: int = 5) -> set[tuple[int, ...]]:
    """The distinct colours of a sample of the pixels in the image's top `rows` rows."""
    width, _, decoded = png_pixels(data, rows)
    bpp = len(decoded[0]) // width
    return {tuple(line[x * bpp:x * bpp + 3]) for line in decoded[::step] for x in range(0, width, step)}
