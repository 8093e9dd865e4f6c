"""What the loops share with the agent: the resolved options, the logger, the current session and
one way to call the agent API (401/403 are routed to the agent before the error is re-raised)."""
from typing import Any, Dict, Optional, Protocol

from .logger import SafeLogger
from .options import Options


class Session:
    def __init__(self, agent_id: str, agent_token: str, service_id: Optional[str] = None) -> None:
        self.agent_id = agent_id
        self.agent_token = agent_token
        self.service_id = service_id


class Core(Protocol):
    opts: Options
    log: SafeLogger

    @property
    def session(self) -> Optional[Session]: ...
    @property
    def disabled(self) -> bool: ...
    @property
    def stopping(self) -> bool: ...
    @property
    def heartbeat_interval(self) -> float: ...
    @property
    def poll_interval(self) -> float: ...

    def call(self, method: str, sub: str, body: Any = None, *, timeout: Optional[float] = None, retries: int = 0,
             abortable: bool = False) -> Any: ...
    def set_intervals(self, data: Any) -> None: ...
    def set_disabled(self, disabled: bool) -> None: ...
    def health_snapshot(self) -> Dict[str, Any]: ...
