"""Pure plans of demo households: who lives together (head, spouse, children, the head's parents, grandchildren,
flatmates), their ages, names, ID numbers, phones and special-group tags. No database; a plan becomes rows in
`zhili/demo/registry.py`.

Mix (shares of households): registered residents live as families, three generations, elderly couples or alone,
a few grandparents raising grandchildren whose parents work away (留守儿童); floating residents (流动人口, about a
quarter of the people) are mostly single workers, young couples and families, and flatmates sharing a rented room.
Tags follow age and household: 高龄 80+, 独居 80+ living alone, 空巢 60+ in an all-elderly household; disabled,
low income, veterans and the sensitive groups at realistic rates (registry/fields.py TAGS).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from zhili.demo import people as gen

# (kind, weight)
REGISTERED_KINDS = (("single", 6), ("couple", 10), ("family", 36), ("three_gen", 14), ("elderly_alone", 9),
                    ("elderly_couple", 13), ("single_parent", 4), ("grand", 3), ("adult_child", 5))
FLOATING_KINDS = (("single", 42), ("couple", 20), ("family", 26), ("shared", 12))


@dataclass
class Member:
    relation: str  # 户主 / 配偶 / 子 / 女 / 父亲 / 母亲 / 孙子 / 孙女 / 非亲属
    sex: str
    birth: date
    name: str = ""
    id_number: str = ""
    phone: str | None = None
    ethnicity: str = "汉"
    tags: list[str] = field(default_factory=list)


@dataclass
class HouseholdPlan:
    kind: str
    floating: bool
    members: list[Member]
    owns: bool  # the household owns the room it lives in (else rents it)
    moved_out_on: date | None = None  # floating households that left (kept until their retention period ends)

    @property
    def head(self) -> Member:
        return self.members[0]


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _born(rng: random.Random, today: date, age: int) -> date:
    return today - timedelta(days=int((age + rng.random()) * 365.2425))


def _pick(rng: random.Random, kinds: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]


def _children(rng: random.Random, mother_age: int, count: int, floor: int = 0) -> list[tuple[str, int]]:
    out = []
    for _ in range(count):
        age = mother_age - rng.randint(22, 38)
        if age >= floor:
            out.append(("M" if rng.random() < 0.52 else "F", age))
    return out


def _shape(rng: random.Random, kind: str, floating: bool) -> list[tuple[str, str, int]]:
    """(relation, sex, age) of each member, head first."""
    male_head = rng.random() < 0.8
    hs, ss = ("M", "F") if male_head else ("F", "M")
    if kind == "single":
        age = rng.randint(18, 50) if floating else rng.randint(22, 40)
        return [("户主", "M" if rng.random() < 0.58 else "F", age)]
    if kind == "couple":
        age = rng.randint(20, 50) if floating else rng.randint(25, 45)
        return [("户主", hs, age), ("配偶", ss, max(20, age + rng.randint(-4, 4)))]
    if kind in ("family", "three_gen", "adult_child"):
        age = (rng.randint(25, 45) if floating else rng.randint(50, 62) if kind == "adult_child"
               else rng.randint(28, 55))
        spouse = max(22, age + rng.randint(-4, 4))
        mother = age if hs == "F" else spouse
        count = 1 if kind == "adult_child" else rng.choices((1, 2, 3), weights=(60, 37, 3))[0]
        kids = _children(rng, mother, count, floor=20 if kind == "adult_child" else 0)
        kids = [(s, min(a, 29)) for s, a in kids] if kind == "adult_child" else [(s, a) for s, a in kids if a < 30]
        members = [("户主", hs, age), ("配偶", ss, spouse)] + [("子" if s == "M" else "女", s, a) for s, a in kids]
        if kind == "three_gen":
            parent_age = min(99, age + rng.randint(24, 34))
            members += [("父亲", "M", parent_age)] if rng.random() < 0.5 else []
            members += [("母亲", "F", min(99, parent_age + rng.randint(-4, 2)))]
        return members
    if kind == "elderly_alone":
        return [("户主", "F" if rng.random() < 0.65 else "M", min(99, 60 + int(rng.betavariate(2.2, 2.0) * 38)))]
    if kind == "elderly_couple":
        age = min(97, 60 + int(rng.betavariate(2.0, 2.6) * 36))
        return [("户主", "M", age), ("配偶", "F", max(58, age + rng.randint(-5, 2)))]
    if kind == "single_parent":
        age = rng.randint(30, 50)
        sex = "F" if rng.random() < 0.75 else "M"
        kid = _children(rng, age, 1) or [("F", 3)]
        return [("户主", sex, age)] + [("子" if s == "M" else "女", s, a) for s, a in kid]
    if kind == "grand":
        age = rng.randint(55, 75)
        members = [("户主", "M", age)] + ([("配偶", "F", age + rng.randint(-4, 1))] if rng.random() < 0.8 else [])
        for _ in range(rng.choice((1, 1, 2))):
            sex = "M" if rng.random() < 0.52 else "F"
            members.append(("孙子" if sex == "M" else "孙女", sex, rng.randint(2, 15)))
        return members
    if kind == "shared":
        sex = "M" if rng.random() < 0.7 else "F"
        return [("户主" if i == 0 else "非亲属", sex, rng.randint(18, 45)) for i in range(rng.randint(2, 4))]
    raise ValueError(kind)


def plan_household(rng: random.Random, today: date, floating: bool, taken_ids: set[int]) -> HouseholdPlan:
    kind = _pick(rng, FLOATING_KINDS if floating else REGISTERED_KINDS)
    shape = _shape(rng, kind, floating)
    pool = "national" if floating else "local"
    origin, home = gen.floating_origin(rng) if floating else (None, "")
    family_name = gen.surname(rng, pool)
    members: list[Member] = []
    for relation, sex, age in shape:
        birth = _born(rng, today, max(0, age))
        if relation in ("户主", "父亲"):
            sur = family_name
        elif relation in ("子", "女", "孙子", "孙女"):  # the father's surname; the mother's now and then
            parents = {m.sex: m.name[0] for m in members if m.relation in ("户主", "配偶")}
            sur = parents.get("M", family_name) if rng.random() > 0.08 else parents.get("F", family_name)
        else:  # spouse, mother, flatmates
            sur = gen.surname(rng, pool)
        county = (home if floating and relation != "非亲属" else gen.floating_origin(rng)[1] if floating
                  else gen.local_county(rng, birth))
        m = Member(relation, sex, birth, name=sur + gen.given_name(rng, sex, birth.year),
                   ethnicity=gen.ethnicity(rng, origin))
        m.id_number = gen.id_number(rng, county, birth, sex, taken_ids)
        members.append(m)
    _phones(rng, today, members)
    owns = not floating and rng.random() < 0.88  # floating households rent
    moved = today - timedelta(days=rng.randint(60, 700)) if floating and rng.random() < 0.03 else None
    plan = HouseholdPlan(kind, floating, members, owns, moved)
    _tags(rng, today, plan)
    return plan


def _phones(rng: random.Random, today: date, members: list[Member]) -> None:
    """Adults their own (an old landline for some of the very old; ~5 % none); children under 16 their guardian's."""
    guardian: str | None = None
    for m in members:
        age = age_on(m.birth, today)
        if age < 16:
            continue
        if rng.random() < 0.05:
            m.phone = None
        elif age >= 75 and rng.random() < 0.2:
            m.phone = gen.landline(rng)
        else:
            m.phone = gen.mobile(rng)
        if guardian is None and age < 60:
            guardian = m.phone
    for m in members:
        if age_on(m.birth, today) < 16:
            m.phone = guardian if rng.random() > 0.05 else None


def _tags(rng: random.Random, today: date, plan: HouseholdPlan) -> None:
    ages = [age_on(m.birth, today) for m in plan.members]
    all_old = min(ages) >= 60
    alone = len(plan.members) == 1
    low_income = not plan.floating and rng.random() < (0.03 if plan.kind == "elderly_alone" else 0.009)
    for m, age in zip(plan.members, ages, strict=True):
        tags = m.tags
        if age >= 80:
            tags.append("elderly")
        if alone and age >= 80:
            tags.append("elderly_alone")
        elif all_old:
            tags.append("empty_nest")
        if rng.random() < (0.008 if age < 40 else 0.02 if age < 65 else 0.05) * (0.5 if plan.floating else 1):
            tags.append("disabled")
        if low_income:
            tags.append("low_income")
        if m.sex == "M" and 35 <= age <= 85 and rng.random() < 0.03:
            tags.append("veteran")
        if age < 18 and (low_income or (plan.kind == "single_parent" and rng.random() < 0.05)
                         or rng.random() < 0.003):
            tags.append("minor_difficulty")
        if plan.kind == "grand" and age < 16:
            tags.append("left_behind_child")
        if age >= 18:
            r = rng.random()
            if r < 0.004:
                tags.append("mental_illness")
            elif r < 0.0048 and age < 60:
                tags.append("community_correction")
            elif r < 0.0051 and age < 55:
                tags.append("drug_rehab")
            elif r < 0.006:
                tags.append("key_person")
