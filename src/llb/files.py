"""Files llb writes: atomic writes (a reader or a resumed run sees the old file or the new one, never
half of one) and where llb keeps its caches."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process's umask, read without changing it (Linux reports it in /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    The file gets the permissions any file the user's shell creates would (0666 less the umask),
    not the private 0600 of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_text_file(path: Path, *, error: type[Exception], what: str = "file") -> str:
    """The UTF-8 text of ``path``; every way it can fail is ``error`` with one line naming the path."""
    path = Path(path)
    try:
        if path.is_dir():
            raise error(f"{path} is a folder, not a {what}; give the {what} itself")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except PermissionError:
        raise error(f"{path} cannot be read (permission denied)") from None
    except UnicodeDecodeError as decode:
        raise error(f"{path} is not a UTF-8 text file (byte {decode.start} is not UTF-8); save it as UTF-8") from None
    except OSError as failure:
        raise error(f"cannot read {path}: {failure.strerror or failure}") from None


def default_cache_dir() -> Path:
    """``$LLB_CACHE_DIR``, else ``$XDG_CACHE_HOME/llb``, else ``~/.cache/llb``: compiled programs, the toolchain, LLM replies."""
    configured = os.environ.get("LLB_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "llb"
