"""Reconnect delays: exponential with full jitter (a uniformly random delay up to the capped
exponential), so a fleet of agents does not reconnect in lockstep after an outage."""
import random
from typing import Callable


class Backoff:
    def __init__(self, base: float, maximum: float, rand: Callable[[], float] = random.random) -> None:
        self.base = base
        self.maximum = maximum
        self._rand = rand
        self._attempt = 0

    def next(self) -> float:
        """The next delay in seconds: uniform in [0, min(max, base * 2**attempt)]."""
        ceiling = min(self.maximum, self.base * 2 ** min(self._attempt, 30))
        self._attempt += 1
        return float(self._rand() * ceiling)

    def reset(self) -> None:
        self._attempt = 0

    @property
    def failures(self) -> int:
        return self._attempt
