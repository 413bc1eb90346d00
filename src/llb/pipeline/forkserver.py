"""The forkserver that llb's contained children start from (execute.py).

It is a fresh interpreter that imports llb, numpy and scipy once (about a second), so that each
child starts in milliseconds. This module imports nothing heavy, so that ``llb run`` can start the
server first thing (``start_forkserver``) and the server's imports overlap the command's own,
instead of holding up the first program.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

PRELOAD = ["llb.pipeline._forkserver_guard", "llb.pipeline.execute", "llb.pipeline.program", "numpy", "scipy.stats", "scipy.special"]

_CONTEXT: Any = None


def forkserver_context() -> Any:
    """A forkserver context with llb's modules preloaded (made once per process)."""
    global _CONTEXT
    if _CONTEXT is None:
        # The forkserver starts from this thread (with the first child, or earlier: start_forkserver).
        # Its death signal fires when the starting thread ends, so it is asked for only from a main
        # thread (llb run's), never from a pool thread (a Dask worker's), which may end while the
        # forkserver is still needed.
        if threading.current_thread() is threading.main_thread():
            os.environ["LLB_FORKSERVER_DIES_WITH_PARENT"] = "1"
        else:
            os.environ.pop("LLB_FORKSERVER_DIES_WITH_PARENT", None)
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(PRELOAD)
    return _CONTEXT


def start_forkserver() -> None:
    """Start the forkserver now, in the background, rather than with the first child."""
    forkserver_context()
    with main_script_hidden():
        multiprocessing.forkserver.ensure_running()


_START_LOCK = threading.Lock()


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """While a child or the forkserver starts, hide the caller's script from multiprocessing, which
    would otherwise run it again there as ``__mp_main__`` (a script or notebook export that calls
    ``llb.run`` without an ``if __name__ == "__main__"`` guard would start a second run). The
    children run only llb's code, so they need nothing from the caller's ``__main__``."""
    main = sys.modules.get("__main__")
    with _START_LOCK:
        path = main.__dict__.pop("__file__", None) if main is not None else None
        try:
            yield
        finally:
            if path is not None and main is not None:
                main.__dict__["__file__"] = path
