"""Progress of one running command: buffers percent/message/log lines from the handler and flushes
them every interval on its own daemon thread. Each flush (or an empty one after a quiet second)
doubles as the cancel check: the server answers ``cancelRequested``, which is how a console cancel
reaches the handler."""
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

from .errors import CapstanError, NetworkError
from .logger import SafeLogger

MAX_BUFFERED_LINES = 1000
MAX_LINE_CHARS = 8192
MAX_MESSAGE_CHARS = 1000
LINES_PER_CALL = 500  # the server takes at most this many lines per call
QUIET_CHECK = 1.0
LEVELS = {"debug", "info", "warn", "error"}

SendProgress = Callable[[str, Dict[str, Any]], Any]


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ProgressReporter:
    def __init__(self, command_id: str, send: SendProgress, interval: float,
                 on_cancel: Callable[[str], None], log: SafeLogger) -> None:
        self.command_id = command_id
        self._send = send
        self._interval = interval
        self._on_cancel = on_cancel
        self._log = log
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._percent: Optional[float] = None
        self._message: Optional[str] = None
        self._lines: List[Dict[str, str]] = []
        self._dirty = False
        self._last_sent = 0.0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self._last_sent = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"capstan-agent progress {self.command_id}", daemon=True)
        self._thread.start()

    def set(self, percent: float, message: Optional[str] = None) -> None:
        """percent in 0..1 (clamped), as on the wire."""
        with self._lock:
            try:
                p = float(percent)
                if p == p and p not in (float("inf"), float("-inf")):
                    self._percent = round(min(1.0, max(0.0, p)), 3)
            except (TypeError, ValueError):
                pass
            if message is not None:
                self._message = str(message)[:MAX_MESSAGE_CHARS]
            self._dirty = True

    def append(self, level: str, message: str) -> None:
        with self._lock:
            if len(self._lines) >= MAX_BUFFERED_LINES:
                self._lines.pop(0)  # the server keeps the newest too
            lvl = level if level in LEVELS else ("warn" if level == "warning" else "info")
            self._lines.append({"at": iso_now(), "level": lvl, "message": str(message)[:MAX_LINE_CHARS]})
            self._dirty = True

    def finish(self) -> None:
        """Sends whatever is buffered (once, best effort) and stops the thread: the result follows."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5.0)
        if self._dirty:
            self._flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if self._dirty or time.monotonic() - self._last_sent >= QUIET_CHECK:
                self._flush()

    def _flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                body: Dict[str, Any] = {}
                if self._percent is not None:
                    body["percent"] = self._percent
                if self._message is not None:
                    body["message"] = self._message
                lines = self._lines[:LINES_PER_CALL]
                if lines:
                    body["logs"] = lines
                self._lines = self._lines[LINES_PER_CALL:]
                self._dirty = bool(self._lines)
                self._last_sent = time.monotonic()
            try:
                answer = self._send(self.command_id, body)
                if isinstance(answer, dict) and answer.get("cancelRequested"):
                    self._on_cancel("cancelled by an operator")
            except NetworkError as err:
                with self._lock:  # keep the lines for the next flush; duplicates possible if only the answer was lost
                    self._lines = (lines + self._lines)[-MAX_BUFFERED_LINES:]
                    self._dirty = True
                self._log.debug("progress not delivered", {"commandId": self.command_id, "error": str(err)})
            except CapstanError as err:
                if err.status in (404, 409, 410):
                    self._on_cancel(f"the server no longer runs this command ({err.code})")
                self._log.debug("progress not delivered", {"commandId": self.command_id, "error": str(err)})
            except Exception as err:
                self._log.debug("progress not delivered", {"commandId": self.command_id, "error": str(err)})
