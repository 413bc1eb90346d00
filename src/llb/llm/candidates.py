"""The candidate programs a run starts from: LLM replies, a folder of ``.stan`` files, or program texts.

Each candidate keeps its ``origin`` (the file it was read from, or which LLM reply it was), so that a
run's result says where every weight came from. Where candidates come from, when nothing is said, is
decided in one place (``choose_candidates``), for the CLI and the Python API alike.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from llb.errors import LlbError
from llb.llm.backend import LLM, Reply, ReplyCache, generate_replies, llm_configured
from llb.llm.prompt import build_messages
from llb.llm.replies import parse_reply
from llb.problem import Problem
from llb.progress import Progress

DEFAULT_N_MODELS = 16


@dataclass(frozen=True)
class Candidate:
    """One program drawn for the problem (from the LLM or a folder), before anything is checked."""

    id: str
    source: str
    origin: str = ""  # the file it was read from, or which LLM reply it was
    reply: str | None = None  # the LLM's whole reply
    description: str | None = None  # the model in words, from the reply
    parse_error: str | None = None  # why the reply gave no program


@dataclass(frozen=True)
class Candidates:
    """The candidates and one sentence saying where they came from (printed by ``llb run``)."""

    candidates: list[Candidate]
    origin: str


def read_program_folder(folder: str | Path) -> list[Candidate]:
    """Every ``*.stan`` file in ``folder`` (sorted by name) as a candidate named after the file."""
    folder = Path(folder)
    if folder.is_file():
        raise LlbError(f"programs folder {folder} is a file; give the folder that holds the .stan programs")
    if not folder.is_dir():
        raise LlbError(f"programs folder {folder} does not exist")
    paths = sorted(folder.glob("*.stan"))
    if not paths:
        raise LlbError(f"programs folder {folder} has no .stan files; add candidate programs or point --programs elsewhere")
    return read_program_files(paths)


def read_program_files(paths: Sequence[str | Path]) -> list[Candidate]:
    """Each ``.stan`` file as a candidate named after the file; an undecodable file stays a candidate
    (stanc will reject it, with a status)."""
    candidates = []
    for path in map(Path, paths):
        if path.is_dir():
            raise LlbError(f"{path} is a folder, not a Stan program; rename it or move it elsewhere")
        try:
            source = path.read_text()
        except UnicodeDecodeError:
            source = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as error:
            raise LlbError(f"cannot read the program {path}: {error.strerror}") from None
        candidates.append(Candidate(_safe_id(path.stem), source, str(path)))
    return candidates


def candidates_from_texts(texts: Sequence[str]) -> list[Candidate]:
    """Program texts given directly, named ``program-000``, ``program-001``, ..."""
    return [Candidate(f"program-{index:03d}", text, f"program text {index} given to llb.run") for index, text in enumerate(texts)]


def candidates_from_replies(replies: Sequence[tuple[int, str]], *, model: str = "the LLM") -> list[Candidate]:
    """One candidate per LLM reply (index, text), named ``llm-000``, ``llm-001``, ..."""
    candidates = []
    for index, text in replies:
        parsed = parse_reply(text)
        candidates.append(
            Candidate(
                id=f"llm-{index:03d}",
                source=parsed.program or "",
                origin=f"reply {index} of {model}",
                reply=text,
                description=parsed.description,
                parse_error=parsed.problem,
            )
        )
    return candidates


def ask_llm(problem: Problem, llm: LLM, n_models: int, *, progress: Progress | None = None) -> Candidates:
    """``n_models`` replies to the problem's prompt (cached ones reused) as candidates."""
    progress = progress or Progress()
    backend = llm.backend()
    model = llm.model_name
    counts = {True: 0, False: 0}

    def count(reply: Reply) -> None:
        counts[reply.cached] += 1
        progress.reply(reply)

    started = time.monotonic()
    with progress.asking_llm(model, backend.base_url, n_models):
        replies = generate_replies(
            build_messages(problem), backend=backend, n_models=n_models, model=model, temperature=llm.temperature,
            max_tokens=llm.max_tokens, cache=ReplyCache.default(), concurrency=llm.concurrency, on_reply=count,
        )  # fmt: skip
    origin = (
        f"{n_models} replies from {model} at {backend.base_url} ({counts[False]} new, {counts[True]} from the reply cache) "
        f"in {time.monotonic() - started:.0f} s"
    )
    return Candidates(candidates_from_replies([(r.index, r.text) for r in replies], model=f"{model} at {backend.base_url}"), origin)


def choose_candidates(
    problem: Problem,
    *,
    programs: str | Path | Sequence[str | Path] | None = None,
    llm: LLM | None = None,
    n_models: int | None = None,
    progress: Progress | None = None,
) -> Candidates:
    """The run's candidates, from the first of: ``programs`` (a folder, a list of ``.stan`` paths or of
    program texts; at most ``n_models``), an LLM (``llm``, or one the environment names), the problem
    folder's ``programs/``. No source at all is a one-line LlbError saying how to give one."""
    if n_models is not None and n_models < 1:
        raise LlbError("the number of programs (--n-models) must be at least 1")
    if programs is not None:
        return _given_programs(programs, n_models)
    if llm is not None or llm_configured():
        return ask_llm(problem, llm or LLM(), n_models or DEFAULT_N_MODELS, progress=progress)
    recorded = problem.root / "programs" if problem.root is not None else None
    if recorded is not None and recorded.is_dir():
        candidates = read_program_folder(recorded)[:n_models]
        return Candidates(candidates, f"{len(candidates)} recorded programs from {recorded} (no LLM configured, no programs given)")
    where = f", or put .stan files in {recorded}" if recorded is not None else ""
    raise LlbError(f"no candidate programs: set OPENAI_BASE_URL (and OPENAI_API_KEY) to ask an LLM, give programs (--programs DIR){where}")


def _given_programs(programs: str | Path | Sequence[str | Path], n_models: int | None) -> Candidates:
    if isinstance(programs, (str, Path)) and not is_program_text(programs):
        candidates = read_program_folder(programs)[:n_models]
        return Candidates(candidates, f"{len(candidates)} programs from {programs} (no LLM asked)")
    if isinstance(programs, (str, Path)):
        raise LlbError("programs must be a folder, a list of .stan paths or a list of program texts, not a single program text")
    items = list(programs)
    if not items:
        raise LlbError("the list of programs is empty; give at least one program")
    if all(is_program_text(item) for item in items):
        candidates = candidates_from_texts([str(item) for item in items])[:n_models]
        return Candidates(candidates, f"{len(candidates)} program texts given (no LLM asked)")
    if any(is_program_text(item) for item in items):
        raise LlbError("the list of programs mixes program texts and paths; give one kind")
    candidates = read_program_files(items)[:n_models]
    return Candidates(candidates, f"{len(candidates)} program files given (no LLM asked)")


def is_program_text(item: str | Path) -> bool:
    """A string with a newline or a brace is Stan code, not a path."""
    return isinstance(item, str) and ("\n" in item or "{" in item)


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:100] or "program"
