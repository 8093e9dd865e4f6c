"""Isolated execution, retries and metrics (issue #20), end to end against the real server: an isolated
handler runs in a subprocess with a memory cap; a timeout, the cap and a cancel each end it with
their code, the host lives on and the next run works. Every result carries metrics; only actions that
declared ``retry`` run again."""
import os
import time
import unittest
from typing import Any, Dict, List

from capstan_agent import CapsuleAgent

from .isolated_work import patient, work
from .kit import FAST, URL, admin, capture_logger, command, execute, needs_server, registration_token, token_file, wait_for, wait_terminal


def logs_of(cid: str) -> List[str]:
    return [line["message"] for line in admin("GET", f"/api/admin/commands/{cid}/logs")[1]["data"]]


def child_pids() -> List[int]:
    """Live children of this process (Linux /proc; empty elsewhere)."""
    me, out = os.getpid(), []
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == me and fields[0] != "Z":
                out.append(int(pid))
        except (OSError, ValueError, IndexError):
            pass
    return out


@needs_server
class Isolation(unittest.TestCase):
    def setUp(self) -> None:
        self.flaky = 0
        self.plain = 0
        self.log, self.cap = capture_logger()
        a = self.agent = CapsuleAgent(backend_url=URL, registration_token=registration_token(), token_file=token_file(f"iso-{self.id().rsplit('.', 1)[1]}.json"),
                                      agent={"code": f"py-iso-{self.id().rsplit('.', 1)[1][5:30].replace('_', '-')}"}, logger=self.log,
                                      **{**FAST, "cancel_grace": 1.0})
        a.action(name="work", timeout_seconds=8, isolate={"memory_mb": 256})(work)  # a fresh interpreter can take seconds to start on a loaded machine
        a.action(name="patient", timeout_seconds=60, isolate=True)(patient)

        @a.action(name="flaky", retry={"max_attempts": 3, "backoff_seconds": 0.05, "on": ["FLAKY"]})
        def flaky(payload: Dict[str, Any]) -> Any:
            self.flaky += 1
            if self.flaky < 3:
                err = RuntimeError(f"transient {self.flaky}")
                err.code = "FLAKY"  # type: ignore[attr-defined]
                raise err
            return {"attempt": self.flaky}

        @a.action(name="plain")
        def plain(payload: Dict[str, Any]) -> Any:
            self.plain += 1
            err = RuntimeError("transient")
            err.code = "FLAKY"  # type: ignore[attr-defined]
            raise err
        a.start(wait=10)
        assert a.state == "running", self.cap.text
        self.sid = a.service_id or ""

    def tearDown(self) -> None:
        self.agent.stop(timeout=1)

    def run_action(self, name: str, payload: Any = None) -> Dict[str, Any]:
        return wait_terminal(execute(self.sid, name, {"payload": payload or {}}), 60)

    def test_isolated_result_progress_log_and_metrics(self) -> None:
        done = self.run_action("work", {"message": "hi"})
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertEqual(done["result"]["data"], {"echo": "hi", "commandId": done["id"]})
        self.assertEqual(done["progress"]["percent"], 0.5)
        self.assertEqual(sorted(logs_of(done["id"])), ["a print goes to stderr, not into the protocol", "hello from the subprocess of work"],
                         "ctx.log bridged, and the handler's print relayed as a log line")
        m = done["result"]["metrics"]
        self.assertEqual(m["attempts"], 1)
        self.assertGreater(m["durationMs"], 0)
        self.assertGreater(m["peakHeapMb"], 1, "the subprocess's peak RSS")
        self.assertEqual(self.run_action("work", {"mode": "throw"})["errorCode"], "ISO_FAILED")

    def test_timeout_kills_a_spinning_handler_and_the_next_run_works(self) -> None:
        started = time.monotonic()
        done = self.run_action("work", {"mode": "spin"})
        self.assertEqual((done["status"], done["errorCode"]), ("FAILED", "ACTION_TIMEOUT"))
        self.assertLess(time.monotonic() - started, 30)
        wait_for(lambda: not child_pids() or None, 5, "the subprocess to be gone")
        self.assertEqual(self.run_action("work", {"message": "after"})["status"], "SUCCEEDED")

    def test_memory_cap_ends_with_out_of_memory(self) -> None:
        done = self.run_action("work", {"mode": "hog"})
        self.assertEqual((done["status"], done["errorCode"]), ("FAILED", "ACTION_OUT_OF_MEMORY"), done)
        self.assertEqual(done["result"]["metrics"]["peakHeapMb"], 256)
        self.assertEqual(self.run_action("work", {"message": "after"})["status"], "SUCCEEDED")

    def test_cancel_kills_a_deaf_handler_after_the_grace(self) -> None:
        cid = execute(self.sid, "work", {"payload": {"mode": "spin"}})
        wait_for(lambda: command(cid).get("status") == "RUNNING" and child_pids() or None, 10, "spinning")
        self.assertEqual(admin("POST", f"/api/admin/commands/{cid}/cancel", {})[0], 200)
        wait_for(lambda: not child_pids() or None, 10, "the subprocess killed after the grace")
        self.assertEqual(self.run_action("work", {"message": "after"})["status"], "SUCCEEDED")

    def test_retry_only_when_declared(self) -> None:
        ok = self.run_action("flaky")
        self.assertEqual((ok["status"], ok["result"]["data"], ok["result"]["metrics"]["attempts"]), ("SUCCEEDED", {"attempt": 3}, 3))
        lines = logs_of(ok["id"])
        self.assertRegex(lines[0], r"^attempt 1 of 3: FLAKY transient 1; retrying in 0.05 s$")
        self.assertEqual(lines[2], "attempt 3 of 3: succeeded")
        once = self.run_action("plain")
        self.assertEqual((once["errorCode"], self.plain, once["result"]["metrics"]["attempts"]), ("FLAKY", 1, 1))
        self.assertNotIn("peakHeapMb", once["result"]["metrics"], "in-process runs have no heap figure")
        self.assertGreaterEqual(once["result"]["metrics"]["cpuUserMs"], 0)


class Definitions(unittest.TestCase):
    def test_isolated_handlers_must_be_importable(self) -> None:
        agent = CapsuleAgent(backend_url="http://capstan.invalid", agent={"code": "py-iso-defs"})

        def local(payload: Any) -> Any:
            return payload
        with self.assertRaisesRegex(TypeError, "module-level function"):
            agent.action(name="local", isolate=True)(local)
        with self.assertRaisesRegex(TypeError, "max_attempts"):
            agent.action(name="badRetry", retry={"attempts": 3})(work)


if __name__ == "__main__":
    unittest.main()
