"""CapsuleAgent: the one public class. It owns the session (agent id + token) and wires the loops on
daemon threads: connect (register if needed, report the service), heartbeat, command poll, result
delivery. No public method raises into the host's threads except for programming errors at
definition time (a bad agent code or action name: ``TypeError``)."""
import inspect
import logging
import re
import threading
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union, overload

from .backoff import Backoff
from .command_loop import CommandLoop
from .connect import Connector
from .context import current_command
from .core import Session
from .errors import AgentAuthError, CapstanError
from .executor import Executor, retry_policy
from .health import run_health_check
from .heartbeat import heartbeat_tick
from .http import Aborter, request
from .isolated import isolate_spec
from .logger import SafeLogger
from .message import message_action
from .loop import Loop
from .options import resolve_options
from .outbox import ResultOutbox
from .progress import iso_now
from .redact import scrub_secrets

ACTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,79}$")
DANGER_LEVELS = {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
F = TypeVar("F", bound=Callable[..., Any])


class CapsuleAgent:
    """See the package README. ``start()`` returns at once (``wait`` seconds to wait for the first
    connection); ``stop(timeout)`` finishes or cancels in-flight handlers and flushes their results."""

    def __init__(self, *, agent: Dict[str, Any], backend_url: Optional[str] = None, registration_token: Optional[str] = None,
                 token_file: Optional[str] = None, service: Optional[Dict[str, Any]] = None,
                 logger: Optional[logging.Logger] = None, **options: Any) -> None:
        self._session: Optional[Session] = None
        self.log = SafeLogger(logger, self._secrets)
        self.opts = resolve_options({**options, "agent": agent, "backend_url": backend_url, "registration_token": registration_token,
                                     "token_file": token_file, "service": service}, self.log)
        self._actions: Dict[str, Dict[str, Any]] = {}
        self._message: Optional[Dict[str, Any]] = None
        self._health_fn: Optional[Callable[[], Any]] = None
        self._configs_fn: Optional[Callable[[], Any]] = None
        self._disabled = False
        self._state = "idle"
        self._heartbeat_interval = 30.0
        self._poll_interval = 5.0
        self._aborter = Aborter()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._executor = Executor(
            owner=id(self), actions=self._actions, log=self.log, secrets=self._secrets, message_action=lambda: self._message,
            progress_interval=self.opts.progress_interval, cancel_grace=self.opts.cancel_grace, max_concurrency=self.opts.max_concurrency,
            send_progress=lambda cid, body: self.call("POST", f"/commands/{cid}/progress", scrub_secrets(body, self._secrets())),
        )
        self._outbox = ResultOutbox(lambda cid, body: self.call("POST", f"/commands/{cid}/result", body),
                                    Backoff(self.opts.backoff_base, self.opts.backoff_max), self.opts.max_pending_results, self.log)
        self._connector = Connector(self)
        self._connect_loop = Loop("connect", self._connector.tick, self.log)
        self._heartbeat = heartbeat_tick(self)
        self._heartbeat_loop = Loop("heartbeat", self._heartbeat, self.log)
        self._command_loop = CommandLoop(self, self._executor, self._outbox)

    # ---- definition (decorators) ----
    def health(self, fn: F) -> F:
        """Decorator: the health check run before every heartbeat (time-limited; a raise reports DOWN)."""
        self._health_fn = fn
        return fn

    def configs(self, fn: F) -> F:
        """Decorator: config metadata to report. Sensitive items are sent without valuePreview/defaultValue."""
        self._configs_fn = fn
        self._changed()
        return fn

    @overload
    def action(self, fn: F) -> F: ...

    @overload
    def action(self, fn: None = None, *, name: Optional[str] = None, label: Optional[str] = None,
               description: Optional[str] = None, danger_level: str = "LOW", requires_confirmation: bool = False,
               timeout_seconds: Optional[float] = None, input_schema: Optional[Dict[str, Any]] = None,
               prepare: Optional[Callable[[Any], Any]] = None,
               isolate: Union[bool, Dict[str, Any], None] = None, retry: Optional[Dict[str, Any]] = None) -> Callable[[F], F]: ...

    def action(self, fn: Optional[Callable[..., Any]] = None, *, name: Optional[str] = None, label: Optional[str] = None,
               description: Optional[str] = None, danger_level: str = "LOW", requires_confirmation: bool = False,
               timeout_seconds: Optional[float] = None, input_schema: Optional[Dict[str, Any]] = None,
               prepare: Optional[Callable[[Any], Any]] = None,
               isolate: Union[bool, Dict[str, Any], None] = None, retry: Optional[Dict[str, Any]] = None) -> Any:
        """Decorator (``@agent.action`` or ``@agent.action(name=..., ...)``) for ``def h(payload, ctx)`` or ``async def``."""
        def register(handler: F) -> F:
            action_name: str = name or str(getattr(handler, "__name__", ""))
            if not callable(handler) or not ACTION_NAME.match(action_name):
                raise TypeError("capstan_agent: an action needs a name (letters, digits, . _ -) and a callable handler")
            if danger_level not in DANGER_LEVELS:
                raise TypeError(f"capstan_agent: danger_level must be one of {sorted(DANGER_LEVELS)}")
            iso = isolate_spec(handler, isolate if isinstance(isolate, dict) else {}) if isolate else None
            self._actions[action_name] = {
                "isolate": iso, "retry": retry_policy(retry),
                "name": action_name, "label": label or action_name, "description": description, "danger_level": danger_level,
                "requires_confirmation": requires_confirmation, "timeout_seconds": timeout_seconds, "input_schema": input_schema,
                "prepare": prepare, "handler": handler, "arity": _arity(handler),
            }
            self._changed()
            return handler
        return register(fn) if fn is not None else register

    def on_message(self, fn: Optional[Callable[..., Any]] = None, *, supported_types: Optional[List[str]] = None,
                   commands: Optional[List[str]] = None, timeout_seconds: Optional[float] = None) -> Any:
        """Decorator (``@agent.on_message`` or ``@agent.on_message(commands=["/status"])``) for ``def h(message, ctx)``
        or ``async def``: answers the conversation messages Capstan routes here. The manifest then declares
        ``message.supportedTypes`` (and ``commands``); Capstan never routes a message to a service that does not.
        Return the reply: ``{"text": ..., "format"?: "text"|"markdown", "data"?: {...}}`` or a string."""
        def register(handler: F) -> F:
            if not callable(handler):
                raise TypeError("capstan_agent: on_message needs a callable handler")
            self._message = message_action(handler, supported_types, commands, timeout_seconds)
            self._changed()
            return handler
        return register(fn) if fn is not None else register

    def refresh(self) -> None:
        """Reports the service again (configs or actions changed)."""
        self._connector.reported = False
        self._connect_loop.wake()

    # ---- state ----
    @property
    def state(self) -> str:
        """idle | connecting | running | disabled | stopped."""
        return self._state

    @property
    def agent_id(self) -> Optional[str]:
        s = self._session
        return s.agent_id if s else None

    @property
    def service_id(self) -> Optional[str]:
        s = self._session
        return s.service_id if s else None

    @property
    def pending_results(self) -> int:
        """Results produced but not yet acknowledged by the server."""
        return self._outbox.size

    # ---- lifecycle ----
    def start(self, wait: float = 0.0) -> None:
        """Starts the background threads and returns at once, or after the first connection attempt
        (registered, reported, first heartbeat sent) when ``wait`` > 0, at most ``wait`` seconds."""
        try:
            with self._lock:
                if self._state not in ("idle", "stopped"):
                    return
                self._aborter.reset()
                self._ready.clear()
                self._state = "connecting"
                self._connect_loop.start(0.0)
            if wait > 0:
                self._ready.wait(wait)
        except Exception as err:  # never into the host
            self.log.error("agent start failed", {"error": str(err)})

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stops the loops, lets running handlers finish (``timeout``, default ``stop_grace``), then cancels
        them (``AGENT_STOPPED``) and delivers their results before returning."""
        try:
            with self._lock:
                if self._state == "stopped":
                    return
                self._state = "stopped"
            grace = self.opts.stop_grace if timeout is None else max(0.0, timeout)
            for loop in (self._connect_loop, self._heartbeat_loop, self._command_loop.loop):
                loop.stop()
            self._aborter.abort()
            self._wait_idle(grace)
            if self._executor.settling > 0:
                self._executor.abort_all("AGENT_STOPPED", "the agent stopped before the action finished")
                self._wait_idle(2.0)
            self._outbox.loop.stop()
            self._outbox.drain(5.0)
        except Exception as err:
            self.log.error("agent stop failed", {"error": str(err)})

    def publish_event(self, event_type: str, data: Any = None, *, event_id: Optional[str] = None,
                      metadata: Optional[Dict[str, Any]] = None, timestamp: Optional[str] = None) -> Dict[str, Any]:
        """Publishes a Capsule Bus event. Never raises: returns ``{"ok": True, "eventId", "matchedRoutes",
        "commandIds"}`` or ``{"ok": False, "error"}``. Inside a handler, ``metadata.causationId`` is that command."""
        try:
            if not isinstance(event_type, str) or not 1 <= len(event_type) <= 120:
                raise CapstanError("VALIDATION_FAILED", "event_type must be a string of 1..120 characters")
            meta = dict(metadata or {})
            scope = current_command.get()
            if "causationId" not in meta and scope is not None and scope[0] == id(self):
                meta["causationId"] = scope[1]
            # The server dedupes on the client eventId, which makes a retry after a lost answer safe.
            body: Dict[str, Any] = {"eventId": event_id or str(uuid.uuid4()), "eventType": event_type,
                                    "data": data if data is not None else {}, "timestamp": timestamp or iso_now()}
            if meta:
                body["metadata"] = meta
            answer = self.call("POST", "/bus/events", scrub_secrets(body, self._secrets()), retries=2) or {}
            return {"ok": True, "eventId": answer.get("eventId"), "matchedRoutes": answer.get("matchedRoutes"),
                    "commandIds": answer.get("commandIds") or []}
        except Exception as err:
            self.log.warn("event not published", {"eventType": event_type if isinstance(event_type, str) else None,
                                                  "code": getattr(err, "code", None), "error": str(err)})
            return {"ok": False, "error": err}

    # ---- what the loops share (Core) ----
    @property
    def session(self) -> Optional[Session]:
        return self._session

    @property
    def disabled(self) -> bool:
        return self._disabled

    @property
    def stopping(self) -> bool:
        return self._aborter.aborted

    @property
    def heartbeat_interval(self) -> float:
        return self._heartbeat_interval

    @property
    def poll_interval(self) -> float:
        return self._poll_interval

    def call(self, method: str, sub: str, body: Any = None, *, timeout: Optional[float] = None, retries: int = 0,
             abortable: bool = False) -> Any:
        """Calls ``/api/agents/{agentId}<sub>`` with the agent token; 401/403 reach the agent before re-raising.
        ``abortable`` calls (poll, heartbeat, report) end at once on ``stop()``; results and progress must not."""
        s = self._session
        if s is None:
            raise CapstanError("NOT_REGISTERED", "the agent is not registered yet")
        try:
            data = request(self.opts.backend_url or "", method, f"/api/agents/{s.agent_id}{sub}", token=s.agent_token, body=body,
                           timeout=timeout or self.opts.request_timeout, retries=retries,
                           aborter=self._aborter if abortable else None)
            self._connector.note_reachable(None)
            return data
        except Exception as err:
            self._connector.note_reachable(err)
            if isinstance(err, AgentAuthError):
                if err.code == "AGENT_DISABLED":
                    self.set_disabled(True)
                else:
                    self._connector.on_token_refused(s, err)
            raise

    def set_intervals(self, d: Any) -> None:
        def secs(v: Any, fallback: float) -> float:
            return float(min(v, 3600)) if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 1 else fallback
        if isinstance(d, dict):
            self._heartbeat_interval = secs(d.get("heartbeatIntervalSeconds"), self._heartbeat_interval)
            self._poll_interval = secs(d.get("commandPollIntervalSeconds"), self._poll_interval)

    def set_disabled(self, disabled: bool) -> None:
        if self._disabled == disabled:
            return
        self._disabled = disabled
        if self._state == "stopped":
            return
        if disabled:
            self.log.warn("the agent is DISABLED in Capstan: no commands until an operator enables it; heartbeating slowly")
        self._state = "disabled" if disabled else "running"
        # Disabled: the heartbeat switches to its slow rate now; enabled: polling resumes at once.
        (self._heartbeat_loop if disabled else self._command_loop.loop).wake()

    def health_snapshot(self) -> Dict[str, Any]:
        return run_health_check(self._health_fn, self.opts.health_timeout, self._secrets())

    # ---- internals ----
    def _secrets(self) -> List[str]:
        s = self._session
        opts = getattr(self, "opts", None)
        return [x for x in (s.agent_token if s else None, opts.registration_token if opts else None) if x]

    def _changed(self) -> None:
        if self._connector.reported:
            self.refresh()

    def _wait_idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._executor.settling > 0 and time.monotonic() < deadline:
            time.sleep(0.02)


def _arity(handler: Callable[..., Any]) -> int:
    """Whether the handler takes ``(payload)`` (1) or ``(payload, ctx)`` (2)."""
    try:
        params = [p for p in inspect.signature(handler).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        return 2
    return 2 if len(params) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params) else 1
