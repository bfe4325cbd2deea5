"""Request-scoped dependencies shared by every domain's routes: the unit of work and the client address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from zhili.config import Settings
from zhili.db import transaction


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _session(request: Request) -> Iterator[Session]:
    """The request's unit of work: commits after the route returns and before the response is sent."""
    with transaction(request.app.state.sessionmaker, info={"ip": client_ip(request)}) as session:
        yield session


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(_session, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
