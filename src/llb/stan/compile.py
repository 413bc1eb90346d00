"""Compile Stan programs into shared libraries, once per distinct program and toolchain.

A library is stanc's C++ for one or more programs, compiled against the precompiled Stan header and
linked with llb's runner object; each model in it registers under its name (``llb_model_<key>``)
and is loaded by that name.

One program alone: given two jobs, its C++ is compiled as two translation units at the same time,
one for the log density on autodiff variables and one for everything on doubles (see
cpp/include/llb_model_parts.hpp). Measured on 2 CPUs, that takes 15-40% less wall time and 25-60%
more CPU time than one unit, so ``llb run`` asks for it only when it has idle CPUs. Programs that
define functions compile as one unit: stanc emits non-template user functions as ordinary
definitions, which two units would both define.

Several programs together (``compile_together``): most of a model's object code is Stan-math,
Eigen and Boost templates that every model instantiates alike, so compiling several models in one
translation unit costs little more than one (measured on 2 CPUs with clang: four of
examples/polling's programs 18.7 s together against 46.5 s one by one; eight 22.5 s against about
92 s). Each model still gets its own cache entry, a hard link to the shared library.

Libraries live in a content-addressed cache: the key is the toolchain's key, the runner's source and
the program with comments and insignificant white space removed, so copies of one program that
differ only in layout or comments are compiled once, across runs and processes. (The library keeps
the line numbers of the first copy compiled; messages from a later copy that differs in layout may
cite that copy's lines.)"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from llb.errors import ProgramError
from llb.stan.constants import lift_constants
from llb.stan.process import run_command, run_commands
from llb.stan.toolchain import COMPILE_TIMEOUT, RUNNER_SOURCE, Toolchain, file_lock, find_toolchain, precompiled_header, runner_object, try_file_lock
from llb.stan.validate import PROGRAM_FILENAME, STANC_TIMEOUT, describe_stanc_error, refusal_reason

logger = logging.getLogger("llb.stan.compile")

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

    @property
    def model(self) -> str:
        """The name the program's model has in its library (which may hold other programs' models)."""
        return model_name(self.key)


def model_name(key: str) -> str:
    """The name of the model compiled from the program with cache key ``key`` (stanc's ``--name``)."""
    return f"llb_model_{key}"


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
    with file_lock(_lock_path(key, toolchain)):
        if target.exists():  # another process built it while this one waited
            return CompiledProgram(key, target, True, time.perf_counter() - start)
        final_dir = target.parent
        final_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_builds(final_dir.parent)
        with tempfile.TemporaryDirectory(dir=final_dir.parent, prefix=f".build-{key[:8]}-") as tmp:
            work = Path(tmp) / key
            work.mkdir()
            timings = _build_library([_stanc(source, key, work, toolchain)], work, toolchain, default_compile_jobs() if jobs is None else jobs)
            (work / PROGRAM_FILENAME).write_text(source)
            _write_manifest(work, [key], toolchain, timings)
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


def _lock_path(key: str, toolchain: Toolchain) -> Path:
    return toolchain.cache_dir / "locks" / f"{key}.lock"


# At most this many programs are compiled into one library: the gain per added model shrinks (four
# models cost 4.0 s each, eight 2.8 s, against about 11.5 s alone), while the compiler's memory grows
# (about 1 GB for eight) and one failing program makes the whole build fall back to compiling alone.
MAX_MODELS_PER_LIBRARY = 8
# Programs longer than this (comments and layout aside) are left to compile alone: a huge program
# would make a shared build slow, and that build runs inside another program's time limit.
MAX_SHARED_SOURCE = 20_000


@dataclass(frozen=True)
class BuiltTogether:
    """What ``compile_together`` built: the cache keys of the models it added, and its seconds."""

    keys: frozenset[str] = frozenset()
    seconds: float = 0.0


def compile_together(
    sources: Sequence[str], *, toolchain: Toolchain | None = None, jobs: int | None = None, by_structure: bool = True,
    timeout: float = COMPILE_TIMEOUT,
) -> BuiltTogether:  # fmt: skip
    """Build one library holding the models of those of ``sources`` whose model is not cached yet,
    so that ``compile_program`` (with the same ``by_structure``) then finds each of them there.

    Best effort, never raises: a program stanc rejects, one another process is building, or one
    that is refused or too long is left out (its own compile says why, later); if fewer than two
    programs are left, or the C++ compiler fails on the shared library, nothing is built and every
    program compiles alone. Each model gets its own cache entry, as ``compile_program`` makes it,
    whose ``model.so`` is a hard link to the shared library. ``timeout``: seconds the whole build
    (stanc, the C++ compiler, the linker) may take before it is given up, at most COMPILE_TIMEOUT
    (older build folders than remove_stale_builds allows for are swept by other processes)."""
    start = time.perf_counter()
    deadline = time.monotonic() + min(timeout, COMPILE_TIMEOUT)
    toolchain = toolchain or find_toolchain()
    jobs = default_compile_jobs() if jobs is None else jobs
    wanted = [variants for variants in (_variants(source, toolchain, by_structure) for source in dict.fromkeys(sources)) if variants]
    if len(wanted) < 2:
        return BuiltTogether()
    root = toolchain.cache_dir / "models"
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(root)
    published: list[str] = []
    try:
        with contextlib.ExitStack() as held, tempfile.TemporaryDirectory(dir=root, prefix=".build-together-") as tmp:
            _build_shared(wanted, Path(tmp), held, toolchain, jobs, deadline, published)
    except OSError as error:  # the disk is full, say: what was published stands, the rest compile alone
        logger.info("compiling programs together stopped: %s", error)
    return BuiltTogether(frozenset(published), time.perf_counter() - start)


def _build_shared(
    wanted: list[list[tuple[str, str]]], work: Path, held: contextlib.ExitStack, toolchain: Toolchain, jobs: int, deadline: float,
    published: list[str],
) -> None:  # fmt: skip
    """compile_together's build in the folder ``work``, locks held in ``held``, to be done by the
    ``time.monotonic()`` ``deadline``; the keys of the models given their cache entries are
    appended to ``published``."""
    chosen: dict[str, tuple[str, ModelCpp]] = {}  # key -> (source compiled, its C++)
    for variants in wanted:
        if len(chosen) == MAX_MODELS_PER_LIBRARY or time.monotonic() > deadline - STANC_TIMEOUT:
            break
        for key, text in variants:
            if key in chosen or not held.enter_context(try_file_lock(_lock_path(key, toolchain))):
                break  # the same structure is in already, or another process is building it
            if library_path(key, toolchain).exists():
                break
            try:
                chosen[key] = (text, _stanc(text, key, work, toolchain))
                break
            except ProgramError:
                continue  # constants as data rejected: the program as written, as compile_program does
    if len(chosen) < 2:
        return
    try:
        timings = _build_library([cpp for _, cpp in chosen.values()], work, toolchain, jobs, timeout=deadline - time.monotonic())
        _check_loads(work / LIBRARY_NAME, deadline - time.monotonic())
    except ProgramError as error:
        logger.info("compiling %d programs together failed (%s); each compiles alone", len(chosen), error)
        return
    for key, (text, _) in chosen.items():
        _publish_shared(key, text, work, toolchain, list(chosen), timings)
        published.append(key)


def library_cached(source: str, *, toolchain: Toolchain | None = None, by_structure: bool = False) -> bool:
    """Whether ``compile_program`` (with the same ``by_structure``) would find ``source``'s library in the cache."""
    toolchain = toolchain or find_toolchain()
    lifted = lift_constants(source) if by_structure else None
    texts = [lifted.source, source] if lifted is not None else [source]
    return any(library_path(program_key(text, toolchain), toolchain).exists() for text in texts)


def _variants(source: str, toolchain: Toolchain, by_structure: bool) -> list[tuple[str, str]]:
    """(key, source) of the programs ``compile_program`` would try for ``source``, in its order; empty
    when it needs no build here (refused, too long, or one of them cached)."""
    if refusal_reason(source) is not None or len(normalise_source(source)) > MAX_SHARED_SOURCE:
        return []
    if library_cached(source, toolchain=toolchain, by_structure=by_structure):
        return []
    lifted = lift_constants(source) if by_structure else None
    texts = [lifted.source, source] if lifted is not None else [source]
    return [(program_key(text, toolchain), text) for text in texts]


def _publish_shared(key: str, source: str, work: Path, toolchain: Toolchain, keys: list[str], timings: dict[str, float]) -> None:
    """Give one model of a shared library its cache entry: its program, a manifest and a hard link
    to the library (a copy where the file system has no hard links), renamed into place at once."""
    final_dir = library_path(key, toolchain).parent
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final_dir.parent, prefix=f".build-{key[:8]}-") as tmp:
        entry = Path(tmp) / key
        entry.mkdir()
        (entry / PROGRAM_FILENAME).write_text(source)
        _write_manifest(entry, keys, toolchain, timings)
        try:
            os.link(work / LIBRARY_NAME, entry / LIBRARY_NAME)
        except OSError:
            shutil.copy2(work / LIBRARY_NAME, entry / LIBRARY_NAME)
        if final_dir.exists():  # left by an older, interrupted layout
            shutil.rmtree(final_dir)
        os.rename(entry, final_dir)


def _write_manifest(folder: Path, keys: list[str], toolchain: Toolchain, timings: dict[str, float]) -> None:
    manifest = {
        "toolchain": toolchain.key,
        "compiler": toolchain.compiler_version,
        "stan": toolchain.stan_version,
        "translation_units": int(timings["units"]),
        "models": [model_name(key) for key in keys],
    }
    (folder / "build.json").write_text(json.dumps(manifest, indent=1))


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


@dataclass(frozen=True)
class ModelCpp:
    """stanc's C++ for one program, in a build folder, and the seconds stanc took."""

    hpp: Path
    stanc_seconds: float

    @property
    def name(self) -> str:
        return self.hpp.stem

    @property
    def model_class(self) -> str:
        return f"{self.name}_namespace::{self.name}"


def _stanc(source: str, key: str, work: Path, toolchain: Toolchain) -> ModelCpp:
    """stanc's C++ for ``source`` in ``work`` (``<model name>.hpp``), made fit to share a translation
    unit: without the global ``stan_model`` alias (USING_R, defined in every unit, drops stanc's
    ``new_model``; the model registers itself instead). Raises ProgramError(stage="validate")."""
    name = model_name(key)
    stan_file = work / f"{name}.stan"
    stan_file.write_text(source)
    hpp = work / f"{name}.hpp"
    stanc = run_command(
        [toolchain.stanc, f"--name={name}", f"--filename-in-msg={PROGRAM_FILENAME}", f"--o={hpp}", stan_file],
        cwd=work,
        timeout=STANC_TIMEOUT,
    )
    if not stanc.ok:
        message, _, _ = describe_stanc_error(stanc.stderr or stanc.stdout)
        raise ProgramError(message, stage="validate")
    alias = f"using stan_model = {name}_namespace::{name};"
    text = hpp.read_text()
    if alias not in text:
        raise ProgramError(f"stanc's C++ for the program has no line '{alias}'", stage="compile")
    hpp.write_text(text.replace(alias, "", 1))
    stan_file.unlink()
    return ModelCpp(hpp, stanc.seconds)


def _unit(models: Sequence[ModelCpp], *, gradient: bool, values: bool) -> str:
    """A translation unit of ``models``: the groups of model_base_crtp's functions asked
    for (llb_model_parts.hpp), and each model registered with the runner if the unit has the values group."""
    lines = ["#define USING_R  // no new_model from stanc: each model registers itself"]
    if gradient and not values:  # the values unit defines the profile map; this one must not
        lines.append("#define profiles__ llb_gradient_profiles__")
    lines += [f'#include "{model.hpp.name}"' for model in models]
    lines += [f"#define LLB_MODEL_GRADIENT {int(gradient)}", f"#define LLB_MODEL_VALUES {int(values)}", "#include <llb_model_parts.hpp>"]
    for model in models:
        lines.append(f"LLB_MODEL_INSTANCE({model.model_class})")
        if values:
            lines.append(f"LLB_MODEL_REGISTER({model.model_class}, {model.name})")
    return "\n".join(lines) + "\n"


def _translation_units(models: Sequence[ModelCpp], jobs: int) -> dict[str, str]:
    """File name -> text of the units to compile. One model: two units (gradient, values) if ``jobs``
    allows and the program has no functions, else one. Several: one unit per job, each defining
    everything for its share of the models."""
    if len(models) > 1:
        shares = [list(models[i::jobs]) for i in range(min(jobs, len(models)))]
        return {f"models{i}.cpp": _unit(share, gradient=True, values=True) for i, share in enumerate(shares)}
    model_cpp = models[0].hpp.read_text()
    class_start = model_cpp.find(" final : public model_base_crtp<")
    defines_functions = class_start < 0 or "pstream__" in model_cpp[:class_start]
    if jobs < 2 or defines_functions:
        return {"model.cpp": _unit(models, gradient=True, values=True)}
    return {"gradient.cpp": _unit(models, gradient=True, values=False), "values.cpp": _unit(models, gradient=False, values=True)}


def _build_library(models: Sequence[ModelCpp], work: Path, toolchain: Toolchain, jobs: int, *, timeout: float = COMPILE_TIMEOUT) -> dict[str, float]:
    """stanc's C++ for ``models`` (from _stanc, in ``work``) -> object(s) -> ``work/model.so``, in at
    most ``timeout`` seconds for the compile and the link together."""
    pch_flags = precompiled_header(toolchain)
    runner = runner_object(toolchain)
    library = work / LIBRARY_NAME
    units = _translation_units(models, jobs)
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
        timeout=timeout,
    )
    compile_seconds = time.perf_counter() - start
    for cxx in results:
        if not cxx.ok:
            raise ProgramError(f"C++ compilation failed: {_compiler_error(cxx.stderr, cxx.describe())}", stage="compile")
    # -Bsymbolic: the runner's registry and each model's calls bind to this library's own copies
    # even when other model libraries are loaded in the same process.
    link = run_command(
        [toolchain.compiler, "-shared", "-Wl,-Bsymbolic", "-o", library, *objects, runner, *toolchain.link_flags],
        timeout=max(timeout - compile_seconds, 1.0),
    )
    if not link.ok:
        raise ProgramError(f"linking failed: {_compiler_error(link.stderr, link.describe())}", stage="compile")
    for leftover in [*(model.hpp for model in models), *objects, *(work / name for name in units)]:
        leftover.unlink()
    return {"stanc": sum(model.stanc_seconds for model in models), "compile": compile_seconds, "link": link.seconds, "units": len(units)}


def _check_loads(library: Path, timeout: float) -> None:
    """Raise ProgramError unless ``library`` loads (in another process, as the fits will load it).

    The link does not require every symbol to be defined, and one model of a shared library needing
    one that no library provides would make all of its models fail to load: better they compile
    alone, so that only that one fails."""
    loading = run_command([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])", library], timeout=max(timeout, 1.0))
    if not loading.ok:
        said = loading.stderr.strip().splitlines()  # Python's traceback: the loader's words are its last line
        raise ProgramError(f"the library does not load: {said[-1][:400] if said else loading.describe()}", stage="compile")


def _compiler_error(stderr: str, fallback: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()[:400]
    return fallback
