"""Password hashing (argon2id) and the password rule: at least 8 characters from at least 3 classes."""

from __future__ import annotations

import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zhili.kit.errors import ValidationFailed

_hasher = PasswordHasher()
# A hash of a random password, verified against when the user does not exist, so timing does not tell.
_DUMMY = _hasher.hash("zhili-dummy-password-Aa1!")


def check_rule(password: str, username: str | None = None) -> None:
    if len(password) < 8:
        raise ValidationFailed("密码至少 8 位", field="password")
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        raise ValidationFailed("密码须包含大写字母、小写字母、数字、符号中的至少三类", field="password")
    if username and username.lower() in password.lower():
        raise ValidationFailed("密码不能包含用户名", field="password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
