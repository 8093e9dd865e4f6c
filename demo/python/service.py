"""The Python demo Capsule Service: three actions on the Python Agent SDK — ``echo`` (LOW), ``slowReindex``
(MEDIUM, 20 s with progress and logs, cancellable from the console) and ``summarize`` (an ``async def``
handler that publishes ``demo.py.summarized`` on the Capsule Bus). Configuration from the environment
(CAPSTAN_URL, CAPSTAN_REGISTRATION_TOKEN, CAPSTAN_AGENT_TOKEN_FILE); SIGTERM or Ctrl-C stops it gracefully.

Run beside the Node demo with ``npm run demo -- --python``, or alone against any Capstan server:
``CAPSTAN_URL=http://localhost:8080 CAPSTAN_REGISTRATION_TOKEN=... python3 demo/python/service.py``."""
import asyncio
import logging
import os
import random
import signal
import sys
import threading
from typing import Any, Dict

try:
    from capstan_agent import ActionContext, CapsuleAgent
except ImportError:  # run from a checkout without `pip install ./sdk-python`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk-python"))
    from capstan_agent import ActionContext, CapsuleAgent

CODE = "demo-python-service"
STEP_SECONDS = float(os.environ.get("DEMO_REINDEX_STEP_SECONDS", "1"))
state: Dict[str, Any] = {"queue_depth": 3, "items": ["alpha", "beta", "gamma"]}

agent = CapsuleAgent(
    agent={"code": CODE, "name": "Python demo service"},
    service={"code": CODE, "name": "Python demo service", "version": "1.0.0",
             "description": "A Python service governed by Capstan (demo/python/service.py)",
             "capabilities": ["demo.python"], "labels": {"language": "python"}},
    token_file=os.environ.get("CAPSTAN_AGENT_TOKEN_FILE", "./data/demo-python-agent-token.json"),
)


@agent.health
def health() -> Dict[str, Any]:
    depth = state["queue_depth"]
    return {"status": "DEGRADED" if depth > 50 else "UP", "message": f"queue depth {depth}", "details": {"depth": depth}}


agent.configs(lambda: [
    {"key": "WORKERS", "type": "number", "valuePreview": "4"},
    {"key": "MODEL_API_KEY", "type": "secretRef", "sensitive": True, "secretRef": "env://MODEL_API_KEY"},
])


@agent.on_message(supported_types=["QUERY", "COMMAND"], commands=["/status"])
def on_message(message: Dict[str, Any], ctx: Any) -> Dict[str, Any]:
    """Conversation messages routed here (CAPSTAN_MESSAGES_ENABLED): /status answers from the health check."""
    text = message["text"].strip()
    if text.split("@")[0].split(" ")[0].lower() == "/status":
        h = health()
        return {"text": f"Python demo is {h['status']}: {h['message']}", "data": {"health": h["status"]}}
    return {"text": f"Python demo heard: {text}"}


@agent.action(label="Echo", input_schema={"type": "object", "properties": {"message": {"type": "string", "default": "hello"}},
                                          "required": ["message"]})
def echo(payload: Dict[str, Any], ctx: ActionContext) -> Dict[str, Any]:
    return {"success": True, "message": payload["message"], "data": {"message": payload["message"], "runtime": "python"}}


@agent.action(name="slowReindex", label="Slow reindex", danger_level="MEDIUM", timeout_seconds=120,
              input_schema={"type": "object", "properties": {"collection": {"type": "string", "default": "items"}}})
def slow_reindex(payload: Dict[str, Any], ctx: ActionContext) -> Dict[str, Any]:
    collection = payload.get("collection", "items")
    ctx.log("info", f"reindexing {collection}")
    for step in range(1, 21):
        if ctx.cancelled.wait(STEP_SECONDS):  # set by a console cancel, the timeout or stop()
            ctx.log("warn", f"stopped after {step - 1} batches ({ctx.reason})")
            logging.getLogger("demo").info(f"slowReindex stopped after {step - 1} batches ({ctx.reason})")
            return {"success": False, "error": {"code": "CANCELLED", "message": f"stopped after {step - 1} of 20 batches"}}
        ctx.progress(step / 20, f"batch {step} of 20")
        ctx.log("info", f"indexed batch {step}")
    return {"success": True, "message": f"reindexed {collection}", "data": {"batches": 20}}


@agent.action(label="Summarize items")
async def summarize(payload: Dict[str, Any], ctx: ActionContext) -> Dict[str, Any]:
    await asyncio.sleep(0.2)  # an async model call, say
    summary = ", ".join(state["items"])
    # to_thread keeps the event loop free during the HTTP call and carries the command (causationId) along.
    published = await asyncio.to_thread(agent.publish_event, "demo.py.summarized", {"summary": summary})
    return {"success": True, "message": summary, "data": {"count": len(state["items"]), "eventPublished": published["ok"]}}


def main() -> None:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="[demo-python] %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    agent.start(wait=15)
    print(f"[demo-python] {agent.state}: agent {agent.agent_id}, service {agent.service_id}", flush=True)
    while not stop.wait(5):  # the simulated queue: mostly shallow, now and then too deep
        state["queue_depth"] = max(0, round(state["queue_depth"] * 0.6 + random.random() * 8 + (60 if random.random() < 0.05 else 0)))
    agent.stop(timeout=5)


if __name__ == "__main__":
    main()
