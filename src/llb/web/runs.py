"""Runs started from the web page: each one a problem folder and an ``llb run`` process.

A run asked for over HTTP is checked here first (a bad goal, data that do not fit, a program list
that is not a list of texts: one-line ``RequestError`` messages, shown on the page), then written
as an ordinary problem folder, ``<runs>/<id>/problem/`` (problem.toml, data.json or data.csv,
programs/), and answered by ``llb run <problem> --out <runs>/<id>/run`` in a process of its own: the
same containment, time limits and resumable run folder as on the command line, and a run that
goes wrong cannot take the server with it. ``<runs>/<id>/request.json`` keeps what was asked, so a
run the server's stop interrupted continues when the server starts again.

What the page shows of a run comes from its folders alone: the records in ``run/models/`` as the
programs settle (weighed as result.json weighs them, for the answer so far), then ``result.json``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llb.errors import LlbError
from llb.files import write_atomic
from llb.pipeline.program import FitSettings
from llb.pipeline.run import RESULT_FILE, assemble_result, read_record
from llb.problem import Problem, load_problem
from llb.tables import read_csv_text

RUN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}")
MAX_ACTIVE_RUNS = 2  # runs going at once; each already uses every core
MAX_PROGRAMS = 1000
MAX_N_MODELS = 1000
STOP_SECONDS = 15.0  # how long a stopped run may take to stop its programs before it is killed


class RequestError(LlbError):
    """What the browser asked for cannot be done; the message says why, in one line."""


class BusyError(RequestError):
    """The server runs as many runs as it takes at once (answered 429)."""


@dataclass(frozen=True)
class RunRequest:
    """A run as asked for: the problem, where the candidates come from, and the run's seed."""

    text: str
    goal: str
    data: dict[str, Any] | None
    data_csv: str | None
    data_declarations: str | None
    programs: tuple[str, ...] | None
    program_names: tuple[str, ...] | None
    n_models: int | None
    seed: int
    llm_model: str | None = None
    llm_base_url: str | None = None
    name: str = "problem"

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text, "goal": self.goal, "data": self.data, "data_csv": self.data_csv,
            "data_declarations": self.data_declarations, "programs": list(self.programs) if self.programs is not None else None,
            "program_names": list(self.program_names) if self.program_names is not None else None,
            "n_models": self.n_models, "seed": self.seed, "llm_model": self.llm_model, "llm_base_url": self.llm_base_url,
            "name": self.name,
        }  # fmt: skip


def parse_request(body: Any) -> RunRequest:
    """A run request from the JSON the page (or any client) posted, every field checked."""
    if not isinstance(body, dict):
        raise RequestError("the request must be a JSON object with text, goal and data")
    _check_text(body)
    known = {"text", "goal", "data", "data_csv", "data_declarations", "programs", "program_names", "n_models", "seed", "llm", "name"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise RequestError(f"unknown field {unknown[0]!r}; the fields are {', '.join(sorted(known))}")
    for key in ("text", "goal"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            raise RequestError(f"`{key}` must be a non-empty string")
    data, data_csv = body.get("data"), body.get("data_csv")
    if data is not None and data_csv is not None:
        raise RequestError("give the data once: either `data` (a Stan JSON object) or `data_csv` (CSV text)")
    if data is not None and not isinstance(data, dict):
        raise RequestError("`data` must be a JSON object of variable names to values (Stan JSON)")
    if data_csv is not None and not isinstance(data_csv, str):
        raise RequestError("`data_csv` must be the text of a CSV file")
    declarations = body.get("data_declarations")
    if declarations is not None and not isinstance(declarations, str):
        raise RequestError("`data_declarations` must be a string of Stan declarations")
    programs = body.get("programs")
    if programs is not None:
        if not isinstance(programs, list) or not all(isinstance(p, str) and p.strip() for p in programs) or not programs:
            raise RequestError("`programs` must be a non-empty list of Stan program texts")
        if len(programs) > MAX_PROGRAMS:
            raise RequestError(f"`programs` holds {len(programs)} programs; at most {MAX_PROGRAMS} are taken at once")
    names = body.get("program_names")
    if names is not None:
        if programs is None or not isinstance(names, list) or len(names) != len(programs) or not all(isinstance(n, str) for n in names):
            raise RequestError("`program_names` must be a list of strings, one for each of `programs`")
        names = _unique([_slug(n) for n in names])
    n_models = body.get("n_models")
    if n_models is not None and (not isinstance(n_models, int) or isinstance(n_models, bool) or not 1 <= n_models <= MAX_N_MODELS):
        raise RequestError(f"`n_models` must be a whole number from 1 to {MAX_N_MODELS}")
    seed = body.get("seed")
    seed = 0 if seed is None else seed
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        raise RequestError("`seed` must be a whole number from 0 to 2147483647")
    llm = body.get("llm")
    llm = {} if llm is None else llm
    if not isinstance(llm, dict) or not all(isinstance(v, str) for v in llm.values()) or set(llm) - {"model", "base_url"}:
        raise RequestError("`llm` must be an object with `model` and `base_url` strings (the key comes from the server's OPENAI_API_KEY)")
    if llm.get("model") and not MODEL_NAME.fullmatch(llm["model"]):
        raise RequestError("`llm.model` must be a model name (letters, digits and . _ : / @ -, not starting with -)")
    if llm.get("base_url") and not re.fullmatch(r"https?://\S+", llm["base_url"]):
        raise RequestError("`llm.base_url` must be an http:// or https:// address")
    name = body.get("name")
    name = "problem" if name is None else name
    if not isinstance(name, str):
        raise RequestError("`name` must be a string")
    return RunRequest(
        body["text"], body["goal"], data, data_csv, declarations or None, tuple(programs) if programs else None,
        tuple(names) if names else None, n_models, seed, llm.get("model") or None, llm.get("base_url") or None, _slug(name),
    )  # fmt: skip


def _check_text(value: Any, where: str = "the request") -> None:
    """Every string in the request must be text that can be written to a file (no lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RequestError(f"{where} holds characters that are not valid text (a lone UTF-16 surrogate); send UTF-8 text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            _check_text(item, f"`{key}`" if where == "the request" else where)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, where)


def problem_of(request: RunRequest) -> Problem:
    """The request's problem, checked as llb.Problem checks it (a one-line error if it does not hold)."""
    data: Any = request.data if request.data is not None else {}
    declarations: str | None
    if request.data_csv is not None:
        table = read_csv_text(request.data_csv, source="the CSV data")
        data = table.data
        declarations = request.data_declarations or table.declarations
    else:
        declarations = request.data_declarations
    return Problem(request.text, request.goal, data, declarations)


def _unique(names: list[str]) -> list[str]:
    """The names with a number added to each repeat, so that every program gets its own file."""
    taken: set[str] = set()
    out = []
    for name in names:
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name}-{number}"
        taken.add(candidate)
        out.append(candidate)
    return out


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but characters beyond the BMP must be written
    as themselves, not as JSON's surrogate pairs."""
    return json.dumps(text, ensure_ascii=False)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return slug or "problem"


@dataclass
class _Process:
    popen: subprocess.Popen
    log: Any


@dataclass
class RunBoard:
    """The runs in one folder: starting them, reading their state, stopping them."""

    folder: Path
    environment: dict[str, str] = field(default_factory=dict)  # extra variables for the runs (the LLM's)
    processes: dict[str, _Process] = field(default_factory=dict)
    _problems: dict[str, Problem] = field(default_factory=dict)
    _results: dict[str, tuple[Any, dict[str, Any] | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    # -- starting -------------------------------------------------------------------------------
    def start(self, request: RunRequest) -> str:
        """Check the request, write its problem folder and start ``llb run`` on it; returns the run's id."""
        problem = problem_of(request)
        going = sum(1 for process in self.processes.values() if process.popen.poll() is None)
        if going >= MAX_ACTIVE_RUNS:
            raise BusyError(f"{going} runs are going already; wait for one to finish (each uses every core)")
        if request.programs is None and not (os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL") or request.llm_base_url):
            raise RequestError("no programs were given and no LLM is configured; give programs, pick an example, or start the server with OPENAI_API_KEY set")
        id = f"{time.strftime('%Y%m%d-%H%M%S')}-{request.name}-{secrets.token_hex(2)}"
        home = self.folder / id
        home.mkdir()
        try:
            self._write_problem(home / "problem", request)
            write_atomic(home / "request.json", json.dumps({**request.to_json(), "created": time.time()}, indent=1, ensure_ascii=False))
        except OSError as error:
            shutil.rmtree(home, ignore_errors=True)  # a folder of its own, made just now
            raise RequestError(f"cannot write the run's folder in {self.folder}: {error.strerror or error}") from None
        self._problems[id] = problem
        self._launch(id)
        return id

    def _write_problem(self, folder: Path, request: RunRequest) -> None:
        folder.mkdir()
        toml = [f"text = {_toml_string(request.text)}", f"goal = {_toml_string(request.goal)}"]
        if request.data_declarations:
            toml.append(f"data_declarations = {_toml_string(request.data_declarations)}")
        (folder / "problem.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
        if request.data_csv is not None:
            (folder / "data.csv").write_text(request.data_csv, encoding="utf-8")
        else:
            (folder / "data.json").write_text(json.dumps(request.data or {}), encoding="utf-8")
        if request.programs is not None:
            (folder / "programs").mkdir()
            width = len(str(len(request.programs)))
            names = request.program_names or [f"{number:0{width}d}" for number in range(1, len(request.programs) + 1)]
            for name, source in zip(names, request.programs):
                (folder / "programs" / f"{name}.stan").write_text(source, encoding="utf-8")

    def _launch(self, id: str) -> None:
        home = self.folder / id
        command, environment = self.command(id)
        log = open(home / "log.txt", "ab")
        popen = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=environment, start_new_session=True,
            preexec_fn=_stop_with_server,
        )  # fmt: skip
        self.processes[id] = _Process(popen, log)

    def command(self, id: str) -> tuple[list[str], dict[str, str]]:
        """The ``llb run`` command that answers run ``id``, and its environment."""
        home = self.folder / id
        request = self._request(id)
        command = [sys.executable, "-m", "llb", "run", str(home / "problem"), "--out", str(home / "run"), "--seed", str(request.get("seed", 0)), "--quiet"]
        if (home / "problem" / "programs").is_dir():
            command += ["--programs", str(home / "problem" / "programs")]
        if request.get("n_models"):
            command += ["--n-models", str(request["n_models"])]
        if request.get("llm_model"):
            command.append(f"--model={request['llm_model']}")
        environment = {**os.environ, **self.environment}
        if request.get("llm_base_url") and request["llm_base_url"] != environment.get("OPENAI_BASE_URL"):
            # another server than the one this server is configured for: it gets no key of this server's
            environment["OPENAI_BASE_URL"] = request["llm_base_url"]
            environment.pop("OPENAI_API_KEY", None)
        return command, environment

    def resume_unfinished(self) -> list[str]:
        """Start again every run of the folder that a stop interrupted (it continues where it was);
        a run whose ``llb run`` ended with an error stays failed."""
        resumed = []
        for id in self.ids():
            home = self.folder / id
            if (home / "run" / RESULT_FILE).exists() or (home / "failed").exists():
                continue
            last = _last_error(home / "log.txt") or ""
            if last.startswith(("llb: error", "llb: internal error")):
                write_atomic(home / "failed", last + "\n")
                continue
            self._launch(id)
            resumed.append(id)
        return resumed

    def reap(self) -> None:
        """Settle every run whose process ended (its state recorded, its process reaped); called periodically."""
        for id, process in list(self.processes.items()):
            if process.popen.poll() is not None and not process.log.closed:
                self.state(id)
                process.log.close()

    # -- stopping ------------------------------------------------------------------------------
    def stop_all(self) -> None:
        """Stop every run (as Ctrl-C stops ``llb run``: its programs are stopped, its folder resumable)."""
        deadline = time.monotonic() + STOP_SECONDS
        going = [p for p in self.processes.values() if p.popen.poll() is None]
        while going and time.monotonic() < deadline:
            for process in going:  # again every second: a signal that lands while a process forks can be lost
                _signal_group(process.popen, signal.SIGTERM)
            time.sleep(1.0)
            going = [p for p in going if p.popen.poll() is None]
        for process in going:
            _signal_group(process.popen, signal.SIGKILL)
            process.popen.wait()
        for process in self.processes.values():
            if not process.log.closed:
                process.log.close()

    # -- reading -------------------------------------------------------------------------------
    def home(self, id: str) -> Path:
        """The folder of run ``id``; a LookupError (404) for a name that is not a run of this folder."""
        self._request(id)
        return self.folder / id

    def _request(self, id: str) -> dict[str, Any]:
        """Run ``id``'s request.json; a LookupError (404) for a name that is not a run of this folder."""
        found = _read_request(self.folder / id) if RUN_ID.fullmatch(id) else None
        if found is None:
            raise LookupError(f"there is no run {id!r}")
        return found

    def ids(self) -> list[str]:
        """The runs of the folder, newest first (a folder without a readable request.json is not one)."""
        return sorted((h.name for h in self.folder.iterdir() if RUN_ID.fullmatch(h.name) and _read_request(h) is not None), reverse=True)

    def state(self, id: str) -> tuple[str, str | None]:
        """("running" | "finished" | "failed" | "stopped", the one-line reason when it is not running or finished).

        "stopped": interrupted by the server's stop (it continues when the server starts again);
        "failed": ``llb run`` ended with an error, which its log's last line says."""
        return self._state(id, self.home(id))

    def _state(self, id: str, home: Path) -> tuple[str, str | None]:
        process = self.processes.get(id)
        if process is not None and process.popen.poll() is None:
            return "running", None
        if (home / "run" / RESULT_FILE).exists():
            return "finished", None
        interrupted = process is not None and process.popen.returncode in (130, 143, -signal.SIGTERM, -signal.SIGINT)
        if (process is None or interrupted) and not (home / "failed").exists():
            return "stopped", "the server stopped while this run was going on; it continues when the server starts again"
        reason = _last_error(home / "log.txt") or "the run stopped without an answer"
        if process is not None and not (home / "failed").exists():
            write_atomic(home / "failed", reason + "\n")
        return "failed", reason

    def snapshot(self, id: str) -> dict[str, Any]:
        """What the page shows of a run: its state, the records so far (as result.json has them), counts, timing."""
        request = self._request(id)
        home = self.folder / id
        state, reason = self._state(id, home)
        run = home / "run"
        result = self._result(id, state, request)
        total = len(request["programs"]) if request.get("programs") else request.get("n_models")
        if request.get("programs") and request.get("n_models"):
            total = min(total, request["n_models"])
        models = result["models"] if result else []
        elapsed = (time.time() if state == "running" else _finished_at(home)) - request["created"]
        done = len(models)
        rate = done / elapsed if elapsed > 0 and done else None
        return {
            "id": id,
            "name": request.get("name", "problem"),
            "state": state,
            "error": reason,
            "goal": request["goal"],
            "text": request["text"],
            "total": total,
            "done": done,
            "seconds": round(elapsed, 1),
            "programs_per_second": round(rate, 3) if rate else None,
            "seconds_left": round((total - done) / rate, 0) if rate and total and state == "running" else None,
            "counts": result["counts"] if result else {},
            "models": models,
            "posterior": result["posterior"] if result else {},
            "weights_ess": result["weights_ess"] if result else None,
            "files": sorted(p.name for p in run.iterdir() if p.is_file() and p.suffix in (".json", ".nc", ".html")) if state == "finished" and run.is_dir() else [],
        }

    def _result(self, id: str, state: str, request: dict[str, Any]) -> dict[str, Any] | None:
        """result.json once the run is finished; before, the records so far weighed as result.json
        weighs them. Made again only when a record or the state changed."""
        run = self.folder / id / "run"
        models = run / "models"
        files = sorted((d.name, (d / RESULT_FILE).stat().st_mtime_ns) for d in models.iterdir() if (d / RESULT_FILE).is_file()) if models.is_dir() else []
        key = (state, tuple(files))
        cached = self._results.get(id)
        if cached is not None and cached[0] == key:
            return cached[1]
        result: dict[str, Any] | None = None
        if state == "finished":
            try:
                result = json.loads((run / RESULT_FILE).read_text())
            except (OSError, ValueError):
                result = None
        else:
            records = [r for r in (read_record(models / name) for name, _ in files) if r is not None]
            if records:
                result = assemble_result(self._problem(id), records, settings=FitSettings(), seed=request.get("seed", 0))
        self._results[id] = (key, result)
        return result

    def _problem(self, id: str) -> Problem:
        if id not in self._problems:
            self._problems[id] = load_problem(self.folder / id / "problem")
        return self._problems[id]


def _read_request(home: Path) -> dict[str, Any] | None:
    """A run folder's request.json, or None when it is missing or not one this server wrote."""
    try:
        found = json.loads((home / "request.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or not all(isinstance(found.get(k), str) for k in ("text", "goal")) or not isinstance(found.get("created"), (int, float)):
        return None
    return found


def _finished_at(home: Path) -> float:
    marker = home / "run" / RESULT_FILE
    if not marker.exists():
        marker = home / "log.txt"
    try:
        return marker.stat().st_mtime
    except OSError:
        return time.time()


def _last_error(log: Path) -> str | None:
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return None
    errors = [line for line in lines if line.startswith("llb: ")]
    return (errors[-1] if errors else lines[-1] if lines else None)


def _signal_group(popen: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(popen.pid, number)
    except ProcessLookupError:
        pass


def _stop_with_server() -> None:
    """In the run's process before it starts: SIGTERM (a clean stop) when the server's thread ends."""
    from llb.stan.process import die_with_parent

    die_with_parent(signal.SIGTERM)
