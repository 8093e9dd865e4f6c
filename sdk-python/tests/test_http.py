"""The one HTTP call against a scripted local server: the retry table (429/5xx retried honouring
Retry-After, 409 and other 4xx not), typed errors, and the abort that ends a parked long poll."""
import http.server
import json
import threading
import time
import unittest
from typing import Any, Dict, List, Tuple

from capstan_agent.errors import AgentAuthError, CapstanError, NetworkError
from capstan_agent.http import Aborter, request


class Scripted(http.server.BaseHTTPRequestHandler):
    script: List[Tuple[int, Any, Dict[str, str]]] = []
    seen: List[Tuple[float, str, str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        Scripted.seen.append((time.monotonic(), self.path, self.headers.get("authorization") or ""))
        status, payload, headers = Scripted.script.pop(0) if Scripted.script else (200, {"success": True, "data": body}, {})
        if payload == "hang":
            time.sleep(5)
            return
        raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


class Http(unittest.TestCase):
    def setUp(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        Scripted.script, Scripted.seen = [], []

    def test_429_is_retried_after_retry_after_and_the_data_returned(self) -> None:
        Scripted.script = [(429, {"success": False, "error": {"code": "RATE_LIMITED", "message": "slow down"}}, {"Retry-After": "0.3"}),
                           (200, {"success": True, "data": {"ok": 1}}, {})]
        self.assertEqual(request(self.url, "POST", "/x", token="tok-secret", body={"a": 1}, retries=2), {"ok": 1})
        self.assertEqual(len(Scripted.seen), 2)
        self.assertGreaterEqual(Scripted.seen[1][0] - Scripted.seen[0][0], 0.28, "waited as Retry-After said")
        self.assertEqual(Scripted.seen[0][2], "Bearer tok-secret")

    def test_errors_are_typed_and_final_refusals_not_retried(self) -> None:
        Scripted.script = [(503, "<html>down</html>", {})]
        with self.assertRaises(NetworkError) as down:
            request(self.url, "GET", "/x")
        self.assertEqual(down.exception.status, 503)
        Scripted.script = [(409, {"success": False, "error": {"code": "COMMAND_NOT_RUNNING", "message": "done"}}, {})] * 3
        with self.assertRaises(CapstanError) as conflict:
            request(self.url, "POST", "/x", retries=2)
        self.assertNotIsInstance(conflict.exception, NetworkError)
        self.assertEqual((conflict.exception.code, len(Scripted.seen)), ("COMMAND_NOT_RUNNING", 2), "409 is not retried")
        Scripted.script = [(401, {"success": False, "error": {"code": "AGENT_TOKEN_INVALID", "message": "no"}}, {})]
        with self.assertRaises(AgentAuthError):
            request(self.url, "GET", "/x")

    def test_abort_ends_a_parked_request_at_once(self) -> None:
        Scripted.script = [(200, "hang", {})]
        aborter = Aborter()
        threading.Timer(0.2, aborter.abort).start()
        started = time.monotonic()
        with self.assertRaises(NetworkError):
            request(self.url, "GET", "/commands?waitSeconds=25", timeout=10, aborter=aborter)
        self.assertLess(time.monotonic() - started, 3.0, "stop() does not wait for the long poll")
