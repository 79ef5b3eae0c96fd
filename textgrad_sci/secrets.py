"""Keep secrets out of everything textgrad-sci writes: run directories, caches, cassettes, logs."""

from __future__ import annotations

import os
import re
from typing import Any

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
SECRET_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=]{12,}"),
]
REDACTED = "[REDACTED]"
_extra_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Make ``value`` (e.g. an API key passed as an argument) be redacted wherever it appears."""
    if value and len(value) >= 6:
        _extra_secrets.add(value)


def secret_values() -> list[str]:
    """Values of secret-looking environment variables and registered secrets, longest first."""
    values = {v for k, v in os.environ.items() if SECRET_NAME.search(k) and len(v) >= 6}
    return sorted(values | _extra_secrets, key=len, reverse=True)


def redact_text(text: str, secrets: list[str] | None = None) -> str:
    for secret in secrets if secrets is not None else secret_values():
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


def redact(obj: Any, secrets: list[str] | None = None) -> Any:
    """A copy of ``obj`` (JSON-like) with every secret replaced by ``[REDACTED]``; dictionary
    entries whose key names a secret (``api_key``, ``token``, ...) are dropped."""
    secrets = secret_values() if secrets is None else secrets
    if isinstance(obj, str):
        return redact_text(obj, secrets)
    if isinstance(obj, dict):
        return {
            k: redact(v, secrets)
            for k, v in obj.items()
            if not (isinstance(k, str) and SECRET_NAME.search(k) and isinstance(v, str))
        }
    if isinstance(obj, list | tuple):
        return [redact(v, secrets) for v in obj]
    return obj
