"""Actions through the admin API, end to end through the SDK: sync and ``async def`` handlers,
results, failures, JSON-Schema input, prepare, progress and logs, cancel reaching the handler,
timeouts, bus events, graceful stop, dispatch latency (the scenarios of test/sdk/commands.test.ts)."""
import asyncio
import statistics
import threading
import time
import unittest
from typing import Any, Dict, List

from capstan_agent import ActionContext, CapsuleAgent

from .kit import FAST, URL, admin, capture_logger, command, execute, needs_server, record_dispatch, registration_token, token_file, wait_for, wait_terminal

ECHO_SCHEMA = {"type": "object", "properties": {"message": {"type": "string", "default": "hello"}}, "required": ["message"]}


class Service:
    """An agent with the actions the tests drive, and what its handlers saw."""

    def __init__(self, code: str, **kw: Any) -> None:
        self.log, self.cap = capture_logger()
        self.agent = CapsuleAgent(backend_url=URL, registration_token=registration_token(), token_file=token_file(),
                                  agent={"code": code}, service={"name": code, "version": "1.0.0"}, logger=self.log, **{**FAST, **kw})
        self.events: Dict[str, Any] = {}
        self.started: List[float] = []
        a = self.agent

        @a.action(label="Echo", input_schema=ECHO_SCHEMA)
        def echo(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            self.started.append(time.monotonic())
            return {"success": True, "message": payload["message"], "data": {"message": payload["message"]}}

        @a.action(name="echoAsync", input_schema=ECHO_SCHEMA)
        async def echo_async(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            await asyncio.sleep(0.01)
            return {"success": True, "message": payload["message"], "data": {"loop": "asyncio"}}

        @a.action(name="answer")
        def answer(payload: Dict[str, Any]) -> int:  # one argument, a plain value
            return 42

        @a.action(name="boom")
        def boom(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            err = RuntimeError("the disk is full")
            err.code = "DISK_FULL"  # type: ignore[attr-defined]
            raise err

        @a.action(name="reindex", danger_level="MEDIUM", input_schema={"type": "object", "properties": {"collection": {"type": "string"}}},
                  prepare=lambda ctx: {"initialPayload": {"collection": "items"}, "currentState": {"items": 2}})
        def reindex(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            self.events["started"] = time.monotonic()
            ctx.log("info", f"reindexing {payload.get('collection')}")
            for step in range(1, 200):
                if ctx.cancelled.wait(0.05):
                    self.events["stopped"] = (time.monotonic(), ctx.reason)
                    return {"success": False, "error": {"code": "CANCELLED", "message": "stopped"}}
                ctx.progress(step / 200, f"batch {step}")
                ctx.log("info", f"indexed batch {step}")
            return {"success": True}

        @a.action(name="reindexAsync")
        async def reindex_async(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            try:
                for step in range(1, 200):
                    ctx.progress(step / 200)
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                self.events["async_cancelled"] = ctx.reason
                raise
            return {"success": True}

        @a.action(name="hang", timeout_seconds=1)
        def hang(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            ctx.cancelled.wait(30)
            self.events["hang_reason"] = ctx.reason
            time.sleep(0.3)  # ignores the abort for a while: its late answer must be dropped
            return {"success": True}

        @a.action(name="finishes")
        def finishes(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            self.events["finishing"] = True
            time.sleep(0.5)  # shorter than stop()'s timeout: it completes on its own
            return {"success": True, "message": "finished", "data": {"cancelled": ctx.cancelled.is_set()}}

        @a.action(name="publish")
        def publish(payload: Dict[str, Any], ctx: ActionContext) -> Any:
            return {"success": True, "data": a.publish_event("py.item.created", {"name": payload.get("name")})}

    def __enter__(self) -> "Service":
        self.agent.start(wait=10)
        assert self.agent.state == "running", self.cap.text
        return self

    def __exit__(self, *exc: Any) -> None:
        self.agent.stop(timeout=1)


@needs_server
class Actions(unittest.TestCase):
    def test_sync_async_and_plain_results(self) -> None:
        with Service("py-results") as s:
            sid = s.agent.service_id or ""
            echo = wait_terminal(execute(sid, "echo", {"payload": {"message": "hi"}}))
            self.assertEqual((echo["status"], echo["result"]["message"]), ("SUCCEEDED", "hi"))
            done = wait_terminal(execute(sid, "echoAsync", {"payload": {"message": "async"}}))
            self.assertEqual((done["status"], done["result"]["data"]), ("SUCCEEDED", {"loop": "asyncio"}))
            plain = wait_terminal(execute(sid, "answer"))
            self.assertEqual(plain["result"]["data"], {"value": 42}, "a plain value becomes data")
            failed = wait_terminal(execute(sid, "boom"))
            self.assertEqual((failed["status"], failed["errorCode"]), ("FAILED", "DISK_FULL"))
            status, bad = admin("POST", f"/api/admin/capsule-services/{sid}/actions/echo", {"payload": {"message": 5}})
            self.assertEqual((status, bad["error"]["code"]), (422, "ACTION_PAYLOAD_INVALID"), "the reported inputSchema is enforced")

    def test_prepare_from_the_callback_or_schema_defaults(self) -> None:
        with Service("py-prepare") as s:
            sid = s.agent.service_id or ""
            status, env = admin("GET", f"/api/admin/capsule-services/{sid}/actions/reindex")
            self.assertEqual(status, 200)
            self.assertEqual(env["data"]["initialPayload"], {"collection": "items"})
            self.assertEqual(env["data"]["currentState"]["items"], 2)
            echo = admin("GET", f"/api/admin/capsule-services/{sid}/actions/echo")[1]
            self.assertEqual(echo["data"]["initialPayload"], {"message": "hello"}, "defaults from input_schema")

    def test_progress_logs_and_a_cancel_reaching_the_handler(self) -> None:
        with Service("py-cancel") as s:
            cid = execute(s.agent.service_id or "", "reindex", {"payload": {"collection": "items"}})
            wait_for(lambda: ((command(cid).get("progress") or {}).get("percent") or 0) >= 0.05, 5, "progress")
            cancelled_at = time.monotonic()
            self.assertEqual(admin("POST", f"/api/admin/commands/{cid}/cancel", {})[0], 200)
            stopped_at, reason = wait_for(lambda: s.events.get("stopped"), 5, "the handler to see ctx.cancelled")
            self.assertEqual(reason, "CANCELLED")
            self.assertLess(stopped_at - cancelled_at, 3.0, "the cancel reached the handler with the next progress flush")
            self.assertEqual(wait_terminal(cid)["status"], "CANCELLED")
            logs = str(admin("GET", f"/api/admin/commands/{cid}/logs")[1]["data"])
            self.assertIn("reindexing items", logs)
            self.assertIn("indexed batch 1", logs)

    def test_an_async_handler_is_cancelled_as_a_task(self) -> None:
        with Service("py-cancel-async", cancel_grace=0.2) as s:
            cid = execute(s.agent.service_id or "", "reindexAsync")
            wait_for(lambda: ((command(cid).get("progress") or {}).get("percent") or 0) >= 0.02, 5, "progress")
            self.assertEqual(admin("POST", f"/api/admin/commands/{cid}/cancel", {})[0], 200)
            self.assertEqual(wait_for(lambda: s.events.get("async_cancelled"), 5, "CancelledError in the task"), "CANCELLED")
            self.assertEqual(wait_terminal(cid)["status"], "CANCELLED")

    def test_a_handler_exceeding_its_timeout_is_reported_action_timeout(self) -> None:
        with Service("py-timeout") as s:
            sid = s.agent.service_id or ""
            t0 = time.monotonic()
            done = wait_terminal(execute(sid, "hang"), 8)
            self.assertEqual((done["status"], done["errorCode"]), ("FAILED", "ACTION_TIMEOUT"))
            self.assertLess(time.monotonic() - t0, 4.0, "reported right after the timeout")
            self.assertEqual(wait_for(lambda: s.events.get("hang_reason"), 3, "the handler to wake"), "ACTION_TIMEOUT")
            self.assertEqual(wait_terminal(execute(sid, "answer"))["status"], "SUCCEEDED", "the next command runs")

    def test_publish_event_from_a_handler_carries_the_command_as_causation(self) -> None:
        with Service("py-bus") as s:
            cid = execute(s.agent.service_id or "", "publish", {"payload": {"name": "Bus item"}})
            done = wait_terminal(cid)
            published = done["result"]["data"]
            self.assertTrue(published["ok"], published)
            event = admin("GET", f"/api/admin/bus/events/{published['eventId']}")[1]["data"]
            self.assertEqual(event["eventType"], "py.item.created")
            self.assertEqual(event["metadata"].get("causationId"), cid, "causationId filled from inside the handler")
            self.assertRegex(event["clientEventId"], r"^[0-9a-f-]{36}$", "the SDK sent an idempotency key")
            outside = s.agent.publish_event("py.ping", {})
            self.assertTrue(outside["ok"])
            ping = admin("GET", f"/api/admin/bus/events/{outside['eventId']}")[1]["data"]
            self.assertFalse(ping["metadata"].get("causationId"), "no causation outside a handler")
            self.assertFalse(s.agent.publish_event("")["ok"], "bad input returns ok False instead of raising")

    def test_stop_lets_a_running_handler_finish_and_delivers_its_result(self) -> None:
        before = set(threading.enumerate())
        s = Service("py-stop").__enter__()
        cid = execute(s.agent.service_id or "", "reindex", {"payload": {"collection": "items"}})
        wait_for(lambda: s.events.get("started"), 5, "the handler to start")
        t0 = time.monotonic()
        s.agent.stop(timeout=0.3)  # shorter than the handler: it is told to stop (AGENT_STOPPED)
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertEqual(s.agent.pending_results, 0, "the result went out before stop() returned")
        self.assertEqual(s.events["stopped"][1], "AGENT_STOPPED")
        self.assertEqual(wait_terminal(cid)["status"], "FAILED")
        leftover = [t for t in set(threading.enumerate()) - before if t.name.startswith("capstan-agent") and "asyncio" not in t.name]
        try:
            wait_for(lambda: not [t for t in leftover if t.is_alive()], 5, "the SDK's threads to end")
        except AssertionError:
            raise AssertionError(f"still alive: {[t.name for t in leftover if t.is_alive()]}") from None

    def test_stop_waits_for_a_handler_that_finishes_within_its_timeout(self) -> None:
        s = Service("py-stop-graceful").__enter__()
        cid = execute(s.agent.service_id or "", "finishes")
        wait_for(lambda: s.events.get("finishing"), 5, "the handler to start")
        s.agent.stop(timeout=10)
        self.assertEqual(s.agent.pending_results, 0)
        done = wait_terminal(cid)
        self.assertEqual((done["status"], done["result"]["data"]), ("SUCCEEDED", {"cancelled": False}), "finished, not aborted")

    def test_long_poll_dispatch_latency(self) -> None:
        with Service("py-latency") as s:
            sid = s.agent.service_id or ""
            samples: List[float] = []
            for i in range(23):
                before = len(s.started)
                sent = time.monotonic()
                cid = execute(sid, "echo", {"payload": {"message": f"run {i}"}})
                wait_for(lambda: len(s.started) > before, 5, "the handler to start")
                if i >= 3:  # after 3 warm-up runs, as bench/sdk-dispatch.mjs
                    samples.append((s.started[before] - sent) * 1000)
                wait_terminal(cid)
            record_dispatch(samples)
            self.assertLess(statistics.median(samples), 1000, f"median {statistics.median(samples):.1f} ms")
