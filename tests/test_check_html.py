"""The HTML summary renders in a real headless Chromium: one self-contained file,
its tables and both plots in the DOM, a screenshot that is not blank.
Chromium is required (CI installs it); a missing browser fails, never skips."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from check_helpers import NOW, generate
from conftest import run_cli

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    assert found, "chromium is not installed (apt-get install chromium); the HTML summary cannot be checked"
    return found


def browse(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def png_pixels(path: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct pixel values of an 8-bit RGB(A) PNG (enough to tell a blank page)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = header[0], header[1], header[2], header[3]
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    seen: set[bytes] = set()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):  # undo the PNG row filter
            a = line[i - channels] if i >= channels else 0
            b, c = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if row % 7 == 0:
            seen.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 5))
        previous = line
    return width, height, seen


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    data = generate(tmp / "data", cases=800, customers=10, claims=60)
    result = run_cli("check", "--cases", str(data / "cases.jsonl"), "--outages", str(data / "incidents.csv"),
                     "--contracts", str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"), "--months", "2024-01..2024-12",
                     "--now", NOW, "--html", str(tmp / "summary.html"), "--summary", str(tmp / "summary.json"), "--quiet")
    assert result.code == 1, result.err
    return tmp / "summary.html"


def test_the_summary_is_one_self_contained_file(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "<script" not in text and "@import" not in text and "url(" not in text
    assert text.count("<svg") == 5  # four severities' response times, and uptime per month


def test_chromium_renders_the_tables_and_plots(page, tmp_path):
    dom = browse(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    summary = __import__("json").loads((page.parent / "summary.json").read_text())
    assert "SLA check summary" in html
    for row in summary["severities"]:
        assert f"Sev{row['severity']}" in html and row["p95_minutes"] in html and row["breach_rate_percent"] in html
    for currency, total in summary["credit_owed_by_currency"].items():
        assert f"<td>{currency}</td><td class=\"n\">{total}</td>" in html
    assert html.count("<circle") > 10 and "target 10 min" in html and "&lt; 99.99%: 10% credit" in html


def test_chromium_paints_a_page_that_is_not_blank(page, tmp_path):
    shot = tmp_path / "shot.png"
    result = browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1100,1800", "--hide-scrollbars")
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    width, height, colours = png_pixels(shot)
    assert (width, height) == (1100, 1800)
    assert len(colours) > 20  # text, bars in two colours, dots, tier lines: far from a blank page
