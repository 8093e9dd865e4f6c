"""A command delivered twice (the server queued it again after its delivery lease lapsed: the poll's
answer was lost, or the confirmation was late) runs its handler once; the ids remembered are bounded."""
import threading
import time
import unittest
from types import SimpleNamespace
from typing import Any, Dict, List

from capstan_agent import command_loop
from capstan_agent.command_loop import CommandLoop


class _Log:
    def __init__(self) -> None:
        self.lines: List[str] = []

    def _keep(self, msg: str, fields: Any = None) -> None:
        self.lines.append(f"{msg} {fields}")

    debug = info = warn = warning = error = _keep


class _Executor:
    busy = 0

    def __init__(self) -> None:
        self.runs: List[str] = []
        self._lock = threading.Lock()

    def run(self, cmd: Dict[str, Any]) -> Dict[str, Any]:
        with self._lock:
            self.runs.append(cmd["id"])
        return {"success": True}


class Redelivery(unittest.TestCase):
    def _loop(self, answers: List[List[Dict[str, Any]]]) -> "tuple[CommandLoop, _Executor, List[str], _Log]":
        log = _Log()
        opts = SimpleNamespace(max_concurrency=2, long_poll_seconds=0, request_timeout=5, backoff_base=0.05, backoff_max=0.5)
        core = SimpleNamespace(session=object(), disabled=False, stopping=False, opts=opts, poll_interval=1.0, log=log,
                               call=lambda method, path, **kw: answers.pop(0))
        executor = _Executor()
        added: List[str] = []
        outbox = SimpleNamespace(add=lambda cid, result: added.append(cid))
        return CommandLoop(core, executor, outbox), executor, added, log  # type: ignore[arg-type]

    def _settle(self, added: List[str], n: int) -> None:
        deadline = time.monotonic() + 5
        while len(added) < n and time.monotonic() < deadline:
            time.sleep(0.01)

    def test_the_same_command_id_twice_runs_once(self) -> None:
        cmd = {"id": "cmd_twice", "type": "ACTION_EXECUTE", "actionName": "echo", "payload": {}}
        loop, executor, added, log = self._loop([[cmd], [dict(cmd)], [{**cmd, "id": "cmd_other"}]])
        for _ in range(3):
            loop._tick()
        self._settle(added, 2)
        time.sleep(0.1)
        self.assertEqual(sorted(executor.runs), ["cmd_other", "cmd_twice"], "the second delivery of cmd_twice was dropped")
        self.assertEqual(sorted(added), ["cmd_other", "cmd_twice"], "one result each")
        self.assertTrue(any("duplicate command ignored" in line and "cmd_twice" in line for line in log.lines))

    def test_remembered_ids_are_bounded(self) -> None:
        n = command_loop.SEEN_MAX
        first = {"id": "cmd_0", "type": "ACTION_EXECUTE", "actionName": "echo"}
        many = [first] + [{"id": f"cmd_{i}", "type": "ACTION_EXECUTE", "actionName": "echo"} for i in range(1, n + 1)]
        loop, executor, added, _ = self._loop([many[:500], many[500:], [first]])
        for _ in range(3):
            loop._tick()
        self._settle(added, n + 2)
        self.assertLessEqual(len(loop._seen), n, "at most SEEN_MAX ids are kept")
        self.assertEqual(executor.runs.count("cmd_0"), 2, "the oldest id was forgotten: memory stays bounded")


if __name__ == "__main__":
    unittest.main()
