"""Values kept in-process for one generation of the data (the versions they were computed from)."""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable


class Kept:
    """Values by key for the current generation; a new generation, or more than `limit` keys, starts afresh.

    A value computed while another request moved the generation on is answered but not kept."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._gen: Hashable = None
        self._values: dict = {}

    def get(self, gen: Hashable, keys: Iterable[Hashable]) -> list:
        """The kept values of these keys in this generation, None where there is none."""
        with self._lock:
            if self._gen != gen or len(self._values) > self.limit:
                self._gen, self._values = gen, {}
            return [self._values.get(k) for k in keys]

    def put(self, gen: Hashable, values: dict) -> None:
        """Keep these values if their generation is still the current one."""
        with self._lock:
            if self._gen == gen:
                self._values.update(values)

    def one(self, gen: Hashable, key: Hashable, compute: Callable[[], object]):
        """The value of one key, computed and kept the first time."""
        found = self.get(gen, [key])[0]
        if found is None:
            found = compute()
            self.put(gen, {key: found})
        return found

    def clear(self) -> None:
        """Forget everything (a benchmark's cold run, a test)."""
        with self._lock:
            self._gen, self._values = None, {}
