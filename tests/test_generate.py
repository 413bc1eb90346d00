"""LLM generation against a real HTTP server on 127.0.0.1 speaking the OpenAI chat protocol."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llb.llm.backend import LlmError, OpenAIBackend, ReplyCache, generate_replies
from llb.problem import load_problem
from llb.llm.prompt import EXAMPLES, SYSTEM_MESSAGE, build_messages
from llb.llm.replies import parse_reply
from llm_server import FakeLLMServer

EXAMPLE = Path(__file__).parent / "problems" / "coin"
PROGRAMS = EXAMPLE / "programs"


def reply(program: str, thoughts: str = "A binomial model of the flips.") -> str:
    return f"THOUGHTS START\n{thoughts}\nTHOUGHTS END\nMODEL START\n{program}\nMODEL END"


VALID = reply((PROGRAMS / "penny_beta_50_50.stan").read_text())
UNIFORM = reply((PROGRAMS / "uniform_prior.stan").read_text(), "Nothing known: a uniform prior.")
FENCED = "THOUGHTS START\nLog-odds near zero.\nTHOUGHTS END\nMODEL START\n```stan\n" + (PROGRAMS / "logit_scale.stan").read_text() + "```\nMODEL END\n"
BROKEN = reply((PROGRAMS / "syntax_slip.stan").read_text())
NO_GOAL = reply((PROGRAMS / "no_goal.stan").read_text())
NO_PROGRAM = "I'm sorry, I cannot write Stan code for this."


@pytest.fixture
def messages():
    return build_messages(load_problem(EXAMPLE))


@pytest.fixture
def cache(tmp_path):
    return ReplyCache(tmp_path / "replies")


def backend_for(server: FakeLLMServer, **options) -> OpenAIBackend:
    return OpenAIBackend(base_url=server.base_url, api_key="test-key", **options)


def test_requests_carry_the_exact_messages_and_settings(messages, cache):
    with FakeLLMServer([VALID]) as server:
        replies = generate_replies(messages, backend=backend_for(server), n_models=3, model="stan-writer", temperature=0.7, max_tokens=900, cache=cache, batch=4)
    assert [r.text for r in replies] == [VALID] * 3 and not any(r.cached for r in replies)
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer test-key"
    body = request["body"]
    assert body["model"] == "stan-writer" and body["n"] == 3 and body["temperature"] == 0.7 and body["max_tokens"] == 900
    assert body["messages"] == messages
    assert body["messages"][0] == {"role": "system", "content": SYSTEM_MESSAGE}
    assert len(body["messages"]) == 2 + 2 * len(EXAMPLES)
    assert body["messages"][-1]["content"].startswith("PROBLEM\nI have a coin.")
    assert "\n\nDATA\nint num_flips;" in body["messages"][-1]["content"]
    assert body["messages"][-1]["content"].endswith("GOAL\nreal<lower=0, upper=1> bias; // probability that a flip of this coin comes up heads")


def test_batches_and_a_server_that_ignores_n(messages, cache):
    with FakeLLMServer([VALID, UNIFORM], script=[("reply", 1)]) as server:  # like llama.cpp: one choice whatever n
        replies = generate_replies(messages, backend=backend_for(server), n_models=5, cache=cache, batch=2, concurrency=1)
    assert len(replies) == 5
    assert [r["body"]["n"] for r in server.requests] == [2, 1, 2, 1, 1]  # asks again for the rest of each batch
    assert len(server.requests) == 5


def test_rate_limit_then_success(messages, cache):
    with FakeLLMServer([VALID], script=[("status", 429, {"retry-after-ms": "20"}), ("reply", None)]) as server:
        replies = generate_replies(messages, backend=backend_for(server), n_models=2, cache=cache)
    assert len(replies) == 2 and len(server.requests) == 2


def test_server_error_and_dropped_connection_are_retried(messages, cache):
    script = [("drop",), ("status", 503, {"retry-after-ms": "20"}), ("reply", None)]
    with FakeLLMServer([VALID], script=script) as server:
        replies = generate_replies(messages, backend=backend_for(server), n_models=1, cache=cache)
    assert replies[0].text == VALID and len(server.requests) == 3


def test_cache_hit_asks_nothing_and_more_models_ask_only_for_the_new_ones(messages, cache):
    with FakeLLMServer([VALID, UNIFORM, BROKEN]) as server:
        first = generate_replies(messages, backend=backend_for(server), n_models=3, cache=cache)
        assert len(server.requests) == 1
        second = generate_replies(messages, backend=backend_for(server), n_models=3, cache=cache)
        assert len(server.requests) == 1
        assert [r.text for r in second] == [r.text for r in first] and all(r.cached for r in second)
        more = generate_replies(messages, backend=backend_for(server), n_models=5, cache=cache)
        assert len(server.requests) == 2 and server.requests[-1]["body"]["n"] == 2
        assert [r.cached for r in more] == [True, True, True, False, False]
        # another temperature is another distribution: nothing cached for it
        generate_replies(messages, backend=backend_for(server), n_models=1, temperature=0.5, cache=cache)
        assert len(server.requests) == 3


@pytest.mark.parametrize(
    "status,expected",
    [(401, "rejected the API key"), (404, "does not know the model 'stan-writer'"), (400, "answered 400")],
)
def test_configuration_errors_are_one_line(messages, cache, status, expected):
    with FakeLLMServer([VALID], script=[("status", status, {})]) as server:
        with pytest.raises(LlmError) as error:
            generate_replies(messages, backend=backend_for(server), n_models=1, model="stan-writer", cache=cache)
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_a_hung_server_ends_in_one_line_within_the_timeouts(messages, cache):
    with FakeLLMServer([VALID], script=[("hang", 60)]) as server:
        backend = backend_for(server, timeout=1.0, retry_budget=2.5)
        start = time.perf_counter()
        with pytest.raises(LlmError) as error:
            generate_replies(messages, backend=backend, n_models=1, cache=cache)
        seconds = time.perf_counter() - start
    message = str(error.value)
    assert "accepted the connection but sent no answer within 1 s" in message and "--llm-timeout" in message and "\n" not in message
    assert 1.0 <= seconds < 6.0  # one timeout, one retry, then the budget is spent
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "action, expected",
    [
        (("html",), "did not answer with an OpenAI chat completion (it sent '<!DOCTYPE html>"),
        (("truncate",), "closed the connection before finishing its answer"),
    ],
)
def test_answers_that_are_not_chat_completions_are_one_line(messages, cache, action, expected):
    with FakeLLMServer([VALID], script=[action]) as server:
        with pytest.raises(LlmError) as error:
            generate_replies(messages, backend=backend_for(server, retry_budget=3.0), n_models=1, cache=cache)
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_timeouts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LLB_LLM_TIMEOUT", "42")
    monkeypatch.setenv("LLB_LLM_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("LLB_LLM_RETRY_BUDGET", "99")
    backend = OpenAIBackend(base_url="http://127.0.0.1:9/v1", api_key="x")
    assert (backend.timeout, backend.connect_timeout, backend.retry_budget) == (42.0, 3.0, 99.0)
    monkeypatch.setenv("LLB_LLM_TIMEOUT", "soon")
    with pytest.raises(LlmError, match="LLB_LLM_TIMEOUT='soon' is not a number of seconds"):
        OpenAIBackend(base_url="http://127.0.0.1:9/v1", api_key="x")


def test_unreachable_server(messages, cache):
    backend = OpenAIBackend(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0, timeout=5)
    with pytest.raises(LlmError, match=r"cannot reach an LLM server at http://127.0.0.1:9/v1"):
        generate_replies(messages, backend=backend, n_models=1, cache=cache)


def llb(*args, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run([sys.executable, "-m", "llb", *map(str, args)], capture_output=True, text=True, timeout=900, env={**clean, **env})


def test_llb_run_asks_the_llm_and_a_second_run_asks_nothing(tmp_path):
    pool = [VALID, BROKEN, FENCED, NO_PROGRAM, UNIFORM, NO_GOAL, VALID, UNIFORM]
    with FakeLLMServer(pool, script=[("reply", 1)]) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "k", "LLB_REPLY_CACHE": str(tmp_path / "replies")}
        first = llb("run", EXAMPLE, "--n-models", "8", "--model", "stan-writer", "--out", tmp_path / "run", "--concurrency", "1", env=env)
        assert first.returncode == 0, first.stderr
        assert len(server.requests) == 8  # one completion per request from this server
        assert "8 replies from stan-writer" in first.stdout and "(8 new, 0 from the reply cache)" in first.stdout
        second = llb("run", EXAMPLE, "--n-models", "8", "--model", "stan-writer", "--out", tmp_path / "run2", "--concurrency", "1", env=env)
        assert second.returncode == 0, second.stderr
        assert len(server.requests) == 8
        assert "(0 new, 8 from the reply cache)" in second.stdout
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    statuses = {m["id"]: m["status"] for m in result["models"]}
    assert statuses == {
        "llm-000": "ok", "llm-001": "invalid", "llm-002": "ok", "llm-003": "no_program",
        "llm-004": "ok", "llm-005": "goal_error", "llm-006": "ok", "llm-007": "ok",
    }  # fmt: skip
    by_id = {m["id"]: m for m in result["models"]}
    assert by_id["llm-006"]["duplicate_of"] == "llm-000"
    assert by_id["llm-003"]["reason"] == "the reply contains no Stan program"
    assert by_id["llm-004"]["description"] == "Nothing known: a uniform prior."
    folder = tmp_path / "run" / "models" / "llm-002"
    assert (folder / "reply.txt").read_text() == FENCED
    assert (folder / "description.txt").read_text() == "Log-odds near zero."
    assert "```" not in (folder / "program.stan").read_text()
    second_result = json.loads((tmp_path / "run2" / "result.json").read_text())
    assert second_result["posterior"] == result["posterior"]


def test_no_llm_and_no_programs_is_one_line(tmp_path):
    problem = tmp_path / "p"
    problem.mkdir()
    (problem / "problem.toml").write_text((EXAMPLE / "problem.toml").read_text())
    (problem / "data.json").write_text((EXAMPLE / "data.json").read_text())
    result = llb("run", problem, env={})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("llb: error: no candidate programs: set OPENAI_BASE_URL")


def test_unreachable_server_from_the_command_line(tmp_path):
    start = time.perf_counter()
    result = llb("run", EXAMPLE, "--n-models", "2", env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "LLB_REPLY_CACHE": str(tmp_path)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach an LLM server at http://127.0.0.1:9/v1" in lines[0]
    assert time.perf_counter() - start < 120


def test_a_hung_server_from_the_command_line_shows_progress_and_one_line(tmp_path):
    with FakeLLMServer([VALID], script=[("hang", 60)]) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "LLB_REPLY_CACHE": str(tmp_path), "LLB_LLM_RETRY_BUDGET": "1.5"}
        result = llb("run", EXAMPLE, "--n-models", "2", "--llm-timeout", "1", "--out", tmp_path / "run", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "sent no answer within 1 s" in lines[0]


def test_llb_prompt_prints_the_messages():
    result = subprocess.run([sys.executable, "-m", "llb", "prompt", EXAMPLE, "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert json.loads(result.stdout) == build_messages(load_problem(EXAMPLE))


def test_the_python_api_asks_the_llm_it_is_given(tmp_path, monkeypatch):
    """``llb.run(problem, llm=llb.LLM(...))`` with no OPENAI_* variables set: the server and model come
    from the object, every candidate records which reply it was, and a rerun asks nothing."""
    import llb

    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLB_REPLY_CACHE", str(tmp_path / "replies"))
    with FakeLLMServer([VALID, NO_PROGRAM, VALID]) as server:
        model = llb.LLM(base_url=server.base_url, api_key="k", model="stan-writer", concurrency=1)
        result = llb.run(load_problem(EXAMPLE), llm=model, n_models=3, out=tmp_path / "run", progress=False, write_report=False)
        asked = len(server.requests)
        again = llb.run(load_problem(EXAMPLE), llm=model, n_models=3, out=tmp_path / "run", progress=False, write_report=False)
        assert len(server.requests) == asked  # every reply came from the cache
    models = result.models.set_index("id")
    assert list(models["status"]) == ["ok", "no_program", "ok"]
    assert models.loc["llm-002", "duplicate_of"] == "llm-000"
    assert models.loc["llm-001", "origin"] == f"reply 1 of stan-writer at {server.base_url}"
    assert again == result
    assert result.program("llm-000").source == parse_reply(VALID).program
