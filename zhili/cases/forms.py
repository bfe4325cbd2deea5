"""HTML forms of the case pages: what a form posts (every value as text, so a bad value is our Chinese message,
never a bare 422), and its conversion into the service's input schemas. Pure: no database."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from zhili.cases.schemas import ActionIn, AnswerIn, ExtensionIn, IntakeIn, LocationIn, RatingIn, SupervisionIn
from zhili.kit.errors import ValidationFailed

FIELD_LABEL = {
    "title": "诉求标题", "description": "详细描述", "category": "事项分类", "priority": "紧急程度", "lon": "经度",
    "lat": "纬度", "address": "地址", "caller_name": "来电人姓名", "caller_phone": "来电号码",
    "self_handle_note": "处置说明", "reason": "理由", "department": "主办部门", "co_departments": "协办部门",
    "task": "任务要求", "text": "说明", "master": "主案件编号", "extra_value": "延期时长", "extra_unit": "延期单位",
    "answer": "反馈内容", "satisfaction": "满意度", "comment": "评价意见", "note": "审批意见",
    "attachment_ids": "照片", "version": "版本", "part_id": "任务",
}
MODES = ("accept", "register", "dispatch")  # 仅受理 / 受理并立案 / 受理、立案并派遣


def _message(exc: ValidationError, values: dict[str, Any]) -> ValidationFailed:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first.get("loc") else ""
    label = FIELD_LABEL.get(field, field)
    kind = first.get("type", "")
    ctx = first.get("ctx") or {}
    if kind in ("missing", "string_too_short") and not str(values.get(field) or "").strip():
        text = f"请填写{label}"
    elif kind == "string_too_short":
        text = f"{label}至少 {ctx.get('min_length')} 个字"
    elif kind == "string_too_long":
        text = f"{label}不能超过 {ctx.get('max_length')} 个字"
    elif kind == "too_long":
        text = f"{label}太多，最多 {ctx.get('max_length')} 项"
    elif kind == "string_pattern_mismatch":
        text = f"{label}格式不正确"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = f"{label}超出允许范围"
    else:
        text = f"{label}填写有误"
    return ValidationFailed(text, field=field or None)


def build(model: type[BaseModel], values: dict[str, Any]) -> Any:
    """`model(**values)`, with a pydantic error turned into a ValidationFailed naming the field in Chinese."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise _message(exc, values) from None


def number(text: str, label: str, field: str, *, integer: bool = False) -> float | int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValidationFailed(f"{label}应为数字", field=field) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed(f"{label}应为数字", field=field)
    if integer:
        if value != int(value) or not (1 <= value <= 2**31 - 1):
            raise ValidationFailed(f"{label}无效", field=field)
        return int(value)
    return value


def location(lon: str, lat: str) -> tuple[float, float]:
    x, y = number(lon, "经度", "lon"), number(lat, "纬度", "lat")
    if x is None or y is None:
        raise ValidationFailed("请在地图上选点（或使用定位）以确定位置", field="location")
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise ValidationFailed("经纬度超出范围", field="location")
    return float(x), float(y)


class IntakeForm(BaseModel):
    """The 12345 form, the grid worker's report and the resident's report share these fields."""

    title: str = ""
    description: str = ""
    category: str = ""
    priority: str = ""
    address: str = ""
    lon: str = ""
    lat: str = ""
    caller_name: str = ""
    caller_phone: str = ""
    self_handled: str = ""
    self_handle_note: str = ""
    mode: str = "accept"
    department: str = ""
    co_departments: list[str] = []
    task: str = ""

    def kept(self) -> dict[str, Any]:
        """What the user typed, to fill the form again after an error."""
        return self.model_dump()

    def to_intake(self, channel: str | None, attachment_ids: list[int]) -> IntakeIn:
        if not self.category.strip():
            raise ValidationFailed("请选择事项分类", field="category")
        lon, lat = location(self.lon, self.lat)
        values: dict[str, Any] = {
            "title": self.title.strip(), "description": self.description.strip(), "category": self.category.strip(),
            "priority": self.priority or None, "lon": lon, "lat": lat, "address": self.address.strip(),
            "channel": channel, "caller_name": self.caller_name.strip() or None,
            "caller_phone": self.caller_phone.strip() or None, "self_handled": bool(self.self_handled),
            "self_handle_note": self.self_handle_note.strip() or None, "attachment_ids": attachment_ids,
        }
        if values["priority"] not in (None, "normal", "urgent"):
            raise ValidationFailed("紧急程度无效", field="priority")
        return build(IntakeIn, values)

    def mode_checked(self) -> str:
        if self.mode not in MODES:
            raise ValidationFailed("请选择提交方式", field="mode")
        return self.mode


class ActForm(BaseModel):
    """Every form of the detail page posts a subset of these, always with the case version the user saw."""

    version: str = ""
    reason: str = ""
    department: str = ""
    co_departments: list[str] = []
    task: str = ""
    text: str = ""
    master: str = ""
    part_id: str = ""
    request_id: str = ""
    order_id: str = ""
    approve: str = ""
    note: str = ""
    answer: str = ""
    extra_value: str = ""
    extra_unit: str = ""
    satisfaction: str = ""
    comment: str = ""
    reopen: str = ""
    lon: str = ""
    lat: str = ""
    address: str = ""
    back: str = ""

    def version_number(self) -> int | None:
        v = number(self.version, "版本", "version", integer=True)
        return int(v) if v is not None else None

    def action_in(self, attachment_ids: list[int]) -> ActionIn:
        part = number(self.part_id, "任务", "part_id", integer=True)
        return build(ActionIn, {
            "version": self.version_number(), "reason": self.reason.strip() or None,
            "department": self.department.strip() or None,
            "co_departments": [c for c in dict.fromkeys(c.strip() for c in self.co_departments) if c],
            "task": self.task.strip() or None, "text": self.text.strip() or None,
            "master": self.master.strip() or None, "part_id": part, "attachment_ids": attachment_ids})

    def location_in(self) -> LocationIn:
        lon, lat = location(self.lon, self.lat)
        return build(LocationIn, {"version": self.version_number(), "lon": lon, "lat": lat,
                                  "address": self.address.strip() or None})

    def extension_in(self) -> ExtensionIn:
        value = number(self.extra_value, "延期时长", "extra_value")
        if value is None:
            raise ValidationFailed("请填写延期时长", field="extra_value")
        return build(ExtensionIn, {"extra_value": value, "extra_unit": self.extra_unit,
                                   "reason": self.reason.strip()})

    def supervision_reason(self) -> str:
        reason: str = build(SupervisionIn, {"reason": self.reason.strip()}).reason
        return reason

    def answer_text(self) -> str:
        answer: str = build(AnswerIn, {"answer": self.answer.strip()}).answer
        return answer

    def rating_in(self) -> RatingIn:
        if not self.satisfaction:
            raise ValidationFailed("请选择满意度", field="satisfaction")
        return build(RatingIn, {"satisfaction": self.satisfaction, "comment": self.comment.strip() or None,
                                "reopen": bool(self.reopen)})

    def decision(self) -> tuple[int, bool, str | None]:
        rid = number(self.request_id, "延期申请", "request_id", integer=True)
        if rid is None or self.approve not in ("1", "0"):
            raise ValidationFailed("请选择批准或不批准", field="approve")
        note = self.note.strip()
        if len(note) > 500:
            raise ValidationFailed("审批意见不能超过 500 个字", field="note")
        return int(rid), self.approve == "1", note or None

    def order_number(self) -> int:
        oid = number(self.order_id, "督办单", "order_id", integer=True)
        if oid is None:
            raise ValidationFailed("督办单无效", field="order_id")
        return int(oid)
