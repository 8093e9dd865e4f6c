"""Outages through the reliability suite's fault proxy (test/reliability/_proxy.ts): the server is
unreachable, then the result's answer is lost after the server applied it. The host's threads never
see an exception, the result is kept through the outage and applied exactly once, and commands flow
again afterwards (the scenario of test/sdk/outage.test.ts)."""
import threading
import time
import unittest
from typing import Any, Dict, List

from capstan_agent import CapsuleAgent

from .kit import PROXY_CONTROL, PROXY_URL, admin, capture_logger, command, execute, needs_server, registration_token, set_proxy, token_file, wait_for, wait_terminal

OUTAGE_SECONDS = 2.0


@needs_server
@unittest.skipUnless(PROXY_URL and PROXY_CONTROL, "needs the fault proxy of test/sdk-python/python.test.ts")
class Outage(unittest.TestCase):
    def setUp(self) -> None:
        self.uncaught: List[Any] = []
        previous = threading.excepthook
        threading.excepthook = lambda args: self.uncaught.append(args.exc_value)
        self.addCleanup(lambda: setattr(threading, "excepthook", previous))
        self.addCleanup(set_proxy, "pass")

    def test_a_result_produced_during_an_outage_is_applied_exactly_once(self) -> None:
        log, cap = capture_logger()
        agent = CapsuleAgent(backend_url=PROXY_URL, registration_token=registration_token(), token_file=token_file(),
                             agent={"code": "py-outage"}, logger=log, backoff={"base": 0.1, "max": 0.5}, progress_interval=0.2,
                             long_poll_seconds=2)
        gate = threading.Event()
        runs: Dict[str, int] = {"n": 0}

        @agent.action(name="work")
        def work(payload: Any, ctx: Any) -> Any:
            runs["n"] += 1
            gate.wait(30)
            return {"success": True, "message": "done", "data": {"run": runs["n"]}}

        self.addCleanup(agent.stop, 2)
        agent.start(wait=10)
        self.assertEqual(agent.state, "running")
        cid = execute(agent.service_id or "", "work")
        wait_for(lambda: runs["n"] == 1, 5, "the handler to start")

        set_proxy("down")
        gate.set()  # the handler finishes while the server is unreachable
        wait_for(lambda: agent.pending_results == 1, 5, "the result to be queued")
        time.sleep(OUTAGE_SECONDS)
        self.assertEqual(agent.pending_results, 1, "the result is kept through the outage")
        self.assertEqual(command(cid)["status"], "RUNNING")

        set_proxy("cut")  # the server applies the result, the answer is lost: the SDK must retry
        wait_for(lambda: command(cid)["status"] == "SUCCEEDED", 10, "the result to reach the server")
        self.assertEqual(agent.pending_results, 1, "not acknowledged yet: still held")
        set_proxy("pass")
        wait_for(lambda: agent.pending_results == 0, 10, "the retried result to be acknowledged")

        done = wait_terminal(cid)
        self.assertEqual((done["status"], done["result"]["data"]["run"]), ("SUCCEEDED", 1))
        status, audit = admin("GET", f"/api/admin/audit-events?action=command.completed&targetId={cid}")
        self.assertEqual(status, 200)
        self.assertEqual(len(audit["data"]), 1, "one completion in the audit log")
        self.assertEqual(runs["n"], 1, "the handler ran once")

        nxt = execute(agent.service_id or "", "work")
        self.assertEqual(wait_terminal(nxt, 10)["status"], "SUCCEEDED", "reconnected: commands flow again")
        self.assertEqual(agent.state, "running")
        # One line when Capstan becomes unreachable and one when it is back, however many loops notice
        # (a long poll parked before the cut can succeed in between: that is a second, shorter outage).
        marks = ["down" if "Capstan unreachable" in line else "up" for line in cap.lines if "Capstan" in line and "reachable" in line]
        self.assertGreaterEqual(len(marks), 2, cap.text)
        self.assertEqual(marks, ["down", "up"] * (len(marks) // 2), "each outage logged once, alternating")
        self.assertEqual(self.uncaught, [], "no exception escaped into a thread")
