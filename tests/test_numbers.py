from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway import numbers
from gateway.numbers import (
    InvalidNumber,
    check_region,
    default_region,
    mask,
    region_of,
    same_number,
    to_e164,
)


def test_to_e164_normalises_spellings() -> None:
    assert to_e164("+61 409 999 999", "US") == "+61409999999"
    assert to_e164("+1 (415) 555-0100", "AU") == "+14155550100"  # the region does not matter
    assert to_e164("4155550100", "US") == "+14155550100"  # read in the region


@pytest.mark.parametrize("text", ["", "hello", "+1", "12"])
def test_to_e164_rejects_non_numbers(text: str) -> None:
    with pytest.raises(InvalidNumber):
        to_e164(text, "US")


def test_same_number() -> None:
    assert same_number("+61409999999", "+61 409 999 999", "US")
    assert not same_number("+61409999999", "+61409999998", "US")
    assert not same_number("garbage", "+61409999999", "US")


def test_a_local_number_is_read_in_the_region() -> None:
    assert to_e164("0412 345 678", "AU") == "+61412345678"
    assert to_e164("0412 345 678", "US") == "+10412345678"  # possible, and wrong
    assert same_number("0412 345 678", "+61412345678", "AU")
    assert not same_number("0412 345 678", "+61412345678", "US")


def test_check_region() -> None:
    assert check_region(" au ") == "AU"
    for text in ("UK", "XX", "AUS", "001", ""):
        with pytest.raises(ValueError, match="ISO 3166-1 alpha-2"):
            check_region(text)


def test_region_of_a_number() -> None:
    assert region_of("+61200000000") == "AU"
    assert region_of("+442071234567") == "GB"
    assert region_of("+80012345678") is None  # non-geographic
    assert region_of("0412 345 678") is None  # no country code
    assert region_of("junk") is None


def test_default_region() -> None:
    routed = ["+80012345678", "+6491234567", "+61200000000"]
    assert default_region("AU", routed).code == "AU"
    derived = default_region(None, routed)
    assert (derived.code, derived.source) == ("NZ", "routed number +6491234567")
    assert default_region(None, ["+80012345678"]).code == "US"
    assert default_region(None, []).code == "US"


def test_mask_keeps_prefix_and_last_three_digits() -> None:
    assert mask("+61409999999") == "+6140****999"
    assert mask("call from +61409999999 to +14155550100 ok") == (
        "call from +6140****999 to +1415****100 ok"
    )
    assert mask("From=%2B61409999999") == "From=%2B61****999"
    assert mask("+61 409 999 999") == "+61 4****999"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("61 409 999 999", "61 40****999"),
        ("+61 - 409 - 999 - 999", "+61 -****999"),
        ("0412 345 678", "0412 ****678"),
        ("0412-345-678", "0412-****678"),
        ("(04) 1234.5678", "(04) ****678"),
        ("555-0100", "****"),
        ("To=61/409/999/999&x=1", "To=61/40****999&x=1"),
    ],
)
def test_mask_catches_numbers_written_with_separators(text: str, masked: str) -> None:
    """Seven digits or more, grouped any way a person or a CSV writes them."""
    assert mask(text) == masked


def test_mask_leaves_ids_and_times_alone() -> None:
    text = "CA0123456789abcdef0123456789abcdef interaction 1001 at 2026-11-27 10:30:02"
    assert mask(text) == text
    uuid = "7aa870f0-046f-11e7-9cc9-9de741d6e753"
    assert mask(uuid) == uuid
    for kept in [
        "2026-11-27T10:30:02Z",
        "serving on 127.0.0.1:8080",
        "SDX GET /interactions/1234567 answered 404",
        "a long id 12345678901234567890",
    ]:
        assert mask(kept) == kept


@given(st.text(alphabet="0123456789+-. ()/%2Bx\n", max_size=24))
@example("1234567")  # the shortest text the pattern masks
@example("+123456")
@settings(max_examples=400, deadline=None)
def test_mask_gives_what_the_pattern_gives_short_text_included(text: str) -> None:
    # mask() returns text shorter than seven characters untouched without
    # running the pattern: no such text can hold the seven digits it needs.
    whole = numbers._PHONE_LIKE.sub(lambda m: numbers._mask_one(m.group(0)), text)
    assert mask(text) == whole
