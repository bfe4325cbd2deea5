"""Notification JSON routes: one's own list, unread count, mark read, a test notice, and the live stream (SSE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from zhili.auth.deps import CurrentActor
from zhili.db import transaction
from zhili.kit.pagination import MAX_ID, Page
from zhili.notify import service, stream
from zhili.notify.schemas import NotificationRead, ReadAllResult, UnreadCount
from zhili.web.deps import DbSession, client_ip

router = APIRouter(prefix="/api/notifications", tags=["notify"])
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=Page[NotificationRead])
def notifications(
    actor: CurrentActor, session: DbSession, unread: bool = False,
    offset: int = Query(default=0, ge=0, le=10_000_000), limit: int = Query(default=50, ge=1, le=500),
) -> Page[NotificationRead]:
    """The caller's own notifications, newest first; `unread=true` for unread ones only."""
    items, total = service.list_for(session, actor, unread, offset, limit)
    return Page[NotificationRead](items=items, total=total, offset=offset, limit=limit)


@router.get("/unread-count", response_model=UnreadCount)
def unread_count(actor: CurrentActor, session: DbSession) -> UnreadCount:
    return service.unread_count(session, actor)


@router.post("/read-all", response_model=ReadAllResult)
def read_all(actor: CurrentActor, session: DbSession) -> ReadAllResult:
    return ReadAllResult(updated=service.mark_all_read(session, actor))


@router.post("/test", response_model=NotificationRead, status_code=201)
def send_test(actor: CurrentActor, session: DbSession) -> NotificationRead:
    """Send oneself a test notice: checks that the bell and the live push reach this browser."""
    return service.send_test(session, actor)


@router.post("/{notification_id}/read", response_model=NotificationRead)
def read_one(notification_id: NotificationId, actor: CurrentActor, session: DbSession) -> NotificationRead:
    return service.mark_read(session, actor, notification_id)


@router.get("/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}})
def notification_stream(
    request: Request, actor: CurrentActor, session: DbSession,
    after: int | None = Query(default=None, ge=0, le=MAX_ID),
    timeout: int = Query(default=25, ge=1, le=60),
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events: `event: notification` with the JSON of each new notification of the caller after
    `Last-Event-ID` (or `?after=`; neither: only those arriving from now on), a comment heartbeat every ~15 s;
    the response ends after `timeout` seconds with `retry: 2000` and the browser reconnects."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    user_id, ip = actor.user_id, client_ip(request)
    cursor = service.stream_cursor(session, actor, last_event_id, after)

    def poll_once(last_id: int) -> list[NotificationRead]:
        with transaction(factory, info={"ip": ip}) as poll_session:  # a short unit of work per poll
            return service.since(poll_session, user_id, last_id)

    async def poll(last_id: int) -> list[NotificationRead]:
        return await run_in_threadpool(poll_once, last_id)

    body = stream.events(poll, cursor, timeout, batch=service.STREAM_BATCH)
    return StreamingResponse(body, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
