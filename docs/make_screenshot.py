"""Render a sample HTML report in headless Chromium and save docs/report-screenshot.png.

    .venv/bin/python docs/make_screenshot.py

The sample is a draft notice built here (a 版头 marking, a 请勿外传 line, a commented-out
marking in a web page), so the picture shows highlighted findings and the hidden section.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from secscan import Config, Scanner  # noqa: E402
from secscan.report import RenderOptions, render  # noqa: E402
from tests._browser import headless_chromium  # noqa: E402

DRAFT = (
    "000012\n机密★10年\n特急\n\n"
    "关于调整2026年度专项资金分配方案的通知\n\n"
    "各处室、各直属单位:\n"
    "  经研究,现将调整后的专项资金分配方案印发给你们,请结合实际认真抓好落实。\n"
    "  方案执行中遇到的问题,请及时报告财务处。\n\n"
    "此件请勿外传\n"
)
PAGE = (
    "<html><head><title>关于开展安全检查的通知</title></head><body>"
    "<p>各单位:请于本月底前完成自查,自查报告报办公室。</p>"
    "<!-- 初稿 秘密★5年 上线前删除 -->"
    "<p>(此件公开发布)</p></body></html>"
)


def main() -> None:
    scanner = Scanner(Config(use_model=False))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "draft.txt").write_text(DRAFT, encoding="utf-8")
        (folder / "page.html").write_text(PAGE, encoding="utf-8")
        files = [scanner.scan_path(folder / name, display=name) for name in ("draft.txt", "page.html")]
        page = folder / "report.html"
        page.write_text(render(scanner.report(files), "html", RenderOptions()), encoding="utf-8")
        with headless_chromium(1280, 1000) as driver:
            driver.get(page.as_uri())
            driver.find_element("id", "nav-next").click()
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(ROOT / "docs" / "report-screenshot.png"))
    print(ROOT / "docs" / "report-screenshot.png")


if __name__ == "__main__":
    main()
