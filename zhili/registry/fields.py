"""The registry's fields as data: labels, which are personal data, which are required, which department owns them
(数据归属: the department whose system is the source of truth and receives corrections), and the special-group tags.

Pure: no database. A department is named by the function part of its code (`330212-GA` -> GA 公安, MZ 民政, ...); a
deployment whose codes differ edits OWNERS, nothing else.
"""

from __future__ import annotations

from zhili.registry.models import EntityKind

# (kind, field) -> label
LABELS: dict[EntityKind, dict[str, str]] = {
    EntityKind.person: {
        "name": "姓名", "id_number": "公民身份号码", "sex": "性别", "birth_date": "出生日期", "phone": "联系电话",
        "residency": "户籍类型", "address": "居住地址", "household": "户号", "household_relation": "与户主关系",
        "tags": "人群标签", "ethnicity": "民族", "work_place": "工作单位", "status": "状态",
    },
    EntityKind.house: {
        "address": "房屋地址", "use": "房屋用途", "floor_area": "建筑面积", "property_cert": "不动产权证号",
        "owner": "产权人", "rented": "是否出租",
    },
    EntityKind.vehicle: {
        "plate": "号牌号码", "plate_kind": "号牌种类", "owner": "所有人", "brand": "品牌型号", "color": "车身颜色",
        "address": "登记地址",
    },
    EntityKind.place: {
        "name": "场所名称", "kind": "场所类型", "credit_code": "统一社会信用代码", "address": "场所地址",
        "contact_name": "负责人", "contact_phone": "联系电话", "tags": "场所标签",
    },
}

# Personal data: encrypted at rest, masked on display unless revealed (pii.reveal + reason, audited).
PERSONAL: dict[EntityKind, frozenset[str]] = {
    EntityKind.person: frozenset({"id_number", "phone"}),
    EntityKind.house: frozenset(),
    EntityKind.vehicle: frozenset(),
    EntityKind.place: frozenset({"contact_phone"}),
}

# A record missing one of these is incomplete (a data-quality figure and a reason for a verification task).
REQUIRED: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.person: ("name", "id_number", "phone", "address"),
    EntityKind.house: ("address", "use", "owner"),
    EntityKind.vehicle: ("plate", "owner"),
    EntityKind.place: ("name", "kind", "address", "contact_phone"),
}

# The identity key: exact matching across sources and idempotent re-imports.
IDENTITY: dict[EntityKind, str] = {
    EntityKind.person: "id_number", EntityKind.house: "address", EntityKind.vehicle: "plate",
    EntityKind.place: "credit_code",
}

# (kind, field) -> owning department code. Fields not listed are owned by the grassroots (网格采集): corrections
# to them are kept but not fed back.
OWNERS: dict[EntityKind, dict[str, str]] = {
    EntityKind.person: {
        "name": "GA", "id_number": "GA", "sex": "GA", "birth_date": "GA", "residency": "GA", "address": "GA",
        "household": "GA", "household_relation": "GA", "ethnicity": "GA", "phone": "GA", "tags": "MZ",
    },
    EntityKind.house: {"address": "ZJ", "use": "ZJ", "floor_area": "ZR", "property_cert": "ZR", "owner": "ZR",
                       "rented": "ZJ"},
    EntityKind.vehicle: {"plate": "GA", "plate_kind": "GA", "owner": "GA", "brand": "GA", "color": "GA"},
    EntityKind.place: {"name": "SJ", "kind": "SJ", "credit_code": "SJ", "address": "SJ", "contact_name": "SJ",
                       "contact_phone": "SJ"},
}

# Special groups (重点人群 / 特殊人群): tag -> label. Tags are stored as these codes.
TAGS: dict[str, str] = {
    "elderly_alone": "独居老人", "elderly": "高龄老人", "disabled": "残疾人", "low_income": "低保户",
    "minor_difficulty": "困境儿童", "veteran": "退役军人", "key_person": "重点人员", "community_correction": "社区矫正",
    "drug_rehab": "社区戒毒康复", "mental_illness": "严重精神障碍患者", "empty_nest": "空巢老人",
    "left_behind_child": "留守儿童",
}

SENSITIVE_TAGS = frozenset({"key_person", "community_correction", "drug_rehab", "mental_illness"})
"""Tags that are themselves sensitive: shown only to holders of pii.reveal (others see that a tag is hidden)."""

MINOR_AGE = 14  # a person under this age is a sensitive subject: always masked, left out of bulk exports


def owned_fields(kind: EntityKind, department_codes: set[str]) -> frozenset[str]:
    """The fields of `kind` that the given departments own (what a department user may see of an entity)."""
    return frozenset(f for f, code in OWNERS[kind].items() if code in department_codes)


def owner_of(kind: EntityKind, field: str) -> str | None:
    return OWNERS[kind].get(field)
