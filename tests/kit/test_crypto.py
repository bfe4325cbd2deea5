"""zhili.kit.crypto: SM4-GCM encryption at rest and HMAC-SM3 blind indexes (key set by tests/conftest.py)."""

from __future__ import annotations

import base64
import binascii

import pytest
from cryptography.exceptions import InvalidTag

from tests.factories import TEST_KEY
from zhili.kit import crypto
from zhili.kit.crypto import PREFIX, CryptoError, blind_index, decrypt, encrypt

REJECTED = (InvalidTag, CryptoError, binascii.Error, ValueError)  # never a wrong plaintext
HEAD = PREFIX + "k0:"  # the legacy single key (ZHILI_SECRET_KEY) is kid k0


def _body(token: str) -> bytes:
    assert token.startswith(HEAD)
    return base64.b64decode(token[len(HEAD):])


@pytest.fixture(autouse=True)
def _test_key() -> None:
    crypto.configure(TEST_KEY)


@pytest.mark.parametrize("plain", ["13812345678", "王建国 浙江省宁波市鄞州区首南街道", "", "a" * 500, "😀 emoji"])
def test_round_trip(plain: str) -> None:
    token = encrypt(plain)
    assert token.startswith(PREFIX)
    assert decrypt(token) == plain


def test_ciphertext_is_fresh_and_hides_the_plaintext() -> None:
    plain = "13812345678"
    tokens = {encrypt(plain) for _ in range(20)}
    assert len(tokens) == 20  # a fresh nonce every time
    for token in tokens:
        assert plain not in token
        assert "5678" not in _body(token).decode("latin-1")
        assert decrypt(token) == plain


def test_chinese_plaintext_is_not_visible() -> None:
    token = encrypt("身份证号码")
    assert "身份" not in token
    assert "身份证号码".encode() not in _body(token)


@pytest.mark.parametrize("position", [0, 12, 15, -1])
def test_tampered_ciphertext_is_rejected(position: int) -> None:
    token = encrypt("13812345678")
    raw = bytearray(_body(token))
    raw[position] ^= 0x01
    with pytest.raises(REJECTED):
        decrypt(HEAD + base64.b64encode(bytes(raw)).decode())


def test_truncated_ciphertext_is_rejected() -> None:
    token = encrypt("13812345678")
    with pytest.raises(REJECTED):
        decrypt(token[:-8])


def test_plain_value_is_not_decrypted() -> None:
    with pytest.raises(CryptoError):
        decrypt("13812345678")


def test_other_key_cannot_decrypt() -> None:
    token = encrypt("13812345678")
    crypto.configure("a5" * 32)
    try:
        with pytest.raises(REJECTED):
            decrypt(token)
    finally:
        crypto.configure(TEST_KEY)
    assert decrypt(token) == "13812345678"


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(CryptoError):
        crypto.configure("ab" * 16)
    assert decrypt(encrypt("still works")) == "still works"  # the old key stays installed


def test_blind_index_is_deterministic_and_normalised() -> None:
    a = blind_index("33021219900101123x")
    assert a == blind_index("33021219900101123x")
    assert a == blind_index("  33021219900101123X ")
    assert len(a) == 32 and all(c in "0123456789abcdef" for c in a)
    assert "33021219900101123" not in a


def test_blind_index_differs_for_different_values_and_keys() -> None:
    values = ["13812345678", "13812345679", "13900001111", "王建国", "王建", ""]
    digests = {blind_index(v) for v in values}
    assert len(digests) == len(values)
    before = blind_index("13812345678")
    crypto.configure("a5" * 32)
    try:
        assert blind_index("13812345678") != before
    finally:
        crypto.configure(TEST_KEY)


def test_blind_index_is_not_the_cipher_key_half() -> None:
    """The HMAC key is the second half of the key: changing only the first half leaves indexes unchanged."""
    before = blind_index("13812345678")
    token = encrypt("13812345678")
    crypto.configure("00" * 16 + TEST_KEY[32:])
    try:
        assert blind_index("13812345678") == before
        with pytest.raises(REJECTED):
            decrypt(token)
    finally:
        crypto.configure(TEST_KEY)


def test_no_key_is_created_silently(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(crypto.KeyConfigError) as info:
        crypto.configure("", tmp_path)
    assert "ZHILI_SECRET_KEY" in info.value.message and "zhili keys init" in info.value.message
    assert list(tmp_path.iterdir()) == []
    assert decrypt(encrypt("still works")) == "still works"  # the old key stays installed


def test_legacy_secret_key_file_is_still_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "secret.key").write_text(TEST_KEY)
    token = encrypt("13812345678")
    try:
        crypto.configure("", tmp_path)
        assert decrypt(token) == "13812345678"
    finally:
        crypto.configure(TEST_KEY)


def test_legacy_sm4g1_values_decrypt_with_k0() -> None:
    """A value written before key ids ("sm4g1:" + body) is the legacy key's, kid k0."""
    token = encrypt("13812345678")
    legacy = "sm4g1:" + token[len(HEAD):]
    assert crypto.kid_of(legacy) == "k0"
    assert decrypt(legacy) == "13812345678"


def test_encrypted_string_column_type() -> None:
    column = crypto.EncryptedString(200)
    stored = column.process_bind_param("13812345678", None)  # type: ignore[arg-type]
    assert stored is not None and stored.startswith(PREFIX) and "13812345678" not in stored
    assert column.process_result_value(stored, None) == "13812345678"  # type: ignore[arg-type]
    assert column.process_bind_param(None, None) is None  # type: ignore[arg-type]
    assert column.process_result_value(None, None) is None  # type: ignore[arg-type]
