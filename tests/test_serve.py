"""The CMS hook against a real server: ``secscan serve`` in a subprocess, spoken to over HTTP.

Two servers are started once for the module (both in parallel, ~2 s):
* ``open``: no token, 2 workers, queue 8, 1.5 s per scan, 2 MB per request, rules only
  (``--config`` with ``use_model = false``: these tests are about the server, not the model);
* ``locked``: a token from a file, 1 worker, no queue (so a second request gets 503), as shipped.
Both run with ``SECSCAN_SERVE_FAULTS=1`` so a test can make a worker hang or crash.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jsonschema
import pytest
from builders import docx_bytes, pdf_bytes
from click.testing import CliRunner

from secscan.cli import main as cli_main
from secscan.client import Client, HookError
from secscan.detect.checksums import resident_id_check_char
from secscan.types import Verdict

SECSCAN = str(Path(sys.executable).with_name("secscan"))
ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))
CRASH = b"%SECSCAN-FAULT crash\n"
HANG = b"%SECSCAN-FAULT sleep\n"
SCAN_TIMEOUT = 1.5
HTTP = httpx.Client(timeout=30)  # one connection pool for the module

MARKED_LINES = ["机密★10年", "", "关于2026年度防汛抗旱应急预案修订工作的通知", "各区人民政府,市政府各委、办、局:",
                "现将修订后的应急预案印发给你们,请认真贯彻执行。"]
CLEAN_LINES = ["关于开展2026年全国科普日活动的通知", "各街道办事处:", "为提高市民科学素质,定于9月举办科普日活动,欢迎市民参加。",
               "(此件公开发布)"]


@dataclass(frozen=True)
class Server:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(tmp: Path, name: str, args: list[str], env: dict[str, str]) -> Server:
    port = _free_port()
    log = tmp / f"{name}.log"
    proc = subprocess.Popen(
        [SECSCAN, "serve", "--port", str(port), *args],
        env={**os.environ, "SECSCAN_SERVE_FAULTS": "1", **env},
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    return Server(f"http://127.0.0.1:{port}", log, proc)


def _wait_ready(server: Server, limit: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if server.proc.poll() is not None:
            raise AssertionError(f"server exited: {server.log.read_text()}")
        try:
            if HTTP.get(server.url + "/healthz", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server not ready in {limit}s: {server.log.read_text()}")


def _stop(server: Server) -> None:
    server.proc.send_signal(signal.SIGINT)
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait()


TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    tmp = tmp_path_factory.mktemp("serve")
    token_file = tmp / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    config = tmp / "secscan.toml"
    config.write_text("use_model = false\n")
    started = {
        "open": _launch(tmp, "open", ["--workers", "2", "--queue", "8", "--timeout", str(SCAN_TIMEOUT),
                                      "--max-request-mb", "2", "--config", str(config)], {}),
        "locked": _launch(tmp, "locked", ["--workers", "1", "--queue", "0", "--timeout", "1",
                                          "--token-file", str(token_file)], {"SECSCAN_TOKEN": ""}),
    }
    try:
        for server in started.values():
            ready_in = _wait_ready(server)
            assert ready_in < 20, f"ready only after {ready_in:.1f}s"
        yield started
    finally:
        for server in started.values():
            _stop(server)


@pytest.fixture(scope="module")
def open_url(servers: dict[str, Server]) -> str:
    return servers["open"].url


@pytest.fixture(scope="module")
def locked(servers: dict[str, Server]) -> Server:
    return servers["locked"]


def _upload(url: str, name: str, data: bytes, **kw: object) -> httpx.Response:
    return HTTP.post(url + "/v1/scan", files={"file": (name, data)}, timeout=30, **kw)  # type: ignore[arg-type]


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pptx(lines: list[str]) -> bytes:
    from pptx import Presentation

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = lines[0]
    slide.placeholders[1].text = "\n".join(lines[1:])
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _example(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _html(lines: list[str], comment: str = "") -> bytes:
    paras = "".join(f"<p>{line}</p>" for line in lines)
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{lines[0]}</title></head><body>{paras}" \
           f"{comment}</body></html>".encode()


# -- formats --------------------------------------------------------------------------

UPLOADS = [
    ("docx-marked", "通知.docx", lambda: docx_bytes(MARKED_LINES), "block", "marking.star_period"),
    ("docx-clean", "科普日.docx", lambda: docx_bytes(CLEAN_LINES), "pass", None),
    ("pdf-marked", "预案.pdf", lambda: pdf_bytes([MARKED_LINES]), "block", "marking.star_period"),
    ("pdf-clean", "科普日.pdf", lambda: pdf_bytes([CLEAN_LINES]), "pass", None),
    ("html-internal", "page.html", lambda: _html(["内部资料 注意保存", *CLEAN_LINES[:3]]), "block",
     "internal.keep_internal"),
    ("html-clean", "page.html", lambda: _html(CLEAN_LINES), "pass", None),
    ("xlsx-marked", "清单.xlsx", lambda: _xlsx([["机密★10年"], ["2026年度重点项目清单"]]), "block", "marking.star_period"),
    ("xlsx-clean", "清单.xlsx", lambda: _xlsx([["2026年度重点项目清单"], ["项目名称", "投资额(万元)"]]), "pass", None),
    ("pptx-marked", "汇报.pptx", lambda: _pptx(["机密★10年", "2026年度重点项目汇报"]), "block", "marking.star_period"),
    ("pptx-clean", "汇报.pptx", lambda: _pptx(["2026年度重点项目汇报", "全市共安排重点项目120个"]), "pass", None),
    ("txt-marked", "a.txt", lambda: "\n".join(MARKED_LINES).encode("gb18030"), "block", "marking.star_period"),
    ("txt-seed", "seed.txt", lambda: SEEDS[0].read_bytes(), "pass", None),
]


@pytest.mark.parametrize(("name", "data", "verdict", "rule"), [u[1:] for u in UPLOADS], ids=[u[0] for u in UPLOADS])
def test_upload_each_format(open_url: str, name: str, data, verdict: str, rule: str | None) -> None:
    response = _upload(open_url, name, data())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == verdict, (report["errors"], report["findings"])
    assert response.headers["X-Secscan-Verdict"] == verdict
    assert response.headers["X-Secscan-Score"] == str(report["score"])
    assert report["path"] == name
    rules = {f["rule"] for f in report["findings"]}
    if rule:
        assert rule in rules
    else:
        assert not [f for f in report["findings"] if f["severity"] != "low"], report


def test_all_seeds_pass_through_the_hook(open_url: str) -> None:
    for seed in SEEDS:
        response = HTTP.post(open_url + "/v1/scan", json={"text": seed.read_text(encoding="utf-8"),
                                                           "filename": seed.name}, timeout=30)
        assert response.json()["verdict"] == "pass", (seed.name, response.json()["findings"])


def test_json_text_and_html(open_url: str) -> None:
    text = HTTP.post(open_url + "/v1/scan", json={"text": "\n".join(MARKED_LINES), "filename": "草稿"}, timeout=30)
    assert text.status_code == 200
    report = text.json()
    assert (report["verdict"], report["path"]) == ("block", "草稿")
    finding = next(f for f in report["findings"] if f["rule"] == "marking.star_period")
    assert (finding["text"], finding["start"], finding["end"]) == ("机密★10年", 0, 6)

    page = HTTP.post(open_url + "/v1/scan", json={"html": _html(CLEAN_LINES, "<!-- 工作秘密 请勿外传 -->").decode()},
                      timeout=30).json()
    assert page["path"] == "page.html"
    assert page["verdict"] == "block"
    assert any(f["location"]["part"] == "html_comment" for f in page["findings"])


def test_mask_hides_personal_data_in_the_answer(open_url: str) -> None:
    id_number = "11010519900307123" + resident_id_check_char("11010519900307123")
    body = {"text": f"信访人登记表\n张某,身份证号:{id_number},电话:13812345678", "filename": "登记表.txt"}
    plain = HTTP.post(open_url + "/v1/scan", json=body, timeout=30).json()
    masked = HTTP.post(open_url + "/v1/scan?mask=true", json=body, timeout=30).json()
    assert plain["verdict"] == masked["verdict"] == "block"
    assert id_number in json.dumps(plain, ensure_ascii=False)
    shown = json.dumps(masked, ensure_ascii=False)
    assert id_number not in shown and "13812345678" not in shown
    assert any(f["rule"] == "pii.resident_id" and f["text"].startswith("110105") and "*" in f["text"]
               for f in masked["findings"])


def test_uploaded_name_is_a_label_not_a_path(open_url: str, tmp_path: Path) -> None:
    target = tmp_path / "evil.txt"
    hostile = f"../../..{target}"
    report = _upload(open_url, hostile, "\n".join(CLEAN_LINES).encode()).json()
    assert report["path"] == "evil.txt"
    assert not target.exists()
    raw = (b'--b0\r\nContent-Disposition: form-data; name="file"; filename="..\\..\\Windows\\a\x07b.txt"\r\n'
           b"Content-Type: text/plain\r\n\r\nabc\r\n--b0--\r\n")
    report = HTTP.post(open_url + "/v1/scan", content=raw,
                        headers={"content-type": "multipart/form-data; boundary=b0"}).json()
    assert report["path"] == "ab.txt"


# -- limits and malformed requests --------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "json"),
    ({"json": {"text": "a", "html": "<p>b</p>"}}, "exactly one"),
    ({"json": {"filename": "x.txt"}}, "exactly one"),
    ({"json": {"text": ""}}, "text"),
    ({"json": {"text": 42}}, "text"),
    ({"json": {"text": "a", "path": "/etc/passwd"}}, "path"),
    ({"files": {"document": ("a.txt", b"abc")}}, "file"),
    ({"files": {"file": ("a.txt", b"")}}, "为空"),
    ({"content": b"abc", "headers": {"content-type": "text/plain"}}, "multipart"),
    ({"content": b"--x\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=x"}}, "file"),
])
def test_malformed_requests_get_422(open_url: str, kwargs: dict, fragment: str) -> None:
    response = HTTP.post(open_url + "/v1/scan", timeout=30, **kwargs)
    assert response.status_code == 422, response.text
    assert fragment in json.dumps(response.json(), ensure_ascii=False)


def test_over_the_size_limit_gets_413(open_url: str) -> None:
    big = b"\xe5\x85\xac" * (1024 * 1024)  # 3 MB of 公 against a 2 MB limit
    declared = _upload(open_url, "big.txt", big)
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(24):
            yield b"a" * 131072

    streamed = HTTP.post(open_url + "/v1/scan", content=chunks(), headers={"content-type": "application/json"},
                          timeout=30)
    assert streamed.status_code == 413
    just_under = _upload(open_url, "ok.txt", b"a" * (2 * 1024 * 1024 - 400))
    assert just_under.status_code == 200


# -- never a hang, never a silent pass --------------------------------------------------

def test_scan_over_its_time_limit_is_review_with_a_timeout_error(open_url: str) -> None:
    started = time.monotonic()
    response = _upload(open_url, "slow.pdf", HANG + b"...")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    report = response.json()
    assert report["verdict"] == "review"
    assert response.headers["X-Secscan-Verdict"] == "review"
    assert [e["kind"] for e in report["errors"]] == ["timeout"]
    assert SCAN_TIMEOUT <= elapsed < SCAN_TIMEOUT + 3
    # the killed worker is replaced
    assert _upload(open_url, "a.docx", docx_bytes(MARKED_LINES)).json()["verdict"] == "block"


def test_crashing_parser_is_review_and_the_server_lives_on(open_url: str, servers: dict[str, Server]) -> None:
    for _ in range(2):
        response = _upload(open_url, "corrupt.docx", CRASH)
        assert response.status_code == 200
        report = response.json()
        assert report["verdict"] == "review"
        assert [e["kind"] for e in report["errors"]] == ["internal"]
    assert servers["open"].proc.poll() is None
    for _ in range(4):  # both workers serve again
        assert _upload(open_url, "a.docx", docx_bytes(MARKED_LINES)).json()["verdict"] == "block"


def test_concurrent_requests_and_a_slow_scan_does_not_stall_others(open_url: str) -> None:
    docx = docx_bytes(MARKED_LINES)

    async def timed(client: httpx.AsyncClient, data: bytes, name: str) -> tuple[float, str]:
        started = time.monotonic()
        response = await client.post(open_url + "/v1/scan", files={"file": (name, data)})
        assert response.status_code == 200
        return time.monotonic() - started, response.json()["verdict"]

    async def run() -> list[tuple[float, str]]:
        async with httpx.AsyncClient(timeout=30) as client:
            slow = asyncio.create_task(timed(client, HANG, "slow.pdf"))
            await asyncio.sleep(0.2)
            quick = [timed(client, docx if i % 2 else b"\n".join(c.encode() for c in CLEAN_LINES), f"{i}.docx")
                     for i in range(8)]
            return [*(await asyncio.gather(*quick)), await slow]

    *quick, slow = asyncio.run(run())
    assert [v for _, v in quick] == ["pass", "block"] * 4
    assert max(t for t, _ in quick) < SCAN_TIMEOUT, quick
    assert slow[1] == "review" and slow[0] >= SCAN_TIMEOUT


def test_busy_server_answers_503_with_retry_after_and_the_client_waits(locked: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with concurrent.futures.ThreadPoolExecutor(1) as background:
        started = time.monotonic()
        slow = background.submit(httpx.post, locked.url + "/v1/scan", files={"file": ("s.pdf", HANG)}, headers=auth,
                                 timeout=30)
        time.sleep(0.4)
        refused = HTTP.post(locked.url + "/v1/scan", json={"text": "机密★10年"}, headers=auth)
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) >= 1
        # the Python client waits for Retry-After while the only worker is busy, then gets its report
        result = Client(locked.url, TOKEN, busy_retries=5).scan_text("机密★10年\n会议纪要")
        assert time.monotonic() - started >= 1.0
        assert result.verdict is Verdict.BLOCK
        assert "marking.star_period" in result.rules
        assert slow.result().json()["verdict"] == "review"


# -- security ---------------------------------------------------------------------------

def test_token_required_when_configured(locked: Server) -> None:
    url = locked.url
    assert HTTP.get(url + "/healthz").status_code == 200  # probes need no token
    for headers in ({}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"}):
        response = HTTP.post(url + "/v1/scan", json={"text": "机密★10年"}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert HTTP.get(url + "/v1/rules", headers=headers).status_code == 401
    ok = HTTP.post(url + "/v1/scan", json={"text": "机密★10年"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert (ok.status_code, ok.json()["verdict"]) == (200, "block")

    with pytest.raises(HookError) as refused:
        Client(url, token="").scan_text("机密★10年")
    assert refused.value.status == 401


def test_no_token_needed_when_not_configured(open_url: str) -> None:
    assert HTTP.post(open_url + "/v1/scan", json={"text": "通知"}).status_code == 200


def test_refuses_to_listen_beyond_loopback_without_a_token() -> None:
    done = CliRunner().invoke(cli_main, ["serve", "--host", "0.0.0.0", "--port", str(_free_port())],
                              env={"SECSCAN_TOKEN": ""})
    assert done.exit_code == 2
    assert "needs a token" in done.output


def test_logs_hold_verdicts_and_rules_but_no_document_text(open_url: str, servers: dict[str, Server]) -> None:
    secret_line = "拟任张某某同志为市财政局局长的考察材料"
    _upload(open_url, "干部考察材料.docx", docx_bytes(["机密★10年", secret_line]))
    time.sleep(0.2)
    log = servers["open"].log.read_text(encoding="utf-8")
    assert "verdict=block" in log and "marking.star_period" in log
    for leaked in (secret_line, "干部考察材料", "机密★10年", "防汛抗旱", "科普日"):
        assert leaked not in log


# -- the service's own description -------------------------------------------------------

def test_rules_and_version_answer_what_the_cli_prints(locked: Server) -> None:
    printed = json.loads(CliRunner().invoke(cli_main, ["rules", "--format", "json"], catch_exceptions=False).output)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert HTTP.get(locked.url + "/v1/rules", headers=auth).json() == printed
    version = HTTP.get(locked.url + "/v1/version", headers=auth).json()
    assert version == {k: printed[k] for k in ("secscan_version", "lexicon_version", "model_version")}


def test_openapi_document_describes_the_answers(open_url: str) -> None:
    spec = HTTP.get(open_url + "/openapi.json").json()
    scan = spec["paths"]["/v1/scan"]["post"]
    assert set(scan["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert {"200", "413", "422", "503"} <= set(scan["responses"])
    assert {"/healthz", "/v1/rules", "/v1/version"} <= set(spec["paths"])
    schema = {**scan["responses"]["200"]["content"]["application/json"]["schema"],
              "components": spec["components"]}
    # refs point at #/components/schemas/…, resolvable inside this wrapper document
    validator = jsonschema.Draft202012Validator(schema)
    answers = [
        _upload(open_url, "a.docx", docx_bytes(MARKED_LINES)).json(),
        _upload(open_url, "p.html", _html(CLEAN_LINES, "<!-- 内部资料 -->")).json(),
        _upload(open_url, "x.pdf", CRASH).json(),
    ]
    for answer in answers:
        validator.validate(answer)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**answers[0], "verdict": "maybe"})
    json_body = scan["requestBody"]["content"]["application/json"]["schema"]
    assert {"text", "html", "filename"} <= set(json_body["properties"])


# -- integration examples -------------------------------------------------------------------

def test_publish_hook_exit_codes(locked: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hook = _example("publish_hook")
    token_file = tmp_path / "t"
    token_file.write_text(TOKEN)
    blocked = tmp_path / "通知.docx"
    blocked.write_bytes(docx_bytes(MARKED_LINES))
    clean = tmp_path / "科普日.docx"
    clean.write_bytes(docx_bytes(CLEAN_LINES))

    def run(path: Path, *extra: str, url: str = locked.url) -> int:
        return hook.main([str(path), "--url", url, "--token-file", str(token_file), *extra])

    assert run(blocked) == 4
    out = capsys.readouterr().out
    assert "marking.star_period" in out and "不得公开" in out
    assert run(clean) == 0
    assert run(blocked, "--hold-on", "block") == 4
    assert run(blocked, url=f"http://127.0.0.1:{_free_port()}") == 1
    assert "暂缓发布" in capsys.readouterr().err


def test_wsgi_gate_holds_blocked_pages(open_url: str) -> None:
    SecscanGate = _example("wsgi_gate").SecscanGate
    pages = {"/marked": _html(MARKED_LINES), "/clean": _html(CLEAN_LINES)}

    def site(environ: dict, start_response) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [pages[environ["PATH_INFO"]]]

    def call(app, path: str) -> tuple[str, bytes]:
        seen: list[str] = []
        body = b"".join(app({"PATH_INFO": path}, lambda status, headers, exc=None: seen.append(status)))
        return seen[0], body

    gate = SecscanGate(site, url=open_url)
    assert call(gate, "/marked")[0].startswith("503")
    assert call(gate, "/clean") == ("200 OK", pages["/clean"])
    down = SecscanGate(site, url=f"http://127.0.0.1:{_free_port()}")
    assert call(down, "/clean")[0].startswith("503")  # fail closed
    assert call(SecscanGate(site, url=f"http://127.0.0.1:{_free_port()}", fail_closed=False), "/clean")[0] == "200 OK"
