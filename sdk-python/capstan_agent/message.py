"""``on_message`` as an action: a MESSAGE command runs through the same executor as actions (timeout,
cancel, stop, one result). The handler's reply becomes the result's ``data.reply``, which Capstan hands
back to the conversation. Twin of the Node SDK's message.ts."""
import inspect
from typing import Any, Callable, Dict, List, Optional

from .errors import CapstanError

DEFAULT_TIMEOUT_SECONDS = 60
MESSAGE_TYPES = ("QUERY", "COMMAND", "EVENT")


def to_message(p: Dict[str, Any]) -> Dict[str, Any]:
    """The MESSAGE command's payload as the message the handler gets (``message["text"]``, ...)."""
    out: Dict[str, Any] = {"id": str(p.get("messageId") or ""), "channel": str(p.get("channel") or ""),
                           "conversationId": str(p.get("conversationId") or ""), "sender": p.get("sender") or {"id": ""},
                           "type": p.get("type") or "QUERY", "text": str(p.get("text") or "")}
    for key in ("attachments", "correlationId", "receivedAt"):
        if p.get(key) is not None:
            out[key] = p[key]
    return out


def to_reply(value: Any) -> Dict[str, Any]:
    r = {"text": value} if isinstance(value, str) else value
    if not isinstance(r, dict) or not isinstance(r.get("text"), str) or r["text"] == "":
        raise CapstanError("REPLY_INVALID", "the message handler must return {'text': ...} or a non-empty string")
    out: Dict[str, Any] = {"text": r["text"], "format": "markdown" if r.get("format") == "markdown" else "text"}
    if isinstance(r.get("data"), dict):
        out["data"] = r["data"]
    return out


def message_action(handler: Callable[..., Any], supported_types: Optional[List[str]], commands: Optional[List[str]],
                   timeout_seconds: Optional[float]) -> Dict[str, Any]:
    types = list(supported_types or MESSAGE_TYPES)
    if any(t not in MESSAGE_TYPES for t in types):
        raise TypeError(f"capstan_agent: supported_types must be among {list(MESSAGE_TYPES)}")
    if inspect.iscoroutinefunction(handler):
        async def run_async(payload: Dict[str, Any], ctx: Any) -> Dict[str, Any]:
            return {"success": True, "data": {"reply": to_reply(await handler(to_message(payload), ctx))}}
        run: Callable[..., Any] = run_async
    else:
        def run_sync(payload: Dict[str, Any], ctx: Any) -> Dict[str, Any]:
            return {"success": True, "data": {"reply": to_reply(handler(to_message(payload), ctx))}}
        run = run_sync
    return {"name": "message", "label": "message", "handler": run, "arity": 2, "timeout_seconds": timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
            "supported_types": types, "commands": list(commands) if commands else None}


def declaration(action: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The manifest's ``message`` field for a registered handler."""
    if action is None:
        return None
    out: Dict[str, Any] = {"supportedTypes": action["supported_types"]}
    if action.get("commands"):
        out["commands"] = action["commands"]
    return out
