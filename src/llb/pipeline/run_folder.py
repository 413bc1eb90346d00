"""A run folder belongs to llb: its manifest says so, and a lock keeps two runs out of it at once.

llb never writes into a folder it did not make: ``--out`` must not exist, be empty, or hold llb's
manifest (``llb-run.json``, written when the folder is first used; folders of older llb versions
are recognised by their ``run.json``). While a run uses the folder it holds an exclusive lock on
``.llb-lock`` in it; the kernel releases the lock however the process ends, so a killed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Iterator

from llb.version import __version__
from llb.errors import LlbError
from llb.files import write_atomic

MANIFEST = "llb-run.json"
LEGACY_MANIFEST = "run.json"
LOCK = ".llb-lock"

_held: set[Path] = set()  # folders this process holds (claiming is re-entrant)


def check_run_folder(out: Path) -> None:
    """Raise LlbError if llb may not use ``out`` as a run folder."""
    if out.exists() and not out.is_dir():
        raise LlbError(f"--out {out} is a file, not a folder; give a folder for the run")
    if out.is_dir() and not (out / MANIFEST).exists() and not (out / LEGACY_MANIFEST).exists():
        try:
            entries = [entry.name for entry in out.iterdir()]
        except OSError as error:
            raise LlbError(f"cannot read the run folder {out}: {error.strerror}") from None
        if entries:
            raise LlbError(
                f"{out} exists, is not empty and is not an llb run folder (it has no {MANIFEST}); "
                "llb will not write among files it did not make: choose another --out, or empty it"
            )


@contextlib.contextmanager
def claim_run_folder(out: str | Path) -> Iterator[Path]:
    """Check ``out``, make it an llb run folder, and hold its lock for the duration of the block."""
    out = Path(out)
    key = out.resolve()
    if key in _held:
        yield out
        return
    check_run_folder(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise LlbError(f"cannot use {out} as the run folder: {error.strerror}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 64, 0).decode(errors="replace").strip() or "unknown"
            raise LlbError(f"{out} is being used by another llb run (process {holder}); wait for it to finish or choose another --out") from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode(), 0)
        if not (out / MANIFEST).exists():
            write_atomic(out / MANIFEST, json.dumps({"llb_version": __version__, "created": time.time()}, indent=1))
        _held.add(key)
        try:
            yield out
        finally:
            _held.discard(key)
    finally:
        os.close(handle)  # releases the lock
