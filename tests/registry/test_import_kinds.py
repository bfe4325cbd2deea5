"""`zhili import houses|vehicles|places`, the example mappings, and the command line's exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.factories import TEST_KEY, World
from tests.registry.importing import (
    A1,
    PEOPLE_HEADER,
    B,
    C,
    make_id,
    mapping,
    rejects,
    run,
    write_csv,
)
from zhili.cli import app
from zhili.config import get_settings
from zhili.db import transaction
from zhili.imports.mapping import ImportMappingError, check_columns, load_mapping
from zhili.imports.reader import open_source
from zhili.registry.importer.mapping import KIND_BY_COMMAND, RegistryMapping
from zhili.registry.models import Conflict, EntityKind, House, HouseUse, Place, PlaceKind, Vehicle

EXAMPLES = Path(__file__).resolve().parents[2] / "zhili" / "registry" / "examples"
OWNER = "330203199011203450"  # person 2 of the world


def test_houses_keyed_by_standard_address_with_owner(db: sessionmaker[Session], world: World,
                                                     tmp_path: Path) -> None:
    path = write_csv(tmp_path / "zj.csv", ["编码", "坐落", "用途", "面积", "产权人"], [
        ["ZJ-1", "天童南路588号1幢", "出租", "100.5", OWNER],  # the world's house 1: joins it
        ["ZJ-2", B, "住宅", "80", OWNER],  # new
        ["ZJ-3", C, "住宅", "abc", ""],  # bad area
        ["ZJ-4", "首南中路100号", "住宅", "60", make_id(date(1960, 1, 1), 1)],  # owner not in the registry
    ])
    text = """source: 住建
id_column: 编码
columns: {address: 坐落, use: 用途, floor_area: 面积, owner: 产权人}
house_use: {住宅: residential, 出租: rental}
"""
    summary = run(db, "houses", path, mapping(tmp_path, text))
    assert (summary.counts["linked"], summary.counts["created"], summary.counts["rejected"]) == (1, 1, 2)
    got = {int(r["行号"]): r["字段"] for r in rejects(tmp_path / "zj.rejects.csv")}
    assert got == {4: "floor_area", 5: "owner"}
    with transaction(db) as s:
        new = s.scalars(select(House).where(House.address_id == 5)).one()
        assert (new.use, new.owner_person_id, new.grid_id) == (HouseUse.residential, 2, world.grids["b"].id)
        h1 = s.get(House, 1)
        assert h1.use == HouseUse.rental  # the world's default, given by no source: filled
        assert h1.floor_area == 89.5  # differs: kept (自然资源 owns the area, not 住建), the conflict side by side
        conflicts = {c.field: c for c in s.scalars(select(Conflict).where(Conflict.kind == EntityKind.house,
                                                                           Conflict.entity_id == 1))}
        assert set(conflicts) == {"floor_area", "owner"} and h1.owner_person_id == 1
        assert {v["value"] for v in conflicts["floor_area"].values} == {"89.5", "100.5"}


def test_vehicles_and_places(db: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    cars = write_csv(tmp_path / "cars.csv", ["号牌", "品牌", "所有人", "住址"], [
        ["浙b·12345", "大众朗逸", OWNER, A1],  # the world's vehicle 1 (plate normalised)
        ["浙BD54321", "比亚迪", OWNER, B],  # new, new energy
        ["浙B1234学", "捷达", "", C],  # new, a coach
        ["浙BI2345", "丰田", "", C],  # refused
    ])
    summary = run(db, "vehicles", cars, mapping(tmp_path, "source: 公安\ncolumns: {plate: 号牌, brand: 品牌, "
                                                         "owner: 所有人, address: 住址}\n", "cars.yaml"))
    assert (summary.counts["linked"], summary.counts["created"], summary.counts["rejected"]) == (1, 2, 1)
    with transaction(db) as s:
        kinds = {v.plate: v.plate_kind for v in s.scalars(select(Vehicle))}
        assert kinds["浙BD54321"] == "new_energy" and kinds["浙B1234学"] == "coach"
    shops = write_csv(tmp_path / "shops.csv", ["代码", "名称", "类型", "地址", "电话"], [
        ["91330212MA2H3ABC1K", "南裕便利店", "零售", "首南中路100号", "13544445555"],  # place 1 by credit code
        ["", "东兴建筑工地项目部", "企业", C, "0574-88886666"],  # like place 2 at the same address: review
        ["", "新开面馆", "餐饮", B, ""],  # new
        ["91330212MA2H3ABC1J", "错码公司", "企业", B, ""],  # refused: check character
    ])
    text = """source: 市场监管
columns: {credit_code: 代码, name: 名称, kind: 类型, address: 地址, contact_phone: 电话}
place_kind: {零售: shop, 企业: enterprise, 餐饮: restaurant}
"""
    summary = run(db, "places", shops, mapping(tmp_path, text, "shops.yaml"))
    assert summary.counts["linked"] == 1 and summary.counts["rejected"] == 1
    assert summary.counts["review"] + summary.counts["created"] == 2
    again = run(db, "places", shops, mapping(tmp_path, text, "shops.yaml"))
    assert again.counts["unchanged"] == 3 and again.counts["created"] == 0
    with transaction(db) as s:
        noodles = s.scalars(select(Place).where(Place.name == "新开面馆")).one()
        assert noodles.kind == PlaceKind.restaurant and noodles.grid_id == world.grids["b"].id


@pytest.mark.parametrize(("what", "yaml_name", "data"), [
    ("people", "gongan_people.yaml", "gongan_people.csv"), ("people", "minzheng_people.yaml", "minzheng_people.xlsx"),
    ("houses", "zhujian_houses.yaml", "zhujian_houses.csv"), ("vehicles", "gongan_vehicles.yaml",
                                                               "gongan_vehicles.csv"),
    ("places", "shijian_places.yaml", "shijian_places.csv")])
def test_examples_are_valid(what: str, yaml_name: str, data: str) -> None:
    m = load_mapping(EXAMPLES / yaml_name, RegistryMapping)
    m.check(KIND_BY_COMMAND[what])
    src = open_source(EXAMPLES / data)
    check_columns(m.mapped_columns(), src.header)
    assert sum(1 for _ in src.rows()) >= 4


def test_mapping_errors_name_the_key(tmp_path: Path) -> None:
    bad = mapping(tmp_path, "source: 公安\ncolumns: {name: 姓名, plate: 号牌}\nfoo: 1\n")
    with pytest.raises(ImportMappingError) as exc:
        load_mapping(bad, RegistryMapping)
    assert "foo" in exc.value.message and "未知的配置项" in exc.value.message
    m = load_mapping(mapping(tmp_path, "source: 公安\ncolumns: {name: 姓名, plate: 号牌}\n"), RegistryMapping)
    with pytest.raises(ImportMappingError) as exc:
        m.check(KIND_BY_COMMAND["people"])
    assert "columns.plate" in exc.value.message and "id_column" in exc.value.message


@pytest.fixture
def env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ZHILI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHILI_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_exit_codes(db: sessionmaker[Session], world: World, env: None, tmp_path: Path) -> None:
    rows = [["GA-1", "陈一", make_id(date(1950, 3, 1), 11), "13800000001", A1, "户籍", ""],
            ["GA-2", "林二", make_id(date(1950, 3, 1), 12)[:-1] + "X", "", A1, "户籍", ""]]
    path = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, rows, "gbk")
    runner = CliRunner()
    args = ["import", "people", str(path), "--source", "公安", "--mapping",
            str(mapping(tmp_path, "id_column: 人员编号\ncolumns: {name: 姓名, id_number: 公民身份号码}\n"))]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    flat = out.output.replace("\n", "")
    assert "读取 2 行，新建 1" in flat and "拒绝 1 行" in flat and "第 3 行" in flat
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "未变 1" in again.output.replace("\n", "")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not an xlsx")
    out = runner.invoke(app, ["import", "people", str(broken), *args[3:]])
    assert out.exit_code == 2 and "无法读取 xlsx" in out.output.replace("\n", "")
    bad = mapping(tmp_path, "columns: {name: 姓名, id_number: 身份证}\n", "bad.yaml")
    out = runner.invoke(app, ["import", "people", str(path), "--source", "公安", "--mapping", str(bad)])
    assert out.exit_code == 2 and "身份证" in out.output.replace("\n", "")
