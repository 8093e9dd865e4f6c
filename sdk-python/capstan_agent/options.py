"""Options with their defaults (the Node SDK's, in seconds). The environment is read here only, as the
documented fallback for the three deployment settings."""
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from .logger import SafeLogger
from .token_store import FileTokenStore, TokenStore

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


@dataclass
class Options:
    backend_url: Optional[str]
    registration_token: Optional[str]
    token_store: TokenStore
    agent: Dict[str, Any]
    service: Dict[str, Any] = field(default_factory=dict)
    max_concurrency: int = 4
    long_poll_seconds: int = 25
    request_timeout: float = 10.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    progress_interval: float = 0.5
    cancel_grace: float = 2.0
    stop_grace: float = 10.0
    disabled_heartbeat_seconds: float = 60.0
    health_timeout: float = 5.0
    max_pending_results: int = 100
    # manifest.package: None = read capsule_file (default ./capsule.json), False = none, or {name, version, digest?}
    package: Any = None
    capsule_file: Optional[str] = None


def _num(v: Any, default: float, lo: float, hi: float) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(min(hi, max(lo, v)))
    return default


def resolve_options(kw: Dict[str, Any], log: SafeLogger) -> Options:
    """A bad code is a programming error: raise ``TypeError`` at construction, where the developer sees it."""
    agent = kw.get("agent")
    if not isinstance(agent, dict) or not isinstance(agent.get("code"), str) or not CODE.match(agent["code"]):
        raise TypeError("capstan_agent: agent['code'] is required: lowercase letters, digits, '-' or '_', at most 80 characters")
    service = dict(kw.get("service") or {})
    if not CODE.match(str(service.get("code") or agent["code"])):
        raise TypeError("capstan_agent: service['code'] must look like agent['code']")
    env = os.environ
    backend_url = (kw.get("backend_url") or env.get("CAPSTAN_URL") or "").rstrip("/") or None
    token_file = kw.get("token_file") or env.get("CAPSTAN_AGENT_TOKEN_FILE") or "./data/agent-token.json"
    backoff = kw.get("backoff") or {}
    long_poll = kw.get("long_poll", True)
    return Options(
        backend_url=backend_url,
        registration_token=kw.get("registration_token") or env.get("CAPSTAN_REGISTRATION_TOKEN") or None,
        token_store=kw.get("token_store") or FileTokenStore(token_file, log),
        agent={"code": agent["code"], "name": agent.get("name")},
        service=service,
        max_concurrency=int(_num(kw.get("max_concurrency"), 4, 1, 64)),
        long_poll_seconds=0 if long_poll is False else int(_num(kw.get("long_poll_seconds"), 25, 1, 30)),
        request_timeout=_num(kw.get("request_timeout"), 10.0, 0.1, 300),
        backoff_base=_num(backoff.get("base"), 1.0, 0.001, 600),
        backoff_max=_num(backoff.get("max"), 60.0, 0.001, 3600),
        progress_interval=_num(kw.get("progress_interval"), 0.5, 0.01, 60),
        cancel_grace=_num(kw.get("cancel_grace"), 2.0, 0, 600),
        stop_grace=_num(kw.get("stop_grace"), 10.0, 0, 600),
        disabled_heartbeat_seconds=_num(kw.get("disabled_heartbeat_seconds"), 60.0, 0.01, 3600),
        health_timeout=_num(kw.get("health_timeout"), 5.0, 0.01, 600),
        max_pending_results=int(_num(kw.get("max_pending_results"), 100, 1, 100_000)),
        package=kw.get("package"),
        capsule_file=kw.get("capsule_file"),
    )
