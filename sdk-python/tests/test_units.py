"""The SDK's pieces on their own (no server): backoff, Retry-After, redaction, the token file,
results, schema defaults and the logger's safety."""
import logging
import os
import stat
import tempfile
import unittest
from types import SimpleNamespace
from typing import Any, List

from capstan_agent.backoff import Backoff
from capstan_agent.command_loop import LONG_POLL_MARGIN, CommandLoop, long_poll_timeout
from capstan_agent.http import parse_retry_after
from capstan_agent.logger import SafeLogger
from capstan_agent.manifest import build_reported_service, defaults_from_schema
from capstan_agent.redact import REDACTED, is_secret_key, redact, scrub_secrets
from capstan_agent.results import fit_result, from_error, to_result
from capstan_agent.token_store import FileTokenStore

from .kit import capture_logger


class Units(unittest.TestCase):
    def test_backoff_is_full_jitter_up_to_the_capped_exponential(self) -> None:
        top = Backoff(1.0, 8.0, rand=lambda: 1.0)
        self.assertEqual([top.next() for _ in range(6)], [1.0, 2.0, 4.0, 8.0, 8.0, 8.0])
        low = Backoff(1.0, 8.0, rand=lambda: 0.0)
        self.assertEqual(low.next(), 0.0)
        top.reset()
        self.assertEqual((top.failures, top.next()), (0, 1.0))

    def test_retry_after_seconds_dates_and_cap(self) -> None:
        self.assertEqual(parse_retry_after("3"), 3.0)
        self.assertEqual(parse_retry_after("3600"), 60.0, "capped at 60 s")
        self.assertIsNone(parse_retry_after("soon"))
        self.assertIsNone(parse_retry_after(None))
        self.assertIsNone(parse_retry_after("-1"))
        self.assertIsNone(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), "a date in the past is no delay")

    def test_redaction_matches_the_node_rules(self) -> None:
        for key in ("apiKey", "access_token", "password", "Authorization", "privateKey", "set-cookie"):
            self.assertTrue(is_secret_key(key), key)
        for key in ("maxTokens", "message", "keyboard"):
            self.assertFalse(is_secret_key(key), key)
        out = redact({"password": "x", "empty": "", "note": "Bearer abcdefghijk and opstage_agent_ABCDEFGH1234 and live-secret-123"},
                     ["live-secret-123"])
        self.assertEqual(out["password"], REDACTED)
        self.assertNotIn("abcdefghijk", out["note"])
        self.assertNotIn("ABCDEFGH1234", out["note"])
        self.assertNotIn("live-secret-123", out["note"])
        self.assertEqual(scrub_secrets({"generatedKey": "keep-me", "x": ["tok-12345678"]}, ["tok-12345678"]),
                         {"generatedKey": "keep-me", "x": [REDACTED]}, "only the live tokens leave results")

    def test_token_file_is_atomic_0600_and_tolerates_corruption(self) -> None:
        d = tempfile.mkdtemp()
        path = os.path.join(d, "nested", "token.json")
        store = FileTokenStore(path)
        self.assertIsNone(store.load())
        store.save({"agentId": "agt_1", "agentToken": "opstage_agent_x", "backendUrl": "http://h", "savedAt": "now"})
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(os.listdir(os.path.dirname(path)), ["token.json"], "no temp file left")
        self.assertEqual(store.load()["agentId"], "agt_1")  # type: ignore[index]
        os.chmod(path, 0o644)
        store.load()
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, "a readable file is restricted again")
        with open(path, "w") as fh:
            fh.write("{not json")
        self.assertIsNone(store.load(), "a corrupt file counts as missing")
        store.clear()
        store.clear()
        self.assertFalse(os.path.exists(path))

    def test_results_from_values_errors_and_oversized_data(self) -> None:
        self.assertEqual(to_result(None), {"success": True})
        self.assertEqual(to_result(7), {"success": True, "data": {"value": 7}})
        self.assertEqual(to_result({"success": False, "message": "no"})["error"], {"code": "ACTION_FAILED", "message": "no"})
        err = ValueError("bad")
        err.code = "BAD"  # type: ignore[attr-defined]
        self.assertEqual(from_error(err)["error"], {"code": "BAD", "message": "bad"})
        big = fit_result({"success": True, "data": {"blob": "x" * 1_000_001}})
        self.assertEqual(big["error"]["code"], "COMMAND_RESULT_TOO_LARGE")

    def test_schema_defaults_and_sensitive_configs(self) -> None:
        schema = {"type": "object", "properties": {"a": {"default": 1}, "b": {"type": "object", "properties": {"c": {"default": "x"}}}, "d": {}}}
        self.assertEqual(defaults_from_schema(schema), {"a": 1, "b": {"c": "x"}})
        svc = build_reported_service("svc", {}, [{"key": "K", "type": "string", "sensitive": True, "valuePreview": "v", "defaultValue": "d"}], [])
        self.assertEqual(svc["configs"], [{"key": "K", "type": "string", "sensitive": True}])
        self.assertEqual(svc["runtime"], "python")

    def test_the_logger_redacts_and_survives_a_broken_handler(self) -> None:
        log, cap = capture_logger()
        safe = SafeLogger(log, lambda: ["opstage_agent_LIVE1234567"])
        safe.warn("token opstage_agent_LIVE1234567 refused", {"apiKey": "k", "n": 1})
        self.assertNotIn("LIVE1234567", cap.text)
        self.assertIn('"apiKey": "[REDACTED]"', cap.text)

        class Broken(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                raise RuntimeError("handler down")
        log.addHandler(Broken())
        log.handlers[0], log.handlers[-1] = log.handlers[-1], log.handlers[0]
        safe.error("still fine")  # must not raise
        quiet = logging.getLogger("capstan_agent")
        self.assertTrue(any(isinstance(h, logging.NullHandler) for h in quiet.handlers), "silent by default")

    def test_a_long_poll_waits_30_s_beyond_its_wait(self) -> None:
        # The server's wait starts when it reads the poll, which a connecting fleet's full accept queue
        # delays by seconds; request_timeout alone (10 s) abandoned polls the server answered in time.
        self.assertEqual(LONG_POLL_MARGIN, 30.0)
        self.assertEqual(long_poll_timeout(25, 10), 55, "the defaults")
        self.assertEqual(long_poll_timeout(25, 60), 85, "a longer request_timeout is kept")
        self.assertEqual(long_poll_timeout(0, 10), 10, "plain polling: request_timeout alone")
        asked: List[Any] = []
        core = SimpleNamespace(
            session=object(), disabled=False, stopping=False, poll_interval=5.0, log=SafeLogger(logging.getLogger("t"), lambda: []),
            opts=SimpleNamespace(max_concurrency=1, long_poll_seconds=2, request_timeout=0.5, backoff_base=1.0, backoff_max=60.0),
            call=lambda method, query, timeout=None, abortable=False: asked.append((method, query, timeout)) or [],
        )
        CommandLoop(core, SimpleNamespace(busy=0), SimpleNamespace())._tick()  # type: ignore[arg-type]
        self.assertEqual(asked, [("GET", "/commands?limit=1&waitSeconds=2", 32.0)], "the command loop asks for wait + 30 s")
