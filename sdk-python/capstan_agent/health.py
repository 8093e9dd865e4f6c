"""The host's health check, made safe to call before every heartbeat: time-limited (run on a daemon
thread so a hung check cannot stall the heartbeat), a raise or a timeout reports DOWN, an invalid
answer UNKNOWN, and without a check the live process counts as UP."""
import threading
from typing import Any, Callable, Dict, List, Optional

from .redact import scrub_secrets

STATUSES = {"UP", "DEGRADED", "DOWN", "UNKNOWN"}
MAX_MESSAGE = 1000


def run_health_check(fn: Optional[Callable[[], Any]], timeout: float, secrets: List[str]) -> Dict[str, Any]:
    if fn is None:
        return {"status": "UP", "message": "process alive (no health check registered)"}
    box: Dict[str, Any] = {}

    def call() -> None:
        try:
            box["value"] = fn()
        except BaseException as err:  # reported as DOWN, never raised into the heartbeat
            box["error"] = err

    worker = threading.Thread(target=call, name="capstan-agent health", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return {"status": "DOWN", "message": f"health check failed: timed out after {timeout:g} s"}
    if "error" in box:
        return {"status": "DOWN", "message": f"health check failed: {box['error']}"[:MAX_MESSAGE]}
    r = box.get("value")
    if not isinstance(r, dict) or r.get("status") not in STATUSES:
        return {"status": "UNKNOWN", "message": "the health check returned no valid status"}
    out: Dict[str, Any] = {"status": r["status"]}
    if isinstance(r.get("message"), str):
        out["message"] = r["message"][:MAX_MESSAGE]
    if isinstance(r.get("details"), dict):
        out["details"] = r["details"]
    return scrub_secrets(out, secrets)  # type: ignore[no-any-return]
