"""Personal information: validated numbers, persons' contact details, lists of people.

Every number here is generated with a valid (or deliberately wrong) check character;
none belongs to a real person.  Each rule has positives and near-miss negatives, in
plain text, docx tables and HTML.
"""

from __future__ import annotations

import random

import pytest

from secscan import Config, Scanner
from secscan.detect import DETECTORS, credentials, pii
from secscan.detect.checksums import luhn_check_digit, resident_id_check_char, uscc_ok
from secscan.report import RenderOptions, render
from secscan.types import Category, FileReport, Verdict
from tests.builders import docx_bytes
from tests.conftest import SEEDS

TODAY = "2026-11-23"


@pytest.fixture(scope="module")
def scan() -> Scanner:
    """Only this issue's detectors: a pass here means they raised nothing."""
    return Scanner(Config(today=TODAY, use_model=False), detectors=(pii.SPEC, credentials.SPEC)).warm_up()


def make_id(region: str = "110105", born: str = "19900307", seq: str = "123", *, check: str | None = None) -> str:
    body = region + born + seq
    return body + (check if check is not None else resident_id_check_char(body))


def wrong_check(number: str) -> str:
    right = number[-1]
    return number[:-1] + ("0" if right != "0" else "1")


def make_card(prefix: str, length: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def id_with_x() -> str:
    for seq in range(1000):
        number = make_id("320102", "19850612", f"{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no X check character found")


def id_that_is_also_uscc() -> str:
    """An all-digit string valid both as an ID number and as a 统一社会信用代码."""
    for seq in range(1000):
        number = make_id("110119", "19900307", f"{seq:03d}")
        if number[-1].isdigit() and uscc_ok(number):
            return number
    raise AssertionError("none found")


ID = make_id()
ID2 = make_id("440305", "20010930", "458")
ID_X = id_with_x()
CARD_UP = make_card("622202", 19)
CARD_VISA = make_card("4", 16, 2)
CARD_MC = make_card("53", 16, 3)
CARD_ICBC = make_card("9558", 19, 4)
CARD_DEBIT = make_card("6217", 16, 5)


def fw(s: str) -> str:
    """Full-width digits, as pasted from some word processors."""
    return s.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


def groups(s: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(s[i:i + size] for i in range(0, len(s), size))


def rules_of(report: FileReport) -> list[str]:
    return [f.rule for f in report.findings]


def html_bytes(body: str, title: str = "政务公开") -> bytes:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>".encode()


def html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- 身份证号 ---------------------------------------------------------------------------
ID_POSITIVES = [
    f"申请人王某,身份证号:{ID},现住幸福小区。",
    f"公民身份号码 {groups(ID)}",
    f"身份证号码:{fw(ID)}",
    f"证件号码{ID_X}",
    f"经核实,{ID[:6]} {ID[6:14]} {ID[14:]} 为其身份证号。",
    f"户主身份证 {ID2};联系电话见附表。",
    f"身份证号:{ID_X.lower()}",
]


@pytest.mark.parametrize("text", ID_POSITIVES)
def test_resident_id_found(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert rules_of(report) == ["pii.resident_id"]
    assert report.verdict is Verdict.BLOCK
    finding = report.findings[0]
    assert text[finding.start:finding.end] == finding.text
    assert finding.text.replace(" ", "").translate({ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"}).upper() in (ID, ID2, ID_X)


ID_NEGATIVES = [
    f"身份证号:{wrong_check(ID)}",  # wrong check digit
    f"订单号{ID}9",  # inside a longer digit run
    "物流单号:202401011234567890",  # 18-digit order number
    f"身份证号:{make_id('110105', '19901307', '123')}",  # month 13, check digit valid
    f"身份证号:{make_id('990105', '19900307', '123')}",  # no province 99
    f"身份证号:{make_id('110105', '20270101', '123')}",  # born in the future
    "统一社会信用代码:91350100M000100Y43",
    f"统一社会信用代码:{id_that_is_also_uscc()}",
    f"设备序列号SN{ID}",  # glued to letters: a code
    "2024年1月1日至2024年12月31日,共计1234567元",
]


@pytest.mark.parametrize("text", ID_NEGATIVES)
def test_resident_id_near_misses(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert report.findings == ()
    assert report.verdict is Verdict.PASS


def test_uscc_valued_number_is_an_id_when_labelled_as_one(scan: Scanner) -> None:
    number = id_that_is_also_uscc()
    assert rules_of(scan.scan_text(f"身份证号:{number}")) == ["pii.resident_id"]


def test_resident_id_15_needs_its_cue(scan: Scanner) -> None:
    old = "110105900307123"
    assert rules_of(scan.scan_text(f"原身份证号:{old}")) == ["pii.resident_id_15"]
    assert scan.scan_text(f"原身份证号:{old}").verdict is Verdict.REVIEW
    assert scan.scan_text(f"流水号{old}").findings == ()
    assert scan.scan_text("原身份证号:110105901307123").findings == ()  # month 13


def test_two_numbers_in_adjacent_cells_are_two_findings(scan: Scanner) -> None:
    report = scan.scan_text(f"张三\t13812345678\t{ID}")
    assert sorted(rules_of(report)) == ["pii.mobile", "pii.resident_id"]


# -- 银行卡号 ---------------------------------------------------------------------------
CARD_POSITIVES = [
    f"收款账号:{CARD_UP}",
    f"银行卡号 {groups(CARD_UP)}",
    f"卡号{groups(CARD_DEBIT, sep='-')}",
    f"信用卡 {CARD_VISA} 已冻结",
    f"Mastercard {CARD_MC}",
    f"工行卡号:{fw(CARD_ICBC)}",
]


@pytest.mark.parametrize("text", CARD_POSITIVES)
def test_bank_card_found(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert rules_of(report) == ["pii.bank_card"]
    assert report.verdict is Verdict.BLOCK


CARD_NEGATIVES = [
    f"卡号:{wrong_check(CARD_UP)}",  # Luhn fails
    f"编号:{make_card('8', 16)}",  # Luhn passes, no issuer
    f"交易流水{CARD_UP}01",  # inside a longer run
    "报表日期2024010112000000",
    "合同编号:2023120112345678",
    f"账号后四位{CARD_UP[-4:]}",
]


@pytest.mark.parametrize("text", CARD_NEGATIVES)
def test_bank_card_near_misses(scan: Scanner, text: str) -> None:
    assert scan.scan_text(text).findings == ()


# -- 手机号 -----------------------------------------------------------------------------
MOBILE_POSITIVES = [
    "张三 13812345678",
    "联系人:李明,手机 +86 139 1234 5678",
    "信访人刘某某,电话138-0013-8000,反映噪音问题。",
    "公告\n经核实,申请人赵某某(联系电话:15912345678)符合条件。",
    "请家长于周五前回复,班主任王老师手机:18612345678",
]


@pytest.mark.parametrize("text", MOBILE_POSITIVES)
def test_mobile_near_a_person_is_review(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert rules_of(report) == ["pii.mobile"]
    assert report.verdict is Verdict.REVIEW


MOBILE_NEGATIVES = [
    "关于开展专项整治的公告\n咨询电话:13812345678",
    "任前公示\n监督电话:0755-12345678、12380",
    "有问题请拨打12345市民服务热线或110报警。",
    "通知\n联系人:张科长,联系电话:010-66778899,传真:010-66778800",
    "公示\n联系方式:18612345678(工作日)",
    "号码12812345678不是手机号段",
    "通知\n举报电话 13912345678",
]


@pytest.mark.parametrize("text", MOBILE_NEGATIVES)
def test_hotlines_and_office_numbers_pass(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert report.findings == ()
    assert report.verdict is Verdict.PASS


def test_person_cue_beats_an_office_label(scan: Scanner) -> None:
    text = "公告\n信访人孙某,联系电话:13712345678"
    assert rules_of(scan.scan_text(text)) == ["pii.mobile"]


# -- 护照、通行证 -----------------------------------------------------------------------
PASSPORT_POSITIVES = [
    "护照号码:E12345678",
    "持中国护照(号码 G23456789)出境",
    "护照号EA1234567",
    "出境人员护照信息:姓名李某,号码E87654321",
    "护照:E11223344;签发地:北京",
]


@pytest.mark.parametrize("text", PASSPORT_POSITIVES)
def test_passport_found(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert rules_of(report) == ["pii.passport"]
    assert report.verdict is Verdict.BLOCK


PASSPORT_NEGATIVES = [
    "产品型号E12345678",
    "护照号码:E1234567",  # seven digits
    "护照号:XE12345678",  # glued to a letter
    "办理护照须本人到场,材料清单见附件。",
    "护照办理指南" + "。" * 100 + "设备编号E12345678",  # cue too far away
]


@pytest.mark.parametrize("text", PASSPORT_NEGATIVES)
def test_passport_near_misses(scan: Scanner, text: str) -> None:
    assert scan.scan_text(text).findings == ()


PERMIT_POSITIVES = [
    ("往来港澳通行证号码:C12345678", "往来港澳通行证"),
    ("港澳通行证 CA1234567", "往来港澳通行证"),
    ("往来台湾通行证:T12345678", "往来台湾通行证"),
    ("回乡证号码H1234567801", "港澳居民来往内地通行证"),
    ("台胞证号码:12345678", "台湾居民来往大陆通行证"),
]


@pytest.mark.parametrize(("text", "name"), PERMIT_POSITIVES)
def test_travel_permit_found(scan: Scanner, text: str, name: str) -> None:
    report = scan.scan_text(text)
    assert rules_of(report) == ["pii.travel_permit"]
    assert name in report.findings[0].reason


PERMIT_NEGATIVES = [
    "订单C12345678已发货",
    "港澳通行证办理时限为7个工作日",
    "往来港澳通行证号码:W1234567",
    "台胞证办理流程说明,详见第三章第二节第四条规定,咨询12345678",
    "台湾同胞来访接待工作,接待编号T12345678",
]


@pytest.mark.parametrize("text", PERMIT_NEGATIVES)
def test_travel_permit_near_misses(scan: Scanner, text: str) -> None:
    assert scan.scan_text(text).findings == ()


# -- 电子邮箱 ---------------------------------------------------------------------------
EMAIL_POSITIVES = [
    "zhangsan1990@163.com",
    "如有疑问可发邮件至 wangxm_88@qq.com",
    "信访人邮箱 lisi@example.com",
    "Contact: li.ming.bj@gmail.com",
    "本人电子邮箱:chenjing@company.com.cn",
]


@pytest.mark.parametrize("text", EMAIL_POSITIVES)
def test_personal_email_found(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert rules_of(report) == ["pii.email"]
    assert report.verdict is Verdict.REVIEW


EMAIL_NEGATIVES = [
    "政府信息公开邮箱:xxgk@beijing.gov.cn",
    "公告\n举报邮箱:jubao2024@163.com",
    "office@example.com",
    "公示\n投稿邮箱 tougao@126.com",
    "user@localhost",
]


@pytest.mark.parametrize("text", EMAIL_NEGATIVES)
def test_office_email_passes(scan: Scanner, text: str) -> None:
    assert scan.scan_text(text).findings == ()


# -- 名单 ------------------------------------------------------------------------------
PETITIONERS = [
    ["序号", "姓名", "家庭住址", "联系电话"],
    ["1", "张某某", "幸福村3组12号", "13812345678"],
    ["2", "李某", "和平路5号2栋301室", "13912345678"],
    ["3", "王某某", "东风社区8栋", "15012345678"],
]


def test_person_list_in_a_docx_table(scan: Scanner) -> None:
    data = docx_bytes(["2024年困难群众走访名单"], table=PETITIONERS)
    report = scan.scan_bytes(data, "名单.docx")
    assert report.verdict is Verdict.BLOCK
    lists = [f for f in report.findings if f.rule == "pii.person_list"]
    assert len(lists) == 1 and "住址" in lists[0].reason and "3行" in lists[0].reason
    assert lists[0].location.part == "table"
    assert rules_of(report).count("pii.mobile") == 3  # each number is in a list of people


def test_person_list_in_an_html_table(scan: Scanner) -> None:
    rows = [["姓名", "身份证号", "住址"], ["赵某", ID, "光明路1号"], ["钱某", ID2, "光明路2号"]]
    report = scan.scan_bytes(html_bytes("<p>信访人员登记</p>" + html_table(rows)), "list.html")
    assert sorted(set(rules_of(report))) == ["pii.person_list", "pii.resident_id"]


def test_person_list_in_plain_text(scan: Scanner) -> None:
    text = "\n".join("\t".join(row) for row in PETITIONERS)
    assert "pii.person_list" in rules_of(scan.scan_text(text))


def test_person_list_with_bank_accounts_in_html(scan: Scanner) -> None:
    rows = [["姓名", "银行账号", "住址"], ["孙某", CARD_UP, "新村1组"], ["周某", CARD_DEBIT, "新村2组"]]
    report = scan.scan_bytes(html_bytes(html_table(rows)), "subsidy.html")
    assert rules_of(report).count("pii.bank_card") == 2
    assert "pii.person_list" in rules_of(report)


def test_pre_appointment_notice_passes(scan: Scanner) -> None:
    """任前公示 publishes names, birth years, native places and positions by law."""
    rows = [
        ["姓名", "性别", "出生年月", "籍贯", "学历", "现任职务", "拟任职务"],
        ["张某某", "男", "1978.03", "江苏南京", "研究生", "区发改委副主任", "区发改委主任"],
        ["李某", "女", "1982.11", "山东济南", "大学", "街道办事处副主任", "街道办事处主任"],
    ]
    body = [
        "干部任前公示",
        "根据《党政领导干部选拔任用工作条例》,现将拟任人选予以公示。",
        "公示期:2026年11月1日至11月7日。监督电话:0755-12345678,12380。",
        "联系电话:13812345678",
    ]
    for report in (
        scan.scan_bytes(docx_bytes(body, table=rows), "公示.docx"),
        scan.scan_bytes(html_bytes("".join(f"<p>{p}</p>" for p in body) + html_table(rows)), "公示.html"),
        scan.scan_text("\n".join(body + ["\t".join(r) for r in rows])),
    ):
        assert report.findings == ()
        assert report.verdict is Verdict.PASS


@pytest.mark.parametrize(
    "rows",
    [
        [["单位", "地址", "电话"], ["区政务服务中心", "人民路1号", "0755-12345678"], ["街道便民服务站", "和平路2号", "0755-87654321"]],
        [["姓名", "单位", "职务"], ["张某", "区财政局", "科员"], ["李某", "区审计局", "科长"]],
        [["姓名", "住址", "电话"], ["张某", "幸福村", "见附件"]],  # one row is not a list
    ],
)
def test_tables_that_are_not_person_lists(scan: Scanner, rows: list[list[str]]) -> None:
    report = scan.scan_bytes(docx_bytes(["附表"], table=rows), "t.docx")
    assert "pii.person_list" not in rules_of(report)
    assert report.verdict is Verdict.PASS


def test_numbers_in_docx_table_cells(scan: Scanner) -> None:
    rows = [["姓名", "身份证号", "银行卡号", "护照号码"], ["吴某", ID_X, groups(CARD_VISA), "E12345678"]]
    report = scan.scan_bytes(docx_bytes(["补贴发放表"], table=rows), "t.docx")
    assert sorted(rules_of(report)) == ["pii.bank_card", "pii.passport", "pii.resident_id"]


def test_numbers_in_html_cells_and_negatives(scan: Scanner) -> None:
    rows = [["项目", "编号"], ["合同", "2023120112345678"], ["身份证(错误校验)", wrong_check(ID)], ["热线", "12345"]]
    report = scan.scan_bytes(html_bytes(html_table(rows)), "t.html")
    assert report.findings == ()


# -- publishable texts and masking -----------------------------------------------------
def test_seed_articles_raise_no_personal_or_credential_findings() -> None:
    scanner = Scanner(Config(today=TODAY, use_model=False), detectors=DETECTORS)
    for path in SEEDS:
        report = scanner.scan_path(path)
        mine = [f for f in report.findings if f.category in (Category.PERSONAL_INFO, Category.CREDENTIAL)]
        assert mine == [], path.name


def test_mask_in_text_json_and_html_reports(scan: Scanner) -> None:
    report = scan.report([scan.scan_text(f"身份证号:{ID}\n张三 13812345678\n密码:Abc@1234")])
    for fmt in ("text", "json", "html"):
        shown = render(report, fmt, RenderOptions(mask=True))
        assert ID not in shown and "13812345678" not in shown and "Abc@1234" not in shown, fmt
        assert f"{ID[:6]}********{ID[-4:]}" in shown, fmt
        assert ID in render(report, fmt, RenderOptions(mask=False)), fmt


def test_every_rule_is_documented() -> None:
    for spec in (pii.SPEC, credentials.SPEC):
        for rule in spec.rules:
            assert rule.description and rule.reason and rule.title
            assert rule.id.startswith(("pii.", "cred."))


def test_mobile_beside_an_office_hotline_in_a_public_notice_is_the_offices():
    from secscan import Config, Scanner

    scanner = Scanner(Config(use_model=False))
    line = "监督电话:0376-12380  手机:13812345678\n"
    notice = "关于干部任前公示的公告\n公示期间:2026年11月20日至26日。\n" + line
    assert not [f for f in scanner.scan_text(notice).findings if f.rule == "pii.mobile"]
    minutes = "会议记录\n与会人员反映情况。\n" + line
    assert [f.text for f in scanner.scan_text(minutes).findings if f.rule == "pii.mobile"] == ["13812345678"]


def test_sample_and_test_words_cannot_hide_a_valid_id_number():
    """Context lowers suspicion of sensitive matter, never a validated checksum."""
    from secscan import Config, Scanner

    scanner = Scanner(Config(today="2026-11-23"))
    padding = "示例 测试 样例 模板 仅供演示 公开发布 主动公开 此件公开发布 " * 20
    report = scanner.scan_text(f"{padding}\n示例身份证号:{make_id()}\n{padding}")
    assert [f.rule for f in report.findings if f.rule.startswith("pii.")] == ["pii.resident_id"]
    assert report.verdict.value == "block"
    wrong = make_id(check="0" if make_id()[-1] != "0" else "1")
    assert scanner.scan_text(f"身份证号:{wrong}").verdict.value == "pass"
