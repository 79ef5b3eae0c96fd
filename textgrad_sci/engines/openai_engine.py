"""Any OpenAI-compatible server through the official ``openai`` SDK.

Specs: ``openai:<model>`` and ``openai:<model>@<base_url>``, with optional settings after
``?``: ``concurrency=N`` (requests in flight at most; 1 for servers that serve one request at a
time, such as llama.cpp's), ``stream=1``, ``timeout=S``, ``grammar_field=NAME|off``,
``structured_output=MODE``. ``base_url``, ``api_key`` and ``organization`` come from arguments,
else ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` and ``OPENAI_ORG_ID``. The SDK's own retries are
off: the call path's :class:`RetryPolicy` is the only one.

Structured output (:class:`OutputSpec`: a JSON schema, a ``<TAG>`` format, a grammar) is asked
for in the strongest form the server enforces, in this order: ``response_format`` type
``json_schema`` (OpenAI, vLLM), ``json_object`` with a ``schema`` (llama.cpp's server), a GBNF
grammar in the request body (``grammar_field``, llama.cpp's server), then plain text (the
caller's format retries). A tag format is asked for as JSON ``{"TAG": "..."}`` and wrapped back
into ``<TAG>...</TAG>``, so callers see no difference; a tag body that a JSON schema cannot say
(a SMILES grammar) goes to the grammar first. A mode the server refused (HTTP 400/415/422/500/
501, while a later mode worked) is not asked for again by this engine.

A streamed answer that ends without a ``finish_reason`` was cut off (llama.cpp's server
interrupts a running stream when another request arrives) and is retried.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from ..secrets import redact_text, register_secret
from . import openai_prompts as prompts
from .base import ChatRequest, ChatResponse, Engine, EngineError, OutputSpec, SpecError
from .grammar import tag_body, tag_grammar, tag_schema, wrap_tag
from .retry import RetryPolicy, TransientEngineError, parse_retry_after

log = logging.getLogger("textgrad_sci.engines")
MODES = ("json_schema", "json_object", "grammar", "text")
JSON_MODES = ("json_schema", "json_object")
_DOWNGRADE_STATUS = {400, 415, 422, 500, 501}
_TRANSIENT_STATUS = {408, 409, 425, 429}


@dataclass(frozen=True)
class Plan:
    """One way to ask for a structured answer. ``tag``: wrap the JSON answer back into tags;
    ``exact``: the server's constraint says all the output spec says."""

    mode: str
    schema: dict | None = None
    grammar: str | None = None
    tag: str | None = None
    exact: bool = True


def plans(output: OutputSpec | None) -> list[Plan]:
    """The ways to ask for ``output``, best first: exact ones in :data:`MODES` order, then
    looser ones (a JSON string for a grammar body), then plain text."""
    if output is None:
        return [Plan("text")]
    schema, tag, exact_json = output.json_schema, None, True
    if schema is None and output.tag:
        body = tag_body(output.grammar, output.tag) if output.grammar else None
        schema, exact_json = tag_schema(output.tag, body)
        exact_json = exact_json and not (output.grammar and body is None)
        tag = output.tag
    grammar = output.grammar or (tag_grammar(output.tag) if output.tag else None)
    exact: list[Plan] = []
    loose: list[Plan] = []
    if schema is not None:
        for mode in JSON_MODES:
            (exact if exact_json else loose).append(Plan(mode, schema, None, tag, exact_json))
    if grammar is not None:
        exact.append(Plan("grammar", grammar=grammar))
    return exact + loose + [Plan("text", schema=output.json_schema, exact=False)]


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
        grammar_field: str | None = "grammar",
        stream: bool = False,
    ) -> None:
        if not model:
            raise SpecError("the openai engine needs a model name: 'openai:<model>[@<base_url>]'")
        if structured_output not in MODES:
            raise SpecError(f"structured_output must be one of {MODES}, not {structured_output!r}")
        if max_concurrency is not None and max_concurrency < 1:
            raise SpecError(f"concurrency must be a positive integer, not {max_concurrency}")
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        if self.base_url is not None:
            _check_url(self.base_url)
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
        self.grammar_field = grammar_field
        self.stream = stream
        # structured-output modes this server refused (learned; never asked for again)
        self.refused: set[str] = set(MODES[: MODES.index(structured_output)])
        if grammar_field is None:
            self.refused.add("grammar")
        self.refused.discard("text")
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._learn_lock = threading.Lock()
        # set when a stream was cut off: the server serves one request at a time
        self.one_at_a_time = False
        self._serial_lock = threading.Lock()

    @property
    def structured_output(self) -> str:
        """The strongest structured-output mode not known to be refused by this server."""
        return next(m for m in MODES if m not in self.refused)

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self.model!r}, base_url={self.base_url!r})"

    def describe(self) -> dict:
        return {
            "class": type(self).__name__,
            "model": self.model,
            "base_url": redact_text(self.base_url) if self.base_url else None,
            "structured_output": self.structured_output,
            "refused": sorted(self.refused),
            "max_concurrency": self.max_concurrency,
            "stream": self.stream,
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
        if not self.one_at_a_time:
            return self._complete_plans(request)
        with self._serial_lock:
            return self._complete_plans(request)

    def _complete_plans(self, request: ChatRequest) -> ChatResponse:
        refusals: list[tuple[str, EngineError]] = []
        for plan in plans(request.output):
            if plan.mode in self.refused:
                continue
            try:
                response = self._send(request, plan)
            except _Rejected as rejected:
                refusals.append((plan.mode, rejected.error))
                continue
            self._learn(refusals)  # only once a later mode worked: an outage teaches nothing
            return response
        raise AssertionError("unreachable: the text plan is never refused")

    def _learn(self, refusals: list[tuple[str, EngineError]]) -> None:
        with self._learn_lock:
            for mode, error in refusals:
                if mode not in self.refused:
                    self.refused.add(mode)
                    log.warning(
                        "%s: the server refused %s structured output; not asking for it again "
                        "(%s)", self.model, mode, error,
                    )  # fmt: skip

    def _send(self, request: ChatRequest, plan: Plan) -> ChatResponse:
        import openai

        kwargs = self._body(request, plan)
        try:
            completion = self.client.chat.completions.create(**kwargs)
            response = self._collect(completion) if self.stream else _parse(completion)
        except openai.APITimeoutError as err:
            raise TransientEngineError(f"timed out after {self.timeout:g}s") from err
        except openai.APIConnectionError as err:
            raise TransientEngineError(f"connection failed: {_cause(err)}") from err
        except openai.APIStatusError as err:
            raise self._status_error(err, plan.mode) from err
        except openai.APIResponseValidationError as err:
            raise TransientEngineError(f"invalid response body: {err}") from err
        except openai.APIError as err:  # an error event inside a stream
            raise TransientEngineError(f"the server reported an error: {err}") from err
        except (json.JSONDecodeError, ValueError) as err:
            raise TransientEngineError(f"response body is not valid JSON: {err}") from err
        if plan.tag is not None and plan.mode in JSON_MODES:
            response.text = wrap_tag(response.text, plan.tag)
        return response

    def _body(self, request: ChatRequest, plan: Plan) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for this request and plan."""
        messages = request.message_dicts()
        kwargs: dict[str, Any] = {"model": self.model, "temperature": request.temperature}
        for name in ("max_tokens", "top_p", "seed"):
            if getattr(request, name) is not None:
                kwargs[name] = getattr(request, name)
        if request.stop:
            kwargs["stop"] = list(request.stop)
        extra = dict(request.extra)
        if plan.mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": plan.schema, "strict": False},
            }
        elif plan.mode == "json_object":
            kwargs["response_format"] = {"type": "json_object", "schema": plan.schema}
        elif plan.mode == "grammar":
            extra[self.grammar_field] = plan.grammar  # type: ignore[index]
        if plan.tag is not None and plan.mode in JSON_MODES:
            hint = prompts.TAG_AS_JSON_HINT.format(tag=plan.tag)
            messages.append({"role": "system", "content": hint})
        elif plan.schema is not None and plan.mode != "json_schema":
            hint = prompts.SCHEMA_HINT + json.dumps(plan.schema)
            messages.append({"role": "system", "content": hint})
        if self.stream:
            kwargs["stream"] = True
            kwargs["stream_options"] = {"include_usage": True}
        if extra:
            kwargs["extra_body"] = extra
        return {"messages": messages, **kwargs}

    def _collect(self, stream: Any) -> ChatResponse:
        """A streamed answer; one cut off makes this engine send one request at a time."""
        try:
            return _collect(stream)
        except _Truncated:
            if not self.one_at_a_time:
                self.one_at_a_time = True
                log.warning("%s: %s; from now on this engine sends one request at a time",
                            self.model, TRUNCATED)  # fmt: skip
            raise TransientEngineError(TRUNCATED) from None

    def _status_error(self, err: Any, mode: str) -> Exception:
        status = err.status_code
        message = f"HTTP {status} from {self.base_url or 'the OpenAI API'}: {_body(err)}"
        if mode != "text" and status in _DOWNGRADE_STATUS:
            return _Rejected(EngineError(message))
        if status in _TRANSIENT_STATUS or status >= 500:
            retry_after = parse_retry_after(err.response.headers.get("retry-after"))
            return TransientEngineError(message, retry_after=retry_after, status=status)
        return EngineError(message)


class _Truncated(Exception):
    """A stream ended without a finish_reason."""


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


TRUNCATED = (
    "the answer stream ended before the answer did (no finish_reason): the server cut it off "
    "(llama.cpp's server does so when another request arrives; cap the engine with "
    "'?concurrency=1')"
)


def _collect(stream: Any) -> ChatResponse:
    """A streamed answer, put together; one that ends without a ``finish_reason`` was cut."""
    parts: list[str] = []
    finish_reason, usage, chunks = None, None, 0
    try:
        for chunk in stream:
            usage = getattr(chunk, "usage", None) or usage
            for choice in getattr(chunk, "choices", None) or []:
                delta = getattr(choice, "delta", None)
                if delta is not None and getattr(delta, "content", None):
                    parts.append(delta.content)
                    chunks += 1
                finish_reason = getattr(choice, "finish_reason", None) or finish_reason
    except Exception as err:  # the HTTP client's error for a body cut mid-stream
        if type(err).__module__.startswith("openai"):
            raise
        raise TransientEngineError(f"the answer stream broke: {type(err).__name__}: {err}") from err
    if finish_reason is None:
        raise _Truncated()
    return ChatResponse(
        text="".join(parts),
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        # servers that report no usage in streams send one chunk per token
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or chunks),
        finish_reason=finish_reason,
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


def _check_url(url: str) -> None:
    if not re.match(r"https?://[^/\s]+", url):
        raise SpecError(
            f"the server URL {redact_text(url)!r} must start with http:// or https:// "
            "(e.g. 'openai:my-model@http://127.0.0.1:8000/v1')"
        )


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise SpecError(f"openai engine setting {name}={value!r}: must be a positive integer")
    return number


def _positive_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not number > 0:
        raise SpecError(f"openai engine setting {name}={value!r}: must be a positive number")
    return number


def _flag(name: str, value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on", ""):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SpecError(f"openai engine setting {name}={value!r}: must be 1 or 0")


_SETTINGS = {
    "concurrency": ("max_concurrency", _positive_int),
    "timeout": ("timeout", _positive_float),
    "stream": ("stream", _flag),
    "grammar_field": ("grammar_field", lambda _n, v: None if v in ("", "off") else v),
    "structured_output": ("structured_output", lambda _n, v: v),
}


def parse_spec(rest: str) -> tuple[str, str | None, dict[str, Any]]:
    """``model@http://host/v1?concurrency=1`` -> (model, base_url, engine keyword arguments)."""
    head, _, query = rest.partition("?")
    model, base_url = head, None
    if "@" in head:
        name, _, target = head.rpartition("@")
        if "://" in target or re.search(r"[/:]|\.\d|^localhost$", target):
            model, base_url = name, target
            _check_url(base_url)
    kwargs: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in _SETTINGS:
            known = ", ".join(_SETTINGS)
            raise SpecError(f"unknown openai engine setting {name!r} (known: {known})")
        key, convert = _SETTINGS[name]
        kwargs[key] = convert(name, value)
    return model, base_url, kwargs


def from_spec(rest: str, **kwargs: Any) -> OpenAIEngine:
    """``get_engine("openai:...")`` factory; keyword arguments override the spec's settings."""
    model, base_url, settings = parse_spec(rest)
    if base_url is not None:
        settings["base_url"] = base_url
    return OpenAIEngine(model, **{**settings, **kwargs})
