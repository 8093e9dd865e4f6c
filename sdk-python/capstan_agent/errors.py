"""Typed errors. Each carries the server's stable ``code`` and the HTTP ``status`` when there was a
response, so loops can tell a transient failure (retry) from a final refusal (stop and log)."""
from typing import Optional


class CapstanError(Exception):
    """Base class: ``code`` is the server's error code (or a local one), ``status`` the HTTP status."""

    def __init__(self, code: str, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


class NetworkError(CapstanError):
    """Transient: no response, timeout, 408, 429 or 5xx. Loops back off and try again."""

    def __init__(self, code: str, message: str, status: Optional[int] = None, retry_after: Optional[float] = None) -> None:
        super().__init__(code, message, status)
        #: Server-requested delay in seconds (Retry-After), already capped.
        self.retry_after = retry_after


class AgentAuthError(CapstanError):
    """The agent token was refused (401) or the agent may not act (403): revoked, disabled, mismatch."""


class RegistrationError(CapstanError):
    """Registration refused, or impossible (no token configured). ``hint`` says what the operator must do."""

    def __init__(self, code: str, message: str, hint: str, status: Optional[int] = None) -> None:
        super().__init__(code, message, status)
        self.hint = hint


_HINTS = {
    "REGISTRATION_TOKEN_INVALID": "the registration token is unknown to this server: create a new one in the console (Registration tokens) and set CAPSTAN_REGISTRATION_TOKEN",
    "REGISTRATION_TOKEN_EXPIRED": "the registration token has expired: create a new one in the console and set CAPSTAN_REGISTRATION_TOKEN",
    "REGISTRATION_TOKEN_REVOKED": "the registration token was revoked: create a new one in the console and set CAPSTAN_REGISTRATION_TOKEN",
    "REGISTRATION_TOKEN_USED": "the registration token has been used up: create a new one in the console and set CAPSTAN_REGISTRATION_TOKEN",
    "NO_CREDENTIALS": "no stored agent token and no registration token: create a registration token in the console and set CAPSTAN_REGISTRATION_TOKEN (or the registration_token option)",
}


def registration_hint(code: str, agent_code: str) -> str:
    """The one line an operator needs when registration is refused (same wording as the Node SDK)."""
    if code == "AGENT_CODE_TAKEN":
        return (
            f'agent code "{agent_code}" is already registered and this registration token is not bound to it. '
            f'If this is the same service (lost token file, new host), open the agent "{agent_code}" in the console, '
            f'choose "Re-enroll" and set CAPSTAN_REGISTRATION_TOKEN to the token it shows; otherwise give this service a different agent code'
        )
    return _HINTS.get(code, f"registration was refused ({code}): check the registration token and the server logs")
