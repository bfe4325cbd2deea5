"""API shapes of notify. Never ORM objects out of the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationRead(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    case_id: int | None
    case_number: str | None  # for links to the case page of the reader's terminal
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


class UnreadCount(BaseModel):
    count: int
    latest_id: int  # open the stream with ?after=latest_id to receive only what arrives later


class ReadAllResult(BaseModel):
    updated: int
