"""The key ring: which keys exist, which one encrypts new values, and the blind-index key; read from settings or
from a key file, never created silently.

Key file (setting `key_file`, default `<var_dir>/keys.json`, mode 0600):
    {"current": "k2", "keys": {"k1": "<32 hex>", "k2": "<32 hex>"}, "index": "<hex>", "rotating": "k2"}
- `keys`: SM4 data keys (16 bytes each) by key id (kid). Every ciphertext names its kid (`sm4g2:<kid>:...`), so
  old values keep decrypting while a rotation re-encrypts them, and a key is retired only once nothing uses it.
- `current`: the kid new values are encrypted with.
- `index`: the HMAC-SM3 key of the blind indexes. It does NOT rotate with the data keys: a blind index is stored
  beside the ciphertext and equality search (ID number, phone) compares digests, so a new index key would make
  every stored digest unfindable until every row is re-indexed (a separate, offline operation, out of scope).
- `rotating`: present while `zhili keys rotate` has not yet re-encrypted every value to `current`; a re-run
  continues the rotation instead of adding yet another key.

The legacy single key (ZHILI_SECRET_KEY, or a `var/secret.key` of an older installation: 32 bytes) is kid "k0":
first half SM4, second half the index key. `zhili keys init` imports it into a new key file, so a deployment can
move to the key file and then rotate without re-indexing.

Pure file handling, no database. Writes are atomic (temporary file in the same folder, fsync, rename) and
serialised by an advisory lock on `<key file>.lock`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives import hashes

LEGACY_KID = "k0"
KID = re.compile(r"^k[0-9]{1,6}$")
DATA_KEY_BYTES = 16  # SM4
SETTING_HINT = "ZHILI_SECRET_KEY（64 位十六进制）或密钥文件（设置项 ZHILI_KEY_FILE，默认 var/keys.json）"


class CryptoError(RuntimeError):
    """A value that cannot be encrypted or decrypted (no key, unknown key id, not a ciphertext)."""


class KeyConfigError(CryptoError):
    """A missing, unreadable or malformed key: the message (Chinese) names the setting and the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: Mapping[str, bytes]  # kid -> 16-byte SM4 key
    index: bytes  # HMAC-SM3 key of the blind indexes
    path: Path | None = None  # the key file it was read from (None: a legacy single key)
    mtime_ns: int | None = None
    rotating: str | None = None
    extra: Mapping[str, bytes] = field(default_factory=dict)  # keys known only from the legacy setting

    def key(self, kid: str) -> bytes | None:
        return self.keys.get(kid) or self.extra.get(kid)

    @property
    def index_fingerprint(self) -> str:
        digest = hashes.Hash(hashes.SM3())
        digest.update(b"zhili index key " + self.index)
        return digest.finalize().hex()[:12]


def legacy_ring(key_hex: str) -> KeyRing:
    """The single 32-byte key of ZHILI_SECRET_KEY / var/secret.key as kid k0."""
    try:
        key = bytes.fromhex(key_hex.strip())
    except ValueError as exc:
        raise KeyConfigError("ZHILI_SECRET_KEY 不是合法的十六进制串：应为 64 位十六进制（32 字节）") from exc
    if len(key) != 32:
        raise KeyConfigError("ZHILI_SECRET_KEY must be 32 bytes (64 hex characters)：密钥长度应为 32 字节（64 位十六进制）")
    return KeyRing(current=LEGACY_KID, keys={LEGACY_KID: key[:16]}, index=key[16:])


def key_file_path(var_dir: Path | None, key_file: Path | None) -> Path:
    return key_file if key_file is not None else (var_dir or Path("var")) / "keys.json"


def _hex(value: object, what: str, path: Path, sizes: tuple[int, int]) -> bytes:
    if not isinstance(value, str):
        raise KeyConfigError(f"密钥文件 {path} 格式错误：{what} 应为十六进制字符串")
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise KeyConfigError(f"密钥文件 {path} 格式错误：{what} 不是合法的十六进制") from exc
    if not sizes[0] <= len(raw) <= sizes[1]:
        want = f"{sizes[0]} 字节" if sizes[0] == sizes[1] else f"{sizes[0]}–{sizes[1]} 字节"
        raise KeyConfigError(f"密钥文件 {path} 格式错误：{what} 长度为 {len(raw)} 字节，应为 {want}")
    return raw


def parse(data: object, path: Path) -> KeyRing:
    """Check a key file's content; every problem is a KeyConfigError naming the file and the field."""
    if not isinstance(data, dict):
        raise KeyConfigError(f"密钥文件 {path} 格式错误：应为 JSON 对象")
    keys_in = data.get("keys")
    if not isinstance(keys_in, dict) or not keys_in:
        raise KeyConfigError(f"密钥文件 {path} 格式错误：缺少 keys（密钥编号 -> 十六进制密钥）")
    keys: dict[str, bytes] = {}
    for kid, value in keys_in.items():
        if not KID.match(str(kid)):
            raise KeyConfigError(f"密钥文件 {path} 格式错误：密钥编号 {kid!r} 应为 k 加数字，如 k1")
        keys[kid] = _hex(value, f"密钥 {kid}", path, (DATA_KEY_BYTES, DATA_KEY_BYTES))
    current = data.get("current")
    if current not in keys:
        raise KeyConfigError(f"密钥文件 {path} 格式错误：current（当前密钥）{current!r} 不在 keys 中")
    index = _hex(data.get("index"), "index（盲索引密钥）", path, (16, 64))
    rotating = data.get("rotating")
    return KeyRing(current=str(current), keys=keys, index=index, path=path,
                   rotating=rotating if isinstance(rotating, str) and rotating in keys else None)


def read_file(path: Path) -> KeyRing:
    try:
        stat = path.stat()
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyConfigError(f"密钥文件 {path} 无法读取：{exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise KeyConfigError(f"密钥文件 {path} 格式错误：不是 UTF-8 文本") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyConfigError(f"密钥文件 {path} 格式错误：不是合法的 JSON（第 {exc.lineno} 行）") from exc
    return replace(parse(data, path), mtime_ns=stat.st_mtime_ns)


def load(key_hex: str = "", var_dir: Path | None = None, key_file: Path | None = None,
         look_for_files: bool = True) -> KeyRing:
    """The ring from the settings: the key file when it exists, else ZHILI_SECRET_KEY, else an older installation's
    var/secret.key; without any: KeyConfigError. With both a key file and ZHILI_SECRET_KEY, the setting must be
    the file's k0 and index key (as `zhili keys init` imported it): it then only keeps k0 known once the file
    retired it. Disagreeing keys are refused: data written under one would be unreadable or unfindable with the
    other."""
    path = key_file_path(var_dir, key_file)
    legacy = legacy_ring(key_hex) if key_hex else None
    if look_for_files and path.exists():
        ring = read_file(path)
        if legacy is None:
            return ring
        own = ring.keys.get(LEGACY_KID)
        if ring.index != legacy.index or (own is not None and own != legacy.keys[LEGACY_KID]):
            raise KeyConfigError(f"ZHILI_SECRET_KEY 与密钥文件 {path} 中的 k0 或盲索引密钥不一致：请只保留一个来源"
                                 "（密钥文件由 `zhili keys init` 导入该密钥时二者一致，可移除 ZHILI_SECRET_KEY）")
        return ring if own is not None else replace(ring, extra={LEGACY_KID: legacy.keys[LEGACY_KID]})
    if legacy is not None:
        return legacy
    old = (var_dir or Path("var")) / "secret.key"
    if look_for_files and old.exists():
        try:
            return legacy_ring(old.read_text(encoding="ascii").strip())
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyConfigError(f"旧密钥文件 {old} 无法读取：{exc}") from exc
        except KeyConfigError as exc:
            raise KeyConfigError(f"旧密钥文件 {old} 格式错误：{exc.message}") from exc
    raise KeyConfigError(f"未配置加密密钥：请设置 {SETTING_HINT}。新部署请运行 `zhili keys init` 生成密钥文件 {path}。"
                         "为免以明文写入个人信息，服务不会自动生成密钥。")


def _document(ring: KeyRing) -> dict[str, object]:
    doc: dict[str, object] = {"current": ring.current, "keys": {k: v.hex() for k, v in sorted(ring.keys.items())},
                              "index": ring.index.hex()}
    if ring.rotating:
        doc["rotating"] = ring.rotating
    return doc


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write(path: Path, ring: KeyRing) -> KeyRing:
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(_document(ring), fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return read_file(path)


def init_file(path: Path, legacy: KeyRing | None = None) -> KeyRing:
    """Create the key file: a fresh k1 and index key, or the legacy key imported as k0 (same blind indexes).
    Refuses (KeyConfigError) when the file exists."""
    with _locked(path):
        if path.exists():
            raise KeyConfigError(f"密钥文件 {path} 已存在；未做任何改动（轮换密钥请用 `zhili keys rotate`）")
        if legacy is not None:
            ring = KeyRing(current=LEGACY_KID, keys={LEGACY_KID: legacy.keys[LEGACY_KID]}, index=legacy.index)
        else:
            ring = KeyRing(current="k1", keys={"k1": secrets.token_bytes(DATA_KEY_BYTES)},
                           index=secrets.token_bytes(32))
        return _write(path, ring)


def add_key(path: Path) -> KeyRing:
    """A new data key, made current and marked as the rotation's target."""
    with _locked(path):
        ring = read_file(path)
        kid = f"k{max(int(k[1:]) for k in ring.keys) + 1}"
        keys = dict(ring.keys) | {kid: secrets.token_bytes(DATA_KEY_BYTES)}
        return _write(path, replace(ring, current=kid, keys=keys, rotating=kid))


def finish_rotation(path: Path) -> KeyRing:
    with _locked(path):
        return _write(path, replace(read_file(path), rotating=None))


def remove_key(path: Path, kid: str) -> KeyRing:
    """Drop a data key (the caller has checked that no value uses it)."""
    with _locked(path):
        ring = read_file(path)
        if kid not in ring.keys:
            raise KeyConfigError(f"密钥文件中没有密钥 {kid}")
        if kid == ring.current:
            raise KeyConfigError(f"{kid} 是当前密钥，不能停用；请先运行 `zhili keys rotate`")
        return _write(path, replace(ring, keys={k: v for k, v in ring.keys.items() if k != kid}))
