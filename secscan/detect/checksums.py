"""Check characters of the numbers the personal-information detector validates.

Pure functions over ASCII strings; callers strip spaces and dashes first.

* GB 11643-1999 公民身份号码: 17 digits + an ISO 7064 MOD 11-2 check character (``X``
  stands for 10).
* Luhn (ISO/IEC 7812-1 Annex B): the check digit of payment card numbers.
* GB 32100-2015 统一社会信用代码: 17 characters + a MOD 31 check character over the
  alphabet of digits and upper-case letters without I, O, Z, S, V.
"""

from __future__ import annotations

import datetime as dt

# ISO 7064 MOD 11-2: weight of position i (1-based from the left) is 2**(18-i) mod 11
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"  # check character by (weighted sum mod 11)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(body17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError("need 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_checksum_ok(number: str) -> bool:
    """True when an 18-character number's last character is its GB 11643 check character."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    return resident_id_check_char(number[:17]) == number[17].upper()


def birth_date(number: str) -> dt.date | None:
    """The 出生日期码 of an 18-digit (YYYYMMDD at 7–14) or 15-digit (YYMMDD, 19YY) number."""
    try:
        if len(number) == 18:
            return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if len(number) == 15:
            return dt.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return None
    return None


def luhn_ok(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the rest."""
    if len(digits) < 2 or not digits.isascii() or not digits.isdigit():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def luhn_check_digit(body: str) -> str:
    """The Luhn check digit to append to ``body``."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled: these positions sit next to the check digit
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def uscc_check_char(body17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    if len(body17) != 17 or any(c not in _USCC_VALUE for c in body17):
        raise ValueError("need 17 characters of the GB 32100 alphabet")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_ok(code: str) -> bool:
    """True for an 18-character 统一社会信用代码 with a correct check character."""
    code = code.upper()
    if len(code) != 18 or any(c not in _USCC_VALUE for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]
