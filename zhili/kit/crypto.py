"""Encryption at rest with SM4-GCM (GB/T 32907) and blind indexes with HMAC-SM3 (GB/T 32905).

Ciphertext format (text, so it fits any VARCHAR): "sm4g1:" + base64(nonce[12] + ciphertext + tag[16]).
The key is 32 bytes: the first 16 encrypt (SM4), the last 16 key the HMAC for blind indexes, so equality search
on a protected value (a phone, an ID number) needs no decryption.
"""

from __future__ import annotations

import base64
import json
import hmac
import os
import secrets
import threading
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as chmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "sm4g1:"
_lock = threading.Lock()
_key: bytes | None = None


class CryptoError(RuntimeError):
    pass


def configure(key_hex: str = "", var_dir: Path | None = None) -> None:
    """Install the key: explicit hex, or var/secret.key (created once, mode 0600) for the embedded default."""
    global _key
    with _lock:
        if key_hex:
            key = bytes.fromhex(key_hex)
        else:
            path = (var_dir or Path("var")) / "secret.key"
            if path.exists():
                key = bytes.fromhex(path.read_text().strip())
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                key = secrets.token_bytes(32)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(key.hex())
        if len(key) != 32:
            raise CryptoError("ZHILI_SECRET_KEY must be 32 bytes (64 hex characters)")
        _key = key


def _current_key() -> bytes:
    if _key is None:
        raise CryptoError("encryption key not configured: call zhili.kit.crypto.configure() at start-up")
    return _key


def sm3(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def encrypt(plaintext: str) -> str:
    key = _current_key()[:16]
    nonce = secrets.token_bytes(12)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = enc.update(plaintext.encode("utf-8")) + enc.finalize()
    return PREFIX + base64.b64encode(nonce + body + enc.tag).decode("ascii")


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise CryptoError("not an encrypted value")
    raw = base64.b64decode(token[len(PREFIX) :])
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(algorithms.SM4(_current_key()[:16]), modes.GCM(nonce, tag)).decryptor()
    return (dec.update(body) + dec.finalize()).decode("utf-8")


def blind_index(value: str) -> str:
    """Deterministic keyed digest of a normalised value, for equality lookups on encrypted columns."""
    mac = chmac.HMAC(_current_key()[16:], hashes.SM3())
    mac.update(value.strip().upper().encode("utf-8"))
    return mac.finalize().hex()[:32]


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

    def process_bind_param(self, value: object, dialect: Dialect) -> str | None:  # type: ignore[override]
        return None if value is None else encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> object:  # type: ignore[override]
        return None if value is None else json.loads(decrypt(value))
