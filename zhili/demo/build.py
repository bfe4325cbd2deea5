"""`zhili demo`: Yinzhou District with its real streets and communities, generated grids and micro-grids,
departments, staff with full 1+3+N teams, and demo users for every role. Deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth import service as auth_service
from zhili.auth.models import User
from zhili.auth.service import ScopeSpec
from zhili.demo.addresses import build_addresses
from zhili.demo.geography import Geography, build_geography, expected_grid_count
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.kit.geojson import geojson_from_shape
from zhili.org.grid_files import bbox_values
from zhili.org.models import (
    Area,
    AreaLevel,
    Department,
    DepartmentKind,
    Grid,
    GridMember,
    GridRole,
    MicroGrid,
    Staff,
)
from zhili.org.repository import bump_geo_version

CITY = ("330200000000", "宁波市", "宁波")
DEMO_PASSWORD = "Zhili@2026"  # noqa: S105 - the published demo password

FUNCTIONAL = [
    ("CG", "区综合行政执法局（城管）", "城管"), ("ZJ", "区住房和城乡建设局", "住建"),
    ("SJ", "区市场监督管理局", "市场监管"), ("HB", "宁波市生态环境局鄞州分局", "生态环境"),
    ("JT", "区交通运输局", "交通运输"), ("GA", "宁波市公安局鄞州分局", "公安"), ("WJ", "区卫生健康局", "卫健"),
    ("MZ", "区民政局", "民政"), ("JY", "区教育局", "教育"), ("YJ", "区应急管理局", "应急管理"),
    ("SF", "区司法局", "司法"), ("RS", "区人力资源和社会保障局", "人社"), ("ZR", "宁波市自然资源和规划局鄞州分局", "自然资源"),
    ("SL", "区水利局", "水利"), ("NY", "区农业农村局", "农业农村"), ("XF", "区消防救援大队", "消防"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢傅钟姜崔谭陆汪范金石廖贾夏韦方邵孟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志新海燕文斌波宁浩凯雪琳晨阳宇轩欣怡佳悦梓涵子豪雨婷思远嘉"


@dataclass
class DemoLogin:
    username: str
    role: str
    description: str
    totp_secret: str | None = None


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "137", "135", "150", "151", "158", "159", "187", "188", "189", "177", "133"]) + \
        f"{rng.randrange(10**8):08d}"


def build_demo(session: Session, *, seed: int = 2026, scale: str = "district",
               progress: Callable[[str, int, int], None] | None = None) -> list[DemoLogin]:
    """Fill an empty, migrated database. Returns the demo logins."""
    session.info[audit.AUTO] = False
    rng = random.Random(seed)
    say = progress or (lambda stage, done, total: None)
    planned = expected_grid_count(seed, scale)
    geo: Geography = build_geography(seed=seed, scale=scale, progress=lambda n: say("网格剖分", n, planned))

    # Areas -----------------------------------------------------------------------------------------------
    city = Area(code=CITY[0], name=CITY[1], short_name=CITY[2], level=AreaLevel.city, parent_id=None,
                path=f"/{CITY[0]}/", geom=None)
    session.add(city)
    session.flush()
    by_code: dict[str, Area] = {city.code: city}
    for spec in geo.areas:  # parents come before children
        parent = by_code[spec.parent_code or CITY[0]]
        short = spec.short_name or spec.name
        if spec.level == "street":
            short = short.removesuffix("街道").removesuffix("镇") or short
        area = Area(code=spec.code, name=spec.name, short_name=short,
                    level=AreaLevel(spec.level), parent_id=parent.id, path=f"{parent.path}{spec.code}/",
                    geom=geojson_from_shape(spec.geom))
        session.add(area)
        session.flush()
        by_code[spec.code] = area
    say("区划", len(geo.areas), len(geo.areas))

    # Grids and micro-grids ---------------------------------------------------------------------------------
    now = clock.now()
    grid_rows = []
    for g in geo.grids:
        community = by_code[g.community_code]
        c = g.geom.representative_point()
        grid_rows.append(dict(code=g.code, name=g.name, kind=g.kind, special_type=g.special_type,
                              area_id=community.id, area_path=community.path, geom=geojson_from_shape(g.geom),
                              center_lon=round(c.x, 6), center_lat=round(c.y, 6), **bbox_values(g.geom),
                              updated_at=now))
    for i in range(0, len(grid_rows), 2000):
        session.execute(insert(Grid), grid_rows[i:i + 2000])
        say("网格", min(i + 2000, len(grid_rows)), len(grid_rows))
    grid_ids = dict(session.execute(select(Grid.code, Grid.id)).tuples().all())
    micro_rows = [dict(code=m.code, name=m.name, grid_id=grid_ids[m.grid_code], geom=geojson_from_shape(m.geom))
                  for m in geo.micro_grids]
    for i in range(0, len(micro_rows), 5000):
        session.execute(insert(MicroGrid), micro_rows[i:i + 5000])
        say("微网格", min(i + 5000, len(micro_rows)), len(micro_rows))
    bump_geo_version(session)

    # Departments -------------------------------------------------------------------------------------------
    district = next(a for a in by_code.values() if a.level == AreaLevel.district)
    depts: dict[str, Department] = {}
    center = Department(code="330212-ZX", name="鄞州区社会治理中心", short_name="区治理中心", kind=DepartmentKind.center,
                        area_id=district.id, area_path=district.path)
    session.add(center)
    depts["ZX"] = center
    for code, name, short in FUNCTIONAL:
        d = Department(code=f"330212-{code}", name=name, short_name=short, kind=DepartmentKind.functional,
                       area_id=district.id, area_path=district.path)
        session.add(d)
        depts[code] = d
    streets = sorted((a for a in by_code.values() if a.level == AreaLevel.street), key=lambda a: a.code)
    for st in streets:
        d = Department(code=f"{st.code[:9]}-ZX", name=f"{st.name}社会治理中心", short_name=f"{st.short_name}治理中心",
                       kind=DepartmentKind.center, area_id=st.id, area_path=st.path)
        session.add(d)
        depts[st.code] = d
    session.flush()

    # Staff and 1+3+N teams -----------------------------------------------------------------------------------
    communities = sorted((a for a in by_code.values() if a.level == AreaLevel.community), key=lambda a: a.code)
    grids_by_comm: dict[int, list[tuple[str, int]]] = {}
    for g in geo.grids:
        grids_by_comm.setdefault(by_code[g.community_code].id, []).append((g.code, grid_ids[g.code]))
    staff_rows: list[dict[str, object]] = []
    members: list[tuple[int, int, GridRole]] = []  # (staff index, grid id, role)

    def new_staff(title: str, area_id: int | None, dept_id: int | None = None) -> int:
        phone = _phone(rng)
        staff_rows.append(dict(name=_name(rng), phone=phone, phone_bidx=blind_index(phone), title=title,
                               area_id=area_id, department_id=dept_id))
        return len(staff_rows) - 1

    for n, comm in enumerate(communities):
        grids = grids_by_comm.get(comm.id, [])
        secretary = new_staff("社区书记" if "社区" in comm.name else "村书记", comm.id)
        guide = new_staff("街道联系干部（网格指导员）", comm.parent_id)
        police = new_staff("社区民警", comm.id, depts["GA"].id)
        for _, gid in grids:
            members.append((secretary, gid, GridRole.leader))
            members.append((new_staff("专职网格员", comm.id), gid, GridRole.full_time))
            members.append((new_staff("兼职网格员（楼道长）", comm.id), gid, GridRole.part_time))
            members.append((guide, gid, GridRole.guide))
            members.append((police, gid, GridRole.police))
            members.append((new_staff("城管执法队员", comm.id, depts["CG"].id), gid, GridRole.specialist))
            for _ in range(rng.randint(1, 3)):
                members.append((new_staff("志愿者", comm.id), gid, GridRole.volunteer))
        if n % 50 == 0:
            say("网格队伍", n, len(communities))
    ids: list[int] = []
    for i in range(0, len(staff_rows), 5000):  # phones are encrypted by the column type on the way in
        ids += list(session.scalars(insert(Staff).returning(Staff.id, sort_by_parameter_order=True),
                                    staff_rows[i:i + 5000]))
    member_rows = [dict(grid_id=gid, staff_id=ids[si], role=role) for si, gid, role in members]
    for i in range(0, len(member_rows), 10000):
        session.execute(insert(GridMember), member_rows[i:i + 10000])
    say("网格队伍", len(communities), len(communities))
    addresses = build_addresses(session, geo, by_code, seed=seed, progress=say)

    # The responsibility list's district-wide defaults, then the demo users -------------------------------------
    from zhili.taxonomy.seed import seed_default_rules

    seed_default_rules(session)
    logins = _demo_users(session, by_code, depts, grids_by_comm, streets)
    audit.record(session, "demo.build", detail={"seed": seed, "scale": scale, "areas": len(by_code),
                                                "grids": len(grid_rows), "micro_grids": len(micro_rows),
                                                "staff": len(staff_rows), "users": len(logins),
                                                "addresses": addresses})
    session.info[audit.AUTO] = True
    return logins


def _demo_users(session: Session, by_code: dict[str, Area], depts: dict[str, Department],
                grids_by_comm: dict[int, list[tuple[str, int]]], streets: list[Area]) -> list[DemoLogin]:
    district = next(a for a in by_code.values() if a.level == AreaLevel.district)
    street = next((s for s in streets if s.name.startswith("首南")), streets[0])
    sibling = next((s for s in streets if s.name.startswith("下应") and s.id != street.id),
                   next(s for s in streets if s.id != street.id))
    comms = sorted((a for a in by_code.values() if a.parent_id == street.id and len(grids_by_comm.get(a.id, [])) >= 2),
                   key=lambda a: a.code)
    community = comms[0]
    # The grid workers' grids: the community's two grids with the most buildings, so that their registry (people,
    # houses, 核查 tasks) is not empty; ties in code order.
    from zhili.addresses.models import Address

    buildings = dict(session.execute(
        select(MicroGrid.grid_id, func.count()).join(Address, Address.micro_grid_id == MicroGrid.id)
        .where(Address.building != "", Address.unit == "", MicroGrid.grid_id.in_(
            [gid for _, gid in grids_by_comm[community.id]]))
        .group_by(MicroGrid.grid_id)).tuples().all())
    ranked = sorted(grids_by_comm[community.id], key=lambda g: (-buildings.get(g[1], 0), g[0]))
    grid_a, grid_b = ranked[0], ranked[1]

    def area(a: Area) -> ScopeSpec:
        return ScopeSpec(area_id=a.id, area_path=a.path)

    plan = [
        ("admin", "区系统管理员", ["admin"], [area(district)], "系统管理员（全区，需动态口令）"),
        ("leader", "区治理中心主任", ["center_leader"], [area(district)], "治理中心领导（全区，需动态口令）"),
        ("operator", "12345受理员", ["center_operator"], [area(district), ScopeSpec(department_id=depts["ZX"].id)],
         "治理中心受理员（全区）"),
        ("street", f"{street.short_name}干部", ["street_official"], [area(street)], f"街道干部（{street.name}）"),
        ("street2", f"{sibling.short_name}干部", ["street_official"], [area(sibling)], f"街道干部（{sibling.name}）"),
        ("community", f"{community.short_name}社工", ["community_worker"], [area(community)],
         f"社区工作者（{community.name}）"),
        ("grid_a", "网格员甲", ["grid_worker"], [ScopeSpec(grid_id=grid_a[1])], f"网格员（网格 {grid_a[0]}）"),
        ("grid_b", "网格员乙", ["grid_worker"], [ScopeSpec(grid_id=grid_b[1])], f"网格员（相邻网格 {grid_b[0]}）"),
        ("cg", "城管办理人", ["dept_handler"], [ScopeSpec(department_id=depts["CG"].id)], "部门办理人（区城管）"),
        ("zj", "住建办理人", ["dept_handler"], [ScopeSpec(department_id=depts["ZJ"].id)], "部门办理人（区住建局）"),
        ("ga", "公安办理人", ["dept_handler"], [ScopeSpec(department_id=depts["GA"].id)],
         "部门办理人（公安，数据反哺签收）"),
        ("streetdept", f"{street.short_name}治理中心办理人", ["dept_handler"],
         [ScopeSpec(department_id=depts[street.code].id)], f"部门办理人（{street.name}社会治理中心，属地案件）"),
        ("ops", f"{community.short_name}运营", ["community_operator"], [area(community)],
         f"社区运营人员（{community.name}）"),
        ("resident", "居民张三", ["resident"], [ScopeSpec(grid_id=grid_a[1])], f"居民（住在网格 {grid_a[0]}）"),
    ]
    logins = []
    for username, display, roles, scopes, desc in plan:
        user = auth_service.create_user(session, username=username, display_name=display, password=DEMO_PASSWORD,
                                        roles=roles, scopes=scopes)
        secret = None
        if any(r in ("admin", "center_leader") for r in roles):
            secret = pyotp.random_base32()
            user.totp_secret = secret
            user.totp_confirmed = True
        logins.append(DemoLogin(username, ",".join(roles), desc, secret))
    session.flush()
    return logins


def totp_now(session: Session, username: str) -> str | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.totp_secret:
        return None
    return pyotp.TOTP(user.totp_secret).at(clock.now())
