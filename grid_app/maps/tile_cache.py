"""An in-process LRU of rendered tiles, bounded in bytes and in age."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Hashable


class TileCache:
    """Tiles by key, least recently used dropped first once `max_bytes` is passed.

    The caller puts everything that shapes a tile in its key (layer, parameters, tile, scope, data version);
    `max_age_s` bounds what a writer that forgot to bump the data version can leave behind, as the
    browser's own cache of the tile does (Cache-Control max-age)."""

    def __init__(self, max_bytes: int, max_age_s: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.max_bytes, self.max_age_s, self._clock = max_bytes, max_age_s, clock
        self._tiles: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # threaded servers share one cache per process
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        """The tile stored under the key if it is younger than max_age_s, else None."""
        with self._lock:
            found = self._tiles.get(key)
            if found is not None and self._clock() - found[0] <= self.max_age_s:
                self._tiles.move_to_end(key)
                self.hits += 1
                return found[1]
            if found is not None:
                self._drop(key)
            self.misses += 1
            return None

    def put(self, key: Hashable, body: bytes) -> None:
        """Store a tile, dropping the least recently used ones beyond the byte budget."""
        if len(body) > self.max_bytes:
            return
        with self._lock:
            if key in self._tiles:
                self._drop(key)
            self._tiles[key] = (self._clock(), body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._tiles)))

    def __len__(self) -> int:
        return len(self._tiles)

    def _drop(self, key: Hashable) -> None:
        self._bytes -= len(self._tiles.pop(key)[1])
