"""A handful of demo cases, each taken through the real service as the demo users would, so that every queue of
the workbench, the department inbox, the grid worker's tasks and the resident's list has something in it.

Times are spread over the last working days (the clock is frozen per step), so some cases are late and the
warning job turns them yellow or red on its first run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.auth.models import User
from zhili.auth.repository import build_actor
from zhili.cases import service
from zhili.cases.schemas import ActionIn, ExtensionIn, IntakeIn, RatingIn
from zhili.config import Settings
from zhili.kit import clock
from zhili.org.models import Department, Grid
from zhili.taxonomy.lookup import leaf_choices


@dataclass
class Step:
    persona: str
    action: str
    fields: dict[str, Any]


SCRIPT: list[tuple[str, str, str, str, str, list[Step]]] = [
    # (who reports, grid key, category name, title, description, steps)
    ("operator", "a", "暴露垃圾", "小区东门垃圾堆放三天无人清理", "来电人称垃圾散发异味，影响出行", []),
    ("operator", "b", "道路清扫保洁", "人行道落叶成堆", "天童南路人行道落叶多日未清扫", [
        Step("operator", "register", {})]),
    ("operator", "a", "暴露垃圾", "菜场门口垃圾桶满溢", "菜场门口垃圾桶满溢，苍蝇多", [
        Step("operator", "register", {}), Step("operator", "dispatch", {"department": "CG"})]),
    ("operator", "b", "暴露垃圾", "绿化带内建筑垃圾", "绿化带内有人倾倒装修垃圾", [
        Step("operator", "register", {}), Step("operator", "dispatch", {"department": "CG"}),
        Step("cg", "acknowledge", {})]),
    ("operator", "a", "道路清扫保洁", "公交站台周边脏乱", "公交站台周边烟头纸屑多", [
        Step("operator", "register", {}), Step("operator", "dispatch", {"department": "CG"}),
        Step("cg", "acknowledge", {}), Step("cg", "reply", {"text": "已安排保洁人员清扫并增加保洁频次"})]),
    ("resident", "a", "暴露垃圾", "楼道口堆放杂物和垃圾", "3幢楼道口长期堆放杂物", [
        Step("operator", "register", {}), Step("operator", "dispatch", {"department": "CG"}),
        Step("cg", "acknowledge", {}), Step("cg", "reply", {"text": "已清理楼道口杂物"}),
        Step("grid_a", "verify_ok", {"text": "现场核查已清理干净"})]),
    ("operator", "b", "暴露垃圾", "河边垃圾漂浮", "河道岸边有垃圾堆积", [
        Step("operator", "register", {}), Step("operator", "dispatch", {"department": "CG"}),
        Step("cg", "acknowledge", {}), Step("cg", "reply", {"text": "已打捞清理"}),
        Step("grid_b", "verify_ok", {}), Step("operator", "@rate", {"satisfaction": "satisfied"})]),
    ("operator", "a", "暴露垃圾", "小区内垃圾分类投放点脏乱", "垃圾投放点周边污水横流", [
        Step("operator", "register", {}),
        Step("operator", "dispatch", {"department": "CG", "co_departments": ["ZJ"],
                                      "task": "城管清理，住建督促物业整改"}),
        Step("cg", "acknowledge", {})]),
    ("grid_a", "a", "暴露垃圾", "网格巡查发现路边垃圾", "巡查发现路边有一袋生活垃圾", [
        Step("community", "register", {}), Step("community", "escalate", {"reason": "涉及道路保洁，需街道协调"})]),
    ("operator", "b", "道路清扫保洁", "主干道路面油污", "路面大面积油污，需专业清洗", [
        Step("operator", "register", {}), Step("operator", "dispatch", {"department": "CG"}),
        Step("operator", "suspend", {"reason": "等待产权单位确认责任"})]),
    ("operator", "a", "暴露垃圾", "拆迁地块垃圾堆积", "拆迁地块内垃圾堆积如山", [
        Step("operator", "register", {}), Step("operator", "dispatch", {"department": "CG"}),
        Step("cg", "acknowledge", {}), Step("cg", "@extension", {})]),
]


def seed_demo_cases(session: Session, settings: Settings, say: Callable[[str, int, int], None] | None = None,
                    ) -> int:
    """Create the demo cases; returns how many. Needs the demo users, grids, departments and rules."""
    users = {u.username: u for u in session.scalars(select(User))}
    if "operator" not in users or "grid_a" not in users:
        return 0

    def ctx(persona: str) -> service.Ctx:
        return service.Ctx(session, build_actor(session, users[persona]), settings)

    grid_ids = {key: next(iter(build_actor(session, users[p]).grid_ids)) for key, p in (("a", "grid_a"),
                                                                                        ("b", "grid_b"))}
    grids = {k: session.get(Grid, v) for k, v in grid_ids.items()}
    depts = {d.code.split("-")[-1]: d.code for d in session.scalars(select(Department))
             if d.code.startswith(("330212-",))}
    categories = {label.split("/")[-1]: code for code, label, _ in leaf_choices(session)}
    start = clock.now() - timedelta(days=3)
    made = 0
    for i, (reporter, key, category, title, description, steps) in enumerate(SCRIPT):
        grid = grids[key]
        assert grid is not None
        at = start + timedelta(hours=5 * i)
        with clock.frozen(at):
            data = IntakeIn(title=title, description=description, category=categories[category],
                            lon=grid.center_lon, lat=grid.center_lat, address=f"{grid.name}附近",
                            caller_name="李先生" if reporter == "operator" else None,
                            caller_phone=f"1390574{1000 + i:04d}" if reporter == "operator" else None)
            case, _ = service.intake(ctx(reporter), data)
            for step in steps:
                clock.advance(timedelta(minutes=40))
                fields = dict(step.fields)
                if "department" in fields:
                    fields["department"] = depts[fields["department"]]
                if "co_departments" in fields:
                    fields["co_departments"] = [depts[c] for c in fields["co_departments"]]
                if step.action == "@rate":
                    service.rate(ctx(step.persona), case.number, RatingIn(**fields))
                elif step.action == "@extension":
                    service.request_extension(ctx(step.persona), case.number,
                                              ExtensionIn(extra_value=3, extra_unit="work_days",
                                                          reason="需协调拆迁单位清运，申请延期3个工作日"))
                else:
                    service.act(ctx(step.persona), case.number, step.action, ActionIn(**fields))
        made += 1
        if say:
            say("演示案件", made, len(SCRIPT))
    service.mark_warnings(session, settings, clock.now())
    return made
