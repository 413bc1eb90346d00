"""Imported only by the forkserver that starts llb's contained children (see execute.py): ties the
forkserver's life to the process that started it, so a killed run leaves no forkserver behind (and,
through each child's own death signal, no child either).

Started from a main thread (``llb run``), the forkserver asks for a death signal. Started from a
pool thread (a Dask worker's), it cannot, since that thread may end first; there a watcher thread
notices when the forkserver's parent is gone (it has been re-parented) and ends the forkserver.
"""

import os
import threading
import time

from llb.stan.process import die_with_parent

_PARENT = os.getppid()


def _watch_parent() -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != _PARENT:
            os._exit(0)


if os.environ.get("LLB_FORKSERVER_DIES_WITH_PARENT") == "1":
    die_with_parent()
threading.Thread(target=_watch_parent, name="llb-parent-watch", daemon=True).start()
