"""Data quality (registry/quality.py): the figures on a known world, the drill-down, the trend, the scopes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric

from tests.factories import TEST_KEY, World
from tests.matrix_common import C1, GRID_A, GRID_B, S1, S2
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.registry import quality
from zhili.registry.models import Conflict, EntityKind, Person, QualitySnapshot, SourceRecord
from zhili.registry.quality import invalid, missing

SETTINGS = Settings(secret_key=TEST_KEY, geo_refresh_seconds=0)


def valid_id(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def known_world(db: sessionmaker[Session]) -> None:
    """People 1, 2, 4 valid; 3 with a wrong check digit; 4 without a phone (incomplete). Person 1 from two
    sources with an open conflict and verified last month; person 2 verified 8 months ago (stale)."""
    now = clock.now()
    ids = {1: valid_id("33020319800101123"), 2: valid_id("33020319901120345"), 4: valid_id("33021220160601452")}
    with transaction(db) as s:
        for pid, number in ids.items():
            p = s.get(Person, pid)
            assert p is not None
            p.id_number, p.id_number_bidx = number, blind_index(number)
        p3 = s.get(Person, 3)
        assert p3 is not None
        good = valid_id("33020319851230611")
        p3.id_number = good[:-1] + ("0" if good[-1] != "0" else "1")
        s.get(Person, 1).verified_at = now - timedelta(days=30)  # type: ignore[union-attr]
        s.get(Person, 2).verified_at = now - timedelta(days=240)  # type: ignore[union-attr]
        for n, (source, pid) in enumerate((("公安", 1), ("民政", 1), ("公安", 2), ("公安", 2))):
            s.add(SourceRecord(kind=EntityKind.person, source=source, source_key=f"row-{n}", entity_id=pid,
                               values={}, row_hash="x", imported_at=now))
        s.add(Conflict(kind=EntityKind.person, entity_id=1, field="phone", values=[], open=True, created_at=now))
        s.add(Conflict(kind=EntityKind.person, entity_id=2, field="phone", values=[], open=False, created_at=now))


def figures(row: dict) -> tuple[int, ...]:  # type: ignore[type-arg]
    return tuple(row[k] for k in ("total", "complete", "valid", "matched", "multi_source", "conflicts", "fresh"))


def test_rules_are_pure() -> None:
    class Row:
        name, id_number, phone, address_id, address_text = "张三", "330203198001011234", None, None, ""

    assert missing(EntityKind.person, Row()) == ["phone", "address"]
    assert invalid(EntityKind.person, Row()) == ["id_number"]  # wrong check digit


def test_snapshot_figures_on_a_known_world(db, world: World) -> None:
    known_world(db)
    with transaction(db) as s:
        assert quality.compute(s, SETTINGS) == {"person": 4, "house": 2, "vehicle": 2, "place": 2}
    with transaction(db) as s:
        rows = {(r.kind.value, r.grid_id): r for r in s.scalars(select(QualitySnapshot))}
    a = rows[("person", world.grids["a"].id)]
    assert (a.total, a.complete, a.valid, a.matched, a.multi_source, a.conflicts, a.fresh) == (2, 1, 2, 2, 1, 1, 1)
    assert a.detail == {"missing": {"phone": 1}, "invalid": {}}
    b = rows[("person", world.grids["b"].id)]
    assert (b.total, b.multi_source, b.conflicts, b.fresh) == (1, 0, 0, 0)  # one source twice; stale; closed
    c = rows[("person", world.grids["c"].id)]
    assert (c.valid, c.detail["invalid"]) == (0, {"id_number": 1})
    with transaction(db) as s:  # a rerun the same day replaces the day's rows
        quality.compute(s, SETTINGS)
        assert len(s.scalars(select(QualitySnapshot)).all()) == len(rows)


def test_page_drills_down_from_district_to_grid(db, world: World, as_persona) -> None:
    known_world(db)
    op = as_persona("operator")
    top = op.get("/api/registry/quality").json()
    assert top["computed_now"] and top["kind"] == "person"
    assert [(r["code"], r["name"], r["total"]) for r in top["rows"]] == [(S2, "下应街道", 1), (S1, "首南街道", 3)]
    assert figures(top["overall"]) == (4, 3, 3, 4, 1, 1, 1)
    assert top["overall"]["complete_rate"] == 0.75 and top["overall"]["fresh_rate"] == 0.25
    assert op.get("/api/registry/quality").json()["computed_now"] is False
    street = op.get(f"/api/registry/quality?area={S1}").json()
    assert [(r["code"], r["level"], r["drill"]) for r in street["rows"]] == [(C1, "community", True)]
    assert [t["code"] for t in street["trail"]][-1] == S1
    community = op.get(f"/api/registry/quality?area={C1}").json()
    assert sorted((r["code"], r["total"], r["level"]) for r in community["rows"]) == [
        (GRID_A, 2, "grid"), (GRID_B, 1, "grid")]
    assert figures(community["overall"]) == (3, 2, 3, 3, 1, 1, 1)


def test_trend_over_past_days(db, world: World, as_persona) -> None:
    known_world(db)
    with transaction(db) as s:
        today = clock.now().astimezone(ZoneInfo(SETTINGS.timezone)).date()
        quality.compute(s, SETTINGS, today - timedelta(days=10))
        for r in s.scalars(select(QualitySnapshot).where(QualitySnapshot.day == today - timedelta(days=10))):
            r.fresh = 0
        quality.compute(s, SETTINGS, today - timedelta(days=60))
    thirty = as_persona("operator").get("/api/registry/quality?days=30").json()["trend"]
    assert [p["day"] for p in thirty] == [str(today - timedelta(days=10)), str(today)]
    assert [p["fresh_rate"] for p in thirty] == [0.0, 0.25] and thirty[1]["conflicts"] == 1
    ninety = as_persona("operator").get("/api/registry/quality?days=90").json()["trend"]
    assert len(ninety) == 3 and ninety[0]["day"] == str(today - timedelta(days=60))


def test_quality_is_scoped(db, world: World, as_persona) -> None:
    known_world(db)
    s2 = as_persona("street2").get("/api/registry/quality").json()
    assert figures(s2["overall"])[0] == 1 and [r["name"] for r in s2["rows"]] == ["东兴社区"]
    assert as_persona("street2").get(f"/api/registry/quality?area={S1}").status_code == 404
    grid_a = as_persona("grid_a").get("/api/registry/quality").json()
    assert [(r["code"], r["total"]) for r in grid_a["rows"]] == [(GRID_A, 2)]
    zj = as_persona("zj").get("/api/registry/quality").json()
    assert zj["kind"] == "house" and zj["overall"]["total"] == 2
    assert as_persona("zj").get("/api/registry/quality?kind=person").json()["overall"]["total"] == 0
    ga = as_persona("ga").get("/api/registry/quality").json()
    assert ga["kind"] == "person" and ga["overall"]["total"] == 4
    assert as_persona("resident").get("/api/registry/quality").status_code == 403
    page = as_persona("street").get("/gov/registry/quality")
    assert page.status_code == 200 and "南裕社区" in page.text and "echarts" in page.text
    assert "下应街道" not in page.text
    assert as_persona("street").get(f"/gov/registry/quality?area={C1}").status_code == 200
    assert as_persona("street").get(f"/gov/registry/quality?area={S2}").status_code == 404
