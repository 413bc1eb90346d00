"""A small OpenAI-compatible chat-completions server for tests, on 127.0.0.1, scripted per request.

Each request is answered by the next action of the script (the last one repeats):
- ("reply", n_or_None): n completions from the reply pool (None: as many as the request's ``n``);
- ("status", code, headers): an error answer with that HTTP status;
- ("drop",): close the connection without answering;
- ("hang", seconds): accept the request and send nothing for that long (then close);
- ("html",): answer 200 with an HTML page, as a web server or proxy at the wrong URL does;
- ("truncate",): start a chat completion and close the connection halfway through it.
Every request body is recorded in ``requests``.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLLMServer:
    def __init__(self, replies: list[str], script: list[tuple] | None = None) -> None:
        self._replies = itertools.cycle(replies)
        self.script = list(script or [("reply", None)])
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()  # ends hanging requests when the server shuts down
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                action = server._next_action(body, self.path, {k.lower(): v for k, v in self.headers.items()})
                if action[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if action[0] == "hang":
                    server._stop.wait(action[1])
                    self.close_connection = True
                    return
                if action[0] == "html":
                    page = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>It works!</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                if action[0] == "truncate":
                    payload = b'{"id": "chatcmpl-test", "object": "chat.completion", "choices": [{"index": 0, "mess'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload) * 4))
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if action[0] == "status":
                    _, code, headers = action
                    payload = json.dumps({"error": {"message": f"scripted {code}", "type": "test", "code": code}}).encode()
                    self.send_response(code)
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                else:
                    count = action[1] if action[1] is not None else int(body.get("n", 1))
                    with server._lock:
                        texts = [next(server._replies) for _ in range(count)]
                    payload = json.dumps(
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body.get("model", "test"),
                            "choices": [
                                {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                                for i, text in enumerate(texts)
                            ],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                        }
                    ).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _next_action(self, body: dict, path: str, headers: dict) -> tuple:
        with self._lock:
            self.requests.append({"path": path, "body": body, "headers": headers})
            index = len(self.requests) - 1
            return self.script[min(index, len(self.script) - 1)]

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "FakeLLMServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
