"""Heartbeat loop: health rides on every heartbeat; the server's answer sets the intervals. While the
agent is DISABLED it keeps heartbeating slowly, so it resumes by itself once an operator enables it."""
from typing import Any, Callable, Dict, Optional

from .backoff import Backoff
from .core import Core
from .errors import AgentAuthError, CapstanError, NetworkError


def heartbeat_tick(core: Core) -> Callable[[], Optional[float]]:
    backoff = Backoff(core.opts.backoff_base, core.opts.backoff_max)

    def tick() -> Optional[float]:
        session = core.session
        if session is None:
            return None
        health = core.health_snapshot()
        body: Dict[str, Any] = {"health": health}
        if session.service_id:
            body["serviceId"] = session.service_id
        try:
            data = core.call("POST", "/heartbeat", body, retries=2, abortable=True)
            core.set_intervals(data)
            if core.disabled:
                core.log.info("agent enabled again; resuming command polling")
                core.set_disabled(False)
            backoff.reset()
            return core.heartbeat_interval
        except AgentAuthError as err:
            return core.opts.disabled_heartbeat_seconds if err.code == "AGENT_DISABLED" else None
        except NetworkError as err:
            return err.retry_after if err.retry_after is not None else backoff.next()
        except Exception as err:
            core.log.warn("heartbeat refused", {"code": err.code if isinstance(err, CapstanError) else "UNKNOWN", "error": str(err)})
            return core.heartbeat_interval
    return tick
