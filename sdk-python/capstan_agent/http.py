"""The one HTTP call (``http.client``, TLS verified by ``ssl.create_default_context``). Retry table
(per call site, ``retries`` defaults to 0), the same as the Node SDK's:
  network error, timeout, 408, 429, 5xx -> retried up to ``retries`` times, honouring Retry-After
    (capped at 60 s), else 0.5 s * 2**n up to 8 s with 25 % jitter;
  409 is NOT retried: in the Capstan contract it is a final state conflict, not a lock timeout;
  other 4xx -> raised at once.
Only calls the server dedupes pass retries > 0: heartbeat, service report, bus events (keyed by the
client eventId). Registration and progress are never retried here; results are retried by the outbox.
"""
import email.utils
import http.client
import json
import random
import socket
import ssl
import threading
import time
from typing import Any, Dict, Optional, Set
from urllib.parse import urlsplit

from .errors import AgentAuthError, CapstanError, NetworkError
from .version import VERSION

MAX_RETRY_AFTER = 60.0


class Aborter:
    """Lets ``stop()`` end in-flight requests (a 25 s long poll) at once by shutting their sockets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: Set[http.client.HTTPConnection] = set()
        self.event = threading.Event()

    @property
    def aborted(self) -> bool:
        return self.event.is_set()

    def abort(self) -> None:
        self.event.set()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                if c.sock is not None:
                    c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def reset(self) -> None:
        self.event.clear()

    def track(self, conn: http.client.HTTPConnection, on: bool) -> None:
        with self._lock:
            (self._conns.add if on else self._conns.discard)(conn)


def request(base_url: str, method: str, path: str, *, token: Optional[str] = None, body: Any = None,
            timeout: float = 10.0, retries: int = 0, aborter: Optional[Aborter] = None) -> Any:
    """Sends one call (with its retries) and returns the envelope's ``data``, or raises a typed error."""
    attempt = 0
    while True:
        try:
            return _once(base_url, method, path, token, body, timeout, aborter)
        except NetworkError as err:
            if attempt >= retries or (aborter is not None and aborter.aborted):
                raise
            exp = min(8.0, 0.5 * 2 ** attempt)
            delay = err.retry_after if err.retry_after is not None else exp * (0.75 + random.random() * 0.25)
            if aborter is not None:
                aborter.event.wait(delay)
            else:
                time.sleep(delay)
            attempt += 1


def _connection(base_url: str, timeout: float) -> "tuple[http.client.HTTPConnection, str]":
    u = urlsplit(base_url)
    prefix = u.path.rstrip("/")
    if u.scheme == "https":
        return http.client.HTTPSConnection(u.hostname or "", u.port, timeout=timeout, context=ssl.create_default_context()), prefix
    return http.client.HTTPConnection(u.hostname or "", u.port, timeout=timeout), prefix


def _once(base_url: str, method: str, path: str, token: Optional[str], body: Any, timeout: float, aborter: Optional[Aborter]) -> Any:
    headers = {"accept": "application/json", "user-agent": f"capstan-agent-python/{VERSION}"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        headers["content-type"] = "application/json"
        payload = json.dumps(body, default=str).encode("utf-8")
    if aborter is not None and aborter.aborted:
        raise NetworkError("NETWORK_ERROR", f"{method} {path}: aborted")
    conn, prefix = _connection(base_url, timeout)
    if aborter is not None:
        aborter.track(conn, True)
    try:
        conn.request(method, prefix + path, body=payload, headers=headers)
        res = conn.getresponse()
        status = res.status
        retry_after = res.getheader("retry-after")
        raw = res.read()
    except (socket.timeout, TimeoutError):
        raise NetworkError("TIMEOUT", f"{method} {path}: timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as err:
        why = "aborted" if aborter is not None and aborter.aborted else (type(err).__name__ + (f": {err}" if str(err) else ""))
        raise NetworkError("NETWORK_ERROR", f"{method} {path}: {why}") from None
    finally:
        if aborter is not None:
            aborter.track(conn, False)
        conn.close()
    try:
        parsed: Any = json.loads(raw.decode("utf-8")) if raw else {}
    except ValueError:
        parsed = None  # a proxy's HTML error page, for instance
    envelope: Optional[Dict[str, Any]] = parsed if isinstance(parsed, dict) else None
    if 200 <= status < 300 and envelope is not None:
        return envelope.get("data")
    raw_error = envelope.get("error") if envelope is not None else None
    error: Dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    code: str = error["code"] if isinstance(error.get("code"), str) else f"HTTP_{status}"
    text: str = error["message"] if isinstance(error.get("message"), str) else "unexpected response"
    message = f"{method} {path}: {status} {text}"
    if status in (408, 429) or status >= 500 or envelope is None:
        raise NetworkError(code, message, status, parse_retry_after(retry_after))
    # 403s about something other than the agent itself are ordinary refusals, not a reason to drop the token.
    if status == 401 or (status == 403 and code.startswith("AGENT_")):
        raise AgentAuthError(code, message, status)
    raise CapstanError(code, message, status)


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Retry-After as seconds (delta or HTTP date), capped at 60 s; None when absent or invalid."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = when.timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    if seconds != seconds or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)
