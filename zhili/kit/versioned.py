"""A value kept per database in this process (a spatial index, a gazetteer), rebuilt when the database says it
changed: the version is read at most every `refresh_seconds`, and only one thread rebuilds.

Reads happen without flushing the caller's pending writes: a flush could wait on a row lock while this thread
holds the rebuild lock that another request, owning that row lock, is waiting for."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class _Slot(Generic[T]):
    def __init__(self) -> None:
        self.version: Hashable | None = None
        self.value: T | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()


class VersionedCache(Generic[T]):
    """`version(session)` is a cheap read (a counter, a fingerprint); `build(session, version)` makes the value."""

    def __init__(self, version: Callable[[Session], Hashable], build: Callable[[Session, Hashable], T]) -> None:
        self._version, self._build = version, build
        self._slots: dict[str, _Slot[T]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, refresh_seconds: float = 5.0) -> T:
        key = str(session.get_bind().engine.url)
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
        now = time.monotonic()
        value = slot.value
        if value is not None and now - slot.checked_at < refresh_seconds:
            return value
        with session.no_autoflush:
            version = self._version(session)
            with slot.lock:
                if slot.value is None or slot.version != version:
                    slot.value, slot.version = self._build(session, version), version
                slot.checked_at = now
                return slot.value

    def forget(self, session: Session) -> None:
        """Drop this database's value (tests, after a schema reset)."""
        with self._lock:
            self._slots.pop(str(session.get_bind().engine.url), None)
