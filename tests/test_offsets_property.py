"""Whatever noise is inserted, a finding's text is exactly the source slice it points at."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from secscan import Config, Scanner
from secscan.normalize import normalize

NOISE = st.sampled_from([" ", "\u200b", "\u3000", "\t", "\ufeff", "\u00a0", "\u2060", "  "])
MARKINGS = ["机密★10年", "秘密★2027年12月31日", "绝密★启用前", "內部資料注意保存", "请勿外传"]
SCANNER = Scanner(Config(today="2026-11-23"))


def _sprinkle(data, text: str) -> str:
    out = []
    for ch in text:
        out.append(ch)
        if data.draw(st.booleans()):
            out.append(data.draw(NOISE))
    return "".join(out)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.sampled_from(MARKINGS), st.text(alphabet="关于工作的通知各单位,。\n0123abc", max_size=40))
def test_every_finding_points_at_its_original_characters(data, marking, tail):
    noisy = _sprinkle(data, marking)
    text = noisy + "\n" + tail
    report = SCANNER.scan_text(text)
    assert report.findings, (text, marking)
    for f in report.findings:
        assert text[f.start:f.end] == f.text
    first = report.findings[0]
    assert first.start == 0 or not text[: first.start].strip(" \u200b\u3000\t\ufeff\u00a0\u2060")
    assert normalize(first.text)[0] == normalize(marking)[0]


NO_LATIN = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"), max_size=60)


@settings(max_examples=200, deadline=None)
@given(NO_LATIN)
def test_offset_map_round_trips_any_text(text):
    folded, offsets = normalize(text)
    assert len(folded) <= len(text)
    for i in range(len(folded)):
        for j in range(i + 1, min(len(folded), i + 4) + 1):
            lo, hi = offsets.span(i, j)
            # the original slice folds to exactly the normalized slice it came from
            assert normalize(text[lo:hi])[0] == folded[i:j]
