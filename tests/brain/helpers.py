"""A small labelled history for the brain tests: four seeded leaf categories, each with its own vocabulary,
written the way 12345 operators write (place, problem, how long, the ask), and registered cases built from it."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.orm import Session

from tests.factories import A_POINT, World
from zhili.cases.models import Case, CaseStatus, Channel
from zhili.kit import clock
from zhili.taxonomy.lookup import category_by_code

LAMP, GARBAGE, STALLS, DANCE = "BJ0109", "SJ0102", "SJ0503", "ZL0504"
PROBLEMS = {
    LAMP: ["路灯不亮", "路灯坏了晚上一片漆黑", "路灯一闪一闪的", "好几盏路灯都不亮", "路灯杆歪了灯也不亮",
           "照明灯晚上不亮行人看不清路"],
    GARBAGE: ["垃圾堆放没人清运", "垃圾乱丢臭气熏天", "建筑垃圾和生活垃圾堆在路边", "垃圾成堆苍蝇很多",
              "有人乱倒垃圾", "垃圾满地味道很大"],
    STALLS: ["有流动摊贩占道经营", "小贩在人行道上摆摊卖菜", "水果摊占道摆卖堵住了路", "早餐摊占用人行道经营",
             "马路市场摊位摆到机动车道上", "夜宵摊占道经营到半夜"],
    DANCE: ["广场舞音响声音太大", "跳广场舞的音乐开得很响", "广场舞大喇叭吵得没法休息", "每天跳舞的音箱声音震耳",
            "广场舞噪音扰民", "跳舞放音乐音量太大"],
}
PLACES = ["天童南路", "四明中路口", "金色水岸小区门口", "首南菜场旁边", "日湖公园东门", "香樟苑3幢楼下", "鄞州大道公交站"]
TAILS = ["已经好几天了，希望尽快处理。", "市民来电反映，请相关部门处理。", "来电人13800138000称影响出行。", "望尽快解决。",
         "反映过好几次了。"]


def texts_for(code: str, n: int, seed: int = 1) -> list[tuple[str, str]]:
    """n (title, description) pairs for the category."""
    rng = random.Random(f"{code}-{seed}")
    out = []
    for _ in range(n):
        place, problem = rng.choice(PLACES), rng.choice(PROBLEMS[code])
        out.append((f"{place}{problem}", f"{place}{problem}，{rng.choice(TAILS)}"))
    return out


def add_history(session: Session, world: World, per_class: dict[str, int], *, status: CaseStatus =
                CaseStatus.registered, seed: int = 1, prefix: str = "H") -> int:
    """Insert cases (ORM rows, no timeline: only what training reads) for the given category codes."""
    now = clock.now()
    area = world.areas["c1"]
    grid = world.grids["a"]
    n = 0
    for code, count in per_class.items():
        cat = category_by_code(session, code)
        assert cat is not None
        for title, description in texts_for(code, count, seed):
            n += 1
            registered = status is not CaseStatus.received  # a rejected one too: training must skip it
            session.add(Case(number=f"{prefix}{seed:02d}-{code}-{n:05d}", title=title, description=description,
                             channel=Channel.hotline, category_id=cat.id, status=status, lon=A_POINT[0],
                             lat=A_POINT[1], area_id=area.id, area_path=area.path, grid_id=grid.id,
                             received_at=now - timedelta(days=n % 30 + 1),
                             registered_at=now - timedelta(days=n % 30) if registered else None, updated_at=now))
    session.flush()
    return n
