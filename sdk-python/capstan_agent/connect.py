"""The connect loop's one pass: token -> (register) -> report -> loops running; plus what follows a
refused token (drop it, register again if possible) and the one-line reachability log."""
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from .backoff import Backoff
from .errors import AgentAuthError, CapstanError, NetworkError, RegistrationError, registration_hint
from .manifest import build_reported_service
from .package import read_package
from .message import declaration
from .progress import iso_now
from .registration import register
from .core import Session

if TYPE_CHECKING:  # pragma: no cover
    from .agent import CapsuleAgent


_UNREAD = object()


class Connector:
    def __init__(self, agent: "CapsuleAgent") -> None:
        self._a = agent
        self.reported = False
        self._last_configs: List[Dict[str, Any]] = []
        self._package: Any = _UNREAD  # manifest.package, read once (one warning at most)
        self._unreachable_since: Optional[float] = None
        self._reach_lock = threading.Lock()
        self._backoff = Backoff(agent.opts.backoff_base, agent.opts.backoff_max)

    def tick(self) -> Optional[float]:
        try:
            return self._connect()
        finally:
            self._a._ready.set()  # start(wait=...) returns after the first attempt, whatever it gave

    def _connect(self) -> Optional[float]:
        a, o = self._a, self._a.opts
        if not o.backend_url:
            a.log.error("no Capstan URL: set CAPSTAN_URL or the backend_url option; the agent stays idle")
            a._state = "idle"
            return None
        if a._session is None:
            try:
                stored = o.token_store.load()
            except Exception as err:
                a.log.error("cannot read the agent token", {"error": str(err)})
                stored = None
            if stored and (not stored.get("backendUrl") or stored.get("backendUrl") == o.backend_url):
                a._session = Session(stored["agentId"], stored["agentToken"])
            elif stored:
                a.log.warn("the stored agent token belongs to another Capstan server; ignoring it", {"storedFor": stored.get("backendUrl")})
        service = self.reported_service()
        if a._session is None:
            if not o.registration_token:
                a.log.error(f"cannot register: {registration_hint('NO_CREDENTIALS', o.agent['code'])}; the agent stays idle")
                a._state = "idle"
                return None
            try:
                reg = register(o.backend_url, o.registration_token, o.agent, service, o.request_timeout, a._aborter)
            except RegistrationError as err:
                a.log.error(f"registration refused ({err.code}): {err.hint}; the agent stays idle", {"agentCode": o.agent["code"]})
                a._state = "idle"
                return None
            except Exception as err:
                return self._retry_later(err)
            self.note_reachable(None)
            sid = next((x.get("serviceId") for x in reg.get("services") or [] if isinstance(x, dict) and x.get("code") == service["code"]), None)
            a._session = Session(reg["agentId"], reg["agentToken"], sid)
            self.reported = sid is not None
            a.set_intervals(reg)
            try:
                o.token_store.save({"agentId": reg["agentId"], "agentToken": reg["agentToken"], "backendUrl": o.backend_url, "savedAt": iso_now()})
            except Exception as err:
                a.log.error("registered, but the agent token could not be saved: the next start will need a new registration token", {"error": str(err)})
            a.log.info("registered with Capstan", {"agentId": reg["agentId"], "agentCode": o.agent["code"]})
        if not self.reported:
            try:
                data = a.call("POST", "/services/report", {"services": [service]}, retries=2, abortable=True)
                s = a._session
                if s is not None and isinstance(data, dict):
                    s.service_id = next((x.get("serviceId") for x in data.get("services") or []
                                         if isinstance(x, dict) and x.get("code") == service["code"]), s.service_id)
                self.reported = True
            except AgentAuthError:
                return None  # on_token_refused wakes this loop
            except NetworkError as err:
                return self._retry_later(err)
            except CapstanError as err:
                a.log.error(f"service report refused ({err.code}): {err.message}", {"serviceCode": service["code"]})
                return o.backoff_max
        self._backoff.reset()
        if a._state == "stopped":
            return None
        a._state = "disabled" if a._disabled else "running"
        # The first heartbeat inline: once start(wait) returns the agent is ONLINE and can take commands.
        if not a._heartbeat_loop.is_running:
            a._heartbeat_loop.start(a._heartbeat())
        else:
            a._heartbeat_loop.wake()
        a._command_loop.loop.start()
        a._outbox.loop.start()
        return None

    def reported_service(self) -> Dict[str, Any]:
        a = self._a
        if a._configs_fn is not None:
            try:
                items = a._configs_fn()
                if isinstance(items, list):
                    self._last_configs = items
            except Exception as err:
                a.log.error("the configs callback failed; reporting the last known configs", {"error": str(err)})
        if self._package is _UNREAD:
            self._package = read_package(a.opts.package, a.opts.capsule_file, a.log)
        return build_reported_service(a.opts.agent["code"], a.opts.service, self._last_configs, a._actions.values(), a.health_snapshot(),
                                      declaration(a._message), self._package)

    def _retry_later(self, err: Exception) -> float:
        if self._a.stopping:
            return 0.0
        if not isinstance(err, NetworkError):
            raise err
        self.note_reachable(err)
        return err.retry_after if err.retry_after is not None else self._backoff.next()

    def note_reachable(self, err: Optional[BaseException]) -> None:
        """One warning when Capstan becomes unreachable and one line when it is back, whichever loop notices."""
        with self._reach_lock:  # several loops notice at once: still one line each way
            since = self._unreachable_since
            went_down = isinstance(err, NetworkError) and since is None and not self._a.stopping
            if err is None:
                self._unreachable_since = None
            elif went_down:
                self._unreachable_since = time.monotonic()
        if err is None and since is not None:
            self._a.log.info("Capstan reachable again", {"downForSeconds": round(time.monotonic() - since, 1)})
        elif went_down and isinstance(err, NetworkError):
            self._a.log.warn("Capstan unreachable; retrying with backoff", {"code": err.code, "error": str(err)})

    def on_token_refused(self, used: "Session", err: AgentAuthError) -> None:
        """401 (or the agent revoked): the token is useless. Drop it; register again if we can."""
        a = self._a
        if a._session is not used:
            return  # another loop already handled this session
        a._session = None
        self.reported = False
        a._disabled = False
        try:
            a.opts.token_store.clear()
        except Exception:
            pass
        if not a.opts.registration_token:
            a.log.error(f"the agent token was refused ({err.code}) and no registration token is configured; the agent stays idle: "
                        f'create a re-enroll token for agent "{a.opts.agent["code"]}" in the console and set CAPSTAN_REGISTRATION_TOKEN')
            a._state = "idle"
            return
        a.log.warn(f"the agent token was refused ({err.code}); registering again with the configured registration token")
        a._state = "connecting"
        a._connect_loop.wake()
