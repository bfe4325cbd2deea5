"""Registry browsing JSON API: lists with filters and exact search, one entity, one standard address, the audited
reveal of a masked field, and data quality. Thin: parse, call the service, answer. Every value is masked on the
server; an out-of-scope entity answers 404 like a missing one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from zhili.auth.deps import CurrentActor
from zhili.kit.pagination import MAX_ID
from zhili.registry import quality, service
from zhili.registry.models import KIND_LABEL, EntityKind
from zhili.registry.schemas import (
    AddressDetail,
    BrowseQuery,
    EntityDetail,
    EntityPage,
    QualityPage,
    RevealIn,
    RevealRead,
)
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/registry", tags=["registry"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str | None, Query(max_length=32)]


def browse_query(
    area: Annotated[str | None, Query(max_length=12, pattern=r"^\d{12}$", description="镇街或社区 12 位代码")] = None,
    grid: Annotated[str | None, Query(max_length=20, pattern=r"^\d{6,20}$", description="网格编码")] = None,
    residency: Text = None, tag: Text = None, status: Text = None, name: Text = None, kind: Text = None,
    use: Text = None, plate: Annotated[str | None, Query(max_length=16)] = None,
    id_number: Annotated[str | None, Query(max_length=32, description="完整身份证号（精确查找）")] = None,
    phone: Annotated[str | None, Query(max_length=32, description="完整电话号码（精确查找）")] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="翻页：上一页的 next_before")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 50,
) -> BrowseQuery:
    return BrowseQuery(area=area, grid=grid, residency=residency, tag=tag, status=status, name=name, kind=kind,
                       use=use, plate=plate, id_number=id_number, phone=phone, before=before, limit=limit)


Browse = Annotated[BrowseQuery, Depends(browse_query)]


def _list(kind: EntityKind):  # type: ignore[no-untyped-def]
    def route(q: Browse, actor: CurrentActor, session: DbSession, settings: AppSettings) -> EntityPage:
        return service.list_entities(session, actor, settings, kind, q)

    route.__doc__ = f"辖区内的{KIND_LABEL[kind]}列表（按 id 倒序，键集翻页）。身份证号、电话按盲索引精确查找；个人信息均已脱敏。"
    return route


def _detail(kind: EntityKind):  # type: ignore[no-untyped-def]
    def route(entity_id: Id, actor: CurrentActor, session: DbSession, settings: AppSettings) -> EntityDetail:
        return service.entity_detail(session, actor, settings, kind, entity_id)

    route.__doc__ = f"一条{KIND_LABEL[kind]}档案：字段及来源、核实日期，冲突、关联对象、来源记录、更正历史与关联案件。"
    return route


for _path, _kind in service.PATH_KINDS.items():
    router.add_api_route(f"/{_path}", _list(_kind), methods=["GET"], response_model=EntityPage,
                         name=f"list_{_path}")
    router.add_api_route(f"/{_path}/{{entity_id}}", _detail(_kind), methods=["GET"], response_model=EntityDetail,
                         name=f"get_{_path}")


@router.get("/addresses/{address_id}", response_model=AddressDetail)
def get_address(address_id: Id, actor: CurrentActor, session: DbSession, settings: AppSettings) -> AddressDetail:
    """一个标准地址：下级楼栋、单元、室，居住的人、房屋、场所与关联案件。"""
    return service.address_detail(session, actor, settings, address_id)


@router.post("/{kind}/{entity_id}/reveal", response_model=RevealRead)
def reveal(kind: Literal["people", "houses", "vehicles", "places"], entity_id: Id, body: RevealIn,
           actor: CurrentActor, session: DbSession, settings: AppSettings) -> RevealRead:
    """查看一个脱敏字段的完整值：须有 pii.reveal 权限并填写理由（至少 4 个字），记入审计（pii.reveal）。"""
    return service.reveal(session, actor, settings, service.kind_of(kind), entity_id, body.field, body.reason)


@router.get("/quality", response_model=QualityPage)
def get_quality(actor: CurrentActor, session: DbSession, settings: AppSettings,
                area: Annotated[str | None, Query(max_length=12, pattern=r"^\d{12}$")] = None,
                kind: Annotated[Literal["person", "house", "vehicle", "place"] | None, Query()] = None,
                days: Annotated[int, Query(ge=7, le=366)] = 30) -> QualityPage:
    """数据质量：按区域下钻（区 -> 镇街 -> 社区 -> 网格）的完整率、有效率、匹配率、冲突数、鲜活度及趋势。
    今日快照尚未生成时当场计算。"""
    return quality.page(session, actor, settings, area=area, kind=kind, days=days)
