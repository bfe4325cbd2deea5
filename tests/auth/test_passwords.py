"""Password rules and hashing: pure, no database."""

from __future__ import annotations

import pytest

from zhili.auth.passwords import check_rule, hash_password, verify_password
from zhili.kit.errors import ValidationFailed


@pytest.mark.parametrize("bad", ["Ab1!", "abcdefgh", "abcdefg1", "ABCDEFGH1", "12345678!"])
def test_weak_passwords_are_refused_with_the_field_named(bad: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_rule(bad)
    assert err.value.field == "password"


def test_password_with_three_classes_passes_and_may_not_contain_the_username() -> None:
    check_rule("Grid2026go")
    with pytest.raises(ValidationFailed):
        check_rule("wangwei@2026X", "wangwei")


def test_hash_is_argon2_and_verifies() -> None:
    h = hash_password("Grid2026go")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "Grid2026go")
    assert not verify_password(h, "grid2026go")
    assert not verify_password(None, "anything")
