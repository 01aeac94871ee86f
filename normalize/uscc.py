"""统一社会信用代码 (unified social credit code) check digit, GB 32100-2015.

Own implementation: python-stdnum's ``cn.uscc`` rejects valid codes whose
registration-authority character is a letter.
"""

from __future__ import annotations

import re

__all__ = ["make_uscc", "validate_uscc"]

# GB 32100-2015 alphabet: digits and capitals without I, O, Z, S, V.
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Positions 3–8 are the registering authority's GB/T 2260 region code, always digits.
_SHAPE = re.compile(r"[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}")


def _check_char(body: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(body, _WEIGHTS, strict=True))
    return _ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str | None) -> bool:
    """True when ``code`` is an 18-character USCC with the right check character."""
    if not isinstance(code, str):
        return False
    c = code.strip().upper()
    if len(c) != 18 or not _SHAPE.fullmatch(c):
        return False
    return _check_char(c[:17]) == c[17]


def make_uscc(prefix17: str) -> str:
    """``prefix17`` plus its check character (for building test data).

    Raises ``ValueError`` when the prefix is not 17 characters of the USCC alphabet.
    """
    p = prefix17.strip().upper()
    if len(p) != 17 or any(ch not in _VALUE for ch in p):
        raise ValueError(f"not a 17-character USCC prefix: {prefix17!r}")
    return p + _check_char(p)
