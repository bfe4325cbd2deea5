"""The audit log: written with what it records, chained with SM3, tampering named by `zhili audit verify`."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from tests.factories import PASSWORD
from zhili.auth import audit
from zhili.auth.models import AuditHead, AuditLog
from zhili.db import transaction
from zhili.kit import clock
from zhili.org.models import Grid


def _count(db) -> int:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return int(s.scalar(select(func.count()).select_from(AuditLog)) or 0)


def test_data_changes_are_recorded_with_old_and_new_values(db, world) -> None:
    with transaction(db, info={"ip": "10.0.0.9"}) as s:
        grid = s.get(Grid, world.grids["a"].id)
        grid.name = "南裕社区一号网格"
    with transaction(db) as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "data.update")).one()
    assert row.entity_type == "grids" and row.entity_id == str(world.grids["a"].id)
    assert row.detail["changes"]["name"] == ["南裕社区第1网格", "南裕社区一号网格"]
    assert row.ip == "10.0.0.9"


def test_encrypted_fields_never_reach_the_log_in_clear(db, world) -> None:
    from zhili.org.models import Staff

    with transaction(db) as s:
        staff = s.get(Staff, world.staff["full_a"].id)
        staff.phone = "13600009999"
    with transaction(db) as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "data.update")).one()
    assert row.detail["changes"]["phone"] == ["***", "***"]
    assert "13600009999" not in str(row.detail)


def test_rolled_back_work_leaves_no_audit_row(db, world) -> None:
    before = _count(db)
    with pytest.raises(RuntimeError), transaction(db) as s:
        s.get(Grid, world.grids["a"].id).name = "不会保存"
        audit.record(s, "test.action")
        s.flush()
        raise RuntimeError("boom")
    assert _count(db) == before


def test_untouched_chain_verifies(db, world, client) -> None:
    from tests.auth.helpers import web_login

    web_login(client, "street", PASSWORD)
    web_login(client, "street", "bad-Pass1")
    with transaction(db) as s:
        result = audit.verify(s)
    assert result.ok and result.checked >= 2


def _some_rows(db) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        with transaction(db) as s:
            audit.record(s, "test.event", detail={"i": i})


def test_edited_row_is_named(db, world) -> None:
    _some_rows(db)
    with transaction(db) as s:
        target = s.scalars(select(AuditLog.seq).order_by(AuditLog.seq).offset(2).limit(1)).one()
    with transaction(db) as s:  # an edit by hand, behind the application's back
        s.execute(text("UPDATE audit_log SET detail = :d WHERE seq = :seq"), {"d": '{"i": 99}', "seq": target})
    with transaction(db) as s:
        result = audit.verify(s)
    assert not result.ok and result.bad_seq == target and "篡改" in result.reason


def test_deleted_row_is_named(db, world) -> None:
    _some_rows(db)
    with transaction(db) as s:
        target = s.scalars(select(AuditLog.seq).order_by(AuditLog.seq).offset(1).limit(1)).one()
        s.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": target})
    with transaction(db) as s:
        result = audit.verify(s)
    assert not result.ok and result.bad_seq == target


def test_truncated_tail_is_detected(db, world) -> None:
    _some_rows(db)
    with transaction(db) as s:
        last = s.scalar(select(func.max(AuditLog.seq)))
        s.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": last})
    with transaction(db) as s:
        assert not audit.verify(s).ok


def test_cli_verify_passes_then_fails_naming_the_row(db, world, settings, monkeypatch) -> None:
    from zhili import config
    from zhili.cli import app

    _some_rows(db)
    monkeypatch.setenv("ZHILI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ZHILI_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ZHILI_VAR_DIR", str(settings.var_dir))  # not a developer's var/keys.json
    config.get_settings.cache_clear()
    try:
        runner = CliRunner()
        ok = runner.invoke(app, ["audit", "verify"])
        assert ok.exit_code == 0, ok.output
        assert "审计链完整" in ok.output
        with transaction(db) as s:
            target = s.scalars(select(AuditLog.seq).order_by(AuditLog.seq).offset(3).limit(1)).one()
            s.execute(text("UPDATE audit_log SET action = 'auth.login' WHERE seq = :seq"), {"seq": target})
        bad = runner.invoke(app, ["audit", "verify"])
        assert bad.exit_code == 1
        assert f"第 {target} 条" in bad.output
    finally:
        config.get_settings.cache_clear()


def test_purge_keeps_184_days_and_the_rest_still_verifies(db, world) -> None:
    old = clock.now() - timedelta(days=200)
    with clock.frozen(old):
        _some_rows(db)
    _some_rows(db)
    total = _count(db)
    with pytest.raises(ValueError):
        with transaction(db) as s:
            audit.purge(s, 30)
    with transaction(db) as s:
        removed = audit.purge(s, 184)
    assert removed >= 5
    assert _count(db) == total - removed + 1  # the purge records itself
    with transaction(db) as s:
        assert audit.verify(s).ok
        head = s.get(AuditHead, 1)
        assert head.anchor_seq >= removed


def test_concurrent_writers_keep_one_chain(db, world, engine) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with transaction(db) as s:
                    audit.record(s, "test.concurrent", detail={"w": n, "i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with transaction(db) as s:
        assert s.scalar(select(func.count()).where(AuditLog.action == "test.concurrent")) == 40
        assert audit.verify(s).ok


def test_permission_denial_is_audited(as_persona, db, world) -> None:
    r = as_persona("street").get("/api/audit")
    assert r.status_code == 403
    with transaction(db) as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "auth.denied")).one()
    assert row.actor_name == "street" and row.detail == {"permission": "audit.read"}


def test_audit_api_lists_and_verifies_for_holders_of_audit_read(as_persona, world) -> None:
    r = as_persona("leader").get("/api/audit?limit=5")
    assert r.status_code == 200 and len(r.json()) <= 5
    v = as_persona("leader").get("/api/audit/verify")
    assert v.status_code == 200 and v.json()["ok"] is True
