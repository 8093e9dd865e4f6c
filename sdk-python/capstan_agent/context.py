"""What a handler gets: ``ActionContext`` (payload, a cancel ``threading.Event``, progress and log
lines), plus the context variable that tells ``publish_event`` which command it is called from."""
import contextvars
import threading
from typing import Any, Callable, Dict, Optional, Tuple

#: (agent identity, command id) of the handler running in this thread / task.
current_command: "contextvars.ContextVar[Optional[Tuple[int, str]]]" = contextvars.ContextVar("capstan_agent_command", default=None)


class ActionContext:
    """Passed to every handler as its second argument.

    ``cancelled`` is a ``threading.Event`` set on an operator's cancel, on the action's timeout and
    when the agent stops; ``reason`` then says which (``CANCELLED``, ``ACTION_TIMEOUT``,
    ``AGENT_STOPPED``). Long handlers check it between steps, or sleep with ``cancelled.wait(s)``.
    """

    def __init__(self, command_id: str, action_name: str, payload: Dict[str, Any],
                 progress: Callable[[float, Optional[str]], None], log: Callable[[str, str], None]) -> None:
        self.command_id = command_id
        self.action_name = action_name
        self.payload = payload
        self.cancelled = threading.Event()
        self.reason: Optional[str] = None
        self.reason_message: Optional[str] = None
        self._progress = progress
        self._log = log

    def progress(self, percent: float, message: Optional[str] = None) -> None:
        """percent in 0..1, sent to the server with the next progress flush (never raises)."""
        try:
            self._progress(percent, message)
        except Exception:
            pass

    def log(self, level: str, message: str) -> None:
        """A log line on the command: level is debug, info, warn (or warning) or error (never raises)."""
        try:
            self._log(level, message)
        except Exception:
            pass

    def _abort(self, code: str, message: str) -> bool:
        """First abort wins (a timeout after a cancel keeps saying CANCELLED)."""
        if self.cancelled.is_set():
            return False
        self.reason, self.reason_message = code, message
        self.cancelled.set()
        return True


def call_handler(handler: Callable[..., Any], payload: Any, ctx: Any, arity: int = 2) -> Any:
    """Calls ``handler(payload, ctx)``, or ``handler(payload)`` when it takes one argument."""
    if arity == 1:
        return handler(payload)
    return handler(payload, ctx)
