"""The pipeline end to end: seeds pass, scoring and verdicts, allow-lists, bad files."""

from __future__ import annotations

from pathlib import Path

from secscan import Config, Scanner
from secscan.types import Document, ErrorKind, Part, PartKind, ReadError, Verdict


def test_all_five_seeds_pass(scanner, seeds):
    for seed in seeds:
        report = scanner.scan_path(seed)
        assert report.verdict is Verdict.PASS, (seed.name, [(f.rule, f.text) for f in report.findings])
        assert report.errors == ()


def test_traditional_seed_is_folded_before_matching(scanner, seeds):
    text = seeds[0].read_text(encoding="utf-8")
    assert "機密" in text  # the seed really is traditional
    report = scanner.scan_text("機密★10年\n" + text)
    assert report.findings[0].rule == "marking.star_period"
    assert report.verdict is Verdict.BLOCK


def test_seed_with_marking_added_at_head_blocks(scanner, seeds):
    text = seeds[1].read_text(encoding="utf-8")
    report = scanner.scan_text("秘密★5年\n" + text)
    assert report.verdict is Verdict.BLOCK
    assert report.findings[0].location.line == 1


def test_score_is_bounded_and_follows_the_heaviest_finding(scanner):
    many = "\n".join(["机密★10年", "请勿外传", "仅供内部参考", "内部明电", "本文件含国家秘密"])
    report = scanner.scan_text(many)
    assert report.verdict is Verdict.BLOCK and 90 <= report.score <= 100
    clean = scanner.scan_text("关于开展全民国家安全教育日活动的通知")
    assert clean.verdict is Verdict.PASS and clean.score < 40


def test_errors_force_review_even_without_findings(scanner):
    doc = Document("x.pdf", "application/pdf", (Part(PartKind.BODY, "正文"),), (ReadError(ErrorKind.ENCRYPTED, "已加密"),))
    report = scanner.scan_document(doc)
    assert report.verdict is Verdict.REVIEW and report.findings == ()


def test_template_comments_are_not_findings_but_hidden_prose_is_review():
    template = Scanner().scan_document(Document("p.html", "text/html", (
        Part(PartKind.BODY, "政务公开"), Part(PartKind.HTML_COMMENT, "header start 头部开始"))))
    assert template.findings == () and template.verdict is Verdict.PASS
    prose = Scanner().scan_document(Document("p.html", "text/html", (
        Part(PartKind.BODY, "政务公开"), Part(PartKind.HTML_COMMENT, "原稿第三段已删去,涉及拆迁户补偿争议"))))
    assert [f.rule for f in prose.findings] == ["hidden.html_comment"]
    assert prose.verdict is Verdict.REVIEW


def test_document_properties_are_review():
    report = Scanner().scan_document(Document("a.docx", "docx", (
        Part(PartKind.BODY, "关于开展植树活动的通知"), Part(PartKind.METADATA, "author: 张三\ncompany: ××县财政局"))))
    assert [f.rule for f in report.findings] == ["hidden.metadata"]
    assert report.findings[0].text == "author: 张三"
    assert report.verdict is Verdict.REVIEW
    titled = Scanner().scan_document(Document("a.docx", "docx", (
        Part(PartKind.BODY, "关于开展植树活动的通知"), Part(PartKind.METADATA, "title: 通知\nsubject: 植树"))))
    assert titled.findings == () and titled.verdict is Verdict.PASS
    marked = Scanner().scan_document(Document("a.docx", "docx", (
        Part(PartKind.BODY, "关于开展植树活动的通知"), Part(PartKind.METADATA, "title: 通知\nkeywords: 机密★5年"))))
    assert {f.rule for f in marked.findings} == {"hidden.metadata", "marking.star_period"}


def test_allow_phrase_and_disabled_rule():
    text = "此件请勿外传\n机密★10年"
    base = Scanner().scan_text(text)
    assert {f.rule for f in base.findings} == {"internal.no_forward", "marking.star_period"}
    allowed = Scanner(Config(allow_phrases=("此件请勿外传",))).scan_text(text)
    assert {f.rule for f in allowed.findings} == {"marking.star_period"}
    disabled = Scanner(Config(disabled_rules=("marking",))).scan_text(text)
    assert {f.rule for f in disabled.findings} == {"internal.no_forward"}


def test_custom_lexicon_file(tmp_path: Path):
    lex = tmp_path / "office.tsv"
    lex.write_text("# 本单位词表\n二号楼机要室\tsensitive_matter\tcustom.key_room\tmedium\tanywhere\t要害部位\n", encoding="utf-8")
    report = Scanner(Config(extra_lexicons=(lex,))).scan_text("会议地点:二号楼机要室。")
    assert [(f.rule, f.category.value, f.severity.value) for f in report.findings] == [
        ("custom.key_room", "sensitive_matter", "medium")
    ]
    assert report.verdict is Verdict.REVIEW
    assert "二号楼机要室" in report.findings[0].reason


def test_one_bad_file_does_not_stop_a_folder(tmp_path: Path, scanner):
    (tmp_path / "a.txt").write_text("机密★10年\n正文", encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("关于开展植树活动的通知", encoding="utf-8")
    reports = list(scanner.scan_paths([tmp_path]))
    assert [Path(r.path).name for r in reports] == ["a.txt", "b.pdf", "c.txt"]
    assert [r.verdict.value for r in reports] == ["block", "review", "pass"]


def test_extractor_crash_is_an_error_not_an_exception():
    def broken(data, name, limits):
        raise RuntimeError("boom")

    report = Scanner(extract=broken).scan_bytes(b"hello", "x.txt")
    assert report.verdict is Verdict.REVIEW
    assert report.errors[0].kind is ErrorKind.INTERNAL


def test_too_large_file_is_refused_before_reading(tmp_path: Path):
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(3000)
    report = Scanner(Config(max_file_bytes=1000)).scan_path(big)
    assert report.verdict is Verdict.REVIEW
    assert report.errors[0].kind is ErrorKind.TOO_LARGE


def test_a_hit_inside_another_of_its_family_is_merged_however_many_hits_lie_between():
    from secscan.pipeline import merge_overlaps
    from secscan.types import Hit

    table = Hit("pii.name_list", 0, 100, 900)  # a long name list
    terms = [Hit("lexicon.term", 0, 110 + 20 * k, 114 + 20 * k) for k in range(12)]  # another family: kept
    mobiles = [Hit("pii.mobile", 0, 115 + 20 * k, 126 + 20 * k) for k in range(3)]
    inner = Hit("pii.name_in_list", 0, 400, 403)  # a name in the table, after a dozen kept hits
    other_part = Hit("pii.mobile", 1, 400, 403)
    touching = Hit("pii.name", 0, 890, 905)  # overlaps the table's end without being inside it
    same_place = [Hit("marking.star_period", 0, 0, 6), Hit("marking.level_only", 0, 0, 2)]
    kept = merge_overlaps([inner, touching, *mobiles, *terms, other_part, table, *same_place])
    assert kept == [same_place[0], table, *terms, touching, other_part]
