"""Compile a Stan program into a shared library, once per distinct program and toolchain.

The library is stanc's C++ for the program, compiled against the precompiled Stan header and linked
with llb's runner object. Given two jobs, the C++ is compiled as two translation units at the same
time, one for the log density on autodiff variables and one for everything on doubles (see
cpp/include/llb_model_parts.hpp). Measured on 2 CPUs, that takes 15-40% less wall time and 25-60%
more CPU time than one unit, so ``llb run`` asks for it only when it has idle CPUs. Programs that
define functions compile as one unit: stanc emits non-template user functions as ordinary
definitions, which two units would both define.

Libraries live in a content-addressed cache: the key is the toolchain's key, the runner's source and
the program with comments and insignificant white space removed, so copies of one program that
differ only in layout or comments are compiled once, across runs and processes. (The library keeps
the line numbers of the first copy compiled; messages from a later copy that differs in layout may
cite that copy's lines.)"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llb.errors import ProgramError
from llb.stan.constants import lift_constants
from llb.stan.process import run_command, run_commands
from llb.stan.toolchain import COMPILE_TIMEOUT, RUNNER_SOURCE, Toolchain, file_lock, find_toolchain, precompiled_header, runner_object
from llb.stan.validate import PROGRAM_FILENAME, STANC_TIMEOUT, describe_stanc_error, refusal_reason

LIBRARY_NAME = "model.so"
MAX_COMPILE_JOBS = 2  # a library is built from at most two translation units


@dataclass(frozen=True)
class CompiledProgram:
    """A program's library in the cache, and what making it cost (zeros on a cache hit)."""

    key: str
    library: Path
    cache_hit: bool
    seconds: float
    stanc_seconds: float = 0.0
    compile_seconds: float = 0.0
    link_seconds: float = 0.0
    translation_units: int = 0
    # the program's numeric constants, made data of a library shared by programs of the same structure
    # (constants.py); they go in with the data whenever the library is loaded
    constants: dict[str, int | float] = field(default_factory=dict)

    def data_for(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with the program's constants, as the library expects it."""
        return {**data, **self.constants} if self.constants else data


def normalise_source(source: str) -> str:
    """The program without comments, and with white space kept only where it separates two words."""
    out: list[str] = []
    i, n = 0, len(source)
    pending_space = False
    while i < n:
        char = source[i]
        if char == '"':  # string literal (print/reject messages; Stan has no escapes): copied verbatim
            end = source.find('"', i + 1)
            end = n - 1 if end < 0 else end
            token = source[i : end + 1]
            i = end + 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            pending_space = True
            continue
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
            pending_space = True
            continue
        elif char.isspace():
            pending_space = True
            i += 1
            continue
        else:
            token = char
            i += 1
        if pending_space and out and _is_word_char(out[-1][-1]) and _is_word_char(token[0]):
            out.append(" ")
        pending_space = False
        out.append(token)
    return "".join(out)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def program_key(source: str, toolchain: Toolchain) -> str:
    runner_hash = hashlib.sha256(RUNNER_SOURCE.read_bytes()).hexdigest()
    text = "\n".join([toolchain.key, runner_hash, *toolchain.link_flags, normalise_source(source)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def library_path(key: str, toolchain: Toolchain) -> Path:
    return toolchain.cache_dir / "models" / key[:2] / key / LIBRARY_NAME


def compile_program(source: str, *, toolchain: Toolchain | None = None, jobs: int | None = None, by_structure: bool = False) -> CompiledProgram:
    """Return the cached library for ``source``, building it if needed.

    ``jobs`` is how many compiler processes the build may run at once (default: two if this process
    may use two CPUs); the library is the same either way. With ``by_structure`` the program's
    numeric constants become data (constants.py), so programs that differ only in them share one
    library; the result's ``constants`` must then be added to the data (``data_for``).

    Raises ProgramError(stage="validate") if stanc rejects the program and
    ProgramError(stage="compile") if the C++ compiler or linker fails. A program's folder is built
    under a temporary name and renamed into place, so a failed or killed build leaves nothing in
    the cache; lock files live apart, under ``locks/``.
    """
    start = time.perf_counter()
    toolchain = toolchain or find_toolchain()
    refused = refusal_reason(source)
    if refused is not None:
        raise ProgramError(f"refused: {refused}", stage="validate")
    lifted = lift_constants(source) if by_structure else None
    if lifted is not None:
        try:
            compiled = _compile(lifted.source, toolchain, jobs, start)
        except ProgramError:
            pass  # the program as written decides: its own error, or its own library
        else:
            return replace(compiled, constants=lifted.constants)
    return _compile(source, toolchain, jobs, start)


def _compile(source: str, toolchain: Toolchain, jobs: int | None, start: float) -> CompiledProgram:
    key = program_key(source, toolchain)
    target = library_path(key, toolchain)
    if target.exists():
        return CompiledProgram(key, target, True, time.perf_counter() - start)
    with file_lock(toolchain.cache_dir / "locks" / f"{key}.lock"):
        if target.exists():  # another process built it while this one waited
            return CompiledProgram(key, target, True, time.perf_counter() - start)
        final_dir = target.parent
        final_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_builds(final_dir.parent)
        with tempfile.TemporaryDirectory(dir=final_dir.parent, prefix=f".build-{key[:8]}-") as tmp:
            work = Path(tmp) / key
            work.mkdir()
            timings = _build_library(source, key, work, toolchain, default_compile_jobs() if jobs is None else jobs)
            if final_dir.exists():  # left by an older, interrupted layout
                shutil.rmtree(final_dir)
            os.rename(work, final_dir)
    return CompiledProgram(
        key,
        target,
        False,
        time.perf_counter() - start,
        stanc_seconds=timings["stanc"],
        compile_seconds=timings["compile"],
        link_seconds=timings["link"],
        translation_units=int(timings["units"]),
    )


# A build folder older than this belongs to no live build (stanc, the compile and the link each
# have a time limit well under it): it was left by a process that was killed mid-build.
STALE_BUILD_SECONDS = 2 * (STANC_TIMEOUT + 2 * COMPILE_TIMEOUT)


def remove_stale_builds(shard: Path, *, now: float | None = None) -> None:
    """Delete the ``.build-*`` folders in a cache shard that killed builds left behind."""
    now = time.time() if now is None else now
    for folder in shard.glob(".build-*"):
        try:
            if now - folder.stat().st_mtime > STALE_BUILD_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # gone already: another process swept it
            continue


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_compile_jobs() -> int:
    """Two compiler processes if this process may use two CPUs, else one (more would not help)."""
    return min(MAX_COMPILE_JOBS, usable_cpus())


# The translation units a model library is built from: stanc's C++ followed by the definitions of
# model_base_crtp's virtual functions, all of them or one group each (cpp/include/llb_model_parts.hpp).
_WHOLE_UNIT = """#include "model.hpp"
#define LLB_MODEL_GRADIENT 1
#define LLB_MODEL_VALUES 1
#include <llb_model_parts.hpp>
"""
_GRADIENT_UNIT = """// new_model() and the profile map are defined once, by the values unit
#define USING_R
#define profiles__ llb_gradient_profiles__
#include "model.hpp"
#define LLB_MODEL_GRADIENT 1
#define LLB_MODEL_VALUES 0
#include <llb_model_parts.hpp>
"""
_VALUES_UNIT = """#include "model.hpp"
#define LLB_MODEL_GRADIENT 0
#define LLB_MODEL_VALUES 1
#include <llb_model_parts.hpp>
"""


def _translation_units(model_cpp: str, jobs: int) -> dict[str, str]:
    """File name -> text of the units to compile: two if ``jobs`` allows and the program has no functions."""
    class_start = model_cpp.find(" final : public model_base_crtp<")
    defines_functions = class_start < 0 or "pstream__" in model_cpp[:class_start]
    if jobs < 2 or defines_functions:
        return {"model.cpp": _WHOLE_UNIT}
    return {"gradient.cpp": _GRADIENT_UNIT, "values.cpp": _VALUES_UNIT}


def _build_library(source: str, key: str, work: Path, toolchain: Toolchain, jobs: int) -> dict[str, float]:
    """stanc -> C++ object(s) -> shared library, all inside the folder ``work``."""
    pch_flags = precompiled_header(toolchain)
    runner = runner_object(toolchain)
    stan_file = work / PROGRAM_FILENAME
    stan_file.write_text(source)
    hpp, library = work / "model.hpp", work / LIBRARY_NAME

    stanc = run_command(
        [toolchain.stanc, f"--name=llb_model_{key}", f"--filename-in-msg={PROGRAM_FILENAME}", f"--o={hpp}", stan_file],
        cwd=work,
        timeout=STANC_TIMEOUT,
    )
    if not stanc.ok:
        message, _, _ = describe_stanc_error(stanc.stderr or stanc.stdout)
        raise ProgramError(message, stage="validate")
    units = _translation_units(hpp.read_text(), jobs)
    objects = []
    for name, text in units.items():
        (work / name).write_text(text)
        objects.append(work / name.replace(".cpp", ".o"))
    start = time.perf_counter()
    results = run_commands(
        [
            [toolchain.compiler, *toolchain.cxxflags, *pch_flags, "-c", work / name, "-o", obj]
            for name, obj in zip(units, objects)
        ],
        timeout=COMPILE_TIMEOUT,
    )
    compile_seconds = time.perf_counter() - start
    for cxx in results:
        if not cxx.ok:
            raise ProgramError(f"C++ compilation failed: {_compiler_error(cxx.stderr, cxx.describe())}", stage="compile")
    # -Bsymbolic: the runner's call to new_model binds to this library's own model even when other
    # model libraries are loaded in the same process.
    link = run_command(
        [toolchain.compiler, "-shared", "-Wl,-Bsymbolic", "-o", library, *objects, runner, *toolchain.link_flags],
        timeout=COMPILE_TIMEOUT,
    )
    if not link.ok:
        raise ProgramError(f"linking failed: {_compiler_error(link.stderr, link.describe())}", stage="compile")
    for leftover in [hpp, *objects, *(work / name for name in units)]:
        leftover.unlink()
    manifest = {
        "key": key,
        "toolchain": toolchain.key,
        "compiler": toolchain.compiler_version,
        "stan": toolchain.stan_version,
        "translation_units": len(units),
    }
    (work / "build.json").write_text(json.dumps(manifest, indent=1))
    return {"stanc": stanc.seconds, "compile": compile_seconds, "link": link.seconds, "units": len(units)}


def _compiler_error(stderr: str, fallback: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()[:400]
    return fallback
