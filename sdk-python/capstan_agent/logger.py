"""The SDK's logging: ``logging.getLogger("capstan_agent")`` (silent until the host configures logging),
with every line redacted and every logging failure swallowed, so logging can neither leak a token
nor break a loop."""
import json
import logging
from typing import Any, Callable, Dict, List, Optional

from .redact import redact, scrub_string

LOGGER_NAME = "capstan_agent"
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


class SafeLogger:
    """Wraps a ``logging.Logger``: message and fields are redacted (keys, secret-looking values and the
    live tokens) before they reach any handler. Fields are appended as JSON and kept in ``extra``."""

    def __init__(self, base: Optional[logging.Logger], secrets: Callable[[], List[str]]) -> None:
        self._base = base or logging.getLogger(LOGGER_NAME)
        self._secrets = secrets

    def _emit(self, level: int, message: str, fields: Optional[Dict[str, Any]]) -> None:
        try:
            if not self._base.isEnabledFor(level):
                return
            s = self._secrets()
            text = scrub_string(message, s)
            safe = redact(fields, s) if fields else None
            if safe:
                text = f"{text} {json.dumps(safe, default=str)}"
            self._base.log(level, text, extra={"capstan": safe or {}})
        except Exception:  # a broken host handler must not take the agent down
            pass

    def debug(self, message: str, fields: Optional[Dict[str, Any]] = None) -> None:
        self._emit(logging.DEBUG, message, fields)

    def info(self, message: str, fields: Optional[Dict[str, Any]] = None) -> None:
        self._emit(logging.INFO, message, fields)

    def warn(self, message: str, fields: Optional[Dict[str, Any]] = None) -> None:
        self._emit(logging.WARNING, message, fields)

    def error(self, message: str, fields: Optional[Dict[str, Any]] = None) -> None:
        self._emit(logging.ERROR, message, fields)
