"""Registration: trades the one-time registration token for an agent token. Never retried blindly:
a refusal is final (logged with what the operator must do); only transient failures are retried by
the caller's loop, and if the server did consume the token the retry gets a clear refusal."""
import platform
import socket
import sys
from typing import Any, Dict, Optional

from .errors import CapstanError, NetworkError, RegistrationError, registration_hint
from .http import Aborter, request
from .version import VERSION


def register(base_url: str, registration_token: str, agent: Dict[str, Any], service: Dict[str, Any],
             timeout: float, aborter: Optional[Aborter] = None) -> Dict[str, Any]:
    body = {
        "registrationToken": registration_token,
        "agent": {
            "code": agent["code"], **({"name": agent["name"]} if agent.get("name") else {}),
            "mode": "embedded", "runtime": "python", "version": VERSION,
            "hostname": _hostname(), "os": sys.platform, "arch": platform.machine() or "unknown",
        },
        "service": service,
    }
    try:
        data = request(base_url, "POST", "/api/agents/register", body=body, timeout=timeout, aborter=aborter)
        if not isinstance(data, dict) or not isinstance(data.get("agentId"), str) or not isinstance(data.get("agentToken"), str):
            raise NetworkError("BAD_RESPONSE", "registration answer has no agentId/agentToken")
        return data
    except NetworkError:
        raise
    except CapstanError as err:
        raise RegistrationError(err.code, err.message, registration_hint(err.code, agent["code"]), err.status) from None


def _hostname() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return "unknown"
