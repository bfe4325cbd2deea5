"""One batch of the demo registry: households placed in rooms become rows of every registry table, written together
(zhili/demo/registry.py drives it; the module docstring there says what the registry holds and why).

Per household: the unit and room addresses (a unit once per building), the household, its people with their 公安
record (and a 民政 record for people 60+ or with a tag), lives / owns / rents relations, the house with its 住建 record
(owned by the head, or by a registered owner of the same batch when rented), vehicles with their 公安 record, and a
公安 rental-house place when three or more flatmates share a room. About 3 % of the batch's people get a 民政 phone
that differs from 公安's, with an open conflict.
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from zhili.addresses.models import Address
from zhili.demo import people as gen
from zhili.demo.households import HouseholdPlan, Member, age_on
from zhili.demo.rooms import Building, Room
from zhili.demo.sources import Records, Runs, conflict_row, iso, verification
from zhili.imports.bulk import insert_many, reserve_ids
from zhili.kit.crypto import blind_index
from zhili.registry.models import (
    Conflict,
    House,
    Household,
    HouseUse,
    Person,
    PersonRoom,
    PersonStatus,
    Place,
    PlaceKind,
    Residency,
    RoomRelation,
    SourceRecord,
    Vehicle,
)

PERSON_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "residency", "address", "household",
                 "household_relation", "ethnicity")
HOUSE_FIELDS = ("address", "use", "floor_area", "property_cert", "owner", "rented")
VEHICLE_FIELDS = ("plate", "plate_kind", "owner", "brand", "color", "address")
PLACE_FIELDS = ("name", "kind", "address", "contact_name", "contact_phone", "tags")
CONFLICT_SHARE = 0.03
BRANDS = {"small": ("大众朗逸", "大众帕萨特", "丰田卡罗拉", "丰田凯美瑞", "本田雅阁", "本田思域", "日产轩逸", "别克英朗",
                    "吉利帝豪", "吉利博越", "长安CS75", "哈弗H6", "宝马3系", "奔驰C级", "奥迪A4L", "五菱宏光"),
          "new_energy": ("比亚迪秦PLUS", "比亚迪宋PLUS", "比亚迪海豚", "特斯拉Model 3", "特斯拉Model Y", "理想L7",
                         "小鹏P7", "蔚来ES6", "五菱宏光MINIEV", "零跑C11", "问界M7", "极氪001")}
COLORS = ("白", "白", "黑", "黑", "银", "灰", "红", "蓝")


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


class Batch:
    def __init__(self, session: Session, rng: random.Random, now: datetime, runs: Runs, *, taken_plates: set[str],
                 taken_codes: set[str]) -> None:
        self.session, self.rng, self.now, self.runs = session, rng, now, runs
        self.today = now.date()
        self.items: list[tuple[Room, HouseholdPlan]] = []
        self.people = 0  # waiting in this batch
        self.units: dict[tuple[int, str], int] = {}  # (building, unit) -> its address id
        self.records = Records(runs)
        self.counts: Counter[str] = Counter()
        self.adults = array("q")  # registered adults, for the match reviews at the end
        self.taken_plates, self.taken_codes = taken_plates, taken_codes
        self.household_seq = 0
        self.cert_seq = 0

    def add(self, room: Room, plan: HouseholdPlan) -> None:
        self.items.append((room, plan))
        self.people += len(plan.members)

    # -- writing ----------------------------------------------------------------------------------------------
    def flush(self) -> None:
        if not self.items:
            return
        s = self.session
        self._addresses()
        n = len(self.items)
        household_ids = reserve_ids(s, _table(Household), n)
        person_ids = iter(reserve_ids(s, _table(Person), self.people))
        house_ids = reserve_ids(s, _table(House), n)
        self.rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("households", "people", "person_rooms",
                                                                      "houses", "vehicles", "places", "conflicts")}
        self.mz_phones: list[tuple[dict[str, Any], int, dict[str, Any], str]] = []
        landlords: list[tuple[int, Member]] = []
        rented: list[tuple[dict[str, Any], dict[str, Any], Room]] = []
        vehicles: list[tuple[Member, int, Room]] = []
        shared: list[tuple[Room, dict[str, Any]]] = []
        for (room, plan), hid, house_id in zip(self.items, household_ids, house_ids, strict=True):
            pids = [next(person_ids) for _ in plan.members]
            self._household(room, plan, hid, pids)
            house, record = self._house(room, plan, house_id, pids[0])
            if plan.owns:
                if not plan.floating and 35 <= age_on(plan.head.birth, self.today) <= 80:
                    landlords.append((pids[0], plan.head))
            else:
                rented.append((house, record, room))
                if plan.kind == "shared" and len(plan.members) >= 3 and plan.moved_out_on is None:
                    shared.append((room, house))
            if plan.moved_out_on is None:
                vehicles += [(m, pid, room) for m, pid in self._drivers(plan, pids)]
        for house, record, room in rented:
            owner = self.rng.choice(landlords) if landlords else None
            if owner is not None:
                house["owner_person_id"] = owner[0]
                record["values"].update(owner=owner[1].name, owner_id_number=owner[1].id_number)
                self._relation(owner[0], room, RoomRelation.owns, self.today - timedelta(days=self.rng.randint(400, 7000)),
                               None, "住建")
            house["provenance"] = self.runs.stamp("house", "住建", [f for f in HOUSE_FIELDS
                                                                   if f != "owner" or owner is not None])
        self._conflicts()
        self._vehicles(vehicles)
        self._shared(shared)
        for table, key in ((Household, "households"), (Person, "people"), (PersonRoom, "person_rooms"),
                           (House, "houses"), (Vehicle, "vehicles"), (Place, "places")):
            insert_many(s, _table(table), self.rows[key])
            self.counts[key] += len(self.rows[key])
        records = self.records.finish()
        insert_many(s, _table(SourceRecord), records)
        insert_many(s, _table(Conflict), self.rows["conflicts"])
        self.counts["records"] += len(records)
        self.counts["conflicts"] += len(self.rows["conflicts"])
        self.items, self.people, self.rows = [], 0, {}

    def _addresses(self) -> None:
        new: list[Room] = []
        seen: set[tuple[int, str]] = set()
        for room, _ in self.items:
            key = (room.building.id, room.unit)
            if key not in self.units and key not in seen:
                seen.add(key)
                new.append(room)
        ids = iter(reserve_ids(self.session, _table(Address), len(new) + len(self.items)))
        rows = []
        for room in new:
            aid = next(ids)
            self.units[(room.building.id, room.unit)] = aid
            rows.append(self._address(room.building, room.unit, "", aid, room.building.id))
        for room, _ in self.items:
            room.address_id = next(ids)
            rows.append(self._address(room.building, room.unit, room.room, room.address_id,
                                      self.units[(room.building.id, room.unit)]))
        insert_many(self.session, _table(Address), rows)
        self.counts["units"] += len(new)
        self.counts["rooms"] += len(self.items)

    def _address(self, b: Building, unit: str, room: str, aid: int, parent: int) -> dict[str, Any]:
        text = f"{b.full_text}{unit}单元" + (f"{room}室" if room else "")
        return dict(id=aid, parent_id=parent, road_id=b.road_id, number=b.number, number_suffix=b.number_suffix,
                    building=b.building, unit=unit, room=room, area_id=b.area_id, area_path=b.area_path,
                    micro_grid_id=b.micro_grid_id, lon=b.lon, lat=b.lat, full_text=text, source="demo",
                    active=True, updated_at=self.now)

    def _located(self, room: Room) -> dict[str, Any]:
        return dict(address_id=room.address_id, **room.building.located, address_text="")

    def _relation(self, pid: int, room: Room, relation: RoomRelation, since: date, until: date | None,
                  source: str) -> None:
        self.rows["person_rooms"].append(dict(person_id=pid, address_id=room.address_id, relation=relation,
                                              since=since, until=until, source=source))

    def _household(self, room: Room, plan: HouseholdPlan, hid: int, pids: list[int]) -> None:
        rng, today, ga_at = self.rng, self.today, self.runs.at[("person", "公安")]
        self.household_seq += 1
        number = f"{'LD' if plan.floating else ''}330212{self.household_seq:07d}"
        loc = self._located(room)
        self.rows["households"].append(dict(id=hid, number=number, address_id=room.address_id, head_person_id=pids[0],
                                            area_path=loc["area_path"], grid_id=loc["grid_id"], created_at=ga_at))
        moved_in = today - timedelta(days=rng.randint(20, 6 * 365) if plan.floating else rng.randint(30, 25 * 365))
        until = plan.moved_out_on
        if until is not None and moved_in >= until:
            moved_in = until - timedelta(days=rng.randint(30, 900))
        residency = Residency.floating if plan.floating else Residency.registered
        for m, pid in zip(plan.members, pids, strict=True):
            age = age_on(m.birth, today)
            ga = {"name": m.name, "id_number": m.id_number, "sex": m.sex, "birth_date": m.birth.isoformat(),
                  "phone": m.phone, "residency": residency.value, "address": room.full_text, "household": number,
                  "household_relation": m.relation, "ethnicity": m.ethnicity}
            if until is not None:
                ga.update(status=PersonStatus.moved_out.value, moved_out_on=iso(until))
            self.records.add("person", "公安", pid, ga)
            provenance = self.runs.stamp("person", "公安", [f for f in PERSON_FIELDS if f != "phone" or m.phone])
            if (age >= 60 and not plan.floating) or m.tags:
                mz = {"name": m.name, "id_number": m.id_number, "birth_date": m.birth.isoformat(), "phone": m.phone,
                      "address": room.full_text, "tags": list(m.tags)}
                row = self.records.add("person", "民政", pid, mz)
                if m.tags:
                    provenance.update(self.runs.stamp("person", "民政", ["tags"]))
                if m.phone and m.phone[0] == "1" and until is None and age >= 16:
                    self.mz_phones.append((row, pid, loc, m.phone))
            present = {f for f in ("name", "id_number", "phone", "address") if f != "phone" or m.phone}
            verified_at, confirmed = (None, {}) if until else verification(rng, self.now, 0.7, ("name", "id_number",
                                                                                             "phone", "address"),
                                                                         present)
            self.rows["people"].append(dict(
                id=pid, name=m.name, id_number=m.id_number, id_number_bidx=blind_index(m.id_number), sex=m.sex,
                birth_date=m.birth, phone=m.phone, phone_bidx=blind_index(m.phone) if m.phone else None,
                residency=residency, status=PersonStatus.moved_out if until else PersonStatus.active,
                household_id=hid, household_relation=m.relation, tags=list(m.tags), ethnicity=m.ethnicity,
                work_place="", moved_out_on=until, anonymised_at=None, **loc, provenance=provenance,
                confirmed=confirmed, verified_at=verified_at, created_at=ga_at, updated_at=self.now))
            self._relation(pid, room, RoomRelation.lives, max(m.birth, moved_in), until, "公安")
            self.counts["floating"] += plan.floating
            self.counts["no_phone"] += m.phone is None
            self.counts["tagged"] += bool(m.tags)
            if not plan.floating and until is None and 18 <= age <= 90:
                self.adults.append(pid)
        for m, pid in zip(plan.members[:2], pids[:2], strict=False):
            if m.relation in ("户主", "配偶") and age_on(m.birth, today) >= 18:
                relation = RoomRelation.owns if plan.owns else RoomRelation.rents
                if relation == RoomRelation.rents or m.relation == "户主":
                    self._relation(pid, room, relation, moved_in, until if relation == RoomRelation.rents else None,
                                   "住建")
        self.counts["moved_out"] += len(plan.members) if until else 0

    def _house(self, room: Room, plan: HouseholdPlan, house_id: int, head_id: int
               ) -> tuple[dict[str, Any], dict[str, Any]]:
        rng, b = self.rng, room.building
        rented = not plan.owns and plan.moved_out_on is None
        use = HouseUse.rental if rented else HouseUse.residential
        area = round(rng.uniform(90, 220) if b.per_floor == 2 and b.floors <= 6 else
                     rng.uniform(45, 150) * (3 / b.per_floor) ** 0.5, 1)
        cert = None
        if rng.random() < 0.9:
            self.cert_seq += 1
            cert = f"浙({rng.randint(2016, 2025)})宁波市鄞州区不动产权第{self.cert_seq:07d}号"
        owner = head_id if plan.owns else None
        values = {"address": room.full_text, "use": use.value, "floor_area": area, "property_cert": cert,
                  "owner": plan.head.name if plan.owns else None,
                  "owner_id_number": plan.head.id_number if plan.owns else None, "rented": rented}
        record = self.records.add("house", "住建", house_id, values)
        present = {f for f, v in values.items() if v is not None} | {"owner"}  # a landlord is found for a rented one
        verified_at, confirmed = verification(rng, self.now, 0.6, ("address", "use", "owner", "rented"), present)
        row = dict(id=house_id, use=use, floor_area=area, property_cert=cert, owner_person_id=owner, rented=rented,
                   **self._located(room), provenance=self.runs.stamp("house", "住建", HOUSE_FIELDS),
                   confirmed=confirmed, verified_at=verified_at, created_at=self.runs.at[("house", "住建")],
                   updated_at=self.now)
        self.rows["houses"].append(row)
        return row, record

    def _drivers(self, plan: HouseholdPlan, pids: list[int]) -> list[tuple[Member, int]]:
        r = self.rng.random()
        n = 0 if r < 0.75 else 1 if r < 0.95 else 2
        eligible = [(m, pid) for m, pid in zip(plan.members, pids, strict=True)
                    if 20 <= age_on(m.birth, self.today) <= 75]
        return eligible[:n]

    def _vehicles(self, owners: list[tuple[Member, int, Room]]) -> None:
        rng = self.rng
        for (m, pid, room), vid in zip(owners, reserve_ids(self.session, _table(Vehicle), len(owners)), strict=True):
            kind = "new_energy" if rng.random() < 0.2 else "small"
            plate = gen.plate(rng, kind == "new_energy", self.taken_plates)
            brand, color = rng.choice(BRANDS[kind]), rng.choice(COLORS)
            self.records.add("vehicle", "公安", vid, {"plate": plate, "plate_kind": kind, "owner": m.name,
                                                     "owner_id_number": m.id_number, "brand": brand, "color": color,
                                                     "address": room.full_text})
            verified_at, confirmed = verification(rng, self.now, 0.4, ("plate", "owner"), {"plate", "owner"})
            self.rows["vehicles"].append(dict(
                id=vid, plate=plate, plate_kind=kind, owner_person_id=pid, brand=brand, color=color,
                **self._located(room), provenance=self.runs.stamp("vehicle", "公安", VEHICLE_FIELDS),
                confirmed=confirmed, verified_at=verified_at, created_at=self.runs.at[("vehicle", "公安")],
                updated_at=self.now))

    def _shared(self, shared: list[tuple[Room, dict[str, Any]]]) -> None:
        """群租: a rented room shared by three or more flatmates is also a place (出租房屋) the police register."""
        rng, at = self.rng, self.runs.at[("place", "公安")]
        by_id = {r["id"]: r for r in self.rows["people"]}
        for (room, house), pk in zip(shared, reserve_ids(self.session, _table(Place), len(shared)), strict=True):
            landlord = by_id.get(house["owner_person_id"])
            name = f"{room.full_text}出租房"
            contact, phone = (landlord["name"], landlord["phone"]) if landlord else ("", None)
            values = {"name": name, "kind": PlaceKind.rental_house.value, "address": room.full_text,
                      "contact_name": contact, "contact_phone": phone, "tags": ["出租房屋", "群租"]}
            self.records.add("place", "公安", pk, values)
            present = {f for f, v in values.items() if v}
            verified_at, confirmed = verification(rng, self.now, 0.7, PLACE_FIELDS, present)
            self.rows["places"].append(dict(
                id=pk, name=name, kind=PlaceKind.rental_house, credit_code=None, contact_name=contact,
                contact_phone=phone, contact_phone_bidx=blind_index(phone) if phone else None, tags=["出租房屋", "群租"],
                **self._located(room), provenance=self.runs.stamp("place", "公安", sorted(present)),
                confirmed=confirmed, verified_at=verified_at, created_at=at, updated_at=self.now))

    def _conflicts(self) -> None:
        """About 3 % of the batch's people: 民政 holds another phone than 公安 (both kept, an open conflict)."""
        want = min(len(self.mz_phones), round(CONFLICT_SHARE * self.people))
        ga_at, mz_at = self.runs.at[("person", "公安")], self.runs.at[("person", "民政")]
        for row, pid, loc, phone in self.rng.sample(self.mz_phones, want):
            other = gen.mobile(self.rng)
            row["values"]["phone"] = other
            self.rows["conflicts"].append(conflict_row("person", pid, "phone", [("公安", phone, ga_at),
                                                                                ("民政", other, mz_at)], loc,
                                                       self.now))
