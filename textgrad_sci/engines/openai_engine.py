"""Any OpenAI-compatible server through the official ``openai`` SDK.

Specs: ``openai:<model>`` and ``openai:<model>@<base_url>``. ``base_url``, ``api_key`` and
``organization`` come from arguments, else ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` and
``OPENAI_ORG_ID``. The SDK's own retries are off: the call path's :class:`RetryPolicy` is the
only one. Structured output: a JSON schema is sent as ``response_format`` type ``json_schema``;
a server that rejects it (400/422/500) is asked once with ``json_object``, then with plain text
and the schema in the prompt; the mode that worked is remembered for this engine. Servers that
take a GBNF grammar in the request body (llama.cpp's: ``grammar_field="grammar"``) get the
request's grammar (or a tag grammar) there.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

from ..secrets import redact_text, register_secret
from .base import ChatRequest, ChatResponse, Engine, EngineError
from .local import tag_grammar
from .retry import RetryPolicy, TransientEngineError, parse_retry_after

log = logging.getLogger("textgrad_sci.engines")
MODES = ("json_schema", "json_object", "text")
_DOWNGRADE_STATUS = {400, 415, 422, 500, 501}
_TRANSIENT_STATUS = {408, 409, 425, 429}
_SCHEMA_HINT = "Answer with a JSON document that matches this JSON schema, and nothing else:\n"


class OpenAIEngine(Engine):
    """A chat model behind an OpenAI-compatible HTTP API."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        organization: str | None = None,
        timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = 8,
        price_per_million: tuple[float, float] | None = None,
        structured_output: str = "json_schema",
        grammar_field: str | None = None,
    ) -> None:
        if not model:
            raise ValueError("the openai engine needs a model name: 'openai:<model>[@<base_url>]'")
        if structured_output not in MODES:
            raise ValueError(f"structured_output must be one of {MODES}, not {structured_output!r}")
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        self.organization = organization or os.environ.get("OPENAI_ORG_ID") or None
        register_secret(self._api_key)
        if self._api_key is None and self.base_url is None:
            raise EngineError(
                "the openai engine needs an API key (OPENAI_API_KEY or api_key=) or, for a "
                "server without keys, a base_url ('openai:<model>@http://127.0.0.1:8000/v1')"
            )
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self.max_concurrency = max_concurrency
        self.price_per_million = price_per_million
        self.structured_output = structured_output
        self.grammar_field = grammar_field
        self._client: Any = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self.model!r}, base_url={self.base_url!r})"

    def describe(self) -> dict:
        return {
            "class": type(self).__name__,
            "model": self.model,
            "base_url": redact_text(self.base_url) if self.base_url else None,
            "structured_output": self.structured_output,
        }

    @property
    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(
                    api_key=self._api_key or "none",
                    base_url=self.base_url,
                    organization=self.organization,
                    timeout=self.timeout,
                    max_retries=0,
                )
            return self._client

    # -- one raw request -------------------------------------------------------------------------
    def _complete(self, request: ChatRequest) -> ChatResponse:
        schema = request.output.json_schema if request.output else None
        mode = self.structured_output if schema is not None else "text"
        while True:
            try:
                response = self._send(request, mode, schema)
            except _Rejected as rejected:
                if mode == "text":
                    raise rejected.error from None
                mode = MODES[MODES.index(mode) + 1]
                continue
            if schema is not None and mode != self.structured_output:
                # remembered only once it worked, so an outage does not downgrade the engine
                log.warning("%s: structured output falls back to %s", self.model, mode)
                self.structured_output = mode
            return response

    def _send(self, request: ChatRequest, mode: str, schema: dict | None) -> ChatResponse:
        import openai

        messages = request.message_dicts()
        kwargs: dict[str, Any] = {"model": self.model, "temperature": request.temperature}
        for name in ("max_tokens", "top_p", "seed"):
            if getattr(request, name) is not None:
                kwargs[name] = getattr(request, name)
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": schema, "strict": False},
            }
        elif mode == "json_object":
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        if schema is not None and mode != "json_schema":
            messages = messages + [{"role": "system", "content": _SCHEMA_HINT + json.dumps(schema)}]
        extra = dict(request.extra)
        grammar = self._grammar(request) if schema is None else None
        if grammar is not None:
            extra[self.grammar_field] = grammar  # type: ignore[index]
        if extra:
            kwargs["extra_body"] = extra
        try:
            completion = self.client.chat.completions.create(messages=messages, **kwargs)
        except openai.APITimeoutError as err:
            raise TransientEngineError(f"timed out after {self.timeout:g}s") from err
        except openai.APIConnectionError as err:
            raise TransientEngineError(f"connection failed: {_cause(err)}") from err
        except openai.APIStatusError as err:
            raise self._status_error(err, mode) from err
        except openai.APIResponseValidationError as err:
            raise TransientEngineError(f"invalid response body: {err}") from err
        except (json.JSONDecodeError, ValueError) as err:
            raise TransientEngineError(f"response body is not valid JSON: {err}") from err
        return _parse(completion)

    def _grammar(self, request: ChatRequest) -> str | None:
        """The GBNF grammar to send in ``grammar_field`` (servers such as llama.cpp's)."""
        out = request.output
        if self.grammar_field is None or out is None:
            return None
        if out.grammar:
            return out.grammar
        return tag_grammar(out.tag) if out.tag else None

    def _status_error(self, err: Any, mode: str) -> Exception:
        status = err.status_code
        message = f"HTTP {status} from {self.base_url or 'the OpenAI API'}: {_body(err)}"
        if mode != "text" and status in _DOWNGRADE_STATUS:
            return _Rejected(EngineError(message))
        if status in _TRANSIENT_STATUS or status >= 500:
            retry_after = parse_retry_after(err.response.headers.get("retry-after"))
            return TransientEngineError(message, retry_after=retry_after, status=status)
        return EngineError(message)


class _Rejected(Exception):
    """The server refused this structured-output mode; try the next one."""

    def __init__(self, error: EngineError):
        self.error = error


def _parse(completion: Any) -> ChatResponse:
    choices = getattr(completion, "choices", None)
    if not choices or getattr(choices[0], "message", None) is None:
        raise TransientEngineError(f"response has no choices: {str(completion)[:200]}")
    usage = getattr(completion, "usage", None)
    return ChatResponse(
        text=choices[0].message.content or "",
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        finish_reason=choices[0].finish_reason,
    )


def _cause(err: BaseException) -> str:
    cause = err.__cause__ or err.__context__
    return f"{type(cause).__name__}: {cause}" if cause else str(err)


def _body(err: Any) -> str:
    try:
        text = err.response.text
    except Exception:  # a streamed or closed body
        text = str(err)
    return redact_text(text[:300])


def parse_spec(rest: str) -> tuple[str, str | None]:
    """``model@http://host/v1`` -> (model, base_url); ``model`` -> (model, None)."""
    for scheme in ("@http://", "@https://"):
        if scheme in rest:
            model, _, url = rest.partition("@")
            return model, url
    return rest, None


def from_spec(rest: str, **kwargs: Any) -> OpenAIEngine:
    """``get_engine("openai:...")`` factory; keyword arguments go to :class:`OpenAIEngine`."""
    model, base_url = parse_spec(rest)
    if base_url is not None:
        kwargs.setdefault("base_url", base_url)
    return OpenAIEngine(model, **kwargs)
