"""Where the agent token lives between restarts. The file is written atomically (temp file + fsync +
rename, so a crash never leaves half a token) with mode 0600 (the token is a credential)."""
import json
import os
import stat
import sys
import threading
from typing import Optional, Protocol, TypedDict

from .logger import SafeLogger


class TokenRecord(TypedDict):
    agentId: str
    agentToken: str
    backendUrl: str
    savedAt: str


class TokenStore(Protocol):
    def load(self) -> Optional[TokenRecord]: ...
    def save(self, record: TokenRecord) -> None: ...
    def clear(self) -> None: ...


class FileTokenStore:
    """JSON ``{agentId, agentToken, backendUrl, savedAt}``, the same file the Node SDK writes."""

    def __init__(self, path: str, log: Optional[SafeLogger] = None) -> None:
        self.path = path
        self._log = log

    def load(self) -> Optional[TokenRecord]:
        try:
            with open(self.path, "r", encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            return None
        if sys.platform != "win32":
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
            if mode & 0o077:
                if self._log:
                    self._log.warn("agent token file was readable by others; restricting it to 0600", {"path": self.path, "mode": oct(mode)})
                os.chmod(self.path, 0o600)
        try:
            rec = json.loads(text)
            if isinstance(rec.get("agentId"), str) and isinstance(rec.get("agentToken"), str):
                return TokenRecord(agentId=rec["agentId"], agentToken=rec["agentToken"],
                                   backendUrl=str(rec.get("backendUrl") or ""), savedAt=str(rec.get("savedAt") or ""))
        except (ValueError, AttributeError):
            pass  # a corrupt file is treated like a missing one
        if self._log:
            self._log.warn("agent token file is not valid; ignoring it", {"path": self.path})
        return None

    def save(self, record: TokenRecord) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        tmp = f"{self.path}.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(record, indent=2) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def clear(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class MemoryTokenStore:
    """Keeps the token in memory only: the agent registers again on every start."""

    def __init__(self) -> None:
        self._record: Optional[TokenRecord] = None

    def load(self) -> Optional[TokenRecord]:
        return self._record

    def save(self, record: TokenRecord) -> None:
        self._record = TokenRecord(**record)

    def clear(self) -> None:
        self._record = None
