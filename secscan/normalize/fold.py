"""The folding itself: one translate table plus one noise regex.

* NFKC, applied per character where it yields exactly one character (full-width forms,
  compatibility ideographs, Kangxi radicals → the ordinary character).  Characters whose
  NFKC form is longer (㈠, ½) are left alone: no rule needs them, and keeping the
  mapping one-to-one keeps offsets simple.
* Traditional → simplified, per character, from OpenCC's ``t2s`` table (機→机, 祕→秘).
* Star variants (☆ * ＊ ✩ …) → ★, so ``机密*10年`` is ``机密★10年``.
* Noise deleted: zero-width and format characters anywhere; runs of spaces anywhere
  except between two Latin letters (``机 密 ★ 1 0 年`` → ``机密★10年``, ``pass word``
  stays two words).  Newlines are kept: line structure matters for the 版头 rules.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
import unicodedata

from secscan.normalize.offsets import OffsetMap

STAR = "★"
_STAR_VARIANTS = "☆*＊✩✪✫✬✭✮✯✰⋆✱✲✳✴✵✶✷✸⭐🟉"
_ZERO_WIDTH = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
_SPACES = " \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_LATIN = "A-Za-z\uff21-\uff3a\uff41-\uff5a"

# A run of spaces and zero-width characters, unless it separates two Latin letters, or
# a run of zero-width characters alone (deleted even between Latin letters).
NOISE_RE = re.compile(
    rf"(?<![{_LATIN}])[{_SPACES}{_ZERO_WIDTH}]+|[{_SPACES}{_ZERO_WIDTH}]+(?![{_LATIN}])|[{_ZERO_WIDTH}]+"
)


@functools.cache
def _table() -> dict[int, int]:
    table: dict[int, int] = {}
    for code in itertools.chain(range(0x80, 0xD800), range(0xE000, 0x10000), range(0x2F800, 0x2FA20)):
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch and len(folded) == 1:
            table[code] = ord(folded)
    table.update(_t2s_table(table))
    for ch in _STAR_VARIANTS:
        table[ord(ch)] = ord(STAR)
    return table


def _t2s_table(nfkc: dict[int, int]) -> dict[int, int]:
    """Per-character traditional→simplified mapping, composed after NFKC."""
    import opencc

    converter = opencc.OpenCC("t2s")
    sources = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]
    converted = converter.convert("\n".join(sources)).split("\n")
    out: dict[int, int] = {}
    if len(converted) != len(sources):  # never seen; fall back to no t2s rather than misalign
        print("secscan: OpenCC returned an unexpected table; t2s folding off", file=sys.stderr)
        return out
    simple = {s: t for s, t in zip(sources, converted) if s != t and len(t) == 1}
    for s, t in simple.items():
        out[ord(s)] = ord(t)
    # characters that NFKC maps to a traditional form get the simplified one
    for src, dst in list(nfkc.items()):
        target = simple.get(chr(dst))
        if target:
            out[src] = ord(target)
    return out


def normalize(text: str) -> tuple[str, OffsetMap]:
    """Fold ``text`` for matching; return it with the map back to ``text``'s offsets."""
    table = _table()
    runs = [m.span() for m in NOISE_RE.finditer(text)]
    if not runs:
        return text.translate(table), OffsetMap()
    pieces: list[str] = []
    prev = 0
    for start, end in runs:
        pieces.append(text[prev:start])
        prev = end
    pieces.append(text[prev:])
    return "".join(pieces).translate(table), OffsetMap.from_deletions(runs)


def fold_term(term: str) -> str:
    """The same folding for a lexicon term."""
    return normalize(term)[0]
