"""Open311 test helpers: issue a client key through the real service, post a report, parse either format."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import A_POINT
from zhili.auth.actor import system_actor
from zhili.cases.models import Case
from zhili.db import transaction
from zhili.open311 import service

BASE = "/open311/v2"
GARBAGE = "SJ0102"  # 暴露垃圾: a public leaf without attributes
LAMP = "BJ0109"  # 路灯: a public leaf with a required single-value list


def issue_key(db: sessionmaker[Session], name: str = "随手拍") -> str:
    with transaction(db) as s:
        return service.create_client(s, system_actor(), name, "市民服务中心")[1]


def report(key: str, **extra: Any) -> dict[str, Any]:
    """A valid POST body (form fields); `extra` overrides or adds (None drops a field)."""
    body: dict[str, Any] = {"api_key": key, "service_code": GARBAGE, "lat": str(A_POINT[1]),
                            "long": str(A_POINT[0]), "description": "小区门口有一堆垃圾，已经三天没人清理",
                            "first_name": "小明", "last_name": "王", "phone": "13800138000",
                            "email": "wang@example.com", "device_id": "dev-1", "account_id": "acc-9"}
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def parse(fmt: str, text: str) -> Any:
    """The response as Python values: JSON as is; XML through ElementTree into the same shape (a list for a
    document of repeated children, a dict otherwise; leaf text as str, '' for an empty element)."""
    if fmt == "json":
        return json.loads(text)
    root = ET.fromstring(text.encode("utf-8"))
    return _xml(root)


LISTS = {"services", "service_requests", "errors", "attributes", "values", "endpoints", "formats"}


def _xml(el: ET.Element) -> Any:
    if el.tag in LISTS:
        return [_xml(c) for c in el]
    if len(el) == 0:
        return el.text or ""
    return {c.tag: _xml(c) for c in el}


def case_count(db: sessionmaker[Session]) -> int:
    with transaction(db) as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)
