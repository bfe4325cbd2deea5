"""The registry part of the test world (added by tests/factories.py's build_world).

Departments 公安 (330212-GA) and 民政 (330212-MZ) own person fields (registry/fields.py OWNERS); persona "ga" is a
公安 department handler. Rows are written directly (cheap per test); ids are fixed by insertion order:

  people  1 张三丰  grid A, 天童南路588号1幢 (address 2), born 1980, registered, tags elderly_alone? no: low_income
          2 李四光  grid B, 天童南路590号 (address 5), floating
          3 王五常  grid C, 钱湖北路588号 (address 7), registered
          4 张小明  grid A, 天童南路588号1幢, born 2016-06-01: a minor under 14 (sensitive)
  houses  1 天童南路588号1幢 (grid A) owned by person 1;   2 钱湖北路588号 (grid C) owned by person 3
  vehicles 1 浙B12345 (grid A) owned by person 1;          2 浙B6789D... (grid C) owned by person 3
  places  1 南裕便利店 (grid A, shop);                     2 东兴建筑工地 (grid C, construction site)
Every ID number and phone below passes its check (GB 11643 checksum and date; mobile prefix).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from zhili.addresses.models import Address
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.org.models import Department, DepartmentKind
from zhili.registry.models import House, HouseUse, Person, Place, PlaceKind, Residency, Vehicle

# (name, id number, phone, sex, birth, residency, address id, tags)
PEOPLE = [
    ("张三丰", "330203198001011231", "13811112222", "M", date(1980, 1, 1), Residency.registered, 2, ["low_income"]),
    ("李四光", "330203199011203450", "13922223333", "M", date(1990, 11, 20), Residency.floating, 5, []),
    ("王五常", "330203198512306111", "13733334444", "M", date(1985, 12, 30), Residency.registered, 7, []),
    ("张小明", "330212201606014524", None, "F", date(2016, 6, 1), Residency.registered, 2, []),
]
PERSON_IDS = {"p_a": 1, "p_b": 2, "p_c": 3, "minor_a": 4}


def _located(session: Session, address_id: int) -> dict[str, object]:
    a = session.get(Address, address_id)
    assert a is not None
    from zhili.org.models import MicroGrid

    mg = session.get(MicroGrid, a.micro_grid_id) if a.micro_grid_id else None
    return dict(address_id=a.id, area_id=a.area_id, area_path=a.area_path, micro_grid_id=a.micro_grid_id,
                grid_id=mg.grid_id if mg else None)


def add_registry(session: Session, district_id: int, district_path: str) -> dict[str, Department]:
    now = clock.now()
    ga = Department(code="330212-GA", name="宁波市公安局鄞州分局", short_name="公安", kind=DepartmentKind.functional,
                    area_id=district_id, area_path=district_path)
    mz = Department(code="330212-MZ", name="区民政局", short_name="民政", kind=DepartmentKind.functional,
                    area_id=district_id, area_path=district_path)
    session.add_all([ga, mz])
    session.flush()
    kept = dict(provenance={}, confirmed={}, created_at=now, updated_at=now)
    for name, idn, phone, sex, birth, residency, address_id, tags in PEOPLE:
        session.add(Person(name=name, id_number=idn, id_number_bidx=blind_index(idn), phone=phone,
                           phone_bidx=blind_index(phone) if phone else None, sex=sex, birth_date=birth,
                           residency=residency, tags=tags, **_located(session, address_id), **kept))
        session.flush()
    session.add_all([
        House(use=HouseUse.residential, floor_area=89.5, owner_person_id=1, **_located(session, 2), **kept),
        House(use=HouseUse.rental, floor_area=120.0, owner_person_id=3, rented=True, **_located(session, 7), **kept),
    ])
    session.flush()
    session.add_all([
        Vehicle(plate="浙B12345", plate_kind="small", owner_person_id=1, brand="大众朗逸", color="白",
                **_located(session, 2), **kept),
        Vehicle(plate="浙BD12345", plate_kind="new_energy", owner_person_id=3, brand="比亚迪", color="蓝",
                **_located(session, 7), **kept),
    ])
    session.flush()
    session.add_all([
        Place(name="南裕便利店", kind=PlaceKind.shop, credit_code="91330212MA2H3ABC1K", contact_name="赵店主",
              contact_phone="13544445555", contact_phone_bidx=blind_index("13544445555"), **_located(session, 6),
              **kept),
        Place(name="东兴建筑工地", kind=PlaceKind.construction_site, contact_name="钱经理", contact_phone="13655556666",
              contact_phone_bidx=blind_index("13655556666"), **_located(session, 7), **kept),
    ])
    session.flush()
    return {"ga": ga, "mz": mz}
