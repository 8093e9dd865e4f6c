"""Registration, the token file, re-registration, refusals and idleness against the real server
(the scenarios of test/sdk/agent.test.ts)."""
import json
import os
import stat
import time
import unittest
from typing import Any

from capstan_agent import AgentAuthError, CapsuleAgent, NetworkError, RegistrationError

from .kit import FAST, admin, capture_logger, execute, needs_server, registration_token, token_file, URL, wait_for, wait_terminal


def make_agent(code: str, **kw: Any) -> CapsuleAgent:
    agent = CapsuleAgent(backend_url=URL, agent={"code": code}, service={"code": code, "name": code.title(), "version": "1.0.0"},
                         **{**FAST, **kw})

    @agent.action(name="echo", input_schema={"type": "object", "properties": {"message": {"type": "string", "default": "hello"}},
                                            "required": ["message"]})
    def echo(payload: Any, ctx: Any) -> Any:
        return {"success": True, "message": payload["message"], "data": {"message": payload["message"]}}
    return agent


@needs_server
class Registration(unittest.TestCase):
    def test_registers_reports_and_reuses_its_token(self) -> None:
        reg = registration_token()
        path = token_file()
        log, cap = capture_logger()
        first = make_agent("py-register", registration_token=reg, token_file=path, logger=log)

        @first.health
        def health() -> Any:
            return {"status": "UP", "message": "queue 3", "details": {"depth": 3}}

        first.configs(lambda: [{"key": "QUEUE_URL", "type": "string", "valuePreview": "amqp://q"},
                               {"key": "API_KEY", "type": "secretRef", "sensitive": True, "secretRef": "env://API_KEY", "valuePreview": "leak"}])
        first.start(wait=10)
        self.assertEqual(first.state, "running")
        agent_id, service_id = first.agent_id, first.service_id
        self.assertRegex(agent_id or "", r"^agt_")
        self.assertRegex(service_id or "", r"^svc_")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, "token file is 0600")
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
        self.assertEqual(sorted(stored), ["agentId", "agentToken", "backendUrl", "savedAt"])
        self.assertEqual(stored["agentId"], agent_id)
        self.assertEqual([n for n in os.listdir(os.path.dirname(path)) if n.endswith(".tmp")], [], "no temp file left behind")

        service = wait_for(lambda: (lambda d: d if d.get("status") == "HEALTHY" else None)(
            admin("GET", f"/api/admin/capsule-services/{service_id}")[1]["data"]), 5, "the service to be HEALTHY")
        self.assertEqual(service["code"], "py-register")
        configs = admin("GET", f"/api/admin/capsule-services/{service_id}/configs")[1]["data"]
        secret = next(c for c in configs if c["key"] == "API_KEY")
        self.assertTrue(secret["sensitive"])
        self.assertFalse(secret.get("valuePreview"), "sensitive value never reported")
        self.assertEqual(secret["secretRef"], "env://API_KEY")
        first.stop(timeout=2)
        self.assertEqual(first.state, "stopped")

        # The registration token is used up; a restart must not need it.
        second = make_agent("py-register", registration_token=reg, token_file=path, logger=log)
        self.addCleanup(second.stop, 1)
        second.start(wait=10)
        self.assertEqual(second.state, "running")
        self.assertEqual(second.agent_id, agent_id, "same agent after restart")
        self.assertEqual(second.service_id, service_id)
        done = wait_terminal(execute(service_id or "", "echo", {"payload": {"message": "after restart"}}))
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(done["result"]["data"]["message"], "after restart")
        self.assertNotIn(reg, cap.text, "registration token never logged")
        self.assertNotIn(stored["agentToken"], cap.text, "agent token never logged")

    def test_re_registers_after_the_server_revokes_the_agent(self) -> None:
        reg = registration_token(agentCode="py-revoked", maxUses=2, expiresInSeconds=3600)
        path = token_file()
        log, cap = capture_logger()
        agent = make_agent("py-revoked", registration_token=reg, token_file=path, logger=log, long_poll_seconds=1)
        self.addCleanup(agent.stop, 1)
        agent.start(wait=10)
        agent_id = agent.agent_id
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh)["agentToken"]
        self.assertEqual(admin("POST", f"/api/admin/agents/{agent_id}/revoke", {})[0], 200)

        def renewed() -> bool:
            try:
                with open(path, encoding="utf-8") as fh:
                    return agent.state == "running" and json.load(fh)["agentToken"] != old
            except (OSError, ValueError):
                return False
        wait_for(renewed, 8, "re-registration")
        with open(path, encoding="utf-8") as fh:
            new = json.load(fh)["agentToken"]
        self.assertEqual(agent.agent_id, agent_id, "the same agent was re-enrolled")
        self.assertIn("registering again", cap.text)
        self.assertEqual(wait_terminal(execute(agent.service_id or "", "echo", {"payload": {"message": "back"}}))["status"], "SUCCEEDED")
        for secret in (reg, old, new):
            self.assertNotIn(secret, cap.text, "no token in the SDK's logs")

    def test_agent_code_taken_logs_one_line_and_stays_idle(self) -> None:
        owner = make_agent("py-taken", registration_token=registration_token(), token_file=token_file())
        self.addCleanup(owner.stop, 1)
        owner.start(wait=10)
        log, cap = capture_logger()
        unbound = registration_token()
        intruder = make_agent("py-taken", registration_token=unbound, token_file=token_file(), logger=log)
        self.addCleanup(intruder.stop, 1)
        intruder.start(wait=10)
        self.assertEqual(intruder.state, "idle")
        errors = [line for line in cap.lines if line.startswith("ERROR")]
        self.assertEqual(len(errors), 1, "exactly one error line")
        self.assertIn("AGENT_CODE_TAKEN", errors[0])
        self.assertIn("Re-enroll", errors[0])
        self.assertNotIn(unbound, errors[0])

    def test_refusals_missing_credentials_and_a_down_server_never_raise(self) -> None:
        for cls in (RegistrationError, NetworkError, AgentAuthError):
            self.assertTrue(issubclass(cls, Exception))
        log, bad = capture_logger()
        a = CapsuleAgent(backend_url=URL, registration_token="opstage_reg_notARealToken123456", token_file=token_file(),
                         agent={"code": "py-bad-token"}, logger=log)
        self.addCleanup(a.stop, 1)
        a.start(wait=10)
        self.assertEqual(a.state, "idle")
        self.assertIn("REGISTRATION_TOKEN_INVALID", bad.text)
        self.assertNotIn("notARealToken", bad.text)

        log, none = capture_logger()
        b = CapsuleAgent(backend_url=URL, token_file=token_file(), agent={"code": "py-no-token"}, logger=log)
        self.addCleanup(b.stop, 1)
        b.start(wait=10)
        self.assertEqual(b.state, "idle")
        self.assertIn("CAPSTAN_REGISTRATION_TOKEN", none.text)

        down = CapsuleAgent(backend_url="http://127.0.0.1:9", registration_token="opstage_reg_x", token_file=token_file(),
                            agent={"code": "py-down"}, logger=capture_logger()[0], backoff={"base": 0.01, "max": 0.05})
        started = time.monotonic()
        down.start()
        self.assertLess(time.monotonic() - started, 1.0, "start() returns at once while the server is down")
        time.sleep(0.2)
        self.assertEqual(down.state, "connecting")
        down.stop(timeout=1)
        self.assertEqual(down.state, "stopped")
        with self.assertRaises(TypeError):
            CapsuleAgent(agent={"code": "Not Valid"})

    def test_a_disabled_agent_stops_taking_commands_and_resumes(self) -> None:
        agent = make_agent("py-disabled", registration_token=registration_token(), token_file=token_file(),
                           logger=capture_logger()[0], long_poll_seconds=1, disabled_heartbeat_seconds=0.2)
        self.addCleanup(agent.stop, 1)
        agent.start(wait=10)
        self.assertEqual(admin("POST", f"/api/admin/agents/{agent.agent_id}/disable", {})[0], 200)
        wait_for(lambda: agent.state == "disabled", 6, "the SDK to notice DISABLED")
        self.assertEqual(admin("POST", f"/api/admin/agents/{agent.agent_id}/enable", {})[0], 200)
        wait_for(lambda: agent.state == "running", 6, "the SDK to resume")
        self.assertEqual(wait_terminal(execute(agent.service_id or "", "echo", {"payload": {"message": "on"}}))["status"], "SUCCEEDED")
