"""Shared by the benchmarks: print a result table and append it to benchmarks/results/<name>.md."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def git_commit() -> str:
    """The commit checked out, marked when the code differs from it (uncommitted changes under src/)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=RESULTS_DIR.parent).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no", "--", "../src")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes" if changed else "")


def heading(title: str) -> str:
    """A section heading with the time, the git commit and the number of processors."""
    return f"## {title} {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC (git {git_commit()}, nproc {os.cpu_count()})"


def publish(text: str, path: Path) -> None:
    """Print ``text`` and append it to ``path``."""
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(text.rstrip() + "\n\n")
    print(f"appended to {path}", file=sys.stderr)
