"""The README's commands and library example run as written and print what the README says they print."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from live import require_chromium

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
KINERJA = Path(sys.executable).parent / "kinerja"


def _block(after_heading: str, language: str) -> str:
    """The first fenced ``language`` block after the heading line ``after_heading``."""
    start = README.index(after_heading)
    match = re.compile(rf"```{language}\n(.*?)```", re.DOTALL).search(README, start)
    assert match, f"no {language} block after {after_heading!r}"
    return match.group(1)


def admin_commands() -> list[list[str]]:
    """The `kinerja` commands of the admin's path, comments removed, in order."""
    commands = []
    for line in _block("### The admin's path", "bash").splitlines():
        if line.startswith("kinerja "):
            commands.append(shlex.split(line, comments=True))
    return commands


def test_the_admins_path_runs_on_the_example_files(tmp_path):
    """Every command of the README's admin path succeeds, in order, from a folder holding data/contoh/."""
    require_chromium()  # the report commands print PDFs with it
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "contoh").symlink_to(ROOT / "data" / "contoh")
    env = {**os.environ, "KINERJA_DB": str(tmp_path / "data" / "kinerja.db")}
    env.pop("KINERJA_BASE_URL", None)
    commands = admin_commands()
    assert len(commands) >= 15 and ["kinerja", "serve"] in commands
    for command in commands:
        if command == ["kinerja", "serve"]:
            continue  # blocks until stopped; tests/test_make_demo.py and the e2e fixture start it
        result = subprocess.run([str(KINERJA), *command[1:]], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, f"{shlex.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    for produced in ("tautan.xlsx", "pengingat.xlsx", "hasil-360.xlsx", "rencana-pengembangan.xlsx", "penghargaan.xlsx",
                     "penghargaan.pdf", "laporan/index.html", "cadangan-2026-12-31.db", "umpan-balik.xlsx"):
        assert (tmp_path / produced).stat().st_size > 0, produced
    assert len(list((tmp_path / "laporan").glob("*.pdf"))) == 14  # one per pegawai of data/contoh/pegawai.csv
    assert list((tmp_path / "berita-acara").glob("*.pdf"))


def test_the_library_example_prints_what_its_comments_say(tmp_path, monkeypatch, capsys):
    code = _block("## Library example", "python")
    expected = [line.split("# ", 1)[1].strip() for line in code.splitlines()
                if line.lstrip().startswith(("print(", "    print(")) and "# " in line]
    assert len(expected) == 3
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert [line.strip() for line in printed] == expected
    assert (tmp_path / "data" / "kinerja.db").exists()
