"""HTML: every hidden place holds a marking or an ID number and is found with its part."""

from __future__ import annotations

import pytest
from pdf_builders import html_page, resident_id

from secscan import Config, Scanner
from secscan.extract.base import Limits
from secscan.extract.html import extract, hidden_by_style, is_attachment, script_data
from secscan.types import ErrorKind, PartKind, Verdict

ID = resident_id(7)
MARK = "机密★10年"
CLEAN_BODY = "<h1>关于做好政务公开工作的通知</h1>\n<p>各区县人民政府:现将有关事项通知如下。</p>\n<p>(此件公开发布)</p>"


@pytest.fixture(scope="module")
def scan() -> Scanner:
    return Scanner(Config(use_model=False, today="2026-11-23"))


# (html put after the clean body, part kind expected, rule expected in that part)
HIDDEN_PLACES = [
    (f"<!-- {MARK} -->", PartKind.HTML_COMMENT, "marking.star_period"),
    (f'<div style="display:none">{MARK}</div>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<div style="DISPLAY: None !important">{MARK}</div>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<span style="visibility:hidden">{MARK}</span>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f"<section hidden><p>{MARK}</p></section>", PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<p style="font-size:0px">{MARK}</p>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<div style="width:0;height:0">{MARK}</div>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<div style="height:0;overflow:hidden">{MARK}</div>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<p style="opacity:0">{MARK}</p>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<p style="position:absolute;left:-9999px">{MARK}</p>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<p style="text-indent:-10000px">{MARK}</p>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<p class="news d-none">{MARK}</p>', PartKind.HTML_HIDDEN, "marking.star_period"),
    (f"<noscript>{MARK}</noscript>", PartKind.HTML_HIDDEN, "marking.star_period"),
    (f"<template><p>{MARK}</p></template>", PartKind.HTML_HIDDEN, "marking.star_period"),
    (f'<input type="hidden" name="uid" value="{ID}">', PartKind.HTML_HIDDEN, "pii.resident_id"),
    (f'<img src="a.png" alt="{MARK}">', PartKind.HTML_ATTRIBUTE, "marking.star_period"),
    (f'<a href="#" title="联系人身份证号{ID}">详情</a>', PartKind.HTML_ATTRIBUTE, "pii.resident_id"),
    (f'<div data-card="{ID}">名片</div>', PartKind.HTML_ATTRIBUTE, "pii.resident_id"),
    (f'<script>var user = {{"name": "张三", "idcard": "{ID}"}};</script>', PartKind.HTML_SCRIPT, "pii.resident_id"),
    ("<script>window.msg = '\\u673a\\u5bc6\\u260510\\u5e74';</script>", PartKind.HTML_SCRIPT, "marking.star_period"),
    ("<script>// 此稿请勿外传\nfunction f(){}</script>", PartKind.HTML_SCRIPT, "internal.no_forward"),
    (f'<script type="application/json">{{"remark": "{MARK}"}}</script>', PartKind.HTML_SCRIPT, "marking.star_period"),
]


@pytest.mark.parametrize(("snippet", "kind", "rule"), HIDDEN_PLACES)
def test_hidden_place_is_found_with_its_part(scan: Scanner, snippet: str, kind: PartKind, rule: str) -> None:
    report = scan.scan_bytes(html_page(CLEAN_BODY + "\n" + snippet), "page.html")
    assert report.verdict is Verdict.BLOCK
    found = [f for f in report.findings if f.rule == rule]
    assert found and all(f.location.part is kind for f in found), [(f.rule, f.location.part) for f in report.findings]
    part = next(p for p in report.parts if p.kind is kind)
    assert part.text[found[0].start:found[0].end] == found[0].text
    body = next(p for p in report.parts if p.kind is PartKind.BODY)
    assert MARK not in body.text and ID not in body.text, "hidden text must not leak into the visible body"
    if kind.hidden:
        assert any(f.rule == f"hidden.{kind.value}" for f in report.findings)


def test_meta_content_is_scanned_but_not_a_hidden_layer(scan: Scanner) -> None:
    head = f'<meta name="keywords" content="政务公开"><meta name="description" content="{MARK} 征求意见稿">'
    report = scan.scan_bytes(html_page(CLEAN_BODY, head), "page.html")
    hit = next(f for f in report.findings if f.rule == "marking.star_period")
    assert hit.location.part is PartKind.HTML_ATTRIBUTE and hit.location.label == "meta"
    assert report.verdict is Verdict.BLOCK
    plain = scan.scan_bytes(html_page(CLEAN_BODY, '<meta name="description" content="某某市人民政府门户网站 政务公开栏目">'), "p.html")
    assert plain.verdict is Verdict.PASS, [(f.rule, f.text) for f in plain.findings]


def test_clean_page_passes_with_its_ordinary_furniture(scan: Scanner) -> None:
    """A real CMS page: ASCII comments, code in scripts, a visible table, an image with alt."""
    body = (
        CLEAN_BODY
        + '\n<!-- footer start --><div style="display:block;width:100px;height:0">版权所有:某某市人民政府办公室</div>'
        + '\n<img src="logo.png" alt="">'
        + "\n<script>var _hmt = _hmt || []; (function(){ var hm = document.createElement('script'); })();</script>"
        + '\n<table><tr><td>公开方式</td><td>主动公开</td></tr></table><a href="list.html">返回列表</a>'
    )
    report = scan.scan_bytes(html_page(body), "page.html")
    assert report.verdict is Verdict.PASS, [(f.rule, f.text) for f in report.findings]
    kinds = {p.kind for p in report.parts}
    assert PartKind.HTML_HIDDEN not in kinds and PartKind.HTML_SCRIPT not in kinds
    assert "版权所有" in next(p.text for p in report.parts if p.kind is PartKind.BODY)


@pytest.mark.parametrize(
    "style",
    ["display:block", "visibility:visible", "height:0", "font-size:12px", "opacity:0.9", "left:-9999px", "width:0px;overflow:visible"],
)
def test_visible_styles_are_not_hidden(style: str) -> None:
    assert hidden_by_style(style) is None


def test_attachment_links_are_listed() -> None:
    body = (
        '<a href="/gk/2024/附件1.docx">附件1</a><a href="./a/通知.PDF?v=2">通知</a><a href="down.jsp?file=名单.xlsx">名单</a>'
        '<a href="list.html">列表</a><a href="mailto:x@y.cn">邮件</a><a href="/get?id=9" download>下载</a>'
        '<iframe src="/viewer/x.ofd"></iframe>'
    )
    doc = extract(html_page(body), "page.html", Limits())
    assert doc.links == ("/gk/2024/附件1.docx", "./a/通知.PDF?v=2", "down.jsp?file=名单.xlsx", "/get?id=9", "/viewer/x.ofd")
    assert not is_attachment("index.html") and is_attachment("x.wps")


def test_script_literals_are_decoded_and_code_is_not_data() -> None:
    src = 'var a = "\\u5f20\\u4e09"; var b = \'x\'; var url = "http://x.cn/a.js"; /* 内部测试 */ var n = "13800138000";'
    assert script_data(src) == ["张三", "内部测试", "13800138000"]


def test_gb18030_page_declared_in_meta(scan: Scanner) -> None:
    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><!-- {MARK} --><p>正文</p></body></html>'
    report = scan.scan_bytes(page.encode("gb18030"), "page.htm")
    assert any(f.rule == "marking.star_period" and f.location.part is PartKind.HTML_COMMENT for f in report.findings)


def test_entities_are_never_expanded() -> None:
    """Billion laughs and an external entity in a DOCTYPE stay inert."""
    lol = '<!ENTITY a "机密★10年机密★10年机密★10年机密★10年">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    page = f'<?xml version="1.0"?><!DOCTYPE html [{lol}<!ENTITY xxe SYSTEM "file:///etc/passwd">]><html><body><p>&i;&xxe;</p></body></html>'
    doc = extract(page.encode(), "x.html", Limits())
    text = "\n".join(p.text for p in doc.parts)
    assert len(text) < 10_000 and "root:" not in text


def test_deep_nesting_is_read_without_recursion(scan: Scanner) -> None:
    page = "<p>开头</p>" + "<div>" * 1500 + MARK + "</div>" * 1500 + "<p>结尾</p>"
    report = scan.scan_bytes(html_page(page), "deep.html")
    assert any(f.rule == "marking.star_period" for f in report.findings)


def test_nesting_beyond_the_parser_limit_is_an_error_not_a_pass(scan: Scanner) -> None:
    page = "<p>开头</p>" + "<div>" * 5000 + MARK + "</div>" * 5000
    report = scan.scan_bytes(html_page(page), "deeper.html")
    assert report.verdict is not Verdict.PASS
    assert any(e.kind is ErrorKind.CORRUPT for e in report.errors) or any(f.rule == "marking.star_period" for f in report.findings)
