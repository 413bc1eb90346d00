"""Imported only by the forkserver that starts llb's contained children (see execute.py): ties the
forkserver's life to the llb process that started it, so a killed run leaves no forkserver behind
(and, through each child's own death signal, no child either). Only when the forkserver was
started from a main thread: see execute._context."""

import os

from .process import die_with_parent

if os.environ.get("LLB_FORKSERVER_DIES_WITH_PARENT") == "1":
    die_with_parent()
