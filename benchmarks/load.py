"""Load on the CMS hook: requests per second and p50/p99 latency, measured with wrk.

    .venv/bin/python benchmarks/load.py                     # 5 KB html (JSON) and 200 KB docx (multipart)
    .venv/bin/python benchmarks/load.py --requests 10000 --docx-seconds 60 --connections 4

It starts ``secscan serve --workers 2`` on a free loopback port, warms it up, then runs
wrk (https://github.com/wg/wrk; ``apt-get install wrk``) with a Lua script per payload:
the html page as ``{"html": …}`` until ``--requests`` answers, and the docx as a multipart
upload for ``--docx-seconds``.  The Lua scripts count every status that is not 200; the
server's resident memory (server + worker processes, via psutil) is sampled after the
warm-up and after each run, so growth over the 10,000 requests shows.
Not a test: CI does not need wrk.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
SECSCAN = str(Path(sys.executable).with_name("secscan"))

_LUA_COMMON = r"""
non200 = 0  -- globals: done() reads them from each thread with thread:get()
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) count = 0; limit = tonumber(args[1]) or 0; non200 = 0 end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
  count = count + 1
  if limit > 0 and count == limit then io.write("LIMIT\n"); io.stdout:flush() end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  io.write(string.format("NON200 %d\n", bad))
  for _, p in ipairs({50, 90, 99}) do io.write(string.format("P%d_US %d\n", p, latency:percentile(p))) end
  io.write(string.format("REQUESTS %d\nSECONDS %.3f\n", summary.requests, summary.duration / 1e6))
end
"""

_SENTENCES = [
    "{city}{dept}关于{year}年{topic}工作的通知", "各{unit}要认真落实{topic}责任,于{month}月{day}日前报送进展情况。",
    "{city}{dept}召开{topic}推进会,通报了第{n}季度{topic}完成情况。", "联系人:{name},联系电话:0{tel}。",
    "本次{topic}共涉及{n}个项目、资金{money}万元,按计划有序推进。", "(此件公开发布)",
]
_WORDS = {
    "city": ["北京市", "杭州市", "成都市", "西宁市", "佛山市", "鄂州市"], "dept": ["发展改革委", "教育局", "卫生健康委",
    "生态环境局", "住房城乡建设局", "交通运输局"], "topic": ["安全生产", "防汛抗旱", "营商环境", "乡村振兴", "垃圾分类",
    "老旧小区改造", "义务教育", "医疗保障"], "unit": ["区县", "街道", "乡镇", "直属单位"],
    "name": ["王明", "李华", "张伟", "刘洋", "陈静"],
}


@dataclass(frozen=True)
class Run:
    payload: str
    bytes: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non200: int
    socket_errors: str
    rss_before_mb: float
    rss_after_mb: float


def _text(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        fields = {k: rng.choice(v) for k, v in _WORDS.items()}
        fields.update(year=rng.randint(2019, 2026), month=rng.randint(1, 12), day=rng.randint(1, 28),
                      n=rng.randint(1, 400), money=rng.randint(10, 99999), tel=rng.randint(10**9, 10**10 - 1))
        out.append(rng.choice(_SENTENCES).format(**fields) + "".join(rng.choice(_SENTENCES[1]) for _ in range(4)))
    return out


def html_page(target: int = 5 * 1024) -> bytes:
    rng = random.Random(5)
    lines: list[str] = []
    while len("".join(lines).encode()) < target - 400:
        lines.extend(_text(rng, 1))
        lines[-1] = lines[-1][:120]
    body = "".join(f"<p>{line}</p>\n" for line in lines)
    page = f"<!doctype html><html><head><meta charset='utf-8'><title>{lines[0]}</title></head><body>{body}</body></html>"
    return page.encode()


def docx_file(target: int = 200 * 1024) -> bytes:
    from docx import Document

    rng = random.Random(200)
    doc = Document()
    doc.add_heading(_text(rng, 1)[0], 1)
    while True:
        for line in _text(rng, 200):
            doc.add_paragraph(line + "".join(rng.choice("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质")
                              for _ in range(rng.randint(20, 60))))
        buf = io.BytesIO()
        doc.save(buf)
        if buf.tell() >= target:
            return buf.getvalue()


def _rss_mb(pid: int, health: str) -> float:
    # Sampled when idle: a per-file extraction child alive at that moment would count the
    # worker's shared pages twice.
    for _ in range(100):
        if httpx.get(health, timeout=5).json()["in_flight"] == 0:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wrk(url: str, script: Path, *, connections: int, threads: int, seconds: int, limit: int) -> dict[str, str]:
    """Run wrk; with ``limit``, stop it (SIGINT: wrk then reports) once every thread has had
    ``limit`` answers: wrk itself only knows durations."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
           "-s", str(script), url, "--", str(limit)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines, reached = [], 0
    for line in proc.stdout:
        lines.append(line)
        if line.strip() == "LIMIT":
            reached += 1
            if reached == threads:
                proc.send_signal(signal.SIGINT)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.wait():
        sys.exit(f"wrk failed: {stderr}")
    out = "".join(lines)
    values = dict(re.findall(r"^(NON200|P50_US|P90_US|P99_US|REQUESTS|SECONDS) (\S+)$", out, re.M))
    values["socket_errors"] = (re.search(r"Socket errors:(.*)", out) or [None, "none"])[1].strip()
    values["raw"] = out
    return values


def _script(tmp: Path, name: str, body_file: Path, ctype: str) -> Path:
    path = tmp / f"{name}.lua"
    path.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "{ctype}"\n'
        f'local f = io.open("{body_file}", "rb"); wrk.body = f:read("*a"); f:close()\n' + _LUA_COMMON
    )
    return path


def _measure(name: str, size: int, url: str, script: Path, pid: int, args: argparse.Namespace, *, limit: int,
             seconds: int) -> Run:
    health = url.replace("/v1/scan", "/healthz")
    before = _rss_mb(pid, health)
    values = _wrk(url, script, connections=args.connections, threads=args.threads, seconds=seconds,
                  limit=limit // args.threads if limit else 0)
    after = _rss_mb(pid, health)
    requests, secs = int(values["REQUESTS"]), float(values["SECONDS"])
    return Run(name, size, requests, round(secs, 2), round(requests / secs, 1), int(values["P50_US"]) / 1000,
               int(values["P90_US"]) / 1000, int(values["P99_US"]) / 1000, int(values["NON200"]),
               values["socket_errors"], round(before, 1), round(after, 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=10_000, help="html requests in the memory run")
    parser.add_argument("--docx-seconds", type=int, default=60)
    parser.add_argument("--docx-rounds", type=int, default=2, help="repeat the docx run: memory must plateau")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="secscan-load-") as tmpdir:
        tmp = Path(tmpdir)
        page, docx = html_page(), docx_file()
        (tmp / "page.json").write_bytes(json.dumps({"html": page.decode(), "filename": "page.html"},
                                                   ensure_ascii=False).encode())
        boundary = "secscanload"
        (tmp / "docx.body").write_bytes(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.docx"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode() + docx + f"\r\n--{boundary}--\r\n".encode())
        html_lua = _script(tmp, "html", tmp / "page.json", "application/json")
        docx_lua = _script(tmp, "docx", tmp / "docx.body", f"multipart/form-data; boundary={boundary}")

        port = _free_port()
        log = open(tmp / "server.log", "wb")
        server = subprocess.Popen([SECSCAN, "serve", "--port", str(port), "--workers", str(args.workers),
                                   "--queue", "64", "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        url = f"http://127.0.0.1:{port}/v1/scan"
        try:
            started = time.monotonic()
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
                if time.monotonic() - started > 60 or server.poll() is not None:
                    sys.exit("server did not start: " + (tmp / "server.log").read_text())
            ready = time.monotonic() - started
            check = httpx.post(url, content=(tmp / "page.json").read_bytes(),
                               headers={"content-type": "application/json"}).json()
            print(f"server ready in {ready:.2f}s; html verdict {check['verdict']}; "
                  f"docx {len(docx) // 1024} KB, html {len(page) // 1024} KB", flush=True)
            _wrk(url, html_lua, connections=args.connections, threads=args.threads, seconds=60,
                 limit=1000 // args.threads)  # warm-up
            runs = [
                _measure("html 5 KB (JSON)", len(page), url, html_lua, server.pid, args, limit=args.requests,
                         seconds=3600),
                *(_measure(f"docx 200 KB (multipart) #{i + 1}", len(docx), url, docx_lua, server.pid, args, limit=0,
                           seconds=args.docx_seconds) for i in range(args.docx_rounds)),
            ]
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            log.close()

    print(f"\n{'payload':<30}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'non-200':>9}"
          f"{'RSS MB before→after':>22}")
    for r in runs:
        print(f"{r.payload:<30}{r.requests:>9}{r.rps:>9}{r.p50_ms:>9.1f}{r.p90_ms:>9.1f}{r.p99_ms:>9.1f}{r.non200:>9}"
              f"{r.rss_before_mb:>13.1f} → {r.rss_after_mb:.1f}   socket errors: {r.socket_errors}")
    print(f"\n{os.cpu_count()} CPUs, load average before the end {os.getloadavg()[0]:.1f}; "
          f"wrk -t{args.threads} -c{args.connections}; secscan serve --workers {args.workers}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], ensure_ascii=False, indent=2))
    return 0 if all(r.non200 == 0 and r.socket_errors == "none" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
