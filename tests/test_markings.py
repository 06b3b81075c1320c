"""The marking rules: positives and near-miss negatives, as a table."""

from __future__ import annotations

import pytest

HEAD = "××市人民政府办公室文件\n"
BODY = "\n关于做好年度工作的通知\n各区县人民政府:\n现将有关事项通知如下。\n"

POSITIVE = [
    # (text, rule, matched text)
    ("机密★10年\n" + HEAD + BODY, "marking.star_period", "机密★10年"),
    ("绝密★长期\n" + HEAD + BODY, "marking.star_period", "绝密★长期"),
    ("秘密★6个月\n" + HEAD + BODY, "marking.star_period", "秘密★6个月"),
    ("000001\n秘密★5年\n特急\n" + HEAD + BODY, "marking.star_period", "秘密★5年"),
    ("秘密★2027年12月31日\n" + HEAD + BODY, "marking.star_date", "秘密★2027年12月31日"),
    ("绝密★启用前\n2026年全市公务员考试试题\n", "marking.star_condition", "绝密★启用前"),
    ("机密★会议开始前\n" + HEAD + BODY, "marking.star_condition", "机密★会议开始前"),
    ("机密★\n" + HEAD + BODY, "marking.star_bare", "机密★"),
    ("机 密 ★ 1 0 年\n" + HEAD + BODY, "marking.star_period", "机 密 ★ 1 0 年"),
    ("機密★10年\n" + HEAD + BODY, "marking.star_period", "機密★10年"),
    ("绝\u200b密★长期\n" + HEAD + BODY, "marking.star_period", "绝\u200b密★长期"),
    ("机密＊１０年\n" + HEAD + BODY, "marking.star_period", "机密＊１０年"),
    ("秘密☆5年\n" + HEAD + BODY, "marking.star_period", "秘密☆5年"),
    ("秘密*5年\n" + HEAD + BODY, "marking.star_period", "秘密*5年"),
    ("000123\n机密\n" + HEAD + BODY, "marking.bare_head", "机密"),
    ("秘密\n" + HEAD + BODY, "marking.bare_head", "秘密"),
    ("         绝密  \n" + HEAD + BODY, "marking.bare_head", "绝密"),
    ("发文稿纸\n密级:秘密\n签发人:王某\n", "marking.level_field", "密级:秘密"),
    ("会议纪要\n本文件含国家秘密,请按规定管理。\n", "marking.contains_secret", "本文件含国家秘密"),
    ("工作秘密\n关于2026年度考核工作的情况说明\n", "internal.work_secret", "工作秘密"),
    ("(工作秘密 注意保管)\n会议纪要\n", "internal.work_secret", "工作秘密"),
    ("内部资料 注意保存\n情况通报\n", "internal.keep_internal", "内部资料 注意保存"),
    ("讨论稿\n关于调整机构设置的方案(请勿外传)\n", "internal.no_forward", "请勿外传"),
    ("此稿暂不外传。\n", "internal.no_forward", "暂不外传"),
    ("内部文件 不得外传\n", "internal.no_forward", "不得外传"),
    ("仅供内部参考\n舆情摘报第12期\n", "internal.reference_only", "仅供内部参考"),
    ("内部明电\n关于做好防汛工作的紧急通知\n", "internal.telegram", "内部明电"),
    ("此件限县处级以上领导干部范围内传达\n", "internal.limited_scope", "限县处级以上领导干部范围内传达"),
    ("不予公开\n关于某某同志问题的调查报告\n", "internal.not_public", "不予公开"),
    ("内部\n关于某项工作的通报\n", "internal.internal_line", "内部"),
    ("涉密文件\n关于某项工作的请示\n", "marking.secret_carrier", "涉密文件"),
    ("机密★10年 已解密\n关于某项工作的通知\n", "marking.declassified", "机密★10年 已解密"),
]


@pytest.mark.parametrize(("text", "rule", "matched"), POSITIVE)
def test_marking_found_with_exact_original_text(scanner, text, rule, matched):
    report = scanner.scan_text(text)
    found = [(f.rule, f.text) for f in report.findings]
    assert (rule, matched) in found, found
    finding = next(f for f in report.findings if f.rule == rule)
    assert text[finding.start:finding.end] == finding.text
    assert finding.reason and finding.context


@pytest.mark.parametrize(
    "text",
    [
        "国家秘密的密级分为绝密、机密、秘密三级。",
        "这是他的秘密武器,也是团队取胜的关键。",
        "密级标志的格式为“秘密★5年”,应标注在版头左上角。",
        "例如秘密★5年表示秘密级、保密期限五年。",
        "国家秘密标志形式为“密级★保密期限”“密级★解密时间”或者“密级★解密条件”。",
        "案例:张某向境外间谍情报机关提供2份绝密级资料,被判处有期徒刑。",
        "关于保护工作秘密的几点思考\n工作秘密是指……",
        "要把内部资料的密级确定问题作为重点。",
        "三、工作秘密\n各单位要制定工作秘密事项范围。",
        "密云区人民政府关于商用密码应用的通知\n根据《中华人民共和国密码法》……",
        "不予公开的情形包括:\n二、不予公开\t3\t5",
        "2025年度政府信息公开工作年度报告\n本年度不予公开3件,其中属于国家秘密的2件。",
        "密级:无\n公开方式:主动公开",
        "会议限定了发言时间。",
        "这份文件很机密,大家都知道吗",
        "各单位要加强涉密文件管理,严防失泄密。",
        "档案馆对到期档案开展解密审查工作。",
    ],
)
def test_running_text_is_not_a_marking(scanner, text):
    report = scanner.scan_text(text)
    rules = [f.rule for f in report.findings if f.rule.startswith(("marking.", "internal."))]
    assert rules == [], [(f.rule, f.text) for f in report.findings]


def test_bare_level_outside_the_head_is_review_not_block(scanner):
    lines = ["关于某项工作的情况说明"] + [f"第{i}段正文内容,按计划推进各项工作。" for i in range(1, 16)] + ["秘密", "其后的正文。"]
    report = scanner.scan_text("\n".join(lines))
    assert [f.rule for f in report.findings] == ["marking.bare_line"]
    assert report.verdict.value == "review"


def test_expired_marking_is_review_with_a_reason_that_says_so(scanner):
    report = scanner.scan_text("秘密★2020年12月31日\n关于某项工作的通知\n")
    assert [f.rule for f in report.findings] == ["marking.expired"]
    assert report.verdict.value == "review"
    assert "已过" in report.findings[0].reason and "审查" in report.findings[0].reason


def test_future_date_marking_blocks(scanner):
    report = scanner.scan_text("秘密★2099年1月1日\n关于某项工作的通知\n")
    assert report.verdict.value == "block"
    assert "2099年1月1日" in report.findings[0].reason


def test_reason_names_level_period_and_basis(scanner):
    finding = scanner.scan_text("机密★10年\n关于某项工作的通知\n").findings[0]
    assert finding.reason.startswith("密级标志:机密级,保密期限10年")
    assert "GB/T 9704-2012" in finding.reason
    assert finding.severity.value == "high" and finding.category.value == "classification_marking"


def test_marking_in_header_part_of_a_page(scanner):
    from secscan.types import Document, Part, PartKind

    doc = Document("x.docx", "docx", (Part(PartKind.BODY, "正文第一段。\n正文第二段。"), Part(PartKind.HEADER, "秘密", label="第1节")))
    report = scanner.scan_document(doc)
    assert [(f.rule, f.location.part.value) for f in report.findings] == [("marking.bare_head", "header")]


def test_declassified_marking_is_review():
    from secscan import Config, Scanner

    report = Scanner(Config(today="2026-11-23")).scan_text("机密★10年 已解密\n关于某项工作的通知\n")
    assert [f.rule for f in report.findings] == ["marking.declassified"]
    assert report.verdict.value == "review"
