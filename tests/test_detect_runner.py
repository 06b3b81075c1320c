"""Detectors split over two processes on a long document: the same report as one process.

The context rules and the classifier run in a forked child on a long document; whatever
happens to the child (a crash, a detector error, a time-out), the report must be the one
a single process makes.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from builders import docx_bytes

from secscan.config import Config
from secscan.detect import DETECTORS, runner
from secscan.detect.base import DetectorSpec, NormDocument
from secscan.pipeline import Scanner, normalize_document
from secscan.types import Document, ErrorKind, Hit, Part, PartKind, Verdict

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = Config(today="2026-11-23", isolate=False)
needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the split is made on Linux only")


class CountingFork(runner.ForkedCall):
    made = 0

    def __init__(self, produce) -> None:
        CountingFork.made += 1
        super().__init__(produce)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> type[CountingFork]:
    CountingFork.made = 0
    monkeypatch.setattr(runner, "ForkedCall", CountingFork)
    monkeypatch.setattr(runner, "_usable_cpus", lambda: 2)  # a one-CPU CI runner splits as well
    monkeypatch.setattr(runner, "_other_threads", lambda: False)  # earlier tests' servers and Dask's pool
    return CountingFork


def _one_process(monkeypatch: pytest.MonkeyPatch, scan):
    with monkeypatch.context() as m:
        m.setattr(runner, "may_split", lambda doc: False)
        return scan()


def _draft_docx() -> bytes:
    """A draft as a 办公室 would write it: marking in the header, land plan, a petitioner's ID."""
    land = (FIXTURES / "context" / "sen_02_land_draft.txt").read_text(encoding="utf-8").splitlines()
    cadre = (FIXTURES / "context" / "sen_01_cadre_minutes.txt").read_text(encoding="utf-8").splitlines()
    return docx_bytes(
        [line for line in land + cadre if line.strip()],
        table=[["姓名", "身份证号", "电话"], ["钱某某", "11010519491231002X", "13922223333"]],
        header="机密★10年",
    )


@needs_fork
def test_split_report_equals_the_one_process_report(monkeypatch: pytest.MonkeyPatch, forks) -> None:
    monkeypatch.setattr(runner, "SPLIT_MIN_CHARS", 0)
    scanner = Scanner(CONFIG)
    data = _draft_docx()
    split = scanner.scan_bytes(data, "draft.docx")
    assert forks.made == 1
    single = _one_process(monkeypatch, lambda: scanner.scan_bytes(data, "draft.docx"))
    assert forks.made == 1
    assert split == single
    rules = {f.rule for f in split.findings}
    # every family is in the comparison: the parent's detectors and the child's
    assert {"marking.star_period", "pii.resident_id", "context.land_draft", "model.sensitive_context"} <= rules, rules
    assert split.verdict is Verdict.BLOCK and not split.errors


@needs_fork
def test_a_long_text_splits_at_the_default_size_and_reports_the_same(monkeypatch: pytest.MonkeyPatch, forks) -> None:
    draft = (FIXTURES / "context" / "sen_02_land_draft.txt").read_text(encoding="utf-8")
    article = (FIXTURES / "context" / "pub_01_secrecy_month.txt").read_text(encoding="utf-8")
    text = "机密★5年\n" + draft + "\n" + (article + "\n") * (runner.SPLIT_MIN_CHARS // len(article) + 1)
    scanner = Scanner(CONFIG)
    split = scanner.scan_text(text)
    assert forks.made == 1
    assert split == _one_process(monkeypatch, lambda: scanner.scan_text(text))
    assert {"context.land_draft", "marking.star_period"} <= {f.rule for f in split.findings}
    small = scanner.scan_text(draft)  # below the size: no fork
    assert forks.made == 1 and small.verdict is not Verdict.PASS


def _pid_spec(name: str, side: bool, action=None) -> DetectorSpec:
    """A detector that reports the process it ran in (and may misbehave there)."""

    def build(config, lexicon):
        parent = os.getpid()

        def detect(doc: NormDocument) -> Iterator[Hit]:
            if action is not None:
                action(os.getpid() != parent)
            yield Hit(f"{name}.where", 0, 0, 1, {"pid": str(os.getpid())})

        return detect

    return DetectorSpec(name, (), build, side=side)


def _run(monkeypatch: pytest.MonkeyPatch, specs: tuple[DetectorSpec, ...], timeout: float = 30) -> list:
    monkeypatch.setattr(runner, "SPLIT_MIN_CHARS", 0)
    built = Scanner(CONFIG, detectors=specs)._build()
    doc = normalize_document(Document("a.txt", "text/plain", (Part(PartKind.BODY, "正文内容"),)), built.lexicon)
    return runner.run_detectors(built.detectors, doc, timeout)


def _pids(monkeypatch: pytest.MonkeyPatch, specs: tuple[DetectorSpec, ...]) -> tuple[dict[str, str], list]:
    runs = _run(monkeypatch, specs)
    return {h.rule.split(".")[0]: h.facts["pid"] for run in runs for h in run.hits}, runs


@needs_fork
def test_side_detectors_run_in_a_child_and_come_back_in_declared_order(monkeypatch: pytest.MonkeyPatch, forks) -> None:
    specs = (_pid_spec("first", True), _pid_spec("second", False), _pid_spec("third", True), _pid_spec("fourth", False))
    pids, runs = _pids(monkeypatch, specs)
    me = str(os.getpid())
    assert pids["second"] == pids["fourth"] == me
    assert pids["first"] == pids["third"] != me
    assert [run.hits[0].rule for run in runs] == ["first.where", "second.where", "third.where", "fourth.where"]
    assert all(type(run.hits[0].facts).__name__ == "mappingproxy" for run in runs)


@needs_fork
def test_a_child_that_dies_leaves_the_work_to_this_process(monkeypatch: pytest.MonkeyPatch, forks) -> None:
    def die_in_child(in_child: bool) -> None:
        if in_child:
            os.kill(os.getpid(), signal.SIGKILL)

    pids, runs = _pids(monkeypatch, (_pid_spec("lex", False), _pid_spec("side", True, die_in_child)))
    assert forks.made == 1
    assert pids == {"lex": str(os.getpid()), "side": str(os.getpid())}
    assert all(run.error is None for run in runs)


@needs_fork
def test_a_child_past_the_time_limit_is_killed_and_its_work_done_here(monkeypatch: pytest.MonkeyPatch, forks) -> None:
    def hang_in_child(in_child: bool) -> None:
        if in_child:
            threading.Event().wait(60)

    runs = _run(monkeypatch, (_pid_spec("side", True, hang_in_child),), timeout=0.5)
    assert forks.made == 1
    assert runs[0].hits[0].facts["pid"] == str(os.getpid())


@needs_fork
def test_a_detector_error_in_the_child_is_reported_as_in_one_process(monkeypatch: pytest.MonkeyPatch, forks) -> None:
    def fail(in_child: bool) -> None:
        raise ValueError("规则文件损坏")

    monkeypatch.setattr(runner, "SPLIT_MIN_CHARS", 0)
    scanner = Scanner(CONFIG, detectors=(*DETECTORS[:1], _pid_spec("side", True, fail)))
    split = scanner.scan_text("关于召开会议的通知")
    assert forks.made == 1
    assert split == _one_process(monkeypatch, lambda: scanner.scan_text("关于召开会议的通知"))
    assert [e.kind for e in split.errors] == [ErrorKind.INTERNAL]
    assert "检测器出错:ValueError: 规则文件损坏" in split.errors[0].message
    assert split.verdict is not Verdict.PASS


def _sized(chars: int) -> NormDocument:
    return NormDocument(Document("a.txt", "text/plain", ()), (SimpleNamespace(text="字" * chars),))


def test_split_needs_a_long_document_two_cpus_and_no_other_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    long = _sized(runner.SPLIT_MIN_CHARS)
    monkeypatch.setattr(runner, "_usable_cpus", lambda: 2)
    monkeypatch.setattr(runner, "_other_threads", lambda: False)
    assert runner.may_split(long) is sys.platform.startswith("linux")
    assert not runner.may_split(_sized(runner.SPLIT_MIN_CHARS - 1))
    monkeypatch.setattr(runner, "_usable_cpus", lambda: 1)
    assert not runner.may_split(long)
    monkeypatch.setattr(runner, "_usable_cpus", lambda: 2)
    monkeypatch.setattr(runner, "_other_threads", lambda: True)
    assert not runner.may_split(long)


def test_a_running_thread_is_seen() -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert runner._other_threads()
    finally:
        stop.set()
        worker.join()
