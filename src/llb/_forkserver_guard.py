"""Imported only by the forkserver that starts llb's contained children (see execute.py): ties the
forkserver's life to the llb process that started it, so a killed run leaves no forkserver behind
(and, through each child's own death signal, no child either)."""

from .process import die_with_parent

die_with_parent()
