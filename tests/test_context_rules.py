"""The sensitive-matter rules of lexicons/context_rules.toml: positive and negative cases."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import numpy as np
import pytest
from msgspec.structs import replace

from secscan.config import Config
from secscan.detect.context import (
    PARSED_SUFFIX,
    RULES_FILE,
    Alternative,
    Group,
    RuleFileError,
    _read,
    _signal_near,
    load_rules,
    parse_rules,
    write_parsed_twin,
)
from secscan.pipeline import Scanner
from secscan.resources import lexicon_dir
from secscan.types import Category, Verdict

RULES_ONLY = Config(today="2026-11-23", use_model=False)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(RULES_ONLY)


def context_findings(scanner: Scanner, text: str) -> list:
    return [f for f in scanner.scan_text(text).findings if f.rule.startswith("context.")]


# (rule, text that must fire it, the anchor or signal the finding's text must hold)
POSITIVE = [
    ("context.cadre_deliberation",
     "党组会议酝酿了干部调整意见,办公室副主任周某拟任规划科科长,待考察后再议。", "干部"),
    ("context.land_draft",
     "某片区拆迁补偿方案(征求意见稿)\n住宅房屋补偿标准暂定为每平方米2300元,请各部门反馈意见。", "补偿"),
    ("context.petitioner_details",
     "信访人:钱某某,住某区解放路18号,电话13922223333,反映养老金问题。", "信访人"),
    ("context.stability_response",
     "对排查出的群体性事件苗头,由街道牵头制定处置预案,公安部门提前部署警力。", "群体性事件"),
    ("context.exam_before_use",
     "2026年度执法资格考试试题(B卷)\n启用前\n一、判断题", "试题"),
    ("context.exam_before_use",
     "本次考试试卷已印制完毕,考试时间为2027年3月15日上午,请考务组封存。", "试卷"),
    ("context.secret_staff_list",
     "本单位涉密人员:王建国、李红梅、张志强、刘海燕,以上人员每年复核一次。", "涉密人员"),
    ("context.key_location",
     "我局保密要害部门为机要室,位于办公楼三楼312室,配备门禁和报警装置。", "机要室"),
]

NEGATIVE = [
    # a 公示 publishes the appointment: the rule requires its absence
    ("context.cadre_deliberation",
     "经市委研究,拟任王某为市商务局局长,现予公示。公示期:2026年6月3日至6月7日。监督电话:0000-12380。"),
    # an article that tells of a deliberation, with no post nor name
    ("context.cadre_deliberation",
     "曾经有个单位党委酝酿中层干部调整问题,由于个别领导不注意保密工作,散会不久干部职工就议论得沸沸扬扬。"),
    # a published 征收补偿方案: no draft signal anywhere
    ("context.land_draft",
     "某县人民政府征地补偿安置方案公告\n补偿标准按照省政府公布的区片综合地价执行。特此公告。"),
    ("context.petitioner_details",
     "市信访局组织领导干部公开接访,接待来访群众120余人次,现场解决了一批问题。"),
    ("context.stability_response",
     "会议指出,全区社会大局保持和谐稳定,群众安全感满意度持续提升。"),
    # a 试题 after the exam, dated in the past
    ("context.exam_before_use",
     "2025年高考语文试题评析:试题难度适中,作文题关注科技与人的关系。考试时间为2025年6月7日。"),
    # 涉密人员 in running text, an enumeration that is not of names
    ("context.secret_staff_list",
     "进一步规范涉密人员管理,落实上岗、在岗、离岗各环节要求,加强教育培训。"),
    ("context.key_location",
     "保密要害部门部位是指集中产生、存储、处理国家秘密的机构和场所,要落实技防措施。"),
]


@pytest.mark.parametrize(("rule", "text", "holds"), POSITIVE)
def test_rule_fires(scanner: Scanner, rule: str, text: str, holds: str) -> None:
    found = [f for f in context_findings(scanner, text) if f.rule == rule]
    assert found, f"{rule} did not fire"
    finding = found[0]
    assert finding.category is Category.SENSITIVE_MATTER
    assert holds in finding.text
    assert text[finding.start:finding.end] == finding.text
    assert finding.location.paragraph is not None
    assert finding.reason and "{" not in finding.reason
    assert scanner.scan_text(text).verdict is not Verdict.PASS


@pytest.mark.parametrize(("rule", "text"), NEGATIVE)
def test_rule_stays_silent(scanner: Scanner, rule: str, text: str) -> None:
    assert rule not in {f.rule for f in context_findings(scanner, text)}


def test_window_is_in_characters(scanner: Scanner) -> None:
    near = "群体性事件" + "。" * 10 + "处置"
    far = "群体性事件" + "。" * 120 + "处置"  # the stability rule's window is 100 characters
    assert {f.rule for f in context_findings(scanner, near)} == {"context.stability_response"}
    assert context_findings(scanner, far) == []


def test_publish_signal_lowers_below_review(scanner: Scanner) -> None:
    text = "涉密人员培训合格名单:王建国、李红梅、张志强。\n(此件公开发布)"
    report = scanner.scan_text(text)
    found = [f for f in report.findings if f.rule == "context.secret_staff_list"]
    assert found and found[0].score < RULES_ONLY.review_threshold
    assert "此件公开发布" in found[0].reason
    assert report.verdict is Verdict.PASS


def test_internal_signal_raises_to_block(scanner: Scanner) -> None:
    base = "对排查出的群体性事件苗头,由街道牵头制定处置预案,公安部门提前部署警力。"
    assert scanner.scan_text(base).verdict is Verdict.REVIEW
    raised = scanner.scan_text(base + "\n本方案内部掌握。")
    finding = next(f for f in raised.findings if f.rule == "context.stability_response")
    assert finding.score >= RULES_ONLY.block_threshold and "内部掌握" in finding.reason
    assert raised.verdict is Verdict.BLOCK


def test_traditional_and_spaced_text_fires(scanner: Scanner) -> None:
    text = "信訪人:錢某某,住某區解放路18號,電話 139 2222 3333。"
    found = [f for f in context_findings(scanner, text) if f.rule == "context.petitioner_details"]
    assert found and text[found[0].start:found[0].end] == found[0].text


def test_future_date_follows_config_today() -> None:
    text = "招聘考试试卷已送印,考试日期2026年12月20日。"
    before = Scanner(Config(today="2026-11-23", use_model=False)).scan_text(text)
    after = Scanner(Config(today="2027-01-05", use_model=False)).scan_text(text)
    assert "context.exam_before_use" in {f.rule for f in before.findings}
    assert "context.exam_before_use" not in {f.rule for f in after.findings}


def test_disabled_rule_is_dropped() -> None:
    config = Config(today="2026-11-23", use_model=False, disabled_rules=("context.key_location",))
    text = "我局保密要害部门为机要室,位于办公楼三楼312室。"
    assert not [f for f in Scanner(config).scan_text(text).findings if f.rule == "context.key_location"]


def test_every_rule_is_declared_and_has_a_case() -> None:
    declared = {r.id for r in load_rules().rules}
    assert declared == {rule for rule, _, _ in POSITIVE} == {rule for rule, _ in NEGATIVE}
    from secscan.rules import rule_table

    assert declared <= set(rule_table())


@pytest.mark.parametrize(("data", "message"), [
    ({"rule": [{"id": "sensitive.x", "title": "t", "reason": "r", "anchors": ["a"], "window": 5,
                "require": [{"terms": ["b"]}]}]}, "context."),
    ({"rule": [{"id": "context.x", "title": "t", "reason": "r", "anchors": ["a"], "window": 5,
                "require": [{"terms": ["@nope"]}]}]}, "unknown pattern"),
    ({"rule": [{"id": "context.x", "title": "t", "reason": "r", "anchors": ["a"], "window": 5}]}, "missing key"),
    ({"patterns": {"bad": "("}, "rule": []}, "pattern bad"),
])
def test_bad_rule_files_are_refused(data: dict, message: str) -> None:
    with pytest.raises(RuleFileError, match=message):
        parse_rules(data)


_SAMPLE = ("信访人:王小明 13912345678 幸福路12号 3号楼2单元 王某某 张三、李四(处长)、王五 412室 东侧 "
           "地下一层 副局长 0571-1234567 某村3组 阳光小区 涉密人员名单如下,会议在五楼召开。") * 4


def _random_windows(text: str, n: int, seed: int = 7) -> list[tuple[int, int, tuple[int, int]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        lo = rng.randrange(len(text) - 1)
        hi = rng.randrange(lo + 1, min(len(text), lo + 200) + 1)
        a = rng.randrange(lo, hi)
        out.append((lo, hi, (a, a + rng.randrange(3))))
    return out


def _pattern_groups() -> list[Group]:
    return [g for r in load_rules().rules for g in r.groups if not g.literals]


def test_prefilter_and_split_alternation_never_change_a_window_result() -> None:
    """Alternatives tried apart, with their prefilters, find what the one joined regex finds."""
    groups = [g for g in _pattern_groups() if any(a.prefilter is not None for a in g.alternatives)]
    assert len(groups) >= 4
    for group in groups:
        joined = replace(group, alternatives=(Alternative(group.regex),) if group.regex else ())
        for lo, hi, anchor in _random_windows(_SAMPLE, 300):
            args = (_SAMPLE, lo, hi, dt.date(2026, 1, 1), anchor)
            assert _signal_near(group, *args) == _signal_near(joined, *args)


def test_window_filter_keeps_every_window_with_a_signal() -> None:
    """_alive only closes windows where _signal_near finds nothing (keys and stretched prefilters)."""
    from secscan.detect.context import _alive, _TermIndex

    ruleset = load_rules()
    index = _TermIndex.build(ruleset)
    text = _SAMPLE + "。" * 300 + _SAMPLE.replace("室", "")  # stretches apart, and a key missing in some
    terms = index.scan(text)
    windows = sorted(_random_windows(text, 400, seed=3))
    lows = np.array([w[0] for w in windows])
    highs = np.array([w[1] for w in windows])
    kept_some = closed_some = False
    for group in _pattern_groups():
        rows = _alive(group, text, lows, highs, np.ones(len(windows), dtype=bool),
                      lambda keys: terms.occurrences(index.id_set(keys)).starts)
        kept = np.ones(len(windows), dtype=bool) if rows is None else rows.any(axis=0)
        for (lo, hi, anchor), keep in zip(windows, kept.tolist(), strict=True):
            found = _signal_near(group, text, lo, hi, dt.date(2026, 1, 1), anchor)
            assert keep or found is None, (group.regex.pattern if group.regex else "", lo, hi)
            kept_some |= keep
            closed_some |= not keep
    assert kept_some and closed_some


def test_signal_near_told_which_alternatives_are_alive_finds_the_same_signal() -> None:
    """The window filter's per-alternative verdicts replace the per-window prefilter searches."""
    from secscan.detect.context import _alive, _TermIndex

    index = _TermIndex.build(load_rules())
    text = _SAMPLE + "。" * 300 + _SAMPLE.replace("室", "")
    terms = index.scan(text)
    windows = sorted(_random_windows(text, 400, seed=4))
    lows, highs = np.array([w[0] for w in windows]), np.array([w[1] for w in windows])
    checked, found, ruled_out = 0, 0, 0
    for group in _pattern_groups():
        rows = _alive(group, text, lows, highs, np.ones(len(windows), dtype=bool),
                      lambda keys: terms.occurrences(index.id_set(keys)).starts)
        if rows is None:
            continue
        checked += 1
        ruled_out += int((~rows).sum())
        for i, (lo, hi, anchor) in enumerate(windows):
            told = _signal_near(group, text, lo, hi, dt.date(2026, 1, 1), anchor, rows[:, i])
            assert told == _signal_near(group, text, lo, hi, dt.date(2026, 1, 1), anchor), (i, lo, hi)
            found += told is not None
    assert checked >= 3 and found and ruled_out


def test_prefilter_runs_leave_out_ends_as_common_as_any_character() -> None:
    """A CJK range at a run's end makes it no rarer: left out, re compiles no range and skips to 村."""
    from secscan.detect.context import _char_weight, _parsed, _prefilter, _required

    pattern = r"[一-鿿]{1,6}村\d+组|[一-鿿]{2,8}小区"
    _weight, runs = _required(list(_parsed(pattern)))
    assert all(_char_weight(*run[0]) < 1.0 and _char_weight(*run[-1]) < 1.0 for run in runs)
    assert {"".join(chr(av) for op, av in run if isinstance(av, int)) for run in runs} == {"村", "小区"}
    alt = _prefilter(pattern)
    assert alt.prefilter is not None and alt.keys is None  # 村 is one character: the prefilter decides
    assert _prefilter(r"[一-鿿]{2,8}小区|[一-鿿]{1,6}社区\d+号").keys == ("小区", "社区")
    for text, holds in (("住在东风村3组的村民", True), ("阳光小区", True), ("村里的道路", False)):
        assert any(p.search(text) for p in alt.prefilter) is holds
        assert bool(alt.regex.search(text)) is holds


def test_prefilter_runs_led_by_a_class_are_searched_from_their_literal() -> None:
    """``[一二…\\d]楼`` is searched as ``楼(?<=[一二…\\d]楼)``: one alternation for all runs, as selective."""
    from secscan.detect.context import _prefilter

    pattern = r"[A-Za-z]?\d{2,4}室|[一二三四五六七八九十\d]{1,2}(?:楼|层)|\d+(?:栋|幢)"
    alt = _prefilter(pattern)
    assert alt.prefilter is not None and len(alt.prefilter) == 1  # every run led by a literal: one regex
    cases = (("3楼会议室", True), ("十二层", True), ("A305室", True), ("2栋", True), ("办公楼", False),
             ("会议室", False), ("高层", False), ("楼3", False), ("第3", False))
    for text, holds in cases:
        assert any(p.search(text) for p in alt.prefilter) is holds, text
        assert bool(alt.regex.search(text)) is holds, text
    rnd = random.Random(9)
    text = "".join(rnd.choice("0123456789一二三楼层室栋幢大会议A。\n") for _ in range(4000))
    for lo in range(0, 4000, 37):  # wherever the pattern matches in a window, the prefilter does
        window = text[lo:lo + rnd.randint(1, 40)]
        if alt.regex.search(window):
            assert any(p.search(window) for p in alt.prefilter), window


def test_name_list_pattern_is_the_plain_form_written_for_speed() -> None:
    """The shipped name_list starts on the surname class; it matches as the plain
    ``(?:(?<![一-鿿])姓 名 (职务)? 分隔)){2,}姓 名`` it stands for."""
    from secscan.detect.context import _read

    shipped = _read(lexicon_dir() / RULES_FILE)["patterns"]["name_list"]
    surnames = shipped[:shipped.index("]") + 1]
    rest = r"[一-鿿]{1,2}(?:[((][^))\n]{1,12}[))])?[、,,;;\s]+"
    plain = re.compile(f"(?:(?<![一-鿿]){surnames}{rest}){{2,}}{surnames}[一-鿿]{{1,2}}")
    fast = re.compile(shipped)
    assert fast.search("参会人员:王小明、李华(主任)、张伟。") and fast.search("王芳,刘洋;陈静")
    assert not fast.search("王小明、李华出席") and not fast.search("我们王小明、李华、张伟")
    rnd = random.Random(21)
    alphabet = "王李张刘陈高方金马周的了是在,、;; \n(主任)测试村民A1"
    matches = 0
    for _ in range(6000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 50)))
        spans = [m.span() for m in fast.finditer(text)]
        assert spans == [m.span() for m in plain.finditer(text)], text
        matches += len(spans)
    assert matches > 50


def test_the_term_index_holds_no_one_character_key() -> None:
    """室, 号, 村 … would be reported thousands of times by the automaton: keys have two characters or more."""
    from secscan.detect.context import _TermIndex

    ruleset = load_rules()
    keys = {k for r in ruleset.rules for g in r.groups for a in g.alternatives for k in a.keys or ()}
    assert keys and min(map(len, keys)) >= 2
    assert all(len(t) >= 2 for t in _TermIndex.build(ruleset).ids)


def test_prefilter_spells_out_whitespace_as_the_characters_re_matches() -> None:
    """In a prefilter's class, \\s becomes its characters (a bitmap re tests fast): the same ones."""
    import unicodedata

    from secscan.detect.context import _SPACES, _SPACES_UNICODE, _prefilter

    if unicodedata.unidata_version == _SPACES_UNICODE:
        assert _SPACES == "".join(chr(c) for c in range(0x110000) if re.match(r"\s", chr(c)))
    alt = _prefilter(r"(?:王[一-鿿]{1,2}[、,\s]+){2,}王[一-鿿]")
    assert alt.prefilter is not None
    if unicodedata.unidata_version == _SPACES_UNICODE:
        assert not any("CATEGORY" in str(p._make.args[0]) for p in alt.prefilter)  # type: ignore[attr-defined]
    for space in [*_SPACES, "、", ","]:
        text = f"王小明{space}王大"
        assert any(p.search(text) for p in alt.prefilter), repr(space)
        assert alt.regex.search(f"王小明{space}王大{space}王二") is not None
    assert not any(p.search("王小明。王大") for p in alt.prefilter)


def test_prefilter_spares_the_pattern_regexes_in_windows_without_signals() -> None:
    """Work guard: anchors in a plain article run no pattern regex at all."""
    text = "保密要害部门的管理要求严格执行规定。涉密人员应当遵守保密纪律。" * 20
    calls = 0

    class Counting:
        def __init__(self, regex: re.Pattern[str]) -> None:
            self.regex = regex
            self.pattern = regex.pattern

        def finditer(self, window: str):
            nonlocal calls
            calls += 1
            return self.regex.finditer(window)

        def search(self, window: str, pos: int = 0):
            nonlocal calls
            calls += 1
            return self.regex.search(window, pos)

    groups = [g for g in _pattern_groups() if all(a.prefilter is not None for a in g.alternatives) and not g.future_date]
    assert groups
    for group in groups:
        counted = replace(group, alternatives=tuple(
            replace(a, regex=Counting(a.regex)) for a in group.alternatives))  # type: ignore[arg-type]
        for lo in range(0, len(text) - 100, 37):
            assert _signal_near(counted, text, lo, lo + 100, dt.date(2026, 1, 1)) is None
    assert calls == 0


def _fresh_rules():
    """The shipped rule set, parsed anew: nothing in it compiled yet."""
    return parse_rules(__import__("tomllib").loads((lexicon_dir() / "context_rules.toml").read_text(encoding="utf-8")))


def test_each_named_pattern_is_compiled_once() -> None:
    """Build guard: groups share the compiled pattern instead of recompiling it in an alternation."""
    rules = _fresh_rules()
    regexes = [a.regex for r in rules.rules for g in r.groups for a in g.alternatives]
    by_pattern: dict[str, set[int]] = {}
    for regex in regexes:
        by_pattern.setdefault(regex.pattern, set()).add(id(regex))
    assert all(len(ids) == 1 for ids in by_pattern.values())
    assert len(regexes) > len(by_pattern)  # labelled_name is named by three rules


def _rule_regexes() -> list:
    rules = _fresh_rules()
    found = [a.regex for r in rules.rules for g in r.groups for a in g.alternatives]
    found += [p for r in rules.rules for g in r.groups for a in g.alternatives for p in a.prefilter or ()]
    return list({id(x): x for x in found}.values())


def test_rule_regexes_compile_on_first_use_and_every_shipped_one_compiles() -> None:
    """Build guard: parsing the rule file compiles no regex (a CJK range costs re ~2 ms);
    each one, compiled, is the pattern it stands for."""
    regexes = _rule_regexes()
    assert len(regexes) > 15
    assert not any("search" in vars(r) for r in regexes)  # nothing compiled by the build
    for regex in regexes:
        regex.search("")  # compiles: a look-behind of varying width would fail here, not in a scan
        assert "search" in vars(regex)
        if regex.pattern is not None:
            assert [m.span() for m in regex.finditer(_SAMPLE)] == [m.span() for m in re.finditer(regex.pattern, _SAMPLE)]


def test_a_plain_article_compiles_few_rule_regexes() -> None:
    """Work guard: an article with no rule's anchor and signal nearby needs few of the patterns."""
    load_rules.cache_clear()  # a rule set of this test's own, nothing compiled yet
    try:
        article = (Path(__file__).parent / "fixtures" / "context" / "pub_01_secrecy_month.txt").read_text(encoding="utf-8")
        assert Scanner(RULES_ONLY).scan_text(article).verdict is Verdict.PASS
        used = [a.regex for r in load_rules().rules for g in r.groups for a in g.alternatives]
        compiled = [r.pattern for r in used if "search" in vars(r)]
        assert len(compiled) < len(used) / 2, compiled
    finally:
        load_rules.cache_clear()


def test_shipped_parsed_twin_is_what_the_rule_file_parses_to(tmp_path: Path) -> None:
    import tomllib

    shipped = lexicon_dir() / RULES_FILE
    copy = tmp_path / RULES_FILE
    copy.write_bytes(shipped.read_bytes())
    made = write_parsed_twin(copy)
    twin = (lexicon_dir() / made.name).read_text(encoding="utf-8")
    assert twin == made.read_text(encoding="utf-8"), (
        "the parsed twin is stale: run python -c 'from secscan.detect.context import write_parsed_twin; write_parsed_twin()'")
    assert _read(shipped) == tomllib.loads(shipped.read_text(encoding="utf-8"))


def test_an_edited_rule_file_is_parsed_and_a_stale_or_broken_twin_ignored(tmp_path: Path) -> None:
    path = tmp_path / RULES_FILE
    text = (lexicon_dir() / RULES_FILE).read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    write_parsed_twin(path)
    twin = path.with_name(path.stem + PARSED_SUFFIX)
    assert [r.id for r in load_rules(path).rules] == [r.id for r in load_rules().rules]
    # the TOML edited after the twin was made: a rule renamed
    first = load_rules().rules[0].id
    path.write_text(text.replace(f'id = "{first}"', 'id = "context.edited_after_the_twin"', 1), encoding="utf-8")
    _read.cache_clear()
    assert load_rules.__wrapped__(path).rules[0].id == "context.edited_after_the_twin"
    for broken in ("{not json", '{"source_sha256": 1}', "[]"):
        twin.write_text(broken, encoding="utf-8")
        _read.cache_clear()
        assert load_rules.__wrapped__(path).rules[0].id == "context.edited_after_the_twin"
    path.write_text("[[rule]\nid = ", encoding="utf-8")
    _read.cache_clear()
    with pytest.raises(RuleFileError):
        load_rules.__wrapped__(path)
    _read.cache_clear()
