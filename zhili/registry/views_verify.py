"""The grid worker's phone pages for verification (核查): my open tasks, and one task's form (per field: confirm,
or correct with a new value, a reason and an optional photo).

Thin: parse the form, call the service, render. A refused submission (a bad value, a missing reason) rolls the
request's work back and renders the form again with the Chinese message next to the field and what was typed;
success redirects (303) to the list with `?ok=done`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from zhili.auth.actor import Actor
from zhili.auth.deps import CurrentActor
from zhili.config import Settings
from zhili.files import store
from zhili.kit.errors import ValidationFailed, ZhiliError
from zhili.registry import verify, verify_read
from zhili.registry.fields import LABELS, PERSONAL, TAGS
from zhili.registry.models import EntityKind
from zhili.registry.present import ENUM_LABELS
from zhili.registry.schemas_verify import CompleteIn, ItemIn, TaskDetail
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
TaskId = Annotated[int, Path(ge=1, le=2_000_000_000)]
OK_TEXT = {"done": "核查结果已提交，感谢您的现场核实"}
CHOICES: dict[tuple[EntityKind, str], list[str]] = {
    key: [v for v in labels.values() if v != "已匿名化"] for key, labels in ENUM_LABELS.items()
} | {(EntityKind.house, "rented"): ["是", "否"]}


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


@router.get("/gov/registry/tasks")
def task_list(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
              ok: str | None = Query(default=None, max_length=16),
              offset: int = Query(default=0, ge=0, le=100_000)) -> HTMLResponse:
    page = verify_read.list_tasks(session, actor, settings, offset)
    return render(request, "verify_list.html", {"page": page, "ok": OK_TEXT.get(ok or ""), "offset": offset,
                                                "more": offset + len(page.items) < page.total})


def _page(request: Request, session: Session, actor: Actor, settings: Settings, task_id: int, *,
          form: dict[str, Any] | None = None, error: str | None = None, failed: str | None = None,
          status: int = 200) -> HTMLResponse:
    d: TaskDetail = verify_read.task_detail(session, actor, settings, task_id)
    kind = EntityKind(d.kind)
    return render(request, "verify_task.html", {
        "d": d, "form": form or {}, "error": error, "failed": failed,
        "choices": {f: CHOICES.get((kind, f)) for f in LABELS[kind]},
        "personal": PERSONAL[kind], "tag_hint": "、".join(list(TAGS.values())[:6]),
    }, status_code=status)


@router.get("/gov/registry/tasks/{task_id}")
def task_page(request: Request, task_id: TaskId, actor: CurrentActor, session: DbSession,
              settings: AppSettings) -> HTMLResponse:
    return _page(request, session, actor, settings, task_id)


def _items(form: FormData, kind: EntityKind) -> tuple[CompleteIn, dict[str, Any]]:
    """The submitted form as the service's input; `confirm_rest` confirms every field left unchecked."""
    rest = form.get("confirm_rest") == "1"
    items: list[ItemIn] = []
    kept: dict[str, str] = {}
    for name in LABELS[kind]:
        action = str(form.get(f"action_{name}") or "")
        value, reason = str(form.get(f"value_{name}") or ""), str(form.get(f"reason_{name}") or "")
        kept |= {f"action_{name}": action, f"value_{name}": value, f"reason_{name}": reason}
        if action not in ("confirm", "correct"):
            if not rest:
                continue
            action = "confirm"
        moved = str(form.get("moved_out_on") or "") if name == "status" else ""
        kept["moved_out_on"] = moved or kept.get("moved_out_on", "")
        try:
            items.append(ItemIn(field=name, action=action, value=value[:200] if action == "correct" else None,
                                reason=reason[:500], moved_out_on=moved or None))
        except ValueError:
            raise ValidationFailed("迁出日期格式应为 年-月-日", field=name) from None
    note = str(form.get("note") or "")[:500]
    kept["note"] = note
    if not items:
        raise ValidationFailed("请至少对一项选择“无误”或“更正”后再提交", field="items")
    return CompleteIn(items=items, note=note), kept


def _evidence(form: FormData, body: CompleteIn, settings: Settings) -> dict[str, str]:
    """Store the photo chosen beside each corrected field; its key ("sha256.ext") is the correction's evidence."""
    found = {}
    for item in body.items:
        upload = form.get(f"photo_{item.field}")
        if item.action != "correct" or not isinstance(upload, UploadFile) or not upload.filename:
            continue
        data = upload.file.read(settings.max_photo_bytes + 1)
        if not data:
            continue
        try:
            photo = store.save_photo(data, upload.filename, settings)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field=item.field) from None
        found[item.field] = f"{photo.sha256}.{photo.ext}"
    return found


@router.post("/gov/registry/tasks/{task_id}")
def task_submit(request: Request, task_id: TaskId, actor: CurrentActor, session: DbSession, settings: AppSettings,
                form: Form) -> Response:
    kind = verify.open_for(session, actor, task_id)[1].kind  # 404 / 403 before reading anything else
    kept: dict[str, Any] = {}
    try:
        body, kept = _items(form, kind)
        verify.complete(session, actor, settings, task_id, body, _evidence(form, body, settings))
    except ZhiliError as exc:
        session.rollback()
        if exc.on_rollback is not None:
            exc.on_rollback(session)
        return _page(request, session, actor, settings, task_id, form=kept or _kept_raw(form, kind),
                     error=exc.message, failed=exc.field, status=exc.status_code)
    return RedirectResponse("/gov/registry/tasks?ok=done", status_code=303)


def _kept_raw(form: FormData, kind: EntityKind) -> dict[str, Any]:
    keys = [f"{p}_{n}" for n in LABELS[kind] for p in ("action", "value", "reason")] + ["note", "moved_out_on"]
    return {k: str(form.get(k) or "") for k in keys}
