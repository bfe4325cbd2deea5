"""The mapping file of `zhili import people|houses|vehicles|places`: which source column holds which of our fields,
the source's own row id, its date formats, and how its words map to ours (sex, residency, tags, house use, place
kind). Validated on load (unknown keys are errors) and against the kind being imported (`check`), before anything
is read or written. See zhili/registry/examples/*.yaml.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhili.imports.mapping import ImportMappingError
from zhili.registry.fields import IDENTITY, LABELS, TAGS
from zhili.registry.models import EntityKind, HouseUse, PlaceKind, Residency
from zhili.registry.validate import DEFAULT_DATE_FORMATS

KIND_BY_COMMAND = {"people": EntityKind.person, "houses": EntityKind.house, "vehicles": EntityKind.vehicle,
                   "places": EntityKind.place}
# The field a row cannot do without (besides an id): its name, or what identifies it.
ESSENTIAL = {EntityKind.person: "name", EntityKind.house: "address", EntityKind.vehicle: "plate",
             EntityKind.place: "name"}


class RegistryMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str | None = Field(default=None, max_length=64, description="来源名（幂等键的一部分）")
    department: str | None = Field(default=None, max_length=32,
                                   description="该来源所代表的部门代码（如 GA 或 330212-GA），默认按来源名查找部门")
    id_column: str | None = Field(default=None, min_length=1, description="源系统自己的行编号列")
    columns: dict[str, str] = Field(min_length=1, description="我们的字段 -> 源文件的列名")
    date_formats: list[str] = Field(default_factory=lambda: list(DEFAULT_DATE_FORMATS), min_length=1)
    sex: dict[str, Literal["M", "F"]] = Field(default_factory=dict)
    residency: dict[str, Residency] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    house_use: dict[str, HouseUse] = Field(default_factory=dict)
    place_kind: dict[str, PlaceKind] = Field(default_factory=dict)
    unknown_address: Literal["reject", "keep"] = "reject"

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if "%" not in f]
        if bad:
            raise ValueError(f"日期格式应使用 strptime 写法（如 %Y-%m-%d）：{'、'.join(bad)}")
        return v

    @field_validator("sex", "residency", "tags", "house_use", "place_kind", "columns", mode="before")
    @classmethod
    def _keys_as_text(cls, v: object) -> object:
        """YAML reads `1: M` with an integer key: source words are compared as text."""
        return {str(k).strip(): val for k, val in v.items()} if isinstance(v, dict) else v

    def check(self, kind: EntityKind) -> None:
        """The mapping fits the kind imported: known fields, an essential column, a way to key each row."""
        problems = [f"columns.{f}：{kind.value} 没有这个字段（可用：{'、'.join(LABELS[kind])}）"
                    for f in self.columns if f not in LABELS[kind]]
        if ESSENTIAL[kind] not in self.columns:
            problems.append(f"columns：缺少必需的字段 {ESSENTIAL[kind]}（{LABELS[kind][ESSENTIAL[kind]]}）")
        if self.id_column is None and IDENTITY[kind] not in self.columns:
            problems.append(f"id_column：没有源编号列时必须映射 {IDENTITY[kind]}（{LABELS[kind][IDENTITY[kind]]}）")
        if kind == EntityKind.person:
            bad = [t for t in self.tags.values() if t not in TAGS]
            if bad:
                problems.append(f"tags：未知的人群标签代码 {'、'.join(bad)}（可用：{'、'.join(TAGS)}）")
        if problems:
            raise ImportMappingError("映射文件有误：" + "；".join(problems), problems)

    def mapped_columns(self) -> list[str]:
        return ([self.id_column] if self.id_column else []) + list(self.columns.values())

    def table(self, kind: EntityKind, field: str) -> dict[str, str]:
        """The mapping's value table for a field (source word -> our code), or {}."""
        if field == "sex":
            return dict(self.sex)
        if field == "residency":
            return {k: v.value for k, v in self.residency.items()}
        if field == "use" and kind == EntityKind.house:
            return {k: v.value for k, v in self.house_use.items()}
        if field == "kind" and kind == EntityKind.place:
            return {k: v.value for k, v in self.place_kind.items()}
        return {}
