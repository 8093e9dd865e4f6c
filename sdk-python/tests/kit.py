"""Shared by the Python SDK tests: the server the tap harness started (test/sdk-python/python.test.ts
passes its URL, an owner API token and the fault proxy), an operator's helpers over the admin API,
a log-capturing logger and ``wait_for``. Tests that need the server skip when it is not given."""
import json
import logging
import os
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

URL = os.environ.get("CAPSTAN_TEST_URL", "")
API_TOKEN = os.environ.get("CAPSTAN_TEST_API_TOKEN", "")
PROXY_URL = os.environ.get("CAPSTAN_TEST_PROXY_URL", "")
PROXY_CONTROL = os.environ.get("CAPSTAN_TEST_PROXY_CONTROL", "")
REPORT = os.environ.get("CAPSTAN_TEST_REPORT", "")
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"}
FAST: Dict[str, Any] = {"backoff": {"base": 0.05, "max": 0.5}, "progress_interval": 0.1}
needs_server = unittest.skipUnless(URL and API_TOKEN, "run through npm test (test/sdk-python/python.test.ts) to get a server")
T = TypeVar("T")


def admin(method: str, path: str, body: Any = None, base: str = "") -> Tuple[int, Any]:
    """One admin API call with the owner's API token: (status, parsed envelope)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request((base or URL) + path, data=data, method=method,
                                 headers={"authorization": f"Bearer {API_TOKEN}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def registration_token(**body: Any) -> str:
    status, env = admin("POST", "/api/admin/registration-tokens", body)
    assert status == 200, env
    return str(env["data"]["rawToken"])


def execute(service_id: str, action: str, body: Optional[Dict[str, Any]] = None) -> str:
    status, env = admin("POST", f"/api/admin/capsule-services/{service_id}/actions/{action}", body or {})
    assert status == 200, f"execute {action}: {status} {env}"
    return str(env["data"]["id"])


def command(command_id: str) -> Dict[str, Any]:
    return admin("GET", f"/api/admin/commands/{command_id}")[1]["data"]  # type: ignore[no-any-return]


def wait_for(fn: Callable[[], Optional[T]], timeout: float = 5.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_terminal(command_id: str, timeout: float = 8.0) -> Dict[str, Any]:
    return wait_for(lambda: (lambda c: c if c.get("status") in TERMINAL else None)(command(command_id)), timeout, f"command {command_id}")


def set_proxy(mode: str) -> Dict[str, Any]:
    req = urllib.request.Request(f"{PROXY_CONTROL}/mode/{mode}", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=5) as res:
        return json.loads(res.read())  # type: ignore[no-any-return]


class Capture(logging.Handler):
    """Keeps every record the SDK emits (for assertions and token scans)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


_seq = [0]


def capture_logger() -> Tuple[logging.Logger, Capture]:
    _seq[0] += 1
    log = logging.getLogger(f"capstan_agent.test{_seq[0]}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    cap = Capture()
    log.addHandler(cap)
    return log, cap


def token_file(name: str = "agent-token.json") -> str:
    base = os.environ.get("CAPSTAN_TEST_DIR") or tempfile.gettempdir()
    return os.path.join(tempfile.mkdtemp(dir=base), "sdk", name)


def record_dispatch(ms: List[float]) -> None:
    """The tap harness reports these beside the Node SDK's figure."""
    if REPORT:
        with open(REPORT, "w", encoding="utf-8") as fh:
            json.dump({"dispatchMs": ms}, fh)
