"""`llb serve`: its JSON API, what it refuses, a run stopped with the server and resumed, and a
person's path through the page in headless Chromium (Debian's, as the report test uses).

Every server here is started by the test itself, on 127.0.0.1 and a free port, with a runs folder
of its own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
COIN = ROOT / "examples" / "coin_penny"


def test_request_fields_are_checked_before_anything_is_written():
    from llb.web.runs import RequestError, _unique, parse_request

    base = {"text": "t", "goal": "real mu;", "data": {}, "programs": ["a", "b", "c", "d"]}
    assert parse_request({**base, "program_names": ["A", "a", "a-2", "a"]}).program_names == ("a", "a-2", "a-2-2", "a-3")
    assert _unique(["x", "x", "x"]) == ["x", "x-2", "x-3"]
    assert parse_request({**base, "seed": None, "n_models": None, "llm": None}).seed == 0
    for bad in ({"llm": 0}, {"llm": []}, {"name": 0}, {"seed": True}, {"n_models": 2.5}, {"programs": "x"}):
        with pytest.raises(RequestError):
            parse_request({**base, **bad})


def test_the_servers_llm_key_goes_only_to_the_servers_llm(tmp_path, monkeypatch):
    """A request naming another LLM address gets no OPENAI_API_KEY in its run's environment."""
    from llb.web import runs as web_runs

    monkeypatch.setattr(web_runs.RunBoard, "_launch", lambda self, id: None)  # no process: only the command is looked at
    monkeypatch.setenv("OPENAI_API_KEY", "sk-server")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    board = web_runs.RunBoard(tmp_path / "runs")
    base = {"text": "t", "goal": "real mu;", "data": {}}
    own = board.start(web_runs.parse_request(base))
    other = board.start(web_runs.parse_request({**base, "llm": {"base_url": "http://elsewhere.example/v1", "model": "m-1"}}))
    _, environment = board.command(own)
    assert environment["OPENAI_API_KEY"] == "sk-server" and environment["OPENAI_BASE_URL"] == "http://127.0.0.1:9/v1"
    command, environment = board.command(other)
    assert "OPENAI_API_KEY" not in environment and environment["OPENAI_BASE_URL"] == "http://elsewhere.example/v1"
    assert "--model=m-1" in command and command[:4] == [sys.executable, "-m", "llb", "run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``llb serve`` in a process of its own; ``stop()`` is Ctrl-C."""

    def __init__(self, runs: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llb", "serve", "--port", str(self.port), "--runs", str(runs), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.banner = self.process.stdout.readline()
        assert "llb serve: open" in self.banner, self.banner + self.process.stdout.read()
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

    def request(self, path: str, body=None, *, headers=None, raw: bytes | None = None, method: str | None = None):
        """(status, decoded JSON body) of a request; the body is sent as JSON unless ``raw``."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Content-Type": "application/json"} if data is not None else {}
        request = urllib.request.Request(self.url + path, data=data, headers={**sent, **(headers or {})}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=60)


@pytest.fixture
def server(tmp_path):
    started = Server(tmp_path / "runs")
    yield started
    started.stop()


def coin_request(n_models: int = 4, **extra) -> dict:
    from llb.web.app import _example

    example = _example(COIN)
    return {"text": example["text"], "goal": example["goal"], "data": example["data"], "programs": example["programs"],
            "n_models": n_models, "name": "coin_penny", **extra}  # fmt: skip


def wait_for(server: Server, id: str, state: str = "finished", seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, run = server.request(f"/api/runs/{id}")
        assert status == 200, run
        if run["state"] == state or run["state"] == "failed":
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {id} did not reach {state}: {run}")


def test_the_api_runs_a_problem_and_answers_as_result_json(server, tmp_path):
    request = coin_request()
    request["text"] += " It is a US penny 🪙 (𝜃 near ½)."  # characters beyond the BMP reach problem.toml intact
    status, created = server.request("/api/runs", request)
    assert status == 201, created
    run = wait_for(server, created["id"])
    assert run["state"] == "finished" and run["counts"] == {"ok": 4} and run["done"] == run["total"] == 4
    result = json.loads((tmp_path / "runs" / created["id"] / "run" / "result.json").read_text())
    assert run["models"] == result["models"] and run["posterior"] == result["posterior"]
    assert 0.45 < run["posterior"]["llb"]["bias"]["mean"] < 0.55  # a US penny, 53 heads in 100
    assert result["problem"]["text"].endswith("It is a US penny 🪙 (𝜃 near ½).")
    assert {"report.html", "result.json", "inference_data.nc"} <= set(run["files"])
    status, listed = server.request("/api/runs")
    assert status == 200 and [r["id"] for r in listed["runs"]] == [created["id"]] and listed["runs"][0]["state"] == "finished"
    with urllib.request.urlopen(f"{server.url}/runs/{created['id']}/files/result.json?download") as response:
        assert "attachment" in response.headers["content-disposition"] and json.loads(response.read()) == result


@pytest.mark.parametrize(
    "body,message",
    [
        ({"text": "t", "goal": "real mu;", "data": {}}, "no programs were given and no LLM is configured"),
        ({"text": "t", "goal": "real mu; real nu;", "data": {}, "programs": ["x"]}, "must be one Stan declaration"),
        ({"text": "t", "goal": "real mu;", "data_csv": "a,b\n1\n", "programs": ["x"]}, "line 2 has 1 fields but the header has 2"),
        ({"text": "t", "goal": "real mu;", "data": {"y": "text"}, "programs": ["x"]}, "'y'"),
        ({"text": "t", "goal": "real mu;", "data": {}, "programs": []}, "`programs` must be a non-empty list"),
        ({"text": "t", "goal": "real mu;", "data": {}, "programs": ["x"], "n_models": 0}, "`n_models` must be a whole number"),
        ({"text": "t", "goal": "real mu;", "data": {}, "data_csv": "a\n1\n"}, "give the data once"),
        ({"text": "t", "goal": "real mu;", "path": "/etc/passwd"}, "unknown field 'path'"),
        ([1, 2], "must be a JSON object"),
        ({"text": "t", "goal": "real mu;", "data": {}, "programs": ["x"], "llm": False}, "`llm` must be an object"),
        ({"text": "t", "goal": "real mu;", "data": {}, "programs": ["x"], "name": []}, "`name` must be a string"),
        ({"text": "t", "goal": "real mu;", "data": {}, "llm": {"model": "--help"}}, "`llm.model` must be a model name"),
        ({"text": "t", "goal": "real mu;", "data": {}, "llm": {"base_url": "file:///etc"}}, "http:// or https://"),
        ({"text": "t", "goal": "real mu;", "data": {}, "programs": ["x"], "program_names": ["a", "b"]}, "one for each of `programs`"),
        ({"text": "t", "goal": "real mu;", "data": {"for": [1]}, "programs": ["x"]}, "data declarations"),
    ],
)
def test_bad_requests_answer_400_with_one_line(server, body, message):
    status, answer = server.request("/api/runs", body)
    assert status == 400 and message in answer["error"] and "\n" not in answer["error"], answer


def test_what_a_browser_cannot_make_the_server_do(server, tmp_path):
    status, created = server.request("/api/runs", coin_request(n_models=1))
    assert status == 201
    id = created["id"]
    for path in [f"/runs/{id}/files/../request.json", f"/runs/{id}/files/..%2frequest.json", f"/runs/{id}/files/%2e%2e/%2e%2e/x",
                 "/api/runs/..%2f..%2fetc", "/api/examples/..%2f..%2fsrc", "/runs/nothere/files/result.json"]:  # fmt: skip
        status, answer = server.request(path)
        assert status == 404, (path, answer)
    status, answer = server.request("/api/runs", raw=b"text=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "JSON" in answer["error"]  # a form posted from another site is refused
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/api/data/preview")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(40 * 2**20))  # an upload over the limit is refused before it is read
    connection.endheaders(b'{"data_csv": "')
    response = connection.getresponse()
    assert response.status == 413 and "larger than 32 MB" in json.loads(response.read())["error"]
    connection.close()
    status, answer = server.request("/api/data/preview", raw=b"{not json")
    assert status == 400 and "not valid JSON" in answer["error"]
    status, answer = server.request("/api/data/preview", raw=b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and "nested too deeply" in answer["error"]
    status, answer = server.request("/api/runs", raw=b'{"text": "\\ud800", "goal": "real mu;", "programs": ["x"]}')
    assert status == 400 and "not valid text" in answer["error"]
    status, answer = server.request("/api/data/preview", raw=b'{"data": {"y": [1, Infinity]}}')
    assert status == 200 and answer["rows"] == [[1], [None]]  # JSON for a browser: no Infinity
    request = urllib.request.Request(server.url + "/api/runs", headers={"Host": "attacker.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400  # a rebound DNS name does not reach a loopback server
    wait_for(server, id)


def test_a_token_is_needed_when_one_is_set(tmp_path):
    server = Server(tmp_path / "runs", "--token", "s3cret-token")
    try:
        assert "?token=s3cret-token" in server.banner
        status, answer = server.request("/api/runs")
        assert status == 401 and "token" in answer["error"]
        assert server.request("/api/runs", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert server.request("/api/runs", headers={"Authorization": "Bearer s3cret-token"}) == (200, {"runs": []})
        with urllib.request.urlopen(server.url + "/?token=s3cret-token") as response:  # the page's address sets a cookie
            cookie = response.headers["set-cookie"].split(";")[0]
        assert server.request("/api/runs", headers={"Cookie": cookie}) == (200, {"runs": []})
    finally:
        server.stop()


SLOW = """
// a program that takes seconds in transformed data (each time it is loaded), so that a run is still going when stopped
data { int num_flips; int num_heads; }
transformed data {
  real spin = 0;
  for (i in 1:12) {
    for (j in 1:200000000) spin += 1e-12;
  }
}
parameters { real<lower=0, upper=1> bias; }
model { bias ~ beta(2 + spin * 0, 2); num_heads ~ binomial(num_flips, bias); }
"""


def test_a_run_stopped_with_the_server_resumes_when_it_starts_again(tmp_path):
    runs = tmp_path / "runs"
    server = Server(runs)
    try:
        request = coin_request(n_models=None)
        request["programs"] = request["programs"][:2] + [SLOW]
        del request["n_models"]
        status, created = server.request("/api/runs", request)
        assert status == 201
        id = created["id"]
        deadline = time.monotonic() + 120
        while server.request(f"/api/runs/{id}")[1]["done"] < 2:
            assert time.monotonic() < deadline, "the first programs did not finish"
            time.sleep(0.2)
    finally:
        server.stop()
    assert server.process.returncode == 0
    models = runs / id / "run" / "models"
    settled = {d.name: (d / "result.json").stat().st_mtime for d in models.iterdir() if (d / "result.json").exists()}
    assert len(settled) == 2 and not (runs / id / "run" / "result.json").exists()
    assert processes_naming(runs) == [], "a process of the stopped run outlived the server"

    again = Server(runs)
    try:
        status, run = again.request(f"/api/runs/{id}")
        assert status == 200 and run["state"] == "running"  # resumed at start-up
        run = wait_for(again, id)
        assert run["state"] == "finished" and run["done"] == 3 and run["counts"] == {"ok": 3}
        for name, mtime in settled.items():  # the programs that had finished were not fitted again
            assert (models / name / "result.json").stat().st_mtime == mtime
    finally:
        again.stop()


def processes_naming(folder: Path) -> list[str]:
    """Command lines of the running processes that mention ``folder`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and str(folder) in command:
            found.append(command)
    return found


def shoot(page, path: Path) -> None:
    """A full-page screenshot; Chromium leaves the page scrolled after one, so scroll back before clicking on."""
    page.screenshot(path=str(path), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")


def test_a_person_gets_the_coin_answer_from_the_page_in_chromium(server, tmp_path):
    """From an empty form to the answer with no command typed; then a CSV's declarations and a bad CSV's error."""
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed for this test: run `make install`"
    shots = Path(os.environ.get("LLB_SCREENSHOTS", tmp_path))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        page.goto(server.url + "/")
        page.select_option("#example-select", "coin_penny")
        page.click("#use-example")
        expect(page.locator("#goal")).to_have_value("real<lower=0, upper=1> bias; // probability that a flip of this coin comes up heads")
        expect(page.locator("#declarations")).to_contain_text("int num_flips;")
        expect(page.locator("#source-example")).to_be_checked()
        page.fill("#n-models", "6")
        shoot(page, shots / "form.png")
        page.click("#start")
        expect(page.locator("#run-view")).to_be_visible()
        expect(page.locator("#programs tbody tr").first).to_be_visible(timeout=120_000)  # statuses appear as they are known
        shoot(page, shots / "live.png")
        expect(page.locator("#run-state")).to_have_text("finished", timeout=300_000)
        expect(page.locator("#programs tbody tr")).to_have_count(6)
        expect(page.locator("#counts")).to_contain_text("ok: 6")
        mean = float(page.locator("#answer table.summary tbody tr td").nth(1).inner_text())
        assert 0.45 < mean < 0.55
        shoot(page, shots / "answer.png")
        with page.expect_popup() as popup:
            page.click("#report-link")
        report = popup.value
        report.wait_for_load_state("load")
        images = report.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        assert images and all(done and width > 300 for done, width in images)
        assert report.locator("table.programs tbody tr").count() == 6

        page.goto(server.url + "/#/")
        table = tmp_path / "heights.csv"
        table.write_text("height,sex,age\n171.2,f,34\n182.5,m,29\n165.0,f,41\n")
        page.set_input_files("#data-file", str(table))
        expect(page.locator("#declarations")).to_contain_text("vector[N] height;")
        expect(page.locator("#declarations")).to_contain_text('array[N] int<lower=1, upper=num_sex> sex; // 1 = "f", 2 = "m"')
        expect(page.locator("#data-table table tbody tr")).to_have_count(3)
        broken = tmp_path / "broken.csv"
        broken.write_text("height,sex\n171.2,f\n182.5\n")
        page.set_input_files("#data-file", str(broken))
        expect(page.locator("#data-error")).to_contain_text("line 3 has 1 fields but the header has 2")
        expect(page.locator("#data-preview")).to_be_hidden()
        page.fill("#goal", "real<lower=0 height;")
        page.click("#start")
        expect(page.locator("#form-error")).to_be_visible()
        page.click("a[href='#/runs']")
        expect(page.locator("#runs tbody tr")).to_have_count(1)
        browser.close()
    assert all(url.startswith(server.url) for url in fetched), [u for u in fetched if not u.startswith(server.url)]  # nothing from elsewhere
