"""``llb serve``: the web page and the JSON API it uses, on Starlette.

Safe by default: it listens on 127.0.0.1 and then answers only requests addressed to this machine
by name (127.0.0.1, localhost, ::1), which keeps a web site a browser visits from reaching it through
a rebound DNS name. On any other address every request must carry the server's token (the
``Authorization: Bearer`` header, or ``?token=`` once, which sets a cookie). A POST must be JSON
(so a page elsewhere cannot post a form to it) and at most ``MAX_BODY`` bytes. The browser names
runs by id and files inside a run's folder only; no request names a path on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any, AsyncIterator, MutableMapping

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from llb.errors import LlbError
from llb.problem import Problem, stan_data
from llb.records import to_json
from llb.stan.data import value_shape
from llb.tables import read_csv_text
from llb.web.runs import BusyError, RequestError, RunBoard, parse_request

logger = logging.getLogger("llb.serve")
STATIC = Path(__file__).parent / "static"
# the bundled problems: examples/ of the checkout llb is installed from (README: pip install -e .)
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MAX_BODY = 32 * 2**20
PREVIEW_ROWS = 50
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]


class FiniteJSONResponse(JSONResponse):
    """JSON with NaN and infinities as null (the browser's JSON.parse refuses them)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(to_json(content), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error(message: str, status: int = 400) -> JSONResponse:
    return FiniteJSONResponse({"error": message}, status_code=status)


class TokenMiddleware:
    """Every request must carry the token (header, cookie, or ``?token=`` which then sets the cookie)."""

    def __init__(self, app: ASGIApp, token: str, cookie: str) -> None:
        self.app, self.token, self.cookie = app, token, cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        header = request.headers.get("authorization", "")
        offered = [header[7:] if header.startswith("Bearer ") else "", request.cookies.get(self.cookie, ""), request.query_params.get("token", "")]
        if not any(hmac.compare_digest(candidate.encode(), self.token.encode()) for candidate in offered if candidate):
            await error("this llb server needs its token: open the address `llb serve` printed, with ?token=...", 401)(scope, receive, send)
            return
        if offered[2] and not offered[1]:

            async def with_cookie(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
                await send(message)

            await self.app(scope, receive, with_cookie)
            return
        await self.app(scope, receive, send)


async def read_json(request: Request) -> Any:
    """The request's JSON body, refused when it is not JSON or larger than MAX_BODY."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise RequestError("send the request as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _TooLarge()
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as problem:
        raise RequestError(f"the request is not valid JSON ({problem})") from None
    except RecursionError:
        raise RequestError("the request's JSON is nested too deeply") from None


class _TooLarge(Exception):
    pass


def make_app(runs: Path, *, token: str | None = None, local_only: bool = True, host: str = "127.0.0.1", port: int = 8000) -> Starlette:
    """The app for ``llb serve`` on ``host:port`` (which names the token's cookie, one per port)."""
    board = RunBoard(runs)

    def handled(endpoint):
        """Turn the errors a request can cause into JSON answers with one line each."""

        async def wrapper(request: Request) -> Response:
            try:
                return await endpoint(request)
            except _TooLarge:
                return error(f"the request is larger than {MAX_BODY // 2**20} MB; upload less data at once", 413)
            except LookupError as problem:
                return error(str(problem.args[0]) if problem.args else "not found", 404)
            except BusyError as problem:
                return error(str(problem), 429)
            except LlbError as problem:
                return error(str(problem))
            except RecursionError:
                return error("the data are nested too deeply")
            except Exception as problem:  # a bug in llb: still one line of JSON, and the server goes on
                logger.exception("request %s failed", request.url.path)
                return error(f"llb could not answer this request ({type(problem).__name__}: {problem}); the server's log has the details", 500)

        return wrapper

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def examples(request: Request) -> Response:
        import tomllib

        folders = [p for p in sorted(EXAMPLES.iterdir()) if (p / "problem.toml").is_file()] if EXAMPLES.is_dir() else []
        found = [{"name": p.name, "text": tomllib.loads((p / "problem.toml").read_text(encoding="utf-8"))["text"].strip()[:200]} for p in folders]
        return FiniteJSONResponse({"examples": found})

    async def example(request: Request) -> Response:
        name = request.path_params["name"]
        folder = EXAMPLES / name
        if "/" in name or name.startswith(".") or not (folder / "problem.toml").is_file():
            raise LookupError(f"there is no bundled example {name!r}")
        return FiniteJSONResponse(_example(folder))

    async def preview(request: Request) -> Response:
        return FiniteJSONResponse(data_preview(await read_json(request)))

    async def create_run(request: Request) -> Response:
        run_request = parse_request(await read_json(request))
        return FiniteJSONResponse({"id": board.start(run_request)}, status_code=201)

    async def list_runs(request: Request) -> Response:
        listed = []
        for id in board.ids():
            snapshot = board.snapshot(id)
            listed.append({key: snapshot[key] for key in ("id", "name", "state", "goal", "total", "done", "seconds", "counts")})
        return FiniteJSONResponse({"runs": listed})

    async def get_run(request: Request) -> Response:
        return FiniteJSONResponse(board.snapshot(request.path_params["id"]))

    async def events(request: Request) -> Response:
        id = request.path_params["id"]
        board.home(id)

        async def stream() -> AsyncIterator[str]:
            last, quiet = None, 0.0
            while True:
                snapshot = to_json(board.snapshot(id))
                text = json.dumps(snapshot)
                if text != last:
                    yield f"data: {text}\n\n"
                    last, quiet = text, 0.0
                elif quiet > 10:
                    yield ": still here\n\n"
                    quiet = 0.0
                if snapshot["state"] != "running" or await request.is_disconnected():
                    return
                await asyncio.sleep(0.5)
                quiet += 0.5

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def run_file(request: Request) -> Response:
        home = board.home(request.path_params["id"]) / "run"
        wanted = (home / request.path_params["path"]).resolve()
        if not wanted.is_relative_to(home.resolve()) or not wanted.is_file():
            raise LookupError(f"the run has no file {request.path_params['path']!r}")
        download = wanted.suffix in (".json", ".nc") and "download" in request.query_params
        return FileResponse(wanted, filename=wanted.name if download else None)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        board.resume_unfinished()

        async def reap() -> None:  # record how each run ended as soon as it ends, page open or not
            while True:
                board.reap()
                await asyncio.sleep(1.0)

        reaper = asyncio.create_task(reap())
        try:
            yield
        finally:
            reaper.cancel()
            board.stop_all()

    routes = [
        Route("/", index),
        Route("/api/examples", handled(examples)),
        Route("/api/examples/{name}", handled(example)),
        Route("/api/data/preview", handled(preview), methods=["POST"]),
        Route("/api/runs", handled(create_run), methods=["POST"]),
        Route("/api/runs", handled(list_runs), methods=["GET"]),
        Route("/api/runs/{id}", handled(get_run)),
        Route("/api/runs/{id}/events", handled(events)),
        Route("/runs/{id}/files/{path:path}", handled(run_file)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK_HOSTS, host])] if local_only else []
    if token:
        middleware.append(Middleware(TokenMiddleware, token=token, cookie=f"llb_token_{port}"))
    async def not_found(request: Request, exc: Exception) -> Response:
        return error(f"there is nothing at {request.url.path}", 404)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return error(f"{request.method} is not how {request.url.path} is used", 405)

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers={404: not_found, 405: not_allowed})
    app.state.board = board
    return app


def _example(folder: Path) -> dict[str, Any]:
    """A bundled problem as the form's fields: text, goal, data, declarations and its recorded programs."""
    import tomllib

    spec = tomllib.loads((folder / "problem.toml").read_text(encoding="utf-8"))
    programs = sorted((folder / "programs").glob("*.stan")) if (folder / "programs").is_dir() else []
    found: dict[str, Any] = {
        "name": folder.name,
        "text": spec["text"].strip(),
        "goal": spec["goal"].strip(),
        "data_declarations": (spec.get("data_declarations") or "").strip() or None,
        "programs": [p.read_text(encoding="utf-8") for p in programs],
        "program_names": [p.stem for p in programs],
    }
    if (folder / "data.csv").is_file():
        found["data_csv"] = (folder / "data.csv").read_text(encoding="utf-8")
    else:
        found["data"] = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    return found


def data_preview(body: Any) -> dict[str, Any]:
    """The data as the page shows it back: a table of the first rows and the inferred declarations."""
    if not isinstance(body, dict) or (("data" in body) == ("data_csv" in body)):
        raise RequestError("send either `data` (a Stan JSON object) or `data_csv` (CSV text)")
    if "data_csv" in body:
        if not isinstance(body["data_csv"], str):
            raise RequestError("`data_csv` must be the text of a CSV file")
        table = read_csv_text(body["data_csv"], source="the CSV data")
        data = table.data
        declarations: str | None = table.declarations
        columns = [name for name, value in data.items() if isinstance(value, list)]
    else:
        data = stan_data(body["data"], source="the JSON data")
        declarations = None  # llb.Problem infers them, as for a run
        columns = [name for name, value in data.items() if len(value_shape(value, name)) == 1]
    given = body.get("data_declarations")
    if given is not None and not isinstance(given, str):
        raise RequestError("`data_declarations` must be a string of Stan declarations")
    # the checks a run makes (stanc on the declarations, the data against them), with a stand-in goal
    checked = Problem("preview", "real llb_preview_goal;", data, given or declarations)
    declarations = checked.data_declarations or ""
    length = max((len(data[c]) for c in columns), default=0)
    same = [c for c in columns if len(data[c]) == length]
    rows = [[data[c][i] for c in same] for i in range(min(length, PREVIEW_ROWS))]
    scalars = {name: value for name, value in data.items() if not isinstance(value, list)}
    shapes = {name: list(value_shape(value, name)) for name, value in data.items()}
    return {"columns": same, "rows": rows, "n_rows": length, "scalars": scalars, "shapes": shapes, "declarations": declarations}
