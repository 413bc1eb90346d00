"""Ask an LLM for N candidate programs, with every reply cached on disk.

The backend speaks the OpenAI chat-completions protocol through the ``openai`` SDK, so it works with
OpenAI and with OpenAI-compatible servers (vLLM, llama.cpp's server, Ollama, LM Studio), configured by
the standard ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``. It asks for ``n`` completions per request
and, when a server returns fewer (llama.cpp's ignores ``n``), asks again for the rest. The SDK retries
429s, 5xx answers, timeouts and dropped connections with exponential backoff.

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

from .errors import LlbError
from .files import write_atomic

logger = logging.getLogger("llb.generate")

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


class OpenAIBackend:
    """Chat completions through the ``openai`` SDK."""

    def __init__(self, *, base_url: str | None = None, api_key: str | None = None, timeout: float = 300.0, max_retries: int = 5) -> None:
        try:
            import openai
        except ImportError:  # pragma: no cover - it is a dependency
            raise LlmError("the openai package is not installed; run `make install`") from None
        self._openai = openai
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"  # local servers need no key
        self.identity = f"openai-chat:{self.base_url.rstrip('/')}"
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=timeout, max_retries=max_retries)

    def complete(self, messages: Sequence[dict[str, str]], *, model: str, n: int, temperature: float, max_tokens: int) -> list[str]:
        openai = self._openai
        try:
            response = self._client.chat.completions.create(
                model=model, messages=list(messages), n=n, temperature=temperature, max_tokens=max_tokens  # type: ignore[arg-type]
            )
        except openai.AuthenticationError:
            raise LlmError(f"the LLM server at {self.base_url} rejected the API key; set OPENAI_API_KEY to a valid key") from None
        except openai.NotFoundError:
            raise LlmError(f"the LLM server at {self.base_url} does not know the model {model!r}; choose another with --model") from None
        except openai.PermissionDeniedError:
            raise LlmError(f"the API key may not use the model {model!r} at {self.base_url}") from None
        except openai.RateLimitError:
            raise LlmError(f"the LLM server at {self.base_url} kept answering 429 (rate limit); try again later or lower --concurrency") from None
        except openai.APITimeoutError:
            raise LlmError(f"the LLM server at {self.base_url} did not answer in time; try again or raise the timeout") from None
        except openai.APIConnectionError:
            raise LlmError(f"cannot reach an LLM server at {self.base_url}; check OPENAI_BASE_URL and that the server is running") from None
        except openai.APIStatusError as error:
            raise LlmError(f"the LLM server at {self.base_url} answered {error.status_code}: {_short(error.message)}") from None
        return [choice.message.content or "" for choice in response.choices]


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
        from .toolchain import default_cache_dir

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

