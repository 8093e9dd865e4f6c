"""A background loop on one daemon thread: the next run is scheduled only after the current one
finished, so a slow backend never causes overlapping calls, and daemon threads never keep the host
alive. A tick returns the delay in seconds until the next run, or None to sleep until woken.
Exceptions are logged and never leave the loop."""
import threading
from typing import Callable, Optional

from .logger import SafeLogger

AFTER_CRASH = 5.0
Tick = Callable[[], Optional[float]]


class Loop:
    def __init__(self, name: str, tick: Tick, log: SafeLogger) -> None:
        self.name = name
        self._tick = tick
        self._log = log
        self._wake = threading.Event()
        self._stopped = True
        self._thread: Optional[threading.Thread] = None
        self._first: Optional[float] = None
        self._lock = threading.Lock()  # start() and the thread's exit agree on whether a thread runs

    def start(self, delay: Optional[float] = 0.0) -> None:
        """``delay`` None: started but asleep until woken."""
        with self._lock:
            if not self._stopped:
                self._wake.set()
                return
            self._stopped = False
            self._first = delay
            if self._thread is None:
                self._wake.clear()
                self._thread = threading.Thread(target=self._run, name=f"capstan-agent {self.name}", daemon=True)
                self._thread.start()
            elif delay is not None:
                self._wake.set()  # the old thread is still finishing a tick: it carries on

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def wake(self) -> None:
        """Run now (or right after the current run)."""
        if not self._stopped:
            self._wake.set()

    @property
    def is_running(self) -> bool:
        return not self._stopped

    def _run(self) -> None:
        delay = self._first
        while True:
            self._wake.wait(delay)  # delay None: until woken
            self._wake.clear()
            with self._lock:
                if self._stopped:
                    self._thread = None
                    return
            try:
                delay = self._tick()
            except Exception as err:  # never leaves the loop
                self._log.error(f"{self.name} loop failed; retrying", {"error": str(err)})
                delay = AFTER_CRASH
            if delay is not None and delay <= 0:
                self._wake.set()
