"""The key ring (kit/keys.py), rotation (kit/rekey.py, `zhili keys ...`), refusing to start without a key, and a
raw dump of the database that shows no ID number or phone."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.factories import TEST_KEY, World
from tests.registry.world import PEOPLE
from zhili import config
from zhili.app import create_app
from zhili.cli import app as cli
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import crypto, keys, rekey
from zhili.kit.crypto import KeyConfigError, blind_index
from zhili.models import metadata
from zhili.registry.models import Person, Place

PHONES = [p[2] for p in PEOPLE if p[2]] + ["13544445555", "13655556666"]
ID_NUMBERS = [p[1] for p in PEOPLE]


@pytest.fixture(autouse=True)
def _restore_key() -> Iterator[None]:
    yield
    crypto.configure(TEST_KEY)


@pytest.fixture
def cli_env(tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`zhili ...` against the test database, var dir in tmp_path, the legacy test key set."""
    var = tmp_path / "var"
    monkeypatch.setenv("ZHILI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHILI_VAR_DIR", str(var))
    monkeypatch.setenv("ZHILI_SECRET_KEY", TEST_KEY)
    monkeypatch.delenv("ZHILI_KEY_FILE", raising=False)
    config.get_settings.cache_clear()
    yield var
    config.get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    out = result.output + (result.stderr if result.stderr_bytes else "")
    return result.exit_code, out.replace("\n", "")  # rich wraps long lines at the terminal's width


def stored(session: Session, sql: str) -> list[str]:
    return [r[0] for r in session.execute(text(sql)) if r[0] is not None]


def _encrypt_with(key: bytes, kid: str, plain: str) -> str:
    import base64
    import secrets

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = secrets.token_bytes(12)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = enc.update(plain.encode()) + enc.finalize()
    return f"sm4g2:{kid}:" + base64.b64encode(nonce + body + enc.tag).decode()


# ---- the key file ---------------------------------------------------------------------------------------------

def test_init_creates_a_private_key_file_and_refuses_a_second_time(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring = keys.init_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    doc = json.loads(path.read_text())
    assert doc["current"] == "k1" and set(doc["keys"]) == {"k1"} and len(bytes.fromhex(doc["index"])) == 32
    with pytest.raises(KeyConfigError, match="已存在"):
        keys.init_file(path)
    assert keys.read_file(path).keys == ring.keys  # untouched


@pytest.mark.parametrize(("content", "problem"), [
    ("{not json", "不是合法的 JSON"),
    ("[]", "应为 JSON 对象"),
    ('{"current": "k1", "keys": {}, "index": "00"}', "缺少 keys"),
    ('{"current": "k2", "keys": {"k1": "' + "ab" * 16 + '"}, "index": "' + "cd" * 32 + '"}', "current"),
    ('{"current": "k1", "keys": {"k1": "zz"}, "index": "' + "cd" * 32 + '"}', "不是合法的十六进制"),
    ('{"current": "k1", "keys": {"k1": "' + "ab" * 8 + '"}, "index": "' + "cd" * 32 + '"}', "应为 16 字节"),
    ('{"current": "k1", "keys": {"k1": "' + "ab" * 16 + '"}}', "index"),
    ('{"current": "x", "keys": {"x": "' + "ab" * 16 + '"}, "index": "' + "cd" * 32 + '"}', "密钥编号"),
])
def test_malformed_key_file_is_refused_naming_the_problem(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "keys.json").write_text(content)
    with pytest.raises(KeyConfigError) as info:
        crypto.configure("", tmp_path)
    assert problem in info.value.message and str(tmp_path / "keys.json") in info.value.message
    assert crypto.decrypt(crypto.encrypt("x")) == "x"  # the ring in use stays


def test_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keys.json").mkdir()  # exists, cannot be read as a file
    with pytest.raises(KeyConfigError, match="无法读取"):
        crypto.configure("", tmp_path)


def test_secret_key_disagreeing_with_the_key_file_is_refused(tmp_path: Path) -> None:
    keys.init_file(tmp_path / "keys.json", keys.legacy_ring(TEST_KEY))
    crypto.configure(TEST_KEY, tmp_path)  # the same key: fine
    with pytest.raises(KeyConfigError, match="不一致"):
        crypto.configure("a5" * 32, tmp_path)


def test_values_name_their_key_and_old_keys_keep_decrypting(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    keys.init_file(path, keys.legacy_ring(TEST_KEY))
    crypto.configure("", tmp_path)
    old = crypto.encrypt("13811112222")
    index = blind_index("13811112222")
    assert old.startswith("sm4g2:k0:")
    keys.add_key(path)
    crypto.reload(force=True)
    new = crypto.encrypt("13811112222")
    assert new.startswith("sm4g2:k1:")
    assert crypto.decrypt(old) == crypto.decrypt(new) == "13811112222"
    assert blind_index("13811112222") == index  # the index key does not rotate


def test_a_process_notices_a_new_key_by_the_file_and_reloads_for_an_unknown_kid(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys.json"
    keys.init_file(path)
    crypto.configure("", tmp_path)
    assert crypto.ring().current == "k1"
    # another process (the rotation) adds k2 and writes a value under it: it decrypts here at once, the key file
    # being re-read for the unknown kid (this process's periodic mtime check has not come round yet)
    keys.add_key(path)
    other = keys.read_file(path)
    assert crypto.ring().current == "k1"
    token = _encrypt_with(other.keys["k2"], "k2", "13811112222")
    assert crypto.decrypt(token) == "13811112222"
    with pytest.raises(crypto.CryptoError, match="未知的密钥编号 k9"):
        crypto.decrypt("sm4g2:k9:" + token.split(":", 2)[2])
    # and the new current key is used once the mtime check comes round (forced here: no sleeping in tests)
    keys.add_key(path)
    monkeypatch.setattr(crypto, "RELOAD_SECONDS", 0.0)
    assert crypto.encrypt("x").startswith("sm4g2:k3:")


# ---- rotation -------------------------------------------------------------------------------------------------

def test_rotation_reencrypts_everything_and_both_keys_decrypt_meanwhile(db: sessionmaker[Session], world: World,
                                                                        tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "keys.json"
    keys.init_file(path, keys.legacy_ring(TEST_KEY))
    crypto.configure("", tmp_path)
    with transaction(db) as s:
        before = {p.id: (p.id_number, p.phone, p.id_number_bidx) for p in s.scalars(select(Person))}
    keys.add_key(path)
    crypto.reload(force=True)
    seen: list[set[str]] = []

    def progress(table: str, rows: int) -> None:
        if table == "people":  # mid-rotation: some people under k1, some under k0, all readable
            with transaction(db) as s:
                kids = {crypto.kid_of(v) for v in stored(s, "SELECT id_number FROM people")}
                seen.append(kids)
                assert {p.id: (p.id_number, p.phone, p.id_number_bidx) for p in s.scalars(select(Person))} == before

    result = rekey.reencrypt(engine, metadata, "k1", batch=1, progress=progress)
    assert {"k0", "k1"} in seen  # there was a moment with both
    assert result.values > len(before) and not result.errors
    with engine.connect() as conn:
        assert sum(rekey.pending(conn, metadata, "k1").values()) == 0
        assert rekey.uses(conn, metadata, "k0") == {}
        counts = rekey.counts(conn, metadata)
    assert counts[("people", "id_number")] == {"k1": len(before)}
    with transaction(db) as s:
        after = {p.id: (p.id_number, p.phone, p.id_number_bidx) for p in s.scalars(select(Person))}
        assert after == before
        pid = s.scalar(select(Person.id).where(Person.id_number_bidx == blind_index(ID_NUMBERS[1])))
        assert pid == 2  # exact search still finds the person: the blind index did not change
    assert rekey.reencrypt(engine, metadata, "k1").values == 0  # a re-run has nothing left to do


def test_cli_init_rotate_status_retire(db: sessionmaker[Session], world: World, cli_env: Path) -> None:
    code, out = run("keys", "init")
    assert code == 0, out
    assert "导入现有密钥为 k0" in out and (cli_env / "keys.json").exists()
    code, out = run("keys", "init")
    assert code == 1 and "已存在" in out
    code, out = run("keys", "init", "--if-missing")
    assert code == 0 and "未做改动" in out
    code, out = run("keys", "retire", "k0")
    assert code == 1 and "当前密钥" in out
    code, out = run("keys", "rotate", "--batch", "2", "--wait", "0")
    assert code == 0, out
    assert "已添加密钥 k1" in out and "轮换完成" in out
    code, out = run("keys", "status")
    assert code == 0, out
    assert "当前密钥：k1" in out and "people.id_number" in out
    with transaction(db) as s:
        assert all(v.startswith("sm4g2:k1:") for v in stored(s, "SELECT phone FROM people"))
        # a server that had not yet read the new key file wrote one more value under k0
        s.execute(text("UPDATE places SET contact_phone = :v WHERE id = 1"),
                  {"v": crypto.encrypt("13544445555", "k0")})
    code, out = run("keys", "retire", "k0")
    assert code == 1 and "仍在使用" in out and "places.contact_phone 1 个" in out
    assert "k0" in json.loads((cli_env / "keys.json").read_text())["keys"]
    code, out = run("keys", "rotate", "--wait", "0")  # finished rotation: a new key k2, then everything to k2
    assert code == 0 and "已添加密钥 k2" in out, out
    code, out = run("keys", "retire", "k0")
    assert code == 0, out
    assert set(json.loads((cli_env / "keys.json").read_text())["keys"]) == {"k1", "k2"}
    with transaction(db) as s:
        assert s.get(Place, 1).contact_phone == "13544445555"  # type: ignore[union-attr]
        actions = stored(s, "SELECT action FROM audit_log WHERE action LIKE 'keys.%' ORDER BY seq")
    assert actions == ["keys.rotate", "keys.rotate", "keys.retire"]


def test_interrupted_rotation_resumes_without_a_new_key(db: sessionmaker[Session], world: World,
                                                        cli_env: Path) -> None:
    assert run("keys", "init")[0] == 0
    path = cli_env / "keys.json"
    keys.add_key(path)  # as `keys rotate` does first; then it was stopped before re-encrypting
    assert keys.read_file(path).rotating == "k1"
    code, out = run("keys", "status")
    assert "尚未完成" in out
    code, out = run("keys", "rotate", "--wait", "0")
    assert code == 0 and "继续未完成的轮换" in out and "已添加" not in out, out
    ring = keys.read_file(path)
    assert ring.current == "k1" and ring.rotating is None and set(ring.keys) == {"k0", "k1"}


def test_rotate_needs_a_key_file(world: World, cli_env: Path) -> None:
    code, out = run("keys", "rotate", "--wait", "0")
    assert code == 2 and "zhili keys init" in out


# ---- no key, no start ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["worker", "--once"], ["serve"], ["db", "upgrade"],
                                  ["import", "cases", "x.csv", "--mapping", "m.yaml"],
                                  ["import", "people", "x.csv", "--source", "公安", "--mapping", "m.yaml"]])
def test_commands_refuse_to_start_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 args: list[str]) -> None:
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{tmp_path}/zhili.db")
    monkeypatch.delenv("ZHILI_SECRET_KEY", raising=False)
    monkeypatch.delenv("ZHILI_KEY_FILE", raising=False)
    config.get_settings.cache_clear()
    try:
        code, out = run(*args)
    finally:
        config.get_settings.cache_clear()
    assert code == 2, out
    assert "未配置加密密钥" in out and "ZHILI_SECRET_KEY" in out and "zhili keys init" in out
    assert list(tmp_path.iterdir()) == []  # no key made, no database written


def test_commands_refuse_a_malformed_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "keys.json").write_text('{"current": "k1"}')
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{tmp_path}/zhili.db")
    monkeypatch.delenv("ZHILI_SECRET_KEY", raising=False)
    config.get_settings.cache_clear()
    try:
        code, out = run("worker", "--once")
        code_init, out_init = run("keys", "init", "--if-missing")
    finally:
        config.get_settings.cache_clear()
    assert code == 2 and "格式错误" in out and "keys" in out
    assert code_init == 2 and "格式错误" in out_init  # a broken key file is never replaced by a new key
    assert (tmp_path / "keys.json").read_text() == '{"current": "k1"}'
    assert not (tmp_path / "zhili.db").exists()


def test_create_app_refuses_without_a_key(tmp_path: Path, engine: Engine) -> None:
    with pytest.raises(KeyConfigError, match="未配置加密密钥"):
        create_app(Settings(var_dir=tmp_path, secret_key="", database_url="sqlite://"), engine)
    (tmp_path / "keys.json").write_text("{broken")
    with pytest.raises(KeyConfigError, match="格式错误"):
        create_app(Settings(var_dir=tmp_path, secret_key="", database_url="sqlite://"), engine)
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


def test_keys_init_if_missing_makes_a_fresh_machine_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ZHILI_SECRET_KEY", raising=False)
    config.get_settings.cache_clear()
    try:
        code, out = run("keys", "init", "--if-missing")
        again = run("keys", "init", "--if-missing")
    finally:
        config.get_settings.cache_clear()
    assert code == 0 and "已生成密钥文件" in out
    assert again[0] == 0 and "未做改动" in again[1]
    ring = crypto.configure("", tmp_path)
    assert ring.current == "k1" and crypto.decrypt(crypto.encrypt("ok")) == "ok"


# ---- a raw dump shows no ID number or phone ----------------------------------------------------------------

def _dump(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(engine.url.database or "")
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    if shutil.which("pg_dump"):
        done = subprocess.run(["pg_dump", "--data-only", "--no-owner", url], capture_output=True, text=True,
                              env={**os.environ, "PGCONNECT_TIMEOUT": "10"}, timeout=120)
        if done.returncode == 0:
            return done.stdout
    parts = []
    with engine.connect() as conn:
        for t in metadata.sorted_tables:
            for row in conn.execute(text(f'SELECT * FROM "{t.name}"')):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def test_raw_dump_shows_no_id_number_or_phone(db: sessionmaker[Session], world: World, engine: Engine) -> None:
    with transaction(db) as s:  # the world wrote them through the ORM; read back they are whole
        assert sorted(p.phone for p in s.scalars(select(Person)) if p.phone) == sorted(PHONES[:3])
    dump = _dump(engine)
    assert "people" in dump and "张三丰" in dump  # it is a real dump (names are not encrypted)
    for value in PHONES + ID_NUMBERS:
        assert value not in dump, f"{value[:3]}... readable in the raw dump"
    for value in ID_NUMBERS:  # nor a recognisable part of one
        assert value[6:14] + value[14:17] not in dump


def test_a_malformed_secret_key_is_refused_and_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ZHILI_DATABASE_URL", f"sqlite:///{tmp_path}/zhili.db")
    monkeypatch.setenv("ZHILI_SECRET_KEY", "ab" * 16)  # 16 bytes, not 32
    config.get_settings.cache_clear()
    try:
        code, out = run("keys", "init", "--if-missing")
        code_worker, out_worker = run("worker", "--once")
    finally:
        config.get_settings.cache_clear()
    assert code == 2 and "32 字节" in out
    assert code_worker == 2 and "32 字节" in out_worker
    assert list(tmp_path.iterdir()) == []
