"""Encryption at rest with SM4-GCM (GB/T 32907) and blind indexes with HMAC-SM3 (GB/T 32905).

Ciphertext format (text, so it fits any VARCHAR): "sm4g2:<kid>:" + base64(nonce[12] + ciphertext + tag[16]), where
<kid> names the data key of the key ring (zhili/kit/keys.py). Legacy "sm4g1:" values (written before key ids)
decrypt with kid k0, the legacy single key. Blind indexes use the ring's index key, which never rotates, so equality
search on a protected value (a phone, an ID number) needs no decryption and survives a key rotation.

A process installs its ring once at start (`configure`); without a key it refuses to start (KeyConfigError) rather
than write plaintext. A ring read from a key file follows the file: its mtime is checked at most every
RELOAD_SECONDS (a rotation's new current key reaches every running process within seconds), and a ciphertext under
an unknown kid reloads the file once before failing.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import logging
import secrets
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as chmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from zhili.kit import keys
from zhili.kit.keys import CryptoError, KeyConfigError, KeyRing

__all__ = [
    "CryptoError",
    "EncryptedJSON",
    "EncryptedString",
    "KeyConfigError",
    "blind_index",
    "configure",
    "decrypt",
    "encrypt",
    "kid_of",
    "sm3",
]

PREFIX = "sm4g2:"
LEGACY_PREFIX = "sm4g1:"
RELOAD_SECONDS = 3.0
log = logging.getLogger("zhili.crypto")


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ring: KeyRing | None = None
        self.legacy_hex = ""  # re-applied when the key file is re-read
        self.checked = 0.0


_state = _State()


def configure(key_hex: str = "", var_dir: Path | None = None, key_file: Path | None = None) -> KeyRing:
    """Install the key ring from the settings (see keys.load); files are looked up only when var_dir or key_file
    is given. Raises KeyConfigError (and keeps the previous ring) when there is no usable key."""
    ring = keys.load(key_hex, var_dir, key_file, look_for_files=var_dir is not None or key_file is not None)
    with _state.lock:
        _state.ring, _state.legacy_hex, _state.checked = ring, key_hex, time.monotonic()
    return ring


def configure_from(settings: object) -> KeyRing:
    """configure() from a Settings object (secret_key, var_dir, key_file)."""
    return configure(getattr(settings, "secret_key", ""), getattr(settings, "var_dir", None),
                     getattr(settings, "key_file", None))


def reload(force: bool = False) -> KeyRing:
    """Re-read the key file when it changed (or when forced); a failed read keeps the ring in use."""
    ring = _ring_unchecked()
    if ring.path is None:
        return ring
    with _state.lock:
        _state.checked = time.monotonic()
        try:
            changed = force or ring.path.stat().st_mtime_ns != ring.mtime_ns
            if changed:
                _state.ring = keys.load(_state.legacy_hex, key_file=ring.path)
        except (OSError, KeyConfigError) as exc:
            log.error("key file %s not re-read, keeping the keys in use: %s", ring.path, exc)
        return _state.ring or ring


def _ring_unchecked() -> KeyRing:
    ring = _state.ring
    if ring is None:
        raise CryptoError("encryption key not configured: call zhili.kit.crypto.configure() at start-up")
    return ring


def ring() -> KeyRing:
    """The ring in use, re-read when its key file changed (checked at most every RELOAD_SECONDS)."""
    current = _ring_unchecked()
    if current.path is not None and time.monotonic() - _state.checked >= RELOAD_SECONDS:
        return reload()
    return current


def sm3(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


@functools.lru_cache(maxsize=16)
def _sm4(key: bytes) -> algorithms.SM4:
    """The cipher algorithm object of a key, made once (a bulk import encrypts millions of values)."""
    return algorithms.SM4(key)


def encrypt(plaintext: str, kid: str | None = None) -> str:
    r = ring()
    kid = kid or r.current
    key = r.key(kid)
    if key is None:
        raise CryptoError(f"未知的密钥编号 {kid}")
    nonce = secrets.token_bytes(12)
    enc = Cipher(_sm4(key), modes.GCM(nonce)).encryptor()
    body = enc.update(plaintext.encode("utf-8")) + enc.finalize()
    return f"{PREFIX}{kid}:" + base64.b64encode(nonce + body + enc.tag).decode("ascii")


def kid_of(token: str) -> str:
    """The key id a ciphertext names ("k0" for legacy values); CryptoError for anything else."""
    if token.startswith(PREFIX):
        kid, sep, _ = token[len(PREFIX):].partition(":")
        if sep and kid:
            return kid
    elif token.startswith(LEGACY_PREFIX):
        return keys.LEGACY_KID
    raise CryptoError("not an encrypted value")


def decrypt(token: str) -> str:
    kid = kid_of(token)
    body64 = token[len(LEGACY_PREFIX):] if token.startswith(LEGACY_PREFIX) else token[len(PREFIX) + len(kid) + 1:]
    r = ring()
    key = r.key(kid)
    if key is None:  # a key added by a rotation elsewhere: read the key file once more
        key = reload(force=True).key(kid)
        if key is None:
            raise CryptoError(f"未知的密钥编号 {kid}：密钥文件中没有该密钥")
    raw = base64.b64decode(body64)
    if len(raw) < 28:
        raise CryptoError("truncated ciphertext")
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(_sm4(key), modes.GCM(nonce, tag)).decryptor()
    return (dec.update(body) + dec.finalize()).decode("utf-8")


def blind_index(value: str) -> str:
    """Deterministic keyed digest of a normalised value, for equality lookups on encrypted columns."""
    mac = _keyed_sm3(ring().index).copy()  # a copy of the keyed state: 3x cheaper than a new HMAC
    mac.update(value.strip().upper().encode("utf-8"))
    return mac.finalize().hex()[:32]


@functools.lru_cache(maxsize=4)
def _keyed_sm3(key: bytes) -> chmac.HMAC:
    return chmac.HMAC(key, hashes.SM3())


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class EncryptedString(TypeDecorator[str]):
    """A string column stored as SM4-GCM ciphertext; Python code only ever sees the plaintext."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(EncryptedString):
    """A JSON value (dict or list) stored as one SM4-GCM ciphertext: a source record's values, a conflict's
    side-by-side values. Unbounded text; the audit log shows it as "***" like any encrypted column."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> object:  # type: ignore[override]
        return None if value is None else json.loads(decrypt(value))
