"""Matching across sources: exact on the identity key, fuzzy on name + address + birth date, conflicts side by side,
which value stays current, and the review queue (decisions and scope)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.registry.importing import A1, PEOPLE_HEADER, B, C, make_id, mapping, run, write_csv
from zhili.db import transaction
from zhili.registry import matching
from zhili.registry.matching import Features
from zhili.registry.models import Conflict, EntityKind, MatchReview, Person, ReviewStatus, SourceRecord

P = EntityKind.person
ID1 = make_id(date(1950, 3, 1), 11)
MZ_HEADER = ["救助编号", "姓名", "身份证号", "出生日期", "电话", "地址", "类别"]
MZ_MAPPING = """
source: 民政
id_column: 救助编号
columns: {name: 姓名, id_number: 身份证号, birth_date: 出生日期, phone: 电话, address: 地址, tags: 类别}
tags: {独居: elderly_alone, 低保: low_income}
"""


def test_scores() -> None:
    here = Features("张三丰", 2, (1, 588, "", "1"), date(1980, 1, 1))
    assert matching.score(P, here, here).decision == "linked"
    no_birth = Features("张三丰", 2, (1, 588, "", "1"), None)
    assert matching.score(P, no_birth, here).decision == "review"
    typo = Features("张三峰", 2, (1, 588, "", "1"), date(1980, 1, 1))
    assert matching.score(P, typo, here).decision == "review"
    namesake = Features("张三丰", 2, (1, 588, "", "1"), date(2005, 1, 1))  # same name, another birth date
    assert matching.score(P, namesake, here).decision == "new"
    next_building = Features("张三丰", 3, (1, 588, "", "2"), date(1980, 1, 1))
    assert matching.score(P, next_building, here).value < matching.score(P, here, here).value
    other_id = Features("张三丰", 2, (1, 588, "", "1"), date(1980, 1, 1), identity="x")
    assert matching.score(P, other_id, Features("张三丰", 2, None, date(1980, 1, 1), identity="y")).value == 0.0
    assert matching.best(P, here, [(7, next_building), (3, here)]) == (3, matching.score(P, here, here))


def test_current_value_rule() -> None:
    today = date(2026, 11, 29)
    rule = dict(owner="GA", confirmed_on=None, as_of=today)
    assert matching.incoming_wins(current_source="民政", incoming_source="公安", incoming_dept="GA", **rule)
    assert not matching.incoming_wins(current_source="公安", incoming_source="民政", incoming_dept="MZ", **rule)
    assert matching.incoming_wins(current_source="民政", incoming_source="民政", incoming_dept="MZ", **rule)
    assert not matching.incoming_wins(current_source="网格核查", incoming_source="公安", incoming_dept="GA",
                                      owner="GA", confirmed_on=today, as_of=today)
    assert matching.incoming_wins(current_source="网格核查", incoming_source="公安", incoming_dept="GA",
                                  owner="GA", confirmed_on=date(2025, 1, 1), as_of=today)


def _ga_then_mz(db: sessionmaker[Session], tmp_path: Path, mz_rows: list[list[str]]):  # type: ignore[no-untyped-def]
    ga = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, [["GA-1", "陈一", ID1, "13800000001", A1, "户籍", "低保"]])
    run(db, "people", ga, mapping(tmp_path))
    mz = write_csv(tmp_path / "mz.csv", MZ_HEADER, mz_rows)
    return run(db, "people", mz, mapping(tmp_path, MZ_MAPPING, "mz.yaml"))


def test_conflicts_kept_side_by_side_and_the_owner_decides(db: sessionmaker[Session], world: World,
                                                           tmp_path: Path) -> None:
    summary = _ga_then_mz(db, tmp_path, [["MZ-1", "陈一", ID1, "", "13900000009", A1, "独居"]])
    assert (summary.counts["linked"], summary.counts["created"], summary.counts["conflicts"]) == (1, 0, 2)
    with transaction(db) as s:
        chen = s.scalars(select(Person).where(Person.name == "陈一")).one()
        assert chen.phone == "13800000001"  # 公安 owns the phone: its value stays
        assert chen.tags == ["elderly_alone"]  # 民政 owns the tags: its value becomes current
        assert chen.provenance["tags"][0] == "民政" and chen.provenance["phone"][0] == "公安"
        assert chen.provenance["name"][2:] == ["民政"]  # equal: the second source is noted
        conflicts = {c.field: c for c in s.scalars(select(Conflict).where(Conflict.entity_id == chen.id))}
        assert set(conflicts) == {"phone", "tags"} and all(c.open for c in conflicts.values())
        assert {(v["source"], v["value"]) for v in conflicts["phone"].values} == {
            ("公安", "13800000001"), ("民政", "13900000009")}
        assert {(v["source"], v["value"]) for v in conflicts["tags"].values} == {("公安", "低保户"), ("民政", "独居老人")}
        assert conflicts["phone"].grid_id == world.grids["a"].id
        assert s.scalar(select(func.count()).select_from(SourceRecord).where(SourceRecord.entity_id == chen.id)) == 2


def test_fuzzy_links_reviews_or_creates(db: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    summary = _ga_then_mz(db, tmp_path, [
        ["MZ-2", "王五常", "", "1985-12-30", "", C, ""],  # person 3, same address and birth date: linked
        ["MZ-3", "李四光", "", "", "13912345678", B, ""],  # person 2's name and address, no birth date: review
        ["MZ-4", "赵新", "", "2000-01-01", "", A1, ""],  # nobody like this: new
    ])
    assert (summary.counts["linked"], summary.counts["review"], summary.counts["created"]) == (1, 1, 1)
    with transaction(db) as s:
        review = s.scalars(select(MatchReview)).one()
        assert (review.candidate_id, review.status, review.grid_id) == (2, ReviewStatus.open, world.grids["b"].id)
        parked = s.get(SourceRecord, review.record_id)
        assert parked.entity_id is None and parked.source_key == "MZ-3"
        assert s.scalar(select(SourceRecord.entity_id).where(SourceRecord.source_key == "MZ-2")) == 3


def test_review_queue_scope_and_decisions(db: sessionmaker[Session], world: World, tmp_path: Path,
                                          as_persona) -> None:  # type: ignore[no-untyped-def]
    _ga_then_mz(db, tmp_path, [["MZ-3", "李四光", "", "", "13912345678", B, ""],
                               ["MZ-5", "王五常", "", "", "", C, ""]])
    with transaction(db) as s:
        reviews = {s.get(SourceRecord, r.record_id).source_key: r.id for r in s.scalars(select(MatchReview))}
    operator = as_persona("operator")
    listed = operator.get("/api/registry/reviews").json()
    assert listed["total"] == 2 and "139****5678" in str(listed) and "13912345678" not in str(listed)
    assert {i["candidate_id"] for i in as_persona("grid_b").get("/api/registry/reviews").json()["items"]} == {2}
    assert as_persona("grid_a").get("/api/registry/reviews").json()["total"] == 0
    assert as_persona("street2").get("/api/registry/reviews").json()["total"] == 1  # person 3 in 下应
    assert as_persona("grid_a").post(f"/api/registry/reviews/{reviews['MZ-3']}",
                                     json={"decision": "linked"}).status_code == 403
    r = operator.post(f"/api/registry/reviews/{reviews['MZ-3']}", json={"decision": "linked"})
    assert r.status_code == 200 and r.json()["entity_id"] == 2
    again = operator.post(f"/api/registry/reviews/{reviews['MZ-3']}", json={"decision": "separate"})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    r = operator.post(f"/api/registry/reviews/{reviews['MZ-5']}", json={"decision": "separate"})
    assert r.status_code == 200 and r.json()["entity_id"] not in (None, 3)
    with transaction(db) as s:
        li = s.get(Person, 2)
        assert li.provenance["name"][0] == "民政"  # the world's values came from no source: 民政 is the first
        phone = s.scalars(select(Conflict).where(Conflict.entity_id == 2, Conflict.field == "phone")).one()
        assert {v["source"] for v in phone.values} == {"未知来源", "民政"}  # the world's phone came from no source
        new = s.get(Person, r.json()["entity_id"])
        assert (new.name, new.address_id, new.grid_id) == ("王五常", 7, world.grids["c"].id)
        assert new.provenance["name"][0] == "民政"
        assert s.scalar(select(func.count()).select_from(MatchReview).where(
            MatchReview.status == ReviewStatus.open)) == 0
    assert operator.get("/api/registry/reviews").json()["total"] == 0
    page = operator.get("/gov/registry/reviews")
    assert page.status_code == 200 and "暂无待确认的匹配" in page.text


def test_site_confirmation_today_outweighs_the_owner(db: sessionmaker[Session], world: World,
                                                     tmp_path: Path) -> None:
    from zhili.kit import clock
    from zhili.registry import values

    ga = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, [["GA-1", "陈一", ID1, "13800000001", A1, "户籍", ""]])
    run(db, "people", ga, mapping(tmp_path))
    with transaction(db) as s:
        chen = s.scalars(select(Person).where(Person.name == "陈一")).one()
        values.apply(s, P, chen, "phone", "13700000007", source="网格核查", at=clock.now(), confirmed=True)
    write_csv(ga, PEOPLE_HEADER, [["GA-1", "陈一", ID1, "13800000002", A1, "户籍", ""]])
    summary = run(db, "people", ga, mapping(tmp_path))
    assert summary.counts["updated"] == 1 and summary.counts["conflicts"] == 1
    with transaction(db) as s:
        chen = s.scalars(select(Person).where(Person.name == "陈一")).one()
        assert chen.phone == "13700000007"
    assert datetime.now(UTC)  # the rule itself is covered by test_current_value_rule
