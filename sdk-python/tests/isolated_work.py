"""Isolated handlers for test_isolation.py: module-level functions, imported by the subprocess."""
import time
from typing import Any, Dict

from capstan_agent import ActionContext


def work(payload: Dict[str, Any], ctx: ActionContext) -> Any:
    mode = payload.get("mode")
    if mode == "spin":  # CPU-bound and deaf to ctx.cancelled: only killing the process stops it
        while True:
            pass
    if mode == "hog":  # allocates until the address-space limit refuses (MemoryError)
        keep = []
        while True:
            keep.append(bytearray(8 * 1024 * 1024))
    if mode == "throw":
        err = RuntimeError("isolated failure")
        err.code = "ISO_FAILED"  # type: ignore[attr-defined]
        raise err
    print("a print goes to stderr, not into the protocol")
    ctx.progress(0.5, "half way")
    ctx.log("info", f"hello from the subprocess of {ctx.action_name}")
    return {"echo": payload.get("message"), "commandId": ctx.command_id}


def patient(payload: Dict[str, Any], ctx: ActionContext) -> Any:
    """Waits for its cancel and answers itself."""
    ctx.cancelled.wait(60)
    time.sleep(0.05)
    return {"success": False, "error": {"code": ctx.reason or "NONE", "message": "cleaned up"}}
