"""Every org query. Reads go through the `readable_*` statements: inside the actor's area subtrees, departments
or grids; nothing otherwise (deny by default)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, literal, or_, select, update
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.kit import clock
from zhili.org.models import (
    Area,
    AreaLevel,
    Department,
    GeoState,
    Grid,
    GridMember,
    GridRole,
    MicroGrid,
    Staff,
)


def _dept_paths(actor: Actor) -> Select[tuple[str]]:
    return select(Department.area_path).where(Department.id.in_(actor.department_ids))


def area_scope(actor: Actor, path_col: Any) -> ColumnElement[bool]:
    """`path_col` lies inside an area subtree of the actor: its own area scopes, or the areas its departments
    serve."""
    clauses: list[ColumnElement[bool]] = [path_col.startswith(p) for p in actor.area_paths]
    if actor.department_ids:
        clauses.append(
            exists().where(Department.id.in_(actor.department_ids), path_col.startswith(Department.area_path))
        )
    return or_(*clauses) if clauses else false()


def readable_areas(actor: Actor) -> Select[tuple[Area]]:
    if not actor.can("org.read"):
        return select(Area).where(false())
    grid_areas: list[ColumnElement[bool]] = []
    if actor.grid_ids:
        grid_areas.append(Area.id.in_(select(Grid.area_id).where(Grid.id.in_(actor.grid_ids))))
    return select(Area).where(or_(area_scope(actor, Area.path), *grid_areas))


def readable_grids(actor: Actor) -> Select[tuple[Grid]]:
    if not actor.can("org.read"):
        return select(Grid).where(false())
    clauses = [area_scope(actor, Grid.area_path)]
    if actor.grid_ids:
        clauses.append(Grid.id.in_(actor.grid_ids))
    return select(Grid).where(or_(*clauses))


def readable_departments(actor: Actor) -> Select[tuple[Department]]:
    """Departments serving an area inside the actor's jurisdiction or above it (those a case may go to), and
    the actor's own."""
    if not actor.can("org.read"):
        return select(Department).where(false())
    clauses: list[ColumnElement[bool]] = [area_scope(actor, Department.area_path)]
    clauses += [literal(p).startswith(Department.area_path) for p in actor.area_paths]
    if actor.department_ids:
        clauses.append(Department.id.in_(actor.department_ids))
    return select(Department).where(or_(*clauses))


def area_by_code(session: Session, actor: Actor, code: str) -> Area | None:
    return session.scalar(readable_areas(actor).where(Area.code == code))


def area_by_code_unscoped(session: Session, code: str) -> Area | None:
    """For importers and the system; never for a user-facing read."""
    return session.scalar(select(Area).where(Area.code == code))


def child_areas(session: Session, actor: Actor, parent_id: int | None) -> list[Area]:
    stmt = readable_areas(actor).order_by(Area.code)
    stmt = stmt.where(Area.parent_id.is_(None) if parent_id is None else Area.parent_id == parent_id)
    return list(session.scalars(stmt))


def top_areas(session: Session, actor: Actor) -> list[Area]:
    """The highest readable areas: those whose parent the actor cannot read."""
    readable_ids = readable_areas(actor).with_only_columns(Area.id).scalar_subquery()
    parent_ids = readable_areas(actor).with_only_columns(Area.id).subquery()
    stmt = (
        select(Area)
        .where(Area.id.in_(readable_ids))
        .where(or_(Area.parent_id.is_(None), Area.parent_id.not_in(select(parent_ids.c.id))))
        .order_by(Area.code)
    )
    return list(session.scalars(stmt))


def areas_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Area]:
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Area).where(Area.id.in_(ids)))}


def ancestors(session: Session, area: Area) -> list[Area]:
    codes = [c for c in area.path.strip("/").split("/") if c and c != area.code]
    if not codes:
        return []
    found = {a.code: a for a in session.scalars(select(Area).where(Area.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


def count_children(session: Session, area_ids: Sequence[int]) -> dict[int, int]:
    if not area_ids:
        return {}
    rows = session.execute(
        select(Area.parent_id, func.count()).where(Area.parent_id.in_(area_ids)).group_by(Area.parent_id)
    ).all()
    return {pid: n for pid, n in rows if pid is not None}


def count_grids_under(session: Session, actor: Actor, area: Area) -> int:
    stmt = readable_grids(actor).where(Grid.area_path.startswith(area.path)).with_only_columns(func.count())
    return int(session.scalar(stmt) or 0)


def grids_page(
    session: Session, actor: Actor, *, area_path: str | None, kind: str | None, q: str | None, offset: int,
    limit: int,
) -> tuple[list[Grid], int]:
    stmt = readable_grids(actor)
    if area_path:
        stmt = stmt.where(Grid.area_path.startswith(area_path))
    if kind:
        stmt = stmt.where(Grid.kind == kind)
    if q:
        stmt = stmt.where(or_(Grid.name.contains(q), Grid.code.startswith(q)))
    total = int(session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0)
    rows = list(session.scalars(stmt.order_by(Grid.code).offset(offset).limit(limit)))
    return rows, total


def grids_in(session: Session, actor: Actor, area_path: str | None) -> list[Grid]:
    stmt = readable_grids(actor).order_by(Grid.code)
    if area_path:
        stmt = stmt.where(Grid.area_path.startswith(area_path))
    return list(session.scalars(stmt))


def grid_by_code(session: Session, actor: Actor, code: str) -> Grid | None:
    return session.scalar(readable_grids(actor).where(Grid.code == code))


def grid_by_id(session: Session, actor: Actor, grid_id: int) -> Grid | None:
    return session.scalar(readable_grids(actor).where(Grid.id == grid_id))


def grids_by_codes_unscoped(session: Session, codes: Sequence[str]) -> dict[str, Grid]:
    if not codes:
        return {}
    return {g.code: g for g in session.scalars(select(Grid).where(Grid.code.in_(codes)))}


def micro_grids_of(session: Session, grid_id: int) -> list[MicroGrid]:
    return list(session.scalars(select(MicroGrid).where(MicroGrid.grid_id == grid_id).order_by(MicroGrid.code)))


def team_of(session: Session, grid_id: int) -> list[tuple[GridMember, Staff]]:
    """The grid's team, leader first, then the three core roles, then the N."""
    rows = session.execute(
        select(GridMember, Staff).join(Staff, Staff.id == GridMember.staff_id).where(GridMember.grid_id == grid_id)
    ).all()
    order = {role: i for i, role in enumerate(GridRole)}
    return sorted(((m, s) for m, s in rows), key=lambda r: (order[r[0].role], r[1].id))


def staff_by_id(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def member(session: Session, grid_id: int, member_id: int) -> GridMember | None:
    return session.scalar(select(GridMember).where(GridMember.id == member_id, GridMember.grid_id == grid_id))


def departments(session: Session, actor: Actor) -> list[Department]:
    return list(session.scalars(readable_departments(actor).order_by(Department.kind, Department.code)))


def department_by_code(session: Session, actor: Actor, code: str) -> Department | None:
    return session.scalar(readable_departments(actor).where(Department.code == code))


def all_index_rows(session: Session) -> tuple[list[tuple[int, int, dict[str, Any]]], list[tuple[int, int, str, dict[str, Any]]]]:
    """(micro-grid id, grid id, geom) and (grid id, community id, community path, geom) for the spatial index."""
    micro = [(r[0], r[1], r[2]) for r in session.execute(select(MicroGrid.id, MicroGrid.grid_id, MicroGrid.geom))]
    grids = [(r[0], r[1], r[2], r[3]) for r in session.execute(select(Grid.id, Grid.area_id, Grid.area_path, Grid.geom))]
    return micro, grids


def grid_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    if not ids:
        return {}
    return {r[0]: (r[1], r[2], r[3]) for r in session.execute(select(Grid.id, Grid.code, Grid.name, Grid.kind).where(Grid.id.in_(ids)))}


def micro_grid_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {r[0]: (r[1], r[2]) for r in session.execute(select(MicroGrid.id, MicroGrid.code, MicroGrid.name).where(MicroGrid.id.in_(ids)))}


def areas_on_path(session: Session, path: str) -> list[Area]:
    codes = [c for c in path.strip("/").split("/") if c]
    return list(session.scalars(select(Area).where(Area.code.in_(codes)).order_by(Area.path)))


def areas_at_level(session: Session, actor: Actor, level: AreaLevel) -> list[Area]:
    return list(session.scalars(readable_areas(actor).where(Area.level == level).order_by(Area.code)))


def geo_version(session: Session) -> int:
    return int(session.scalar(select(GeoState.version).where(GeoState.id == 1)) or 0)


def bump_geo_version(session: Session) -> None:
    result = session.execute(
        update(GeoState).where(GeoState.id == 1).values(version=GeoState.version + 1, changed_at=clock.now())
    )
    updated = getattr(result, "rowcount", 0)
    if not updated:
        session.add(GeoState(id=1, version=1, changed_at=clock.now()))
        session.flush()


def grids_in_bbox_unscoped(session: Session, bounds: tuple[float, float, float, float]) -> list[Grid]:
    """Grids whose bounding box meets the given bounds: every candidate for an overlap check."""
    minx, miny, maxx, maxy = bounds
    return list(session.scalars(select(Grid).where(
        Grid.min_lon <= maxx, Grid.max_lon >= minx, Grid.min_lat <= maxy, Grid.max_lat >= miny)))


def grid_by_id_unscoped(session: Session, grid_id: int) -> Grid | None:
    """Only for callers that already established the actor's own link to the grid."""
    return session.get(Grid, grid_id)


def department_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(select(Department.id, Department.code, Department.name).where(Department.id.in_(ids)))
    return {r[0]: (r[1], r[2]) for r in rows}


def grid_refs(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {i: (c, n) for i, c, n in session.execute(select(Grid.id, Grid.code, Grid.name).where(Grid.id.in_(ids)))}


def area_refs_by_codes(session: Session, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    if not codes:
        return {}
    return {c: (c, n) for c, n in session.execute(select(Area.code, Area.name).where(Area.code.in_(codes)))}


def department_refs(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {i: (c, n) for i, c, n in session.execute(select(Department.id, Department.code, Department.name)
                                                      .where(Department.id.in_(ids)))}


def department_id_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(Department.id).where(Department.code == code))


def micro_grid_ref(session: Session, micro_id: int) -> tuple[str, str] | None:
    row = session.execute(select(MicroGrid.code, MicroGrid.name).where(MicroGrid.id == micro_id)).first()
    return (row[0], row[1]) if row else None
