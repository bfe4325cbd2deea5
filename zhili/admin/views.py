"""User administration page of the governance terminal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from zhili.admin import service
from zhili.admin.schemas import UserCreate
from zhili.auth import service as auth_service
from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ZhiliError
from zhili.kit.pagination import MAX_ID
from zhili.web.deps import DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
FIELD_LABEL = {"username": "用户名", "display_name": "姓名", "password": "密码", "phone": "手机", "roles": "角色",
               "area_codes": "区划代码", "department_codes": "部门编码", "grid_codes": "网格编码"}


def _codes(text: str) -> list[str]:
    return [c for c in text.replace("，", ",").replace(" ", ",").split(",") if c]


def _page(request: Request, actor: CurrentActor, session: DbSession, q: str | None, error: str | None = None,
          form: dict[str, str] | None = None, status: int = 200, notice: str | None = None) -> HTMLResponse:
    users, total = service.list_users(session, actor, q=q, offset=0, limit=200)
    return render(request, "admin/users.html", {"users": users, "total": total, "q": q or "", "error": error,
                                                "form": form or {}, "notice": notice,
                                                "roles": service.assignable_roles(session, actor)},
                  status_code=status)


@router.get("/gov/users")
def users_page(request: Request, actor: CurrentActor, session: DbSession,
               q: str | None = Query(default=None, max_length=64)) -> HTMLResponse:
    return _page(request, actor, session, q)


@router.post("/gov/users")
def create_user(
    request: Request, actor: CurrentActor, session: DbSession, username: str = Form(""), display_name: str = Form(""),
    password: str = Form(""), phone: str = Form(""), role: str = Form(""), area_codes: str = Form(""),
    department_codes: str = Form(""), grid_codes: str = Form(""),
) -> Response:
    form = {"username": username, "display_name": display_name, "phone": phone, "role": role,
            "area_codes": area_codes, "department_codes": department_codes, "grid_codes": grid_codes}
    try:
        body = UserCreate(username=username.strip(), display_name=display_name, password=password,
                          phone=phone or None, roles=[role] if role else [], area_codes=_codes(area_codes),
                          department_codes=_codes(department_codes), grid_codes=_codes(grid_codes))
        created = service.create_user(session, actor, body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else ""
        return _page(request, actor, session, None, f"{FIELD_LABEL.get(field, field)}：填写有误", form, 422)
    except ZhiliError as exc:
        session.rollback()
        return _page(request, actor, session, None, exc.message, form, exc.status_code)
    return _page(request, actor, session, None, notice=f"已创建用户 {created.username}", status=201)


@router.post("/gov/users/{user_id}/unlock")
def unlock(user_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: CurrentActor, session: DbSession) -> Response:
    auth_service.unlock_user(session, actor, user_id)
    return RedirectResponse("/gov/users", status_code=303)
