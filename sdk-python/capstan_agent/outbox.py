"""Results waiting for the server's acknowledgement. Delivery is retried across outages with
backoff; the server treats a repeated identical result as success, so "retry until acked" means each
result is applied exactly once. Bounded: beyond the cap the oldest result is dropped (logged)."""
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional

from .backoff import Backoff
from .errors import AgentAuthError, CapstanError, NetworkError
from .logger import SafeLogger
from .loop import Loop

Deliver = Callable[[str, Dict[str, Any]], Any]


class ResultOutbox:
    def __init__(self, deliver: Deliver, backoff: Backoff, maximum: int, log: SafeLogger) -> None:
        self._deliver = deliver
        self._backoff = backoff
        self._max = maximum
        self._log = log
        self._pending: "OrderedDict[str, Dict[str, Any]]" = OrderedDict()
        self._lock = threading.Lock()
        self._tick_lock = threading.Lock()
        self.loop = Loop("result delivery", self._tick, log)

    @property
    def size(self) -> int:
        with self._lock:
            return len(self._pending)

    def add(self, command_id: str, body: Dict[str, Any]) -> None:
        with self._lock:
            if len(self._pending) >= self._max:
                oldest, _ = self._pending.popitem(last=False)
                self._log.error("result dropped: too many undelivered results", {"commandId": oldest, "max": self._max})
            self._pending[command_id] = body
        self.loop.wake()

    def drain(self, seconds: float) -> None:
        """Tries every pending result once more, for at most ``seconds`` (agent stopping)."""
        deadline = time.monotonic() + seconds
        while self.size > 0 and time.monotonic() < deadline:
            nxt = self._tick()
            if nxt is None or self.size == 0:
                break
            time.sleep(max(0.0, min(nxt, 0.25, deadline - time.monotonic())))
        if self.size > 0:
            self._log.warn("stopping with undelivered results", {"count": self.size})

    def _tick(self) -> Optional[float]:
        with self._tick_lock:  # the loop and drain() never deliver the same result concurrently
            with self._lock:
                items = list(self._pending.items())
            for command_id, body in items:
                try:
                    self._deliver(command_id, body)
                    with self._lock:
                        self._pending.pop(command_id, None)
                    self._log.debug("result delivered", {"commandId": command_id, "success": body.get("success")})
                except NetworkError as err:
                    return err.retry_after if err.retry_after is not None else self._backoff.next()
                except AgentAuthError:
                    return None  # woken again once the agent is re-authenticated
                except CapstanError as err:
                    with self._lock:
                        if err.status == 413:
                            self._pending[command_id] = {**body, "success": False, "data": {}, "message": "result too large",
                                                         "error": {"code": "COMMAND_RESULT_TOO_LARGE", "message": "the action's result exceeded the server's limit"}}
                            continue
                        # 404/409/410/422: the server will never take this result; keeping it would block the queue.
                        self._pending.pop(command_id, None)
                    self._log.warn("result not accepted by the server; dropped", {"commandId": command_id, "code": err.code})
            self._backoff.reset()
            return 0.0 if self.size > 0 else None
