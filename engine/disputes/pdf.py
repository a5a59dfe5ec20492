"""A dispute report as PDF: the self-contained HTML report printed by headless Chromium.

The HTML report already prints cleanly (its print styles, page margins, no
script, nothing fetched), so the PDF is exactly what a person gets from the
browser's "Print to PDF", without the browser's header and footer. Chromium is
found as $SLA_CHROMIUM, else `chromium`, `chromium-browser` or `google-chrome` on
PATH. The PDF is written beside the target and renamed into place, so a failed
print never leaves a half-written file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from engine.errors import Problem, UsageError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-pdf-header-footer", "--print-to-pdf-no-header")
TIMEOUT_S = 180


def browser() -> str:
    """The Chromium binary, or a usage error saying how to get one."""
    explicit = os.environ.get("SLA_CHROMIUM")
    found = explicit or next((shutil.which(c) for c in CANDIDATES if shutil.which(c)), None)
    if not found:
        raise UsageError("sla report --format pdf prints the HTML report with headless Chromium, which is not installed "
                         "(Debian: apt-get install chromium; or set SLA_CHROMIUM to the browser's path); "
                         "--format html gives the same report to print from any browser")
    return found


def write_pdf(html: str, target: str | Path) -> None:
    """Print `html` to the PDF file `target` (atomically)."""
    target = Path(target)
    binary = browser()
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError([Problem("cannot write output: no such folder", file=str(target))])
    with tempfile.TemporaryDirectory(prefix="sla-report-pdf-") as work:
        page = Path(work) / "report.html"
        page.write_text(html, encoding="utf-8")
        printed = Path(work) / "report.pdf"
        try:
            proc = subprocess.run([binary, *FLAGS, f"--user-data-dir={Path(work) / 'profile'}",
                                   f"--print-to-pdf={printed}", page.as_uri()],
                                  capture_output=True, timeout=TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError([Problem(f"Chromium could not print the report: {exc}", file=str(target))]) from None
        if not printed.is_file() or not printed.read_bytes().startswith(b"%PDF-"):
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise UsageError([Problem(f"Chromium printed no PDF (exit {proc.returncode}): {' | '.join(tail)}", file=str(target))])
        fd, staged = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(printed.read_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.chmod(staged, 0o666 & ~_umask())
            os.replace(staged, target)
        except OSError as exc:
            Path(staged).unlink(missing_ok=True)
            raise UsageError([Problem(f"cannot write output: {exc.strerror or exc}", file=str(target))]) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
