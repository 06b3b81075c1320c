"""GB 11643 (ISO 7064 MOD 11-2), Luhn and GB 32100 check characters."""

from __future__ import annotations

import random

import pytest

from secscan.detect.checksums import (
    USCC_ALPHABET,
    birth_date,
    luhn_check_digit,
    luhn_ok,
    resident_id_check_char,
    resident_id_checksum_ok,
    uscc_check_char,
    uscc_ok,
)


def test_gb11643_examples_from_the_standard() -> None:
    # the two worked examples printed in GB 11643-1999 itself
    assert resident_id_checksum_ok("11010519491231002X")
    assert resident_id_checksum_ok("11010519491231002x")
    assert resident_id_checksum_ok("440524188001010014")
    assert not resident_id_checksum_ok("110105194912310021")
    assert not resident_id_checksum_ok("44052418800101001")
    assert not resident_id_checksum_ok("4405241880010100１4")  # full-width digit: callers fold first


def test_every_wrong_check_character_fails() -> None:
    body = "32010219850612345"
    good = resident_id_check_char(body)
    for c in "0123456789X":
        assert resident_id_checksum_ok(body + c) is (c == good)


def test_birth_date_of_both_forms() -> None:
    assert str(birth_date("11010519491231002X")) == "1949-12-31"
    assert str(birth_date("110105491231002")) == "1949-12-31"
    assert birth_date("110105194913310021") is None
    assert birth_date("12345") is None


def test_luhn_known_numbers_and_single_digit_errors() -> None:
    assert luhn_ok("4111111111111111")
    assert luhn_ok("79927398713")
    rng = random.Random(7)
    for _ in range(200):
        body = "62" + "".join(rng.choice("0123456789") for _ in range(15))
        number = body + luhn_check_digit(body)
        assert luhn_ok(number)
        pos = rng.randrange(len(number))
        wrong = number[:pos] + str((int(number[pos]) + rng.randint(1, 9)) % 10) + number[pos + 1:]
        assert not luhn_ok(wrong)  # Luhn catches every single-digit error
    assert not luhn_ok("12a4")
    assert not luhn_ok("7")


def test_gb32100_check_character() -> None:
    assert uscc_ok("91350100M000100Y43")
    assert uscc_ok("91350100m000100y43")
    assert not uscc_ok("91350100M000100Y44")
    assert not uscc_ok("91350100M000100Y4")
    assert not uscc_ok("91350100I000100Y43")  # I is not in the alphabet
    rng = random.Random(3)
    for _ in range(100):
        body = rng.choice("159Y") + rng.choice("123") + "".join(rng.choice(USCC_ALPHABET) for _ in range(15))
        assert uscc_ok(body + uscc_check_char(body))


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError):
        resident_id_check_char("1234")
    with pytest.raises(ValueError):
        uscc_check_char("O" * 17)
