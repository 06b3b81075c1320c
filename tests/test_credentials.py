"""Credentials: values, not words about passwords.  txt, docx and HTML; positives and near misses."""

from __future__ import annotations

import base64
import json

import pytest

from secscan import Config, Scanner
from secscan.detect import credentials, pii
from secscan.types import FileReport, Verdict
from tests.builders import docx_bytes


@pytest.fixture(scope="module")
def scan() -> Scanner:
    return Scanner(Config(today="2026-11-23", use_model=False), detectors=(pii.SPEC, credentials.SPEC)).warm_up()


def rules_of(report: FileReport) -> list[str]:
    return [f.rule for f in report.findings]


def b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


JWT = f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url({'sub': 'u1001', 'name': 'test'})}.c2lnbmF0dXJlX2J5dGVzX2hlcmU"
FAKE_B64 = f"eyJub3Rqc29uIiwi.{b64url({'sub': 'u1001', 'name': 'x'})}.c2lnbmF0dXJlX2J5dGVz"

POSITIVES = [
    ("系统管理员密码:Abc@1234", "cred.password"),
    ("数据库口令为 Zx9#kLm2", "cred.password"),
    ("password = hunter2024", "cred.password"),
    ("pwd=Qwe!2345", "cred.password"),
    ("账号:admin 密码:P@ssw0rd!", "cred.account_password"),
    ("用户名/密码:sysadmin/Admin@123", "cred.account_password"),
    ("登录名:zhangsan,口令:Zs20240101", "cred.account_password"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "cred.private_key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", "cred.private_key"),
    ("AccessKeyId: LTAI5tQ8xYzAbCdEfGhIjK", "cred.api_token"),
    ("aws_access_key_id=AKIAIOSFODNN7EXAMPLE", "cred.api_token"),
    ("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5q", "cred.api_token"),
    ("AccessKeySecret: 8sD7fG6hJ5kL4zX3cV2bN1mQ", "cred.api_token"),
    (f"Authorization: Bearer {JWT}", "cred.jwt"),
    ("spring.datasource.url=mysql://root:S3cret!x@10.20.1.5:3306/oa", "cred.connection_string"),
    ("mongodb://admin:Mg0Pass2024@db.internal:27017/app", "cred.connection_string"),
    ("jdbc:oracle:thin:@//db:1521/orcl?user=app&password=Orcl#2024", "cred.connection_string"),
    ("Server=10.0.0.8;Database=hr;User Id=sa;Password=Sa@12345;", "cred.connection_string"),
    ("涉密网服务器地址:10.10.1.11、10.10.1.12,网关10.10.1.1", "cred.internal_ip_plan"),
    ("内网网段划分:192.168.10.0/24 办公区", "cred.internal_ip_plan"),
    ("核心交换机 172.16.0.1 172.16.0.2", "cred.internal_ip_plan"),
]


@pytest.mark.parametrize(("text", "rule"), POSITIVES)
def test_credentials_found(scan: Scanner, text: str, rule: str) -> None:
    report = scan.scan_text(text)
    assert set(rules_of(report)) == {rule}, rules_of(report)
    assert report.verdict is Verdict.BLOCK
    for f in report.findings:
        assert text[f.start:f.end] == f.text


NEGATIVES = [
    "请各单位督促干部职工定期修改密码,密码长度不少于8位。",
    "妥善保管账号密码,不得告知他人,不得将密码写在纸上。",
    "初始密码为身份证号后六位,首次登录后请立即修改。",
    "密码:******",
    "password: <your password>",
    "数据库口令:${DB_PASSWORD}",
    "贯彻落实《中华人民共和国密码法》,推进商用密码应用安全性评估。",
    "密云区开展保密宣传月活动",
    "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    "token: 请向管理员申请",
    "api_key=abcdefghijklmnopqrst",  # a plain word, no digits
    FAKE_B64,
    "mysql://localhost:3306/oa",
    "路由器默认管理地址是192.168.1.1,请在浏览器中输入。",
    "本单位服务器托管于公有云,对外地址203.0.113.5和198.51.100.7",
    "版本号10.1.2.3发布,修复若干问题",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_near_misses(scan: Scanner, text: str) -> None:
    report = scan.scan_text(text)
    assert report.findings == (), rules_of(report)
    assert report.verdict is Verdict.PASS


def test_account_pair_is_one_finding_not_two(scan: Scanner) -> None:
    report = scan.scan_text("账号:admin 密码:P@ssw0rd!")
    assert rules_of(report) == ["cred.account_password"]


def test_ip_plan_counts_addresses_and_splits_spaced_lists(scan: Scanner) -> None:
    report = scan.scan_text("内网服务器:10.1.2.3 10.1.2.4 10.1.2.5")
    assert [f.text for f in report.findings] == ["10.1.2.3", "10.1.2.4", "10.1.2.5"]
    assert "共3处" in report.findings[0].reason


def test_credentials_in_a_docx_table(scan: Scanner) -> None:
    rows = [["系统", "地址", "账号", "密码"], ["OA系统", "10.8.1.20", "admin", "Oa#2024pass"], ["邮件", "10.8.1.21", "root", "Mail@9988"]]
    body = ["内网业务系统台账", "密码:Abc@1234"]
    report = scan.scan_bytes(docx_bytes(body, table=rows), "台账.docx")
    assert report.verdict is Verdict.BLOCK
    assert "cred.password" in rules_of(report)
    assert "cred.internal_ip_plan" in rules_of(report)


def test_credentials_in_html(scan: Scanner) -> None:
    page = (
        "<html><head><meta charset='utf-8'><title>运维手册</title></head><body>"
        "<p>数据库连接:postgresql://dbuser:Pg2024!secure@10.2.3.4:5432/gov</p>"
        "<p>请定期修改密码。</p></body></html>"
    ).encode()
    report = scan.scan_bytes(page, "ops.html")
    assert rules_of(report) == ["cred.connection_string"]


def test_html_guide_without_values_passes(scan: Scanner) -> None:
    page = (
        "<html><head><meta charset='utf-8'><title>安全提示</title></head><body>"
        "<p>密码应包含字母、数字和特殊字符。</p><p>不要把口令告诉他人。</p></body></html>"
    ).encode()
    assert scan.scan_bytes(page, "tips.html").findings == ()


def _xlsx(rows: list[list[str]]) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ACCOUNT_TABLE = [["序号", "系统名称", "账号", "密码"], ["1", "OA系统", "admin", "Oa@2024!x"],
                 ["2", "财务系统", "zhangsan", "cw123456"], ["3", "档案系统", "李四", "已重置"]]


@pytest.mark.parametrize(("name", "build"), [("accounts.docx", lambda: docx_bytes(["信息系统账号清单"], table=ACCOUNT_TABLE)),
                                             ("accounts.xlsx", lambda: _xlsx(ACCOUNT_TABLE))])
def test_password_column_of_a_table_is_found(scan: Scanner, name: str, build) -> None:
    report = scan.scan_bytes(build(), name)
    found = [(f.rule, f.text) for f in report.findings if f.rule.startswith("cred.")]
    assert found == [("cred.password", "Oa@2024!x"), ("cred.password", "cw123456")]
    assert report.verdict is Verdict.BLOCK
    assert all(f.location.part.value in ("table", "sheet") for f in report.findings if f.rule == "cred.password")


@pytest.mark.parametrize(
    "rows",
    [
        [["项目", "要求"], ["密码", "8位以上,含大小写字母和数字"], ["有效期", "90天"]],  # a policy table
        [["账号", "密码"], ["user01", "******"], ["user02", "xxxx"]],  # masked values
        [["账号", "密码"], ["张三", "已重置"], ["李四", "与账号相同"]],  # words, not values
        [["姓名", "职务"], ["王五", "科长"]],  # no password column
    ],
)
def test_tables_without_password_values_pass(scan: Scanner, rows: list[list[str]]) -> None:
    report = scan.scan_bytes(docx_bytes(["附表"], table=rows), "t.docx")
    assert not [f for f in report.findings if f.rule.startswith("cred.")], report.findings
