"""What a run says while it works: on a console, in a notebook cell, or nothing.

``Progress`` is the silent base; ``ConsoleProgress`` prints with rich (a terminal or a notebook):
where the candidates came from, a status line while the LLM answers, a bar with counts per status,
and one line per program that failed. ``llb run`` and ``llb.run(progress=True)`` use the same one.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from rich.console import Console


class Progress:
    """Callbacks a run makes; every one does nothing here."""

    def candidates(self, problem: Any, origin: str, out: Path) -> None:
        """The candidates are known (``origin`` says where they came from); the run folder is ``out``."""

    @contextlib.contextmanager
    def asking_llm(self, model: str, url: str, n_models: int) -> Iterator[None]:
        """Around the wait for the LLM's replies."""
        yield

    def reply(self, reply: Any) -> None:
        """One LLM reply arrived (or came from the cache)."""

    def building_toolchain(self, folder: Path) -> None:
        """The precompiled header and runner are being built (once per machine)."""

    @contextlib.contextmanager
    def fitting(self) -> Iterator[None]:
        """Around the fitting of the programs."""
        yield

    def plan(self, total: int, to_fit: int) -> None:
        """``total`` candidates, ``to_fit`` distinct programs not finished already."""

    def program(self, record: Any, reused: bool) -> None:
        """One candidate is settled (``reused``: from an earlier run or a duplicate)."""


def console_for(stream: Any) -> Console:
    return Console(file=stream, highlight=False, soft_wrap=True, width=None if stream.isatty() else 140)


class ConsoleProgress(Progress):
    """Progress on a rich console (stdout by default; rich renders in notebooks too)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or console_for(sys.stdout)
        self.counts: dict[str, int] = {}
        self._bar: Any = None
        self._task: Any = None
        self._replies = 0
        self._start = time.monotonic()
        self._done = 0

    def say(self, text: str) -> None:
        self.console.print(text, markup=False, soft_wrap=True)

    def candidates(self, problem: Any, origin: str, out: Path) -> None:
        where = problem.root if problem.root is not None else "(given in Python)"
        self.say(f"problem: {where}  goal: {problem.goal_declaration.declaration_text()}")
        if problem.declarations_inferred:
            self.say("data declarations inferred from the data")
        self.say(f"candidates: {origin}")
        self.say(f"run folder: {out}")

    @contextlib.contextmanager
    def asking_llm(self, model: str, url: str, n_models: int) -> Iterator[None]:
        started = time.monotonic()

        def text() -> str:
            return f"waiting for the LLM ({model} at {url}): {self._replies} of {n_models} replies, {time.monotonic() - started:.0f} s"

        stop = threading.Event()
        with self.console.status(text(), spinner="dots") as status:

            def tick() -> None:
                while not stop.wait(1.0):
                    status.update(text())

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
            try:
                yield
            finally:
                stop.set()
                ticker.join()

    def reply(self, reply: Any) -> None:
        self._replies += 1

    def building_toolchain(self, folder: Path) -> None:
        self.say(f"building the Stan toolchain in {folder} (once per machine; about a minute)")

    @contextlib.contextmanager
    def fitting(self) -> Iterator[None]:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(
            TextColumn("fitting"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
            console=self.console, transient=False,
        )  # fmt: skip
        self._start = time.monotonic()
        with self._bar:
            self._task = self._bar.add_task("fit", total=None, counts="", rate="")
            try:
                yield
            finally:
                self._bar = None

    def plan(self, total: int, to_fit: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, total=total)
            self._bar.console.print(f"{to_fit} distinct programs to fit; the rest are finished already or duplicates", markup=False)

    def program(self, record: Any, reused: bool) -> None:
        self.counts[record.status] = self.counts.get(record.status, 0) + 1
        self._done += 1
        if self._bar is None:
            return
        elapsed = time.monotonic() - self._start
        rate = f"{self._done / elapsed:.1f}/s" if elapsed > 0 else ""
        counts = " ".join(f"{status} {n}" for status, n in sorted(self.counts.items()))
        self._bar.update(self._task, completed=self._done, counts=counts, rate=rate)
        if not reused and record.status != "ok":
            self._bar.console.print(f"  {record.id}: {record.status}: {record.reason}", markup=False, soft_wrap=True)
