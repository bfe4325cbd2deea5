"""Parsing and checking of category and rule fields, shared by the API, the pages and the xlsx import.

Pure: no database. Every parser accepts the English value or its Chinese label and raises `FieldError` with a
Chinese message naming what is wrong.
"""

from __future__ import annotations

import enum
import re
from typing import TypeVar

from zhili.taxonomy.models import (
    CATEGORY_KIND_LABEL,
    LIMIT_UNIT_LABEL,
    PRIORITY_LABEL,
    RULE_BASIS_LABEL,
    RUNWAY_LABEL,
    CategoryKind,
    LimitUnit,
    Priority,
    RuleBasis,
    Runway,
)

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
MAX_LIMIT = 10_000.0

E = TypeVar("E", bound=enum.StrEnum)


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _choice(field: str, what: str, value: object, enum_type: type[E], labels: dict[E, str]) -> E:
    text = "" if value is None else str(value).strip()
    for member in enum_type:
        if text in (member.value, labels[member]):
            return member
    allowed = "、".join(labels[m] for m in enum_type)
    raise FieldError(field, f"{what}「{text}」无效，应为{allowed}" if text else f"{what}不能为空，应为{allowed}")


def parse_kind(value: object) -> CategoryKind:
    return _choice("kind", "类型", value, CategoryKind, CATEGORY_KIND_LABEL)


def parse_runway(value: object) -> Runway:
    return _choice("runway", "跑道", value, Runway, RUNWAY_LABEL)


def parse_priority(value: object) -> Priority:
    if value is None or str(value).strip() == "":
        return Priority.normal
    return _choice("default_priority", "默认等级", value, Priority, PRIORITY_LABEL)


def parse_basis(value: object) -> RuleBasis:
    return _choice("basis", "依据", value, RuleBasis, RULE_BASIS_LABEL)


def parse_unit(value: object) -> LimitUnit | None:
    if value is None or str(value).strip() == "":
        return None
    return _choice("limit_unit", "时限单位", value, LimitUnit, LIMIT_UNIT_LABEL)


def parse_number(field: str, what: str, value: object) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise FieldError(field, f"{what}应为数字")
    try:
        number = float(value) if isinstance(value, int | float) else float(str(value).strip())
    except ValueError:
        raise FieldError(field, f"{what}「{value}」不是数字") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise FieldError(field, f"{what}应为数字")
    return number


def check_code(value: object, field: str = "code") -> str:
    text = "" if value is None else str(value).strip()
    if not CODE_RE.match(text):
        raise FieldError(field, f"编码「{text}」无效：应为 1-20 位字母、数字、下划线或连字符" if text
                         else "编码不能为空")
    return text


def check_name(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise FieldError("name", "名称不能为空")
    if len(text) > 64:
        raise FieldError("name", "名称不能超过 64 个字")
    return text


def check_limits(unit: LimitUnit | None, normal: float | None, urgent: float | None) -> None:
    """A limit is a unit plus a normal value (urgent optional, never longer); or nothing at all (inherited)."""
    for field, what, value in (("limit_normal", "一般时限", normal), ("limit_urgent", "紧急时限", urgent)):
        if value is not None and value <= 0:
            raise FieldError(field, f"{what}必须大于 0")
        if value is not None and value > MAX_LIMIT:
            raise FieldError(field, f"{what}过大")
    if unit is None and (normal is not None or urgent is not None):
        raise FieldError("limit_unit", "填写了时限，但缺少时限单位")
    if unit is not None and normal is None:
        raise FieldError("limit_normal", "填写了时限单位，但缺少一般时限")
    if normal is not None and urgent is not None and urgent > normal:
        raise FieldError("limit_urgent", "紧急时限不能长于一般时限")


def parse_bool(field: str, what: str, value: object, default: bool = True) -> bool:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("是", "1", "true", "yes", "启用", "y"):
        return True
    if text in ("否", "0", "false", "no", "停用", "n"):
        return False
    raise FieldError(field, f"{what}「{value}」无效，应为 是 或 否")


def parse_int(field: str, what: str, value: object, default: int = 0) -> int:
    number = parse_number(field, what, value)
    if number is None:
        return default
    if not number.is_integer() or abs(number) > 1_000_000:
        raise FieldError(field, f"{what}应为整数")
    return int(number)


def limit_text(unit: LimitUnit | None, normal: float | None, urgent: float | None) -> str:
    """"2 工作时（紧急 1 工作时）", or "" when there is no limit."""
    if unit is None or normal is None:
        return ""
    label = LIMIT_UNIT_LABEL[unit]
    text = f"{fmt_number(normal)} {label}"
    if urgent is not None:
        text += f"（紧急 {fmt_number(urgent)} {label}）"
    return text


def fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
