"""The progress bar an auditor sees on a real terminal: documents per second and an ETA.

The CLI runs under a pseudo-terminal, so stderr is a tty exactly as in an interactive
shell; what rich draws there is read back and checked frame by frame.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

VENV_SECSCAN = Path(sys.executable).with_name("secscan")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
# One frame of the bar: "审查 auditing ━━━╸━━ 137/400 96.3 篇/秒 ETA 0:00:03 0:00:01"
FRAME = re.compile(r"审查 auditing\s.*?(\d+)/(\d+)\s+(\d+\.\d|--) 篇/秒\s+ETA\s+(\d+:\d\d:\d\d|-:--:--)")
NOTICE = "关于开展第{n}批便民服务事项清单调整工作的通知\n各街道、各部门要认真落实,按时报送。\n联系电话:010-12345678。\n"


def _run_in_pty(cmd: list[str], cwd: Path, timeout: float = 60.0) -> tuple[int, str]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 150, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "150"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child side closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminal behaviour checked on Linux")
def test_a_terminal_shows_documents_per_second_and_an_eta(tmp_path: Path) -> None:
    site = tmp_path / "site" / "tzgg"
    site.mkdir(parents=True)
    total = 1500  # enough for several frames mid-run (rich redraws ten times a second)
    for n in range(total):
        (site / f"t{n:04d}.txt").write_text(NOTICE.format(n=n + 1), encoding="utf-8")
    code, screen = _run_in_pty(
        [str(VENV_SECSCAN), "audit", "run", str(tmp_path / "site"), "--db", str(tmp_path / "a.db"), "--jobs", "1",
         "--batch", "4", "--no-model"],
        tmp_path,
    )
    assert code == 0, screen[-2000:]
    frames = [m.groups() for m in FRAME.finditer(ANSI.sub("", screen))]
    assert frames, screen[-2000:]
    assert all(int(t) == total for _, t, _, _ in frames)
    # mid-run frames carry a measured rate and a finite ETA …
    running = [f for f in frames if 0 < int(f[0]) < total and f[2] != "--" and f[3] != "-:--:--"]
    assert running, frames
    assert all(float(rate) > 0 for _, _, rate, _ in running)
    # … and the last frame is the finished bar
    done, _, rate, eta = frames[-1]
    assert int(done) == total and float(rate) > 0 and eta == "0:00:00"
    assert f"可公开 {total}" in screen  # the summary after the bar


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.txt").write_text(NOTICE.format(n=1), encoding="utf-8")
    out = subprocess.run(
        [str(VENV_SECSCAN), "audit", "run", str(tmp_path / "site"), "--db", str(tmp_path / "a.db"), "--jobs", "1",
         "--no-model"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "审查 auditing" not in out.stderr and "ETA" not in out.stderr  # no control codes in a log file
    assert "可公开 1" in out.stderr
