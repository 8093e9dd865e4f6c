"""Command loop: long-polls for commands (limit = free handler slots) and hands each to the executor
once, on its own supervisor thread; results go to the outbox. If the server answers an empty long
poll at once, it does not long-poll, and the loop falls back to polling every commandPollIntervalSeconds."""
import threading
import time
from collections import OrderedDict
from typing import Any, Dict, Optional

from .backoff import Backoff
from .core import Core
from .errors import AgentAuthError, CapstanError, NetworkError
from .executor import Executor
from .loop import Loop
from .outbox import ResultOutbox

SEEN_MAX = 1000
LONG_POLL_MIN = 1.0  # an empty answer faster than this means the server did not hold the request
# How long a long poll may take beyond its wait (as the Node SDK, sdk/src/commandLoop.ts): the server's
# wait starts when it reads the request. While a whole fleet connects, a node's accept queue overflows
# and the kernel's SYN retries (1, 3, 7 s) make a poll arrive 10-15 s late; with only request_timeout
# (10 s) of margin it times out although the server answers in time, and every such agent reconnects
# at once. 30 s covers the SYN retries up to 15 s and a busy node.
LONG_POLL_MARGIN = 30.0


def long_poll_timeout(wait_seconds: float, request_timeout: float) -> float:
    """The client-side timeout of a long poll that asks the server to wait wait_seconds."""
    return wait_seconds + max(request_timeout, LONG_POLL_MARGIN) if wait_seconds > 0 else request_timeout


class CommandLoop:
    def __init__(self, core: Core, executor: Executor, outbox: ResultOutbox) -> None:
        self._core = core
        self._executor = executor
        self._outbox = outbox
        self._seen: "OrderedDict[str, None]" = OrderedDict()
        self._backoff = Backoff(core.opts.backoff_base, core.opts.backoff_max)
        self.loop = Loop("command poll", self._tick, core.log)

    def _tick(self) -> Optional[float]:
        core = self._core
        if core.session is None or core.disabled:
            return None
        free = core.opts.max_concurrency - self._executor.busy
        if free <= 0:
            return None  # woken when a handler finishes
        wait = core.opts.long_poll_seconds
        started = time.monotonic()
        query = f"/commands?limit={free}" + (f"&waitSeconds={wait}" if wait > 0 else "")
        try:
            commands: Any = core.call("GET", query, timeout=long_poll_timeout(wait, core.opts.request_timeout), abortable=True)
        except Exception as err:
            if core.stopping:
                return None
            if isinstance(err, AgentAuthError):
                return None
            if isinstance(err, NetworkError):
                return err.retry_after if err.retry_after is not None else self._backoff.next()
            core.log.warn("command poll refused", {"code": err.code if isinstance(err, CapstanError) else "UNKNOWN", "error": str(err)})
            return max(core.poll_interval, self._backoff.next())
        self._backoff.reset()
        if not isinstance(commands, list):
            return core.poll_interval
        for cmd in commands:
            self._dispatch(cmd)
        if commands:
            return 0.0
        if wait > 0 and time.monotonic() - started >= LONG_POLL_MIN:
            return 0.0
        return core.poll_interval

    def _dispatch(self, cmd: Dict[str, Any]) -> None:
        if not isinstance(cmd, dict) or not isinstance(cmd.get("id"), str):
            return
        cid: str = cmd["id"]
        if cid in self._seen:
            self._core.log.debug("duplicate command ignored", {"commandId": cid})
            return
        self._seen[cid] = None
        if len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)
        self._core.log.debug("command received", {"commandId": cid, "type": cmd.get("type"), "actionName": cmd.get("actionName")})
        threading.Thread(target=self._supervise, args=(cmd,), name=f"capstan-agent command {cid}", daemon=True).start()

    def _supervise(self, cmd: Dict[str, Any]) -> None:
        try:
            self._outbox.add(cmd["id"], self._executor.run(cmd))
        except Exception as err:
            self._core.log.error("command failed unexpectedly", {"commandId": cmd["id"], "error": str(err)})
        finally:
            self.loop.wake()


