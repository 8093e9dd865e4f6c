"""A handler's outcome as the one result body the server takes: result dicts pass through, any other
value becomes data, an exception a failure; results over the server's limit become a failure that
says so instead of looping on 413."""
import json
from typing import Any, Dict

RESULT_MAX_BYTES = 1_000_000
JsonObject = Dict[str, Any]


def failure(code: str, message: str) -> JsonObject:
    return {"success": False, "message": message, "error": {"code": code, "message": message}}


def to_result(value: Any) -> JsonObject:
    if isinstance(value, dict) and isinstance(value.get("success"), bool):
        r: JsonObject = {"success": value["success"]}
        if isinstance(value.get("message"), str):
            r["message"] = value["message"]
        if isinstance(value.get("data"), dict):
            r["data"] = value["data"]
        elif value.get("data") is not None:
            r["data"] = {"value": value["data"]}
        e = value.get("error")
        if isinstance(e, dict):
            err: JsonObject = {"code": e["code"] if isinstance(e.get("code"), str) else "ACTION_FAILED",
                               "message": e["message"] if isinstance(e.get("message"), str) else r.get("message", "action failed")}
            if isinstance(e.get("details"), dict):
                err["details"] = e["details"]
            r["error"] = err
        elif not r["success"]:
            r["error"] = {"code": "ACTION_FAILED", "message": r.get("message", "action failed")}
        return r
    if value is None:
        return {"success": True}
    # The contract's result data is an object; other values are wrapped rather than refused.
    return {"success": True, "data": value if isinstance(value, dict) else {"value": value}}


def from_error(err: BaseException) -> JsonObject:
    code = getattr(err, "code", None)
    return failure(code if isinstance(code, str) else "ACTION_FAILED", str(err) or type(err).__name__ or "action failed")


def fit_result(r: JsonObject) -> JsonObject:
    try:
        size = len(json.dumps({"message": r.get("message"), "data": r.get("data"), "error": r.get("error")}, default=str).encode("utf-8"))
    except (TypeError, ValueError) as err:
        return failure("ACTION_FAILED", f"the action's result is not JSON: {err}")
    if size <= RESULT_MAX_BYTES:
        return r
    return failure("COMMAND_RESULT_TOO_LARGE", f"the action's result is {size} bytes; the limit is {RESULT_MAX_BYTES}")
