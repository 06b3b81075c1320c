"""The HTML report: self-contained, escaped, findings highlighted in place; checked in a
real headless Chromium that it renders, highlights and navigates, and that a hostile
document cannot run script in it."""

from __future__ import annotations

import os
import re

import lxml.html
import pytest

from secscan import Config, Scanner
from secscan.report import RenderOptions, render
from tests._browser import browser_available, headless_chromium
from tests.builders import docx_bytes

HOSTILE = (
    "机密★10年\n"
    "关于<script>window.__pwned = 1; document.title = 'pwned'</script>会议安排的通知\n"
    "<img src=x onerror=\"window.__pwned = 2\">各单位:\"'><svg onload=window.__pwned=3>\n"
    "</pre></div><script>window.__pwned = 4</script>\n"
    "此件请勿外传\n"
)
HIDDEN_PAGE = (
    "<html><body><p>关于开展安全检查的通知</p>"
    "<!-- 工作底稿 秘密★5年 <img src=x onerror=window.__pwned=5> -->"
    "<p>请各单位认真组织自查。</p></body></html>"
)


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    scanner = Scanner(Config(use_model=False, today="2026-11-23"))
    folder = tmp_path_factory.mktemp("html")
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    (folder / "page.html").write_text(HIDDEN_PAGE, encoding="utf-8")
    (folder / "notice.docx").write_bytes(docx_bytes(["关于开展安全检查的通知", "请各单位认真组织自查。"], header="秘密★5年"))
    files = [scanner.scan_path(folder / n, display=n) for n in ("hostile.txt", "page.html", "notice.docx")]
    return render(scanner.report(files), "html", RenderOptions())


def test_html_is_self_contained_and_escapes_document_text(html: str) -> None:
    tree = lxml.html.fromstring(html)
    assert len(tree.xpath("//script")) == 1  # the report's own, nothing from documents
    assert not tree.xpath("//img | //svg | //iframe | //link | //*[@onerror] | //*[@onload]")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no external assets
    csp = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "script-src 'sha256-" in csp and "default-src 'none'" in csp
    text = tree.text_content()
    assert "<script>window.__pwned = 1" in text and "<img src=x onerror=" in text


def test_html_highlights_findings_in_place_coloured_by_category(html: str) -> None:
    tree = lxml.html.fromstring(html)
    marks = tree.xpath("//mark")
    by_text = {m.text_content(): m for m in marks}
    assert "cat-classification_marking" in by_text["机密★10年"].get("class")
    assert "cat-internal_marking" in by_text["请勿外传"].get("class")
    assert "marking.star_period" in by_text["机密★10年"].get("title")
    # every highlight has its entry in the side list, and every entry its anchor
    for m in marks:
        for fid in m.get("data-f").split():
            assert tree.get_element_by_id(f"row-{fid}") is not None
            assert tree.get_element_by_id(f"f-{fid}") is not None
    assert "不得公开" in tree.text_content() and "密级标志" in tree.text_content()


def test_hidden_parts_have_their_own_section(html: str) -> None:
    tree = lxml.html.fromstring(html)
    hidden = tree.xpath("//div[@class='hidden-parts']")
    assert hidden, "the html comment must be shown in the hidden section"
    assert any("秘密★5年" in h.text_content() for h in hidden)
    assert hidden[0].xpath(".//mark[contains(@class, 'cat-hidden_content') or contains(@class, 'cat-classification')]")
    body_parts = tree.xpath("//div[@class='doc']/div[@class='part']")
    assert not any("工作底稿" in p.text_content() for p in body_parts)


def test_mask_applies_inside_the_highlighted_text() -> None:
    from msgspec.structs import replace

    from secscan.types import Category

    scanner = Scanner(Config(use_model=False))
    base = scanner.scan_text("联系人证件号11010519491231002X,此件请勿外传\n")
    f = replace(base.findings[0], category=Category.PERSONAL_INFO, rule="pii.resident_id",
                text="11010519491231002X", start=6, end=24)
    out = render(scanner.report([replace(base, findings=(f,))]), "html", RenderOptions(mask=True))
    assert "11010519491231002X" not in out and "110105********002X" in out


needs_browser = pytest.mark.skipif(
    not browser_available() and os.environ.get("CI") != "true", reason="chromium/chromedriver not installed"
)


@needs_browser
def test_report_in_headless_chromium(html: str, tmp_path) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    with headless_chromium() as driver:
        driver.get(page.as_uri())
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("data-ready") == "1"  # our script ran
        assert driver.execute_script("return window.__pwned === undefined")  # theirs did not
        assert driver.title == "secscan 保密审查报告"
        assert not driver.find_elements(By.CSS_SELECTOR, "main img, main svg")
        mark = driver.find_element(By.CSS_SELECTOR, "mark.cat-classification_marking")
        assert mark.text == "机密★10年" and mark.is_displayed()
        background = driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", mark)
        assert background not in ("rgba(0, 0, 0, 0)", "transparent")
        counter = driver.find_element(By.ID, "nav-counter")
        total = int(counter.text.split("/")[1])
        assert total >= 4
        driver.find_element(By.ID, "nav-next").click()
        assert counter.text == f"1 / {total}"
        assert "current" in driver.find_element(By.CSS_SELECTOR, "mark[data-f~='0-0']").get_attribute("class")
        driver.find_element(By.ID, "nav-prev").click()
        assert counter.text == f"{total} / {total}"
        hidden = driver.find_element(By.CSS_SELECTOR, ".hidden-parts")
        assert "秘密★5年" in hidden.text
        assert driver.execute_script("return window.__pwned === undefined")
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
        driver.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000
