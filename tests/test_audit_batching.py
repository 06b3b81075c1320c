"""Documents travel to the engines in bounded batches, and every result is recorded one by one."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future
from pathlib import Path

from secscan import Config
from secscan.audit import AuditStore, run_audit, runner
from secscan.audit.fetch import Fetcher
from secscan.audit.sources import open_source
from secscan.audit.worker import Batch, scan_batch

CONFIG = Config(use_model=False, today="2026-11-23")
NOTICE = "关于做好第{n}批政务服务事项公开工作的通知\n各单位要按时完成,并报区政务公开办。\n"


class QueueEngine:
    """Runs batches in this process, in order, only when the audit waits: a slow cluster in miniature."""

    slots = 2
    window = 3
    batch_docs = 4
    batch_bytes = 2000

    def __init__(self) -> None:
        self.queue: deque[tuple[Future, Batch]] = deque()
        self.sizes: list[tuple[int, int]] = []  # (documents, bytes) of every batch
        self.most_in_flight = 0

    def submit(self, batch: Batch) -> Future:
        future: Future = Future()
        self.queue.append((future, batch))
        self.sizes.append((len(batch.jobs), batch.size))
        self.most_in_flight = max(self.most_in_flight, len(self.queue))
        return future

    def wait_some(self, futures: set, block: bool = True) -> tuple[set, set]:
        if not block or not self.queue:
            return set(), set(futures)
        future, batch = self.queue.popleft()
        future.set_result(scan_batch(batch, CONFIG))
        return {future}, set(futures) - {future}

    def close(self) -> None:
        pass


def test_batches_are_bounded_and_every_document_is_recorded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(runner, "MAX_BATCH_AGE", 60.0)  # batches close on count and bytes only, however slow the box
    site = tmp_path / "site"
    site.mkdir()
    for n in range(30):
        text = ("秘密★5年\n" if n % 10 == 3 else "") + NOTICE.format(n=n)
        (site / f"t{n:02d}.txt").write_text(text, encoding="utf-8")
    (site / "big.txt").write_text("机密★10年\n" + NOTICE.format(n=99) * 40, encoding="utf-8")  # over batch_bytes
    engine = QueueEngine()
    with AuditStore(tmp_path / "a.db") as store:
        summary = run_audit([open_source(str(site), Fetcher())], store, CONFIG, engine=engine, progress=False)
        scans = store.scan_counts()
    assert summary.documents == summary.scanned == 31 and summary.batches == len(engine.sizes)
    assert sum(n for n, _ in engine.sizes) == 31
    (first_docs, first_bytes), *middle, (last_docs, _) = engine.sizes
    assert first_docs == 1 and first_bytes > engine.batch_bytes  # big.txt, sorted first, travels alone
    assert all(n == engine.batch_docs and size <= engine.batch_bytes for n, size in middle)
    assert last_docs == 30 % engine.batch_docs  # the rest, sent when the source ends
    assert engine.most_in_flight <= engine.window
    assert len(scans) == 31 and set(scans.values()) == {1}
    assert summary.verdicts == {"block": 4, "pass": 27}


def test_batches_equal_single_documents(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for n in range(9):
        (site / f"t{n}.txt").write_text(("工作秘密\n" if n == 4 else "") + NOTICE.format(n=n), encoding="utf-8")
    found = []
    for docs in (1, 8):
        with AuditStore(tmp_path / f"{docs}.db") as store:
            run_audit([open_source(str(site), Fetcher())], store, CONFIG, jobs=1, batch_docs=docs, progress=False)
            found.append(sorted((d.path, d.verdict, d.score, len(d.findings)) for d in store.documents(1)))
    assert found[0] == found[1] and sum(v == "block" for _, v, _, _ in found[0]) == 1
