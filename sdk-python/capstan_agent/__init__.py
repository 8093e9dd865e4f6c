"""capstan_agent: the Python Agent SDK for Capstan Capsule Services (standard library only)."""
from .agent import CapsuleAgent
from .context import ActionContext
from .errors import AgentAuthError, CapstanError, NetworkError, RegistrationError
from .token_store import FileTokenStore, MemoryTokenStore, TokenRecord, TokenStore
from .version import VERSION

__all__ = [
    "CapsuleAgent", "ActionContext", "CapstanError", "NetworkError", "AgentAuthError", "RegistrationError",
    "FileTokenStore", "MemoryTokenStore", "TokenRecord", "TokenStore", "VERSION",
]
