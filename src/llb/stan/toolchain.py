"""The Stan toolchain: stanc, Stan's headers and libraries, a C++ compiler and the build cache.

Everything Stan-specific comes from the pinned ``httpstan`` wheel, which ships a standalone stanc3,
the Stan/Math/Eigen/Boost/TBB/Sundials headers and the libraries to link against. The C++ compiler is
clang++ (fastest with a precompiled header) or, failing that, g++. Two artefacts are built once per
toolchain and cached: a precompiled header of ``stan/model/model_header.hpp`` (with clang, plus the
instantiations llb's warm-up programs need) and the object file of llb's own runner
(``cpp/llb_runner.cpp``); each program then costs one or two translation units and a link.

The cache folder is ``$LLB_CACHE_DIR`` or ``~/.cache/llb``. Builds take a file lock and publish with
an atomic rename, so several processes may start at once and build each artefact only once.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from llb.errors import ToolchainError
from llb.files import default_cache_dir
from llb.stan.process import run_command

logger = logging.getLogger("llb.stan.toolchain")

RUNNER_SOURCE = Path(__file__).with_name("cpp") / "llb_runner.cpp"
# llb's own headers, searched before Stan's: llb_model_parts.hpp and a stand-in for Stan's
# model_base_crtp.hpp that lets one model compile as two translation units (see compile.py).
LLB_INCLUDE_DIR = Path(__file__).with_name("cpp") / "include"
# Stan programs written the way LLM-written programs usually are; their C++ goes into the
# precompiled header so that the Stan-math templates they use are instantiated once per toolchain,
# not once per program (see _warm_code).
WARM_PROGRAMS_DIR = Path(__file__).with_name("cpp") / "warm"
OPT_LEVEL = "-O1"  # measured: -O0 makes gradients ~10x slower, -O2/-O3 compile much longer
COMPILE_TIMEOUT = 600.0
# Defines shared by the precompiled header, the runner and every model; they must match exactly.
# _GLIBCXX_USE_CXX11_ABI=0 matches how httpstan built libtbb. No STAN_THREADS: chains of one program
# run one after another in one process; parallelism is across programs (processes).
DEFINES = ("-D_GLIBCXX_USE_CXX11_ABI=0", "-DBOOST_DISABLE_ASSERTS", "-D_REENTRANT")
_COMPILER_CANDIDATES = ("clang++-16", "clang++", "g++")


@dataclass(frozen=True)
class Toolchain:
    """Where the Stan pieces are and how to call the compiler; ``key`` names its build cache."""

    stanc: Path
    include_dir: Path
    lib_dir: Path
    stan_version: str
    compiler: Path
    compiler_kind: str  # "clang" or "gcc"
    compiler_version: str
    cache_dir: Path

    @property
    def cxxflags(self) -> tuple[str, ...]:
        # clang refuses a precompiled header whose input files have a newer mtime, which a reinstall
        # or a fresh clone gives llb's and Stan's headers even when their content is the same (the
        # cache key already covers content); this makes it compare content when the mtime differs.
        validate = ("-fpch-validate-input-files-content",) if self.compiler_kind == "clang" else ()
        return ("-std=c++17", OPT_LEVEL, "-fPIC", "-w", *validate, *DEFINES, f"-I{LLB_INCLUDE_DIR}", f"-I{self.include_dir}")

    @property
    def key(self) -> str:
        """Identifies everything that makes compiled objects compatible, llb's own headers included."""
        text = "\n".join([self.stan_version, str(self.compiler), self.compiler_version, *self.cxxflags, _llb_sources_hash()])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def build_dir(self) -> Path:
        return self.cache_dir / "toolchain" / self.key

    @property
    def link_flags(self) -> tuple[str, ...]:
        # Sundials (static, position independent) serves the ODE and DAE solvers; the linker takes
        # only the objects a program uses, so other programs are unchanged.
        sundials = ("-lsundials_cvodes", "-lsundials_idas", "-lsundials_kinsol", "-lsundials_nvecserial")
        return (f"-L{self.lib_dir}", *sundials, "-ltbb", f"-Wl,-rpath,{self.lib_dir}")


@functools.lru_cache(maxsize=1)
def _llb_sources_hash() -> str:
    """llb's headers and warm-up programs: a change to either needs a new precompiled header."""
    digest = hashlib.sha256()
    for path in sorted([*LLB_INCLUDE_DIR.rglob("*.hpp"), *WARM_PROGRAMS_DIR.glob("*.stan")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def find_toolchain(cache_dir: Path | None = None) -> Toolchain:
    """Locate stanc, headers, libraries and a compiler; raises ToolchainError with a fix.

    The cache folder is read from the environment on every call (tests point it elsewhere).
    """
    spec = importlib.util.find_spec("httpstan")
    if spec is None or not spec.submodule_search_locations:
        raise ToolchainError("the httpstan package is not installed; run `make install` (or pip install httpstan==4.13.0)")
    package_dir = Path(list(spec.submodule_search_locations)[0])
    stanc = package_dir / "stanc"
    include_dir = package_dir / "include"
    lib_dir = package_dir / "lib"
    for needed in (stanc, include_dir / "stan" / "version.hpp", lib_dir / "libtbb.so"):
        if not needed.exists():
            raise ToolchainError(f"httpstan is incomplete ({needed} is missing); reinstall it with pip install --force-reinstall httpstan==4.13.0")
    if not os.access(stanc, os.X_OK):
        stanc.chmod(stanc.stat().st_mode | 0o111)
    compiler, kind, version = _choose_compiler()
    return Toolchain(
        stanc=stanc,
        include_dir=include_dir,
        lib_dir=lib_dir,
        stan_version=_stan_version(include_dir),
        compiler=compiler,
        compiler_kind=kind,
        compiler_version=version,
        cache_dir=(cache_dir or default_cache_dir()).resolve(),
    )


def _stan_version(include_dir: Path) -> str:
    text = (include_dir / "stan" / "version.hpp").read_text()
    parts = [re.search(rf"#define STAN_{name} (\d+)", text) for name in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        raise ToolchainError(f"cannot read Stan's version from {include_dir}/stan/version.hpp")
    return ".".join(match.group(1) for match in parts if match)


def _choose_compiler() -> tuple[Path, str, str]:
    """``$LLB_CXX`` if set, else clang++-16, clang++, g++ (first found)."""
    return _choose_compiler_from(os.environ.get("LLB_CXX"))


@functools.lru_cache(maxsize=None)
def _choose_compiler_from(requested: str | None) -> tuple[Path, str, str]:
    candidates = (requested,) if requested else _COMPILER_CANDIDATES
    for name in candidates:
        path = shutil.which(name) if name else None
        if path is None:
            continue
        result = run_command([path, "--version"], timeout=30)
        if not result.ok:
            continue
        first_line = result.stdout.splitlines()[0] if result.stdout else name
        kind = "clang" if "clang" in first_line else "gcc"
        return Path(path), kind, first_line.strip()
    if requested:
        raise ToolchainError(f"LLB_CXX={requested} is not a working C++ compiler; unset it or point it at clang++ or g++")
    raise ToolchainError("no C++ compiler found; install clang-16 (apt-get install clang-16) or g++")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock held on ``path`` (created if needed) across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def try_file_lock(path: Path) -> Iterator[bool]:
    """An exclusive lock on ``path`` if no other process holds it: yields whether it was taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_once(target: Path, build) -> Path:
    """Create ``target`` with ``build(tmp_path)`` unless it exists; safe under concurrency.

    ``build`` writes into a temporary path beside the target, which is then renamed into place, so a
    reader never sees a half-written file and a crashed build leaves nothing behind.
    """
    if target.exists():
        return target
    with file_lock(target.with_name(target.name + ".lock")):
        if target.exists():
            return target
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
            tmp_target = Path(tmp) / target.name
            build(tmp_target)
            os.replace(tmp_target, target)
    return target


def precompiled_header(toolchain: Toolchain) -> tuple[str, ...]:
    """Build (once) the precompiled model header; returns the compiler flags that use it."""
    pch_dir = toolchain.build_dir / "pch"
    pch_dir.mkdir(parents=True, exist_ok=True)
    # The header's path as the filesystem has it: the compiled header records it, and a path through
    # a symbolic link (a cache sharing another's toolchain folder) would break it with the link.
    pch_dir = pch_dir.resolve()
    header = pch_dir / "llb_model_header.hpp"
    if not header.exists():
        with file_lock(pch_dir / "header.lock"):
            if not header.exists():
                text = "#include <stan/model/model_header.hpp>\n"
                if toolchain.compiler_kind == "clang":  # only clang keeps the instantiations in its PCH
                    text += _warm_code(toolchain)
                tmp = header.with_suffix(".tmp")
                tmp.write_text(text)
                os.replace(tmp, header)
    if toolchain.compiler_kind == "clang":
        target = pch_dir / "llb_model_header.hpp.pch"
        extra: tuple[str, ...] = ("-fpch-instantiate-templates",)
        use_flags = ("-include-pch", str(target))
    else:  # g++ picks up header.gch when the header is included by name
        target = pch_dir / "llb_model_header.hpp.gch"
        extra = ()
        use_flags = ("-include", str(header))

    def build(tmp_target: Path) -> None:
        logger.info("building the precompiled Stan header (once per toolchain; about 30-60 s)")
        result = run_command(
            [toolchain.compiler, *toolchain.cxxflags, *extra, "-x", "c++-header", header, "-o", tmp_target],
            timeout=COMPILE_TIMEOUT,
        )
        if not result.ok:
            raise ToolchainError(f"building the precompiled header failed: {result.describe()}: {_first_error(result.stderr)}")

    build_once(target, build)
    return use_flags


_WARM_INSTANTIATIONS = """
namespace llb_warm {
// Never called: naming these member templates makes the precompiled header instantiate them, and
// with them the Stan-math templates a model's log density, write_array and transforms use.
template <typename M>
void instantiate(const M& model) {
  Eigen::Matrix<stan::math::var, -1, 1> v;
  Eigen::VectorXd d, out;
  model.template log_prob<true, true>(v, nullptr);
  model.template log_prob<true, false>(v, nullptr);
  model.template log_prob<false, true>(d, nullptr);
  model.template log_prob<false, false>(d, nullptr);
  stan::rng_t rng(0);
  model.write_array(rng, d, out, true, true, nullptr);
  model.unconstrain_array(d, out, nullptr);
  stan::io::empty_var_context context;
  model.transform_inits(context, out, nullptr);
}
"""


def _warm_code(toolchain: Toolchain) -> str:
    """C++ for the warm-up programs, made safe to include beside any model.

    A model translation unit spends most of its front-end time instantiating Stan-math templates
    (a density for a vector of autodiff variables, the deserializer, constraint transforms); an
    instantiation already in the precompiled header is reused, so these programs collect the common
    ones. stanc's output is trimmed of what would clash with a model's own: the ``stan_model`` alias,
    ``new_model`` and the profile map (made an inline variable).
    """
    pieces = ["#include <stan/io/empty_var_context.hpp>\n"]
    names = []
    with tempfile.TemporaryDirectory() as tmp:
        for program in sorted(WARM_PROGRAMS_DIR.glob("*.stan")):
            name = f"llb_warm_{program.stem}"
            out = Path(tmp) / f"{name}.hpp"
            result = run_command([toolchain.stanc, f"--name={name}", f"--o={out}", program], timeout=60)
            if not result.ok:
                raise ToolchainError(f"stanc rejected llb's warm-up program {program.name}: {_first_error(result.stderr)}")
            cpp = out.read_text()
            cpp = cpp[: cpp.index("using stan_model =")]
            cpp = cpp.replace("stan::math::profile_map profiles__;", "inline stan::math::profile_map profiles__;", 1)
            pieces.append(cpp)
            names.append(name)
    pieces.append(_WARM_INSTANTIATIONS)
    pieces += [f"inline void instantiate_{name}(const {name}_namespace::{name}& m) {{ instantiate(m); }}\n" for name in names]
    pieces.append("}  // namespace llb_warm\n")
    return "\n".join(pieces)


def _runner_path(toolchain: Toolchain) -> Path:
    source_hash = hashlib.sha256(RUNNER_SOURCE.read_bytes()).hexdigest()[:16]
    return toolchain.build_dir / f"llb_runner-{source_hash}.o"


def toolchain_built(toolchain: Toolchain) -> bool:
    """Whether the runner (and so the precompiled header it is built with) is already in the cache."""
    return _runner_path(toolchain).exists()


def ensure_built(toolchain: Toolchain | None = None, *, on_build: Callable[[Path], None] | None = None) -> Toolchain:
    """The toolchain with its precompiled header and runner built (``on_build(folder)`` is called
    first when they are not): a run does this before any program's time limit starts."""
    toolchain = toolchain or find_toolchain()
    if not toolchain_built(toolchain):
        if on_build:
            on_build(toolchain.build_dir)
        runner_object(toolchain)
    return toolchain


def runner_object(toolchain: Toolchain) -> Path:
    """Build (once) llb's C++ runner, linked unchanged into every model library."""
    target = _runner_path(toolchain)
    pch_flags = precompiled_header(toolchain)

    def build(tmp_target: Path) -> None:
        logger.info("building llb's C++ runner (once per toolchain; about 10-20 s)")
        result = run_command(
            [toolchain.compiler, *toolchain.cxxflags, *pch_flags, "-c", RUNNER_SOURCE, "-o", tmp_target],
            timeout=COMPILE_TIMEOUT,
        )
        if not result.ok:
            raise ToolchainError(f"building llb's runner failed: {result.describe()}: {_first_error(result.stderr)}")

    return build_once(target, build)


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()[:300]
    return stderr.strip().splitlines()[-1][:300] if stderr.strip() else "no output"
