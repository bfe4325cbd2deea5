"""Built-in service definitions: a few attributes that help departments act on the commonest public reports.
Inserted only where missing (by category and attribute code), so an administrator's changes survive upgrades."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhili.open311 import repository as repo
from zhili.open311.models import Datatype, ServiceAttribute


def _values(*pairs: str) -> list[dict[str, str]]:
    return [{"key": p.split(":")[0], "name": p.split(":")[1]} for p in pairs]


BUILTIN: dict[str, list[dict[str, Any]]] = {
    "BJ0109": [dict(code="lamp_state", datatype=Datatype.singlevaluelist, required=True, position=1,
                    description="路灯是什么情况？",
                    values=_values("off:不亮", "flicker:闪烁", "day:白天常亮", "pole:灯杆倾斜或破损"))],
    "BJ0207": [dict(code="area_m2", datatype=Datatype.number, required=False, position=1,
                    description="破损面积大约多少平方米？", datatype_description="数字，例如 1.5")],
    "SJ0301": [dict(code="noise_at", datatype=Datatype.datetime, required=False, position=1,
                    description="噪声出现的时间", datatype_description="ISO 8601，例如 2026-11-28T22:30:00+08:00"),
               dict(code="noise_kind", datatype=Datatype.multivaluelist, required=True, position=2,
                    description="噪声来源（可多选）",
                    values=_values("machine:机械作业", "knock:敲打切割", "truck:运输车辆", "other:其他"))],
    "SJ0504": [dict(code="blocking", datatype=Datatype.singlevaluelist, required=True, position=1,
                    description="车辆占用了哪里？",
                    values=_values("fire_lane:消防通道", "blind_path:盲道", "sidewalk:人行道", "road:车行道")),
               dict(code="detail", datatype=Datatype.text, required=False, position=2,
                    description="补充说明（如车辆颜色、停放时长）")],
}


def seed_attributes(session: Session) -> int:
    """Insert the built-in attributes whose (category, code) is missing; categories absent here are skipped."""
    ids = repo.category_ids_by_code(session, list(BUILTIN))
    existing = repo.attribute_keys(session)
    added = 0
    for code, attrs in BUILTIN.items():
        cid = ids.get(code)
        for a in attrs if cid is not None else []:
            if (cid, a["code"]) not in existing:
                session.add(ServiceAttribute(category_id=cid, variable=True, **{"datatype_description": "", **a}))
                added += 1
    session.flush()
    return added
