"""Redaction of everything the SDK logs: the same rules as the Node SDK (sdk/src/redact.ts). Keys are
compared as whole words, so "apiKey" and "access_token" are redacted but "maxTokens" is not; values
that look like Capstan secrets are redacted whatever their key; the live tokens are scrubbed literally."""
import re
from typing import Any, Sequence

REDACTED = "[REDACTED]"

_SECRET_WORDS = {
    "password", "passwords", "passwd", "secret", "secrets", "token", "authorization", "cookie", "cookies",
    "credential", "credentials", "apikey", "privatekey", "passphrase",
}
_SECRET_PAIRS = {"api key", "private key", "set cookie"}
_SECRET_VALUE = re.compile(r"\b(opstage_reg_|opstage_agent_|capstan_pat_)[0-9A-Za-z]{8,}")
_BEARER_VALUE = re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{8,}")


def is_secret_key(key: str) -> bool:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", spaced) if w]
    for i, w in enumerate(words):
        if w in _SECRET_WORDS:
            return True
        if i + 1 < len(words) and f"{w} {words[i + 1]}" in _SECRET_PAIRS:
            return True
    return False


def _literal(value: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s and len(s) >= 8 and s in value:
            value = value.replace(s, REDACTED)
    return value


def scrub_string(value: str, secrets: Sequence[str] = ()) -> str:
    """Scrubs secret-looking substrings and the given literal secrets from a string."""
    out = _literal(value, secrets)
    out = _SECRET_VALUE.sub(lambda m: m.group(1) + REDACTED, out)
    return _BEARER_VALUE.sub("Bearer " + REDACTED, out)


def redact(value: Any, secrets: Sequence[str] = (), max_depth: int = 16, depth: int = 0) -> Any:
    """Deep copy with secret keys replaced and strings scrubbed; deeper than ``max_depth`` becomes REDACTED."""
    if depth > max_depth:
        return REDACTED
    if isinstance(value, str):
        return scrub_string(value, secrets)
    if isinstance(value, BaseException):
        return scrub_string(str(value), secrets)
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets, max_depth, depth + 1) for v in value]
    if isinstance(value, dict):
        return {
            k: REDACTED if is_secret_key(str(k)) and v not in (None, "") else redact(v, secrets, max_depth, depth + 1)
            for k, v in value.items()
        }
    return value


def scrub_secrets(value: Any, secrets: Sequence[str], depth: int = 0) -> Any:
    """Scrubs only the literal tokens from what is sent to the server (results, progress, events):
    key-based redaction would destroy legitimate data such as a one-time generatedKey."""
    live = [s for s in secrets if s]
    if not live or depth > 64:
        return value
    if isinstance(value, str):
        return _literal(value, live)
    if isinstance(value, (list, tuple)):
        return [scrub_secrets(v, live, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: scrub_secrets(v, live, depth + 1) for k, v in value.items()}
    return value
