"""zhili.kit.masking: what personal data looks like on screen (ID 3***************1X, phone 138****5678, 张*)."""

from __future__ import annotations

import pytest

from zhili.kit.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(("value", "expected"), [
    ("33021219900101123X", "3***************3X"),
    ("330212199001011234", "3***************34"),
    ("330212900101123", "3************23"),  # old 15-digit number
    ("1234", "1*34"),
    ("123", "***"),
    ("1", "*"),
])
def test_mask_id_number(value: str, expected: str) -> None:
    masked = mask_id_number(value)
    assert masked == expected
    assert masked is not None and len(masked) == len(value)


def test_mask_id_number_hides_birth_date() -> None:
    masked = mask_id_number("33021219900101123X")
    assert masked is not None
    assert "1990" not in masked and "0101" not in masked and "330212" not in masked


@pytest.mark.parametrize(("value", "expected"), [
    ("13812345678", "138****5678"),
    (" 13812345678 ", "138****5678"),
    ("057487654321", "********4321"),  # a landline: all but the last four
    ("12345", "*2345"),
    ("1234", "****"),
    ("12", "**"),
])
def test_mask_phone(value: str, expected: str) -> None:
    assert mask_phone(value) == expected


def test_masked_phone_has_no_full_number() -> None:
    masked = mask_phone("13812345678")
    assert masked is not None and "1234" not in masked and "13812345678" not in masked


@pytest.mark.parametrize(("value", "expected"), [
    ("张三", "张*"),
    ("欧阳娜娜", "欧***"),
    ("王", "*"),
    ("Alice", "A****"),
])
def test_mask_name(value: str, expected: str) -> None:
    assert mask_name(value) == expected


@pytest.mark.parametrize("fn", [mask_id_number, mask_phone, mask_name])
def test_empty_values_pass_through(fn) -> None:  # type: ignore[no-untyped-def]
    assert fn(None) is None
    assert fn("") == ""
