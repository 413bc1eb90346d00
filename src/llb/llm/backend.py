"""Ask an LLM for N candidate programs, with every reply cached on disk.

The backend speaks the OpenAI chat-completions protocol through the ``openai`` SDK, so it works with
OpenAI and with OpenAI-compatible servers (vLLM, llama.cpp's server, Ollama, LM Studio), configured by
the standard ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``. It asks for ``n`` completions per request
and, when a server returns fewer (llama.cpp's ignores ``n``), asks again for the rest. Waits are
bounded (connect and read timeouts, a total retry budget per request); 429s, 5xx answers, timeouts
and dropped connections are retried with backoff.

Reply i of a problem is cached under a key made of the backend, the model, the exact messages, the
temperature and i: a rerun asks for nothing, and a larger ``--n-models`` asks only for the new
indices. Replies are independent draws, so any cached subset is as good as a fresh one.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

from llb.errors import LlbError
from llb.files import write_atomic

logger = logging.getLogger("llb.llm.backend")

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TEMPERATURE = 1.0
DEFAULT_MAX_TOKENS = 2048
DEFAULT_BATCH = 4  # completions asked for per request
DEFAULT_CONCURRENCY = 4  # requests in flight at once


class LlmError(LlbError):
    """The LLM cannot be used as configured (unreachable, bad key, unknown model, ...)."""


class Backend(Protocol):
    identity: str  # what distinguishes its replies in the cache (protocol and server)

    def complete(self, messages: Sequence[dict[str, str]], *, model: str, n: int, temperature: float, max_tokens: int) -> list[str]:
        """Up to ``n`` completions of ``messages`` (a server may return fewer)."""
        ...


def llm_configured() -> bool:
    """Whether the environment names an OpenAI-compatible server or key."""
    return bool(os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))


DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds to open a connection ($LLB_LLM_CONNECT_TIMEOUT)
DEFAULT_READ_TIMEOUT = 180.0  # seconds a server may take to answer one request ($LLB_LLM_TIMEOUT, --llm-timeout)
DEFAULT_RETRY_BUDGET = 600.0  # seconds one request may take, its retries included ($LLB_LLM_RETRY_BUDGET)
MAX_ATTEMPTS = 4


@dataclass(frozen=True)
class LLM:
    """Which OpenAI-compatible server and model to ask, and how.

    ``None`` fields come from the environment when the backend is made, as for ``llb run``:
    ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``, ``LLB_MODEL`` (else gpt-4o-mini), ``LLB_LLM_TIMEOUT``.
    """

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    temperature: float = DEFAULT_TEMPERATURE  # 1: the model's own distribution, which the method assumes
    max_tokens: int = DEFAULT_MAX_TOKENS
    concurrency: int = DEFAULT_CONCURRENCY  # requests in flight at once
    timeout: float | None = None  # seconds one request may take to be answered

    def __post_init__(self) -> None:
        if self.timeout is not None and not self.timeout > 0:
            raise LlmError(f"the LLM timeout must be a positive number of seconds, not {self.timeout:g}")
        if self.max_tokens < 1 or self.concurrency < 1:
            raise LlmError("the LLM's max_tokens and concurrency must be at least 1")

    @property
    def model_name(self) -> str:
        return self.model or os.environ.get("LLB_MODEL") or DEFAULT_MODEL

    def backend(self) -> "OpenAIBackend":
        return OpenAIBackend(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout)


def _seconds_from_env(name: str, default: float) -> float:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise LlmError(f"{name}={text!r} is not a number of seconds; set it to, say, {default:g}") from None
    if not value > 0:
        raise LlmError(f"{name} must be a positive number of seconds, not {text!r}")
    return value


class OpenAIBackend:
    """Chat completions through the ``openai`` SDK, with bounded waits.

    A connection must open within ``connect_timeout`` seconds and a request be answered within
    ``timeout``; connection failures, timeouts, 429s and 5xx answers are retried with backoff
    (honouring Retry-After) at most ``MAX_ATTEMPTS`` times and only while ``retry_budget`` seconds
    have not passed since the request started. Anything that is not a chat completion (an HTML page,
    a body cut short) is a one-line LlmError.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        retry_budget: float | None = None,
        max_retries: int = MAX_ATTEMPTS - 1,
    ) -> None:
        try:
            import openai
        except ImportError:  # pragma: no cover - it is a dependency
            raise LlmError("the openai package is not installed; run `make install`") from None
        self._openai = openai
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"  # local servers need no key
        self.identity = f"openai-chat:{self.base_url.rstrip('/')}"
        self.timeout = timeout if timeout is not None else _seconds_from_env("LLB_LLM_TIMEOUT", DEFAULT_READ_TIMEOUT)
        self.connect_timeout = connect_timeout if connect_timeout is not None else _seconds_from_env("LLB_LLM_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)
        self.retry_budget = retry_budget if retry_budget is not None else _seconds_from_env("LLB_LLM_RETRY_BUDGET", DEFAULT_RETRY_BUDGET)
        self.attempts = max(1, max_retries + 1)
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=key, timeout=openai.Timeout(self.timeout, connect=self.connect_timeout), max_retries=0
        )

    def complete(self, messages: Sequence[dict[str, str]], *, model: str, n: int, temperature: float, max_tokens: int) -> list[str]:
        start = time.monotonic()
        for attempt in range(self.attempts):
            try:
                response = self._client.chat.completions.create(
                    model=model, messages=list(messages), n=n, temperature=temperature, max_tokens=max_tokens  # type: ignore[arg-type]
                )
                return self._completions(response)
            except self._openai.APIError as error:
                failure, wait = self._describe(error, model)
            remaining = self.retry_budget - (time.monotonic() - start)
            if wait is None or attempt + 1 >= self.attempts or remaining <= wait:
                raise LlmError(failure) from None
            logger.info("%s; retrying in %.1f s", failure, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _completions(self, response: object) -> list[str]:
        """The texts of a chat completion; LlmError for any other answer."""
        try:
            choices = response.choices  # type: ignore[attr-defined]
            return [choice.message.content or "" for choice in choices]
        except (AttributeError, TypeError):
            start = _short(response if isinstance(response, str) else repr(response), 60)
            raise LlmError(
                f"the server at {self.base_url} did not answer with an OpenAI chat completion (it sent {start!r}); "
                "check OPENAI_BASE_URL (for most servers it ends in /v1)"
            ) from None

    def _describe(self, error: Exception, model: str) -> tuple[str, float | None]:
        """(one-line reason, seconds to wait before retrying, or None if retrying cannot help)."""
        openai = self._openai
        url = self.base_url
        if isinstance(error, openai.AuthenticationError):
            return f"the LLM server at {url} rejected the API key; set OPENAI_API_KEY to a valid key", None
        if isinstance(error, openai.NotFoundError):
            return f"the LLM server at {url} does not know the model {model!r}; choose another with --model", None
        if isinstance(error, openai.PermissionDeniedError):
            return f"the API key may not use the model {model!r} at {url}", None
        if isinstance(error, openai.APITimeoutError):
            reason = (
                f"the LLM server at {url} accepted the connection but sent no answer within {self.timeout:g} s (hung or overloaded?); "
                "raise --llm-timeout (or LLB_LLM_TIMEOUT) if the model is just slow"
            )
            return reason, 1.0
        if isinstance(error, openai.APIConnectionError):
            cause = error.__cause__
            if cause is not None and type(cause).__name__ in ("RemoteProtocolError", "ReadError"):
                return f"the LLM server at {url} closed the connection before finishing its answer", 1.0
            return f"cannot reach an LLM server at {url}; check OPENAI_BASE_URL and that the server is running", 1.0
        if isinstance(error, openai.APIStatusError):
            retry = error.status_code == 429 or error.status_code >= 500
            wait = _retry_after(error.response.headers) if retry else None
            if error.status_code == 429:
                return f"the LLM server at {url} kept answering 429 (rate limit); try again later or lower --concurrency", wait
            return f"the LLM server at {url} answered {error.status_code}: {_short(error.message)}", wait
        if isinstance(error, openai.APIResponseValidationError):
            return f"the server at {url} did not answer with an OpenAI chat completion; check OPENAI_BASE_URL", None
        return f"the LLM request to {url} failed: {_short(str(error))}", None


def _retry_after(headers) -> float:
    """Seconds the server asks to wait (Retry-After-Ms or Retry-After), else 1 s; at most 60 s."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return min(60.0, max(0.0, float(headers.get(name)) * scale))
        except (TypeError, ValueError):
            continue
    return 1.0


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Reply:
    index: int
    text: str
    cached: bool


class ReplyCache:
    """One JSON file per reply, written atomically, under ``root`` (see ``default``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def default(cls) -> "ReplyCache":
        """``$LLB_REPLY_CACHE``, else ``replies/`` in llb's cache folder."""
        from llb.files import default_cache_dir

        configured = os.environ.get("LLB_REPLY_CACHE")
        return cls(Path(configured).expanduser() if configured else default_cache_dir() / "replies")

    @staticmethod
    def key(*, backend: str, model: str, messages: Sequence[dict[str, str]], temperature: float, index: int) -> str:
        document = {"backend": backend, "model": model, "messages": list(messages), "temperature": temperature, "index": index}
        return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        try:
            return json.loads(self._path(key).read_text())["text"]
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, text: str, *, model: str) -> None:
        write_atomic(self._path(key), json.dumps({"text": text, "model": model, "saved": time.time()}))


def generate_replies(
    messages: Sequence[dict[str, str]],
    *,
    backend: Backend,
    n_models: int,
    model: str = DEFAULT_MODEL,
    temperature: float = DEFAULT_TEMPERATURE,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    cache: ReplyCache,
    batch: int = DEFAULT_BATCH,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_reply: Callable[[Reply], None] | None = None,
) -> list[Reply]:
    """Replies 0..n_models-1, from the cache where present, else from the backend (then cached).

    A configuration error (unreachable server, bad key, unknown model) raises LlmError after the
    requests in flight finish; replies already received stay cached for the next attempt.
    """
    if n_models < 1:
        raise LlmError("--n-models must be at least 1")
    keys = [
        ReplyCache.key(backend=backend.identity, model=model, messages=messages, temperature=temperature, index=i)
        for i in range(n_models)
    ]
    replies: dict[int, Reply] = {}
    missing = []
    for index, key in enumerate(keys):
        text = cache.get(key)
        if text is None:
            missing.append(index)
        else:
            replies[index] = Reply(index, text, True)
            if on_reply:
                on_reply(replies[index])
    lock = threading.Lock()

    def fetch(indices: list[int]) -> None:
        pending = list(indices)
        while pending:
            texts = backend.complete(messages, model=model, n=len(pending), temperature=temperature, max_tokens=max_tokens)
            if not texts:
                raise LlmError("the LLM server returned no completion; check that the model can chat")
            for index, text in zip(pending, texts):
                cache.put(keys[index], text, model=model)
                with lock:
                    replies[index] = Reply(index, text, False)
                if on_reply:
                    on_reply(replies[index])
            pending = pending[len(texts) :]
            if pending:
                logger.info("server returned %d of %d completions; asking again for the rest", len(texts), len(texts) + len(pending))

    chunks = [missing[i : i + batch] for i in range(0, len(missing), max(batch, 1))]
    if chunks:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            futures = [pool.submit(fetch, chunk) for chunk in chunks]
            first_error: BaseException | None = None
            for future in concurrent.futures.as_completed(futures):
                error = future.exception()
                if error is not None and first_error is None:
                    first_error = error
                    for other in futures:
                        other.cancel()
            if first_error is not None:
                raise first_error
    return [replies[i] for i in range(n_models)]

