"""Making cases in a given state through the real service (every step audited and on the timeline).

`make_case(db, world, spec)` -> case number. A spec is "<place>_<state>[_<department>]":
  place: a (grid A, street S1), b (grid B, street S1), c (grid C, street S2)
  state: received, registered, dispatched, in_progress, handled, closed, grid (reported by grid_a/full_c and
         received), resident (reported by the resident and received), resident_closed
  department: cg, zj, s1 (S1 center), s2 (S2 center); default cg
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.factories import A_POINT, B_POINT, C_POINT, TEST_KEY, World
from zhili.auth.models import User
from zhili.auth.repository import build_actor
from zhili.cases import service
from zhili.cases.schemas import ActionIn, IntakeIn
from zhili.config import Settings
from zhili.db import transaction
from zhili.taxonomy.lookup import leaf_choices

POINTS = {"a": A_POINT, "b": B_POINT, "c": C_POINT}
DEPTS = {"cg": "330212-CG", "zj": "330212-ZJ", "s1": "330212006-ZX", "s2": "330212001-ZX", "center": "330212-ZX"}
HANDLER = {"cg": "cg", "zj": "zj", "s1": "s1dept", "s2": "dept"}
VERIFIER = {"a": "grid_a", "b": "grid_b", "c": "operator"}


def category_code(session: Session, name: str = "暴露垃圾") -> str:
    """The code of a seeded leaf category by (part of) its name."""
    for code, label, _kind in leaf_choices(session):
        if name in label:
            return code
    raise LookupError(name)


def actor_of(session: Session, world: World, persona: str) -> Any:
    user = session.get(User, world.users[persona].id)
    assert user is not None
    return build_actor(session, user, via="token")


def ctx(session: Session, world: World, persona: str, settings: Settings | None = None) -> service.Ctx:
    return service.Ctx(session, actor_of(session, world, persona),
                       settings or Settings(secret_key=TEST_KEY, geo_refresh_seconds=0))


def intake(db: sessionmaker[Session], world: World, place: str = "a", persona: str = "operator", *,
           category: str = "暴露垃圾", title: str = "小区门口垃圾堆放", settings: Settings | None = None,
           **extra: Any) -> str:
    lon, lat = POINTS[place]
    with transaction(db) as s:
        data = IntakeIn(title=title, description="居民来电反映", category=category_code(s, category), lon=lon,
                        lat=lat, address="测试路1号", caller_name="王小明", caller_phone="13800138000", **extra)
        if persona in ("resident",):
            data.caller_name = data.caller_phone = None
        case, _ = service.intake(ctx(s, world, persona, settings), data)
        return case.number


def act(db: sessionmaker[Session], world: World, persona: str, number: str, action: str,
        settings: Settings | None = None, **fields: Any) -> None:
    with transaction(db) as s:
        service.act(ctx(s, world, persona, settings), number, action, ActionIn(**fields))


def make_case(db: sessionmaker[Session], world: World, spec: str, settings: Settings | None = None) -> str:
    place, tail = spec.split("_", 1)
    state = next(s for s in ("in_progress", "resident", *ORDER, "grid") if tail == s or tail.startswith(s + "_"))
    rest = [tail[len(state) + 1:]] if len(tail) > len(state) else []
    dept = rest[0] if rest else "cg"
    if state == "resident":
        number = intake(db, world, place, "resident", settings=settings)
        if rest and rest[0] == "closed":
            _through(db, world, number, place, "cg", "closed", settings)
        return number
    if state == "grid":
        return intake(db, world, place, "grid_a" if place in "ab" else "operator", settings=settings)
    number = intake(db, world, place, settings=settings)
    _through(db, world, number, place, dept, state, settings)
    return number


ORDER = ["received", "registered", "dispatched", "in_progress", "handled", "closed"]


def _through(db: sessionmaker[Session], world: World, number: str, place: str, dept: str, state: str,
             settings: Settings | None) -> None:
    target = ORDER.index(state)
    steps = [
        ("operator", "register", {}),
        ("operator", "dispatch", {"department": DEPTS[dept]}),
        (HANDLER[dept], "acknowledge", {}),
        (HANDLER[dept], "reply", {"text": "已清理完毕"}),
        (VERIFIER[place], "verify_ok", {"text": "现场核查已清理"}),
    ]
    for persona, action, fields in steps[:target]:
        act(db, world, persona, number, action, settings, **fields)


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def make_photo(db: sessionmaker[Session], world: World, spec: str, settings: Settings) -> str:
    """A case with one photo: "NUMBER/attachments/ID"."""
    number = make_case(db, world, spec, settings)
    with transaction(db) as s:
        a = service.add_photo(ctx(s, world, "operator", settings), number, png_bytes(), "现场.png")
        return f"{number}/attachments/{a.id}"


def make_extension(db: sessionmaker[Session], world: World, spec: str, settings: Settings) -> str:
    """An in-progress case of CG with a pending extension request: "NUMBER/extensions/ID"."""
    from zhili.cases.schemas import ExtensionIn

    number = make_case(db, world, spec, settings)
    with transaction(db) as s:
        req = service.request_extension(ctx(s, world, "cg", settings), number,
                                        ExtensionIn(extra_value=2, extra_unit="work_days", reason="需协调施工单位"))
        return f"{number}/extensions/{req.id}"


def make_order(db: sessionmaker[Session], world: World, spec: str, settings: Settings) -> str:
    """A dispatched case with an open supervision order: "NUMBER/supervision/ID"."""
    number = make_case(db, world, spec, settings)
    with transaction(db) as s:
        order = service.supervise(ctx(s, world, "operator", settings), number, "群众反映强烈，请加快办理")
        return f"{number}/supervision/{order.id}"


MAKERS = {"case": make_case, "photo": make_photo, "ext": make_extension, "order": make_order}


def fill(url: str, db: sessionmaker[Session], world: World, settings: Settings) -> str:
    """Replace {case:SPEC}, {photo:SPEC}, {ext:SPEC}, {order:SPEC} in a URL with freshly made objects."""
    import re

    return re.sub(r"\{(case|photo|ext|order):(\w+)\}",
                  lambda m: MAKERS[m.group(1)](db, world, m.group(2), settings), url)  # type: ignore[operator]
