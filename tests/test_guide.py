"""docs/adding-a-revision.md, followed literally (issue 15 item 8): every command the guide
runs is run in a shell, every edit it describes is made, every output it shows is compared.

The guide marks its blocks with HTML comments (invisible when rendered):
`<!-- guide: run -->` a shell block to run; `<!-- guide: output -->` the exact standard
output of the run before; `<!-- guide: create FILE -->` a file to write;
`<!-- guide: top-level keys FILE -->` top-level YAML keys to replace in FILE;
`<!-- guide: line FILE -->` a line replacing the line with the same key;
`<!-- guide: replace FILE -->` a table of replacements (| lang | `old` | `new` |)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

GUIDE = ROOT / "docs" / "adding-a-revision.md"
STEP = re.compile(r"<!-- guide: (\S+(?: keys)?)(?: (\S+))? -->\n(```\w*\n([\s\S]*?)```|(?:\|.*\n)+)")


def steps(text: str) -> list[tuple[str, str | None, str]]:
    """(action, file, body) for each marked block, in order."""
    return [(m.group(1), m.group(2), m.group(4) if m.group(4) is not None else m.group(3))
            for m in STEP.finditer(text)]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SLA_POLICIES"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _run(block: str, cwd: Path) -> str:
    out = ""
    for line in block.splitlines():
        command = line.split("  #", 1)[0].strip()
        if not command:
            continue
        proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=_env(), capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, f"{command!r} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        out += proc.stdout
    return out


def _top_level_keys(text: str, snippet: str) -> str:
    """Replace each top-level key's block (the key's line and its indented lines) by the snippet's."""
    blocks = re.findall(r"^(\w+):.*\n(?:[ \t]+.*\n)*", snippet, re.M)
    for key in blocks:
        new = re.search(rf"^{key}:.*\n(?:[ \t]+.*\n)*", snippet, re.M).group(0)
        old = re.search(rf"^{key}:.*\n(?:[ \t]+.*\n)*", text, re.M)
        assert old, f"the file has no top-level {key}:"
        text = text[:old.start()] + new + text[old.end():]
    return text


def _line(text: str, snippet: str) -> str:
    new = snippet.rstrip("\n")
    key = re.match(r"^(\s*\w+):", new).group(1)
    found = re.findall(rf"^{re.escape(key)}:.*$", text, re.M)
    assert len(found) == 1, f"expected one line {key}: in the file, found {len(found)}"
    return text.replace(found[0], new)


def _replace(text: str, table: str) -> str:
    rows = re.findall(r"^\| `?(en|zh)`? \| `([^`]+)` \| `([^`]+)` \|$", table, re.M)
    assert rows, "the replacement table has no rows"
    for _, old, new in rows:
        assert text.count(old) == 1, f"{old!r} should appear once in the file"
        text = text.replace(old, new)
    return text


def test_the_guide_to_adding_a_revision_works_as_written(tmp_path: Path):
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    done = steps(GUIDE.read_text(encoding="utf-8"))
    assert [a for a, _, _ in done].count("run") >= 5, done
    last = None
    for action, file, body in done:
        target = tmp_path / file if file else None
        if action == "run":
            last = _run(body, tmp_path)
        elif action == "output":
            assert last is not None
            assert last == body, f"the guide shows:\n{body}\nthe command printed:\n{last}"
        elif action == "create":
            target.write_text(body, encoding="utf-8")
        elif action == "top-level keys":
            target.write_text(_top_level_keys(target.read_text(encoding="utf-8"), body), encoding="utf-8")
        elif action == "line":
            target.write_text(_line(target.read_text(encoding="utf-8"), body), encoding="utf-8")
        elif action == "replace":
            target.write_text(_replace(target.read_text(encoding="utf-8"), body), encoding="utf-8")
        else:
            raise AssertionError(f"unknown guide action {action!r}")
    # Step 7's explanation used the new revision and its 45-day window.
    assert "版本 2025-07-01" in last and "申请期限(天) = 45" in last
    # The file the guide creates names its schema, like every bundled test file.
    created = tmp_path / "policies" / "genesys-cloud" / "tests" / "window-2025.yaml"
    assert created.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../../../schemas/")


def test_the_guide_marks_every_command_block_it_shows_as_run_or_as_an_example():
    """No sh block escapes the test: each is run, unless it is an error example (text)."""
    text = GUIDE.read_text(encoding="utf-8")
    for match in re.finditer(r"```sh\n", text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        assert before == "<!-- guide: run -->", f"an unmarked sh block after: {before!r}"
