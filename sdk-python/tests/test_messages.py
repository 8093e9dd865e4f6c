"""Conversation messages through the SDK (``agent.on_message``): the manifest declares message support,
a routed HTTP-channel message reaches the handler as a MESSAGE command and its reply comes back; an
``async def`` handler and a failing one (the caller gets the polite failure). The scenarios of
test/messages/http.test.ts."""
import asyncio
import unittest
from typing import Any, Dict, List

from capstan_agent import CapsuleAgent

from .kit import FAST, URL, admin, capture_logger, needs_server, registration_token, token_file


def send(code: str, text: str) -> Dict[str, Any]:
    status, env = admin("POST", "/api/messages", {"conversationId": f"py-{code}", "sender": {"id": "py-user"}, "type": "QUERY", "text": text})
    assert status == 202, env
    status, env = admin("GET", f"/api/messages/{env['data']['messageId']}?wait=20")
    assert status == 200, env
    return env["data"]  # type: ignore[no-any-return]


@needs_server
class Messages(unittest.TestCase):
    def service(self, code: str) -> CapsuleAgent:
        log, cap = capture_logger()
        agent = CapsuleAgent(backend_url=URL, registration_token=registration_token(), token_file=token_file(),
                             agent={"code": code}, service={"name": code, "version": "1.0.0"}, logger=log, **FAST)
        self.addCleanup(lambda: agent.stop(timeout=1))
        status, env = admin("POST", "/api/admin/message-routes", {"name": code, "priority": 1, "match": {"textPrefix": code}, "target": {"serviceCode": code}})
        assert status == 200, env
        return agent

    def test_a_routed_message_reaches_on_message_and_the_reply_comes_back(self) -> None:
        agent = self.service("py-msg-sync")
        seen: List[Dict[str, Any]] = []

        @agent.on_message(supported_types=["QUERY", "COMMAND"], commands=["/status"])
        def answer(message: Dict[str, Any], ctx: Any) -> Any:
            seen.append(message)
            return {"text": f"python heard: {message['text']}", "data": {"length": len(message["text"])}}

        agent.start(wait=10)
        status, env = admin("GET", f"/api/admin/capsule-services/{agent.service_id}")
        self.assertEqual(env["data"]["manifest"]["message"], {"supportedTypes": ["QUERY", "COMMAND"], "commands": ["/status"]})
        msg = send("py-msg-sync", "py-msg-sync hello")
        self.assertEqual(msg["status"], "ANSWERED", msg)
        self.assertEqual(msg["reply"]["text"], "python heard: py-msg-sync hello")
        self.assertEqual(msg["reply"]["format"], "text")
        self.assertEqual(msg["reply"]["data"], {"length": 17})
        self.assertEqual(seen[0]["sender"], {"id": "py-user"})
        self.assertEqual(seen[0]["channel"], "http")

    def test_async_handlers_and_plain_string_replies(self) -> None:
        agent = self.service("py-msg-async")

        @agent.on_message
        async def answer(message: Dict[str, Any], ctx: Any) -> str:
            await asyncio.sleep(0.01)
            return f"async: {message['text']}"

        agent.start(wait=10)
        msg = send("py-msg-async", "py-msg-async ping")
        self.assertEqual(msg["status"], "ANSWERED", msg)
        self.assertEqual(msg["reply"]["text"], "async: py-msg-async ping")

    def test_a_failing_handler_gives_the_caller_a_polite_failure(self) -> None:
        agent = self.service("py-msg-boom")

        @agent.on_message
        def answer(message: Dict[str, Any], ctx: Any) -> Any:
            raise RuntimeError("no idea")

        agent.start(wait=10)
        msg = send("py-msg-boom", "py-msg-boom ?")
        self.assertEqual(msg["status"], "FAILED", msg)
        self.assertEqual(msg["errorCode"], "ACTION_FAILED")
        self.assertTrue(msg["reply"]["text"].startswith("Sorry"))


if __name__ == "__main__":
    unittest.main()
