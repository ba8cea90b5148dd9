"""The current time, in one place so tests can control it."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """Timezone-aware UTC now."""
    return datetime.now(timezone.utc)
