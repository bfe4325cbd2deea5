"""Plain factory functions and the small test world: two streets, three grids, a department, every persona.

Layout (lon, lat), all boxes:
  street S1 首南 [121.50, 121.56] x [29.80, 29.84]: community C1 [121.50, 121.53] with grid A [121.500, 121.515]
  and its sibling grid B [121.515, 121.530]; community C1b [121.53, 121.56] (no grids)
  street S2 下应 [121.56, 121.62] x [29.80, 29.84]: community C2 [121.56, 121.59] with grid C = C2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyotp
from shapely.geometry import box
from sqlalchemy.orm import Session, sessionmaker

from tests.addresses.world import add_addresses
from zhili.auth import service as auth_service
from zhili.auth.models import User
from zhili.auth.passwords import hash_password
from zhili.auth.service import ScopeSpec
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock
from zhili.kit.geojson import geojson_from_shape
from zhili.org.grid_files import bbox_values
from zhili.org.models import (
    Area,
    AreaLevel,
    Department,
    DepartmentKind,
    Grid,
    GridKind,
    GridMember,
    GridRole,
    MicroGrid,
    Staff,
)
from zhili.org.repository import bump_geo_version

TEST_KEY = "5a" * 32
PASSWORD = "Test@Pass2026"
PASSWORD_HASH = hash_password(PASSWORD)

A_POINT = (121.505, 29.81)  # inside grid A, southern micro-grid
B_POINT = (121.52, 29.83)  # inside grid B
C_POINT = (121.57, 29.82)  # inside grid C (street S2)
C1B_POINT = (121.55, 29.82)  # in street S1, community C1b, no grid
OUTSIDE = (120.0, 30.5)


def make_area(session: Session, code: str, name: str, level: AreaLevel, parent: Area | None,
              geom: Any = None) -> Area:
    area = Area(code=code, name=name, short_name=name, level=level, parent_id=parent.id if parent else None,
                path=(parent.path if parent else "/") + code + "/",
                geom=geojson_from_shape(geom) if geom is not None else None)
    session.add(area)
    session.flush()
    return area


def make_grid(session: Session, code: str, name: str, community: Area, geom: Any,
              kind: GridKind = GridKind.urban, micro: int = 2) -> Grid:
    c = geom.representative_point()
    grid = Grid(code=code, name=name, kind=kind, area_id=community.id, area_path=community.path,
                geom=geojson_from_shape(geom), center_lon=c.x, center_lat=c.y, **bbox_values(geom),
                updated_at=clock.now())
    session.add(grid)
    session.flush()
    minx, miny, maxx, maxy = geom.bounds
    step = (maxy - miny) / micro
    for i in range(micro):  # north to south
        part = box(minx, maxy - (i + 1) * step, maxx, maxy - i * step)
        session.add(MicroGrid(code=f"{code}{i + 1:02d}", name=f"{name}第{i + 1}微网格", grid_id=grid.id,
                              geom=geojson_from_shape(part)))
    session.flush()
    return grid


def make_user(session: Session, username: str, roles: list[str], scopes: list[ScopeSpec],
              totp: bool = False, phone: str | None = None) -> User:
    user = auth_service.create_user(session, username=username, display_name=username, password=PASSWORD,
                                    roles=roles, scopes=scopes, phone=phone, check_password=False,
                                    password_hash=PASSWORD_HASH)
    if totp:
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed = True
    session.flush()
    return user


@dataclass
class World:
    areas: dict[str, Area]
    grids: dict[str, Grid]
    departments: dict[str, Department]
    users: dict[str, User]
    staff: dict[str, Staff]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, db: sessionmaker[Session], persona: str) -> str:
        if persona not in self.tokens:
            with transaction(db) as session:
                user = session.get(User, self.users[persona].id)
                assert user is not None
                token, _ = auth_service.issue_api_token(session, user, Settings(secret_key=TEST_KEY), "test")
            self.tokens[persona] = token
        return self.tokens[persona]

    def totp(self, persona: str, at: Any = None) -> str:
        secret = self.users[persona].totp_secret
        assert secret
        return pyotp.TOTP(secret).at(at or clock.now())


PERSONAS = ["admin", "leader", "operator", "street", "street2", "community", "grid_a", "grid_b", "dept",
            "resident", "ops", "cg", "zj", "s1dept", "ga"]


def build_world(session: Session) -> World:
    city = make_area(session, "330200000000", "宁波市", AreaLevel.city, None)
    district = make_area(session, "330212000000", "鄞州区", AreaLevel.district, city, box(121.50, 29.80, 121.62, 29.84))
    s1 = make_area(session, "330212006000", "首南街道", AreaLevel.street, district, box(121.50, 29.80, 121.56, 29.84))
    s2 = make_area(session, "330212001000", "下应街道", AreaLevel.street, district, box(121.56, 29.80, 121.62, 29.84))
    c1 = make_area(session, "330212006001", "南裕社区", AreaLevel.community, s1, box(121.50, 29.80, 121.53, 29.84))
    c1b = make_area(session, "330212006002", "学府社区", AreaLevel.community, s1, box(121.53, 29.80, 121.56, 29.84))
    c2 = make_area(session, "330212001005", "东兴社区", AreaLevel.community, s2, box(121.56, 29.80, 121.59, 29.84))
    grid_a = make_grid(session, "330212006001001", "南裕社区第1网格", c1, box(121.500, 29.80, 121.515, 29.84))
    grid_b = make_grid(session, "330212006001002", "南裕社区第2网格", c1, box(121.515, 29.80, 121.530, 29.84))
    grid_c = make_grid(session, "330212001005001", "东兴社区第1网格", c2, box(121.56, 29.80, 121.59, 29.84),
                       kind=GridKind.rural)
    bump_geo_version(session)
    add_addresses(session, {"district": district, "s1": s1, "s2": s2, "c1": c1, "c2": c2},
                  {"a": grid_a, "b": grid_b, "c": grid_c})
    center = Department(code="330212-ZX", name="鄞州区社会治理中心", short_name="区治理中心", kind=DepartmentKind.center,
                        area_id=district.id, area_path=district.path)
    cg = Department(code="330212-CG", name="区综合行政执法局", short_name="城管", kind=DepartmentKind.functional,
                    area_id=district.id, area_path=district.path)
    s2_center = Department(code="330212001-ZX", name="下应街道社会治理中心", short_name="下应治理中心",
                           kind=DepartmentKind.center, area_id=s2.id, area_path=s2.path)
    s1_center = Department(code="330212006-ZX", name="首南街道社会治理中心", short_name="首南治理中心",
                           kind=DepartmentKind.center, area_id=s1.id, area_path=s1.path)
    zj = Department(code="330212-ZJ", name="区住房和城乡建设局", short_name="住建", kind=DepartmentKind.functional,
                    area_id=district.id, area_path=district.path)
    session.add_all([center, cg, s2_center, s1_center, zj])
    session.flush()
    staff: dict[str, Staff] = {}
    for key, name, phone, role, grid in [
        ("leader_a", "王建国", "13812345678", GridRole.leader, grid_a),
        ("full_a", "李芳", "13900001111", GridRole.full_time, grid_a),
        ("part_a", "张伟", "13700002222", GridRole.part_time, grid_a),
        ("guide_a", "陈静", "13500003333", GridRole.guide, grid_a),
        ("police_a", "刘强", "15000004444", GridRole.police, grid_a),
        ("vol_a", "赵敏", "15100005555", GridRole.volunteer, grid_a),
        ("full_c", "孙丽", "15800006666", GridRole.full_time, grid_c),
    ]:
        s = Staff(name=name, phone=phone, title=role.value, area_id=grid.area_id)
        session.add(s)
        session.flush()
        session.add(GridMember(grid_id=grid.id, staff_id=s.id, role=role))
        staff[key] = s
    session.flush()

    def area(a: Area) -> ScopeSpec:
        return ScopeSpec(area_id=a.id, area_path=a.path)

    users = {
        "admin": make_user(session, "admin", ["admin"], [area(district)], totp=True),
        "leader": make_user(session, "leader", ["center_leader"], [area(district)], totp=True),
        "operator": make_user(session, "operator", ["center_operator"], [area(district)]),
        "street": make_user(session, "street", ["street_official"], [area(s1)]),
        "street2": make_user(session, "street2", ["street_official"], [area(s2)]),
        "community": make_user(session, "community", ["community_worker"], [area(c1)]),
        "grid_a": make_user(session, "grid_a", ["grid_worker"], [ScopeSpec(grid_id=grid_a.id)]),
        "grid_b": make_user(session, "grid_b", ["grid_worker"], [ScopeSpec(grid_id=grid_b.id)]),
        "dept": make_user(session, "dept", ["dept_handler"], [ScopeSpec(department_id=s2_center.id)]),
        "cg": make_user(session, "cg", ["dept_handler"], [ScopeSpec(department_id=cg.id)]),
        "zj": make_user(session, "zj", ["dept_handler"], [ScopeSpec(department_id=zj.id)]),
        "s1dept": make_user(session, "s1dept", ["dept_handler"], [ScopeSpec(department_id=s1_center.id)]),
        "resident": make_user(session, "resident", ["resident"], [ScopeSpec(grid_id=grid_a.id)], phone="13911112222"),
        "ops": make_user(session, "ops", ["community_operator"], [area(c1)]),
    }
    from tests.registry.world import add_registry

    registry_departments = add_registry(session, district.id, district.path)
    users["ga"] = make_user(session, "ga", ["dept_handler"], [ScopeSpec(department_id=registry_departments["ga"].id)])
    from zhili.taxonomy.seed import seed_default_rules

    seed_default_rules(session)
    return World(
        areas={"city": city, "district": district, "s1": s1, "s2": s2, "c1": c1, "c1b": c1b, "c2": c2},
        grids={"a": grid_a, "b": grid_b, "c": grid_c},
        departments={"center": center, "cg": cg, "s2_center": s2_center, "s1_center": s1_center, "zj": zj,
                     **registry_departments},
        users=users,
        staff=staff,
    )
