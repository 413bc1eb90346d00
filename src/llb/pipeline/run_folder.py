"""A run folder belongs to llb: its manifest says so, and a lock keeps two runs out of it at once.

llb never writes into a folder it did not make: ``--out`` must not exist, be empty, or hold llb's
manifest (``llb-run.json``, written when the folder is first used; folders of older llb versions
are recognised by their ``run.json`` that names an llb version, beside a ``models`` folder). The
manifest names the problem the folder answers: a run of another problem is refused, so that one
run never silently replaces another's result. While a run uses the folder it holds an exclusive lock on
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


def is_run_folder(out: Path) -> bool:
    """Whether ``out`` holds llb's manifest (or an older llb's run.json beside its models)."""
    if (out / MANIFEST).is_file():
        return True
    try:
        legacy = json.loads((out / LEGACY_MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(legacy, dict) and "llb_version" in legacy and (out / "models").is_dir()


def _manifest(out: Path) -> dict:
    try:
        document = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _another_problem(out: Path) -> LlbError:
    return LlbError(f"{out} holds the run of another problem (or of other data); choose another run folder (--out), or delete it to start over")


def check_run_folder(out: Path, problem: str | None = None) -> None:
    """Raise LlbError if llb may not use ``out`` as a run folder (for the problem with digest ``problem``)."""
    if out.exists() and not out.is_dir():
        raise LlbError(f"the run folder {out} is a file, not a folder; give a folder for the run")
    recorded = _manifest(out).get("problem") if out.is_dir() else None
    if problem is not None and recorded is not None and recorded != problem:
        raise _another_problem(out)
    if out.is_dir() and not is_run_folder(out):
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
def claim_run_folder(out: str | Path, problem: str | None = None) -> Iterator[Path]:
    """Check ``out``, make it the run folder of the problem with digest ``problem``, and hold its lock
    for the duration of the block."""
    out = Path(out)
    key = out.resolve()
    if key in _held:
        yield out
        return
    check_run_folder(out, problem)
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
        manifest = _manifest(out) or {"llb_version": __version__, "created": time.time()}
        if problem is not None and manifest.get("problem") not in (None, problem):  # again, now that no other run can change it
            raise _another_problem(out)
        if problem is not None and manifest.get("problem") != problem:
            write_atomic(out / MANIFEST, json.dumps({**manifest, "problem": problem}, indent=1))
        elif not (out / MANIFEST).exists():
            write_atomic(out / MANIFEST, json.dumps(manifest, indent=1))
        _held.add(key)
        try:
            yield out
        finally:
            _held.discard(key)
    finally:
        os.close(handle)  # releases the lock
