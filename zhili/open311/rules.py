"""Pure rules of the Open311 adapter: formats, dates and ranges, the open/closed mapping of case states, attribute
values by datatype, and masking of free text. No database; the service applies them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from zhili.open311.models import Datatype

FORMATS = ("json", "xml")
MAX_DESCRIPTION = 4000
MAX_RANGE = timedelta(days=90)
DEFAULT_LIMIT = 1000
MAX_PAGE_SIZE = 1000
# States after which nothing more happens to the request (the specification's "closed: it has been resolved").
CLOSED_STATES = frozenset({"closed", "rejected", "merged"})
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d)\d{14}(\d{2}[\dXx])(?![\dA-Za-z])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$")


class RuleError(ValueError):
    """Bad input found by a rule: the HTTP status the specification asks for and a description for the user."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


def check_format(fmt: str) -> str:
    """The resource suffix: exactly `json` or `xml`, lower case, as the specification writes them."""
    if fmt not in FORMATS:
        raise RuleError(f"不支持的格式“{fmt[:10]}”：请使用小写的 .xml 或 .json")
    return fmt


def status_of(case_status: str) -> str:
    return "closed" if case_status in CLOSED_STATES else "open"


def parse_datetime(value: str, name: str) -> datetime:
    """A W3C (ISO 8601 subset) date or date-time; a time must carry its zone (Z or +hh:mm), as the spec says."""
    text = value.strip()
    if not _W3C.match(text):
        raise RuleError(f"{name} 格式错误，应为 W3C 日期时间，例如 2010-01-01T00:00:00Z")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RuleError(f"{name} 不是有效的日期时间") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def date_window(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """[start, end] of a GET requests query: the most recent 90 days by default, never wider than 90 days."""
    lo = parse_datetime(start, "start_date") if start else None
    hi = parse_datetime(end, "end_date") if end else None
    if lo is None and hi is None:
        return now - MAX_RANGE, now
    if lo is None:
        assert hi is not None
        lo = hi - MAX_RANGE
    if hi is None:
        hi = min(lo + MAX_RANGE, max(now, lo))
    if hi < lo:
        raise RuleError("end_date 早于 start_date")
    if hi - lo > MAX_RANGE:
        raise RuleError("start_date 与 end_date 的跨度不能超过 90 天")
    return lo, hi


def split_list(value: str | None, name: str, *, max_items: int = 100, max_len: int = 32) -> list[str]:
    """A comma-delimited argument (service_request_id, service_code, status); empty means "not given"."""
    if not value:
        return []
    items = [v.strip() for v in value.split(",") if v.strip()]
    if len(items) > max_items or any(len(v) > max_len for v in items):
        raise RuleError(f"{name} 过长：最多 {max_items} 项")
    return list(dict.fromkeys(items))


def page_args(page: str | None, page_size: str | None) -> tuple[int, int]:
    """The widely implemented `page`/`page_size` extension: 1-based pages of at most 1,000 requests."""
    try:
        p = int(page) if page else 1
        size = int(page_size) if page_size else DEFAULT_LIMIT
    except ValueError:
        raise RuleError("page 与 page_size 应为正整数") from None
    if not (1 <= p <= 100_000) or not (1 <= size <= MAX_PAGE_SIZE):
        raise RuleError(f"page 应为正整数，page_size 应在 1 到 {MAX_PAGE_SIZE} 之间")
    return p, size


def mask_text(text: str, names: Sequence[str | None] = ()) -> str:
    """Free text shown to the public: mobile numbers, resident ID numbers, e-mail addresses and the reporter's
    own names (when known, longest first: 王小明 -> 王**) masked."""
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name, name[0] + "*" * (len(name) - 1))
    text = _PHONE.sub(r"\1****\2", text)
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 14 + m.group(2)[-2:], text)
    return _EMAIL.sub("***@***", text)


@dataclass(frozen=True)
class AttributeSpec:
    code: str
    datatype: str
    required: bool
    variable: bool
    values: Sequence[Mapping[str, str]]
    description: str = ""


def check_attributes(specs: Sequence[AttributeSpec], given: Mapping[str, list[str]]) -> dict[str, Any]:
    """The attribute[code] answers of a POST checked against the service definition; returns what to store.
    Unknown codes, a missing required answer, a number that is not one, a bad date, a key not in the list, or
    several values for a single-value field are each a 400 naming the attribute."""
    by_code = {s.code: s for s in specs if s.variable}
    unknown = sorted(set(given) - set(by_code))
    if unknown:
        raise RuleError(f"未知的属性 attribute[{unknown[0][:32]}]")
    out: dict[str, Any] = {}
    for spec in sorted(by_code.values(), key=lambda s: s.code):
        values = [v.strip() for v in given.get(spec.code, []) if v.strip()]
        if not values:
            if spec.required:
                raise RuleError(f"缺少必填属性 attribute[{spec.code}]（{spec.description}）")
            continue
        out[spec.code] = _check_value(spec, values)
    return out


def _check_value(spec: AttributeSpec, values: list[str]) -> Any:
    name = f"attribute[{spec.code}]"
    if spec.datatype != Datatype.multivaluelist and len(values) > 1:
        raise RuleError(f"{name} 只能有一个值")
    if any(len(v) > 4000 for v in values):
        raise RuleError(f"{name} 过长")
    value = values[0]
    if spec.datatype == Datatype.number:
        try:
            number = float(value)
        except ValueError:
            raise RuleError(f"{name} 应为数字") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise RuleError(f"{name} 应为有限的数字")
        return value
    if spec.datatype == Datatype.datetime:
        return parse_datetime(value, name).isoformat()
    if spec.datatype == Datatype.string and ("\n" in value or "\r" in value or len(value) > 200):
        raise RuleError(f"{name} 应为不含换行的短文本（200 字以内）")
    if spec.datatype in (Datatype.singlevaluelist, Datatype.multivaluelist):
        keys = {str(v["key"]) for v in spec.values}
        bad = [v for v in values if v not in keys]
        if bad:
            raise RuleError(f"{name} 的取值“{bad[0][:20]}”不在可选项中")
        return values if spec.datatype == Datatype.multivaluelist else value
    return value
