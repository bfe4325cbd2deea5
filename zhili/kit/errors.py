"""Errors users see: a stable code, a Chinese message, the field at fault. The app maps them to 4xx JSON/HTML."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ZhiliError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        on_rollback: Callable[[Session], Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.on_rollback = on_rollback
        self.extra = extra
        if code:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.extra:
            body.update(self.extra)
        return body


class ValidationFailed(ZhiliError):
    status_code = 422
    code = "invalid"


class NotFound(ZhiliError):
    """Also what an out-of-scope record answers: indistinguishable from a missing one."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "记录不存在或不在您的辖区内", *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class Unauthenticated(ZhiliError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(ZhiliError):
    status_code = 403
    code = "forbidden"


class Conflict(ZhiliError):
    status_code = 409
    code = "conflict"


class Locked(ZhiliError):
    status_code = 423
    code = "locked"
