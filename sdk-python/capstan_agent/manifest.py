"""What the agent reports about its service: the ReportedService of the contract, built from the
options and the registered configs/actions. Sensitive config values never leave the process."""
import math
from typing import Any, Dict, Iterable, List, Optional

JsonObject = Dict[str, Any]


def build_reported_service(agent_code: str, info: JsonObject, configs: List[JsonObject],
                           actions: Iterable[JsonObject], health: Optional[JsonObject] = None,
                           message: Optional[JsonObject] = None, package: Optional[JsonObject] = None) -> JsonObject:
    code = info.get("code") or agent_code
    name = info.get("name") or code
    version = info.get("version") or "0.0.0"
    manifest: JsonObject = {"kind": "CapsuleService", "schemaVersion": "1.0", "code": code, "name": name,
                            "version": version, "runtime": "python", "agentMode": "embedded"}
    for key in ("description", "capabilities", "labels", "events", "permissions"):
        if info.get(key) is not None:
            manifest[key] = info[key]
    if message:
        manifest["message"] = message
    if package:
        manifest["package"] = package
    out: JsonObject = {"code": code, "name": name, "version": version, "runtime": "python", "manifest": manifest}
    if info.get("description") is not None:
        out["description"] = info["description"]
    if health:
        out["health"] = health
    out["configs"] = [safe_config(c) for c in configs if isinstance(c, dict)]
    out["actions"] = [action_to_wire(a) for a in actions]
    return out


def safe_config(c: JsonObject) -> JsonObject:
    """Sensitive items keep their metadata and secretRef; their value and default stay here."""
    if not c.get("sensitive"):
        return dict(c)
    return {k: v for k, v in c.items() if k not in ("valuePreview", "defaultValue")}


def action_to_wire(a: JsonObject) -> JsonObject:
    out: JsonObject = {"name": a["name"], "label": a.get("label") or a["name"],
                       "dangerLevel": a.get("danger_level") or "LOW",
                       "requiresConfirmation": bool(a.get("requires_confirmation"))}
    if a.get("description") is not None:
        out["description"] = a["description"]
    if a.get("input_schema"):
        out["inputSchema"] = a["input_schema"]
    retry = a.get("retry")
    if retry:
        # attempts run inside one command, which the server expires after its timeout: report the whole budget
        n = retry["max_attempts"]
        out["timeoutSeconds"] = min(86_400, math.ceil(n * (a.get("timeout_seconds") or 300) + (n - 1) * retry["backoff_seconds"]))
    elif a.get("timeout_seconds") is not None:
        out["timeoutSeconds"] = a["timeout_seconds"]
    return out


def defaults_from_schema(schema: Optional[JsonObject], depth: int = 0) -> JsonObject:
    """A prepare answer for actions without ``prepare``: the ``default``s of the input schema."""
    out: JsonObject = {}
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or depth > 8:
        return out
    for key, prop in props.items():
        if not isinstance(prop, dict):
            continue
        if "default" in prop:
            out[key] = prop["default"]
        elif prop.get("type") == "object" and prop.get("properties"):
            nested = defaults_from_schema(prop, depth + 1)
            if nested:
                out[key] = nested
    return out
