"""The audit database across audits (re-audit, new lexicon, resume rules) and the ranked report."""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import Future
from pathlib import Path

import pytest
from audit_site import resident_id
from click.testing import CliRunner
from msgspec.structs import replace

from secscan import Config
from secscan.audit import AuditStore, run_audit
from secscan.audit.fetch import Fetcher
from secscan.audit.report import ReportOptions, ReviewedFindings, build_report, render_csv
from secscan.audit.sources import Filters, open_source
from secscan.audit.store import StoreError
from secscan.audit.worker import Batch, scan_batch
from secscan.baseline import FORMAT_VERSION, load_baseline
from secscan.cli import main
from secscan.types import Verdict

CONFIG = Config(use_model=False, today="2026-11-23")
NOTICE = "关于开展政务公开专项检查的通知\n各单位要认真对照检查,及时整改。\n"


def _audit(db: Path, root: Path, config: Config = CONFIG, **kw: object):
    with AuditStore(db) as store:
        return run_audit([open_source(str(root), Fetcher(), Filters())], store, config, jobs=1, progress=False, **kw)


@pytest.fixture(scope="module")
def two_audits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    import random

    root = tmp_path_factory.mktemp("site")
    (root / "xxgk").mkdir()
    (root / "tzgg").mkdir()
    pid = resident_id(random.Random(3))
    (root / "xxgk" / "marked.txt").write_text("机密★10年\n" + NOTICE, encoding="utf-8")
    (root / "xxgk" / "list.txt").write_text(f"附件\n获奖人员名单\n王芳 身份证号:{pid}\n", encoding="utf-8")
    (root / "tzgg" / "internal.txt").write_text("内部资料 注意保存\n" + NOTICE, encoding="utf-8")
    (root / "tzgg" / "clean.txt").write_text(NOTICE, encoding="utf-8")
    (root / "tzgg" / "x<img src=x onerror=alert(1)>.txt").write_text(
        "请勿外传\n会议纪要<script>alert(1)</script>\n", encoding="utf-8")
    (root / "tzgg" / "later.txt").write_text(NOTICE, encoding="utf-8")
    db = tmp_path_factory.mktemp("db") / "audit.db"
    first = _audit(db, root)
    (root / "tzgg" / "later.txt").write_text("秘密★5年\n" + NOTICE, encoding="utf-8")  # changed after audit 1
    second = _audit(db, root)
    return db, root, {"first": first, "second": second, "pid": pid}


def rows(db: Path, **kw: object) -> list:
    with AuditStore(db, readonly=True) as store:
        return list(build_report(store, ReportOptions(**kw), CONFIG).rows)


def test_reaudit_scans_only_changed_content(two_audits) -> None:
    _, _, info = two_audits
    # clean.txt and later.txt hold the same bytes in audit 1: scanned once
    assert info["first"].scanned == 5 and info["first"].reused == 1 and info["first"].documents == 6
    assert info["second"].scanned == 1 and info["second"].reused == 5 and info["second"].documents == 6


def test_new_lexicon_rescans_what_it_affects(two_audits, tmp_path: Path) -> None:
    db, root, _ = two_audits
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())  # the module's database stays as it is for the other tests
    lexicon = tmp_path / "unit.tsv"
    lexicon.write_text("# 本单位项目代号\n专项检查\tsensitive_matter\tcustom.project\thigh\tanywhere\t项目代号\n",
                       encoding="utf-8")
    summary = _audit(copy, root, replace(CONFIG, extra_lexicons=(lexicon,)))
    assert summary.scanned == 6  # every result was made under the old lexicon
    found = {Path(r.doc.path).name: {f.rule for f in r.findings} for r in rows(copy, min_verdict=Verdict.PASS)}
    assert "custom.project" in found["clean.txt"]
    again = _audit(copy, root, replace(CONFIG, extra_lexicons=(lexicon,)))
    assert again.scanned == 0  # and nothing twice under the same one


def test_ranked_highest_score_first_without_pass(two_audits) -> None:
    db, _, _ = two_audits
    ranked = rows(db)
    names = [Path(r.doc.path).name for r in ranked]
    assert "clean.txt" not in names and len(names) == 5
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(r.verdict is Verdict.BLOCK for r in ranked)
    everything = rows(db, min_verdict=Verdict.PASS)
    assert Path(everything[-1].doc.path).name == "clean.txt" and everything[-1].verdict is Verdict.PASS


def test_since_lists_only_new_findings(two_audits) -> None:
    db, _, _ = two_audits
    (row,) = rows(db, since=1)
    assert Path(row.doc.path).name == "later.txt"
    assert [f.text for f in row.findings] == ["秘密★5年"] and row.verdict is Verdict.BLOCK


def test_baseline_of_reviewed_findings_is_honoured(two_audits, tmp_path: Path) -> None:
    db, _, _ = two_audits
    (marked,) = [r for r in rows(db) if r.doc.path.endswith("marked.txt")]
    baseline = tmp_path / "baseline.json"

    def write(key: str) -> ReviewedFindings:
        entries = [{"fingerprint": f.fingerprint, "rule": f.rule, "count": 1} for f in marked.findings]
        baseline.write_text(json.dumps({"secscan_baseline": FORMAT_VERSION, "files": {key: entries}}), encoding="utf-8")
        return ReviewedFindings(load_baseline(baseline))

    left = rows(db, baseline=write(marked.doc.path))
    assert not any(r.doc.path.endswith("marked.txt") for r in left) and len(left) == 4
    # written from inside the site's folder (relative paths), it still applies
    assert len(rows(db, baseline=write(Path(marked.doc.path).name))) == 4
    # the same findings under another name are not cleared
    assert len(rows(db, baseline=write("elsewhere/marked.txt"))) == 5


def test_jsonl_csv_html_through_the_cli(two_audits, tmp_path: Path) -> None:
    db, root, info = two_audits
    runner = CliRunner()
    out = runner.invoke(main, ["audit", "report", "--db", str(db), "--format", "jsonl", "--top", "1"])
    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert [d["rank"] for d in lines] == [1, 2, 3, 4, 5]
    assert all(set(d) >= {"path", "verdict", "score", "findings", "errors", "section"} for d in lines)
    assert all(len(d["findings"]) <= 1 for d in lines)
    pid_row = next(d for d in lines if d["path"].endswith("list.txt"))
    if pid_row["categories"].get("personal_info"):
        masked = runner.invoke(main, ["audit", "report", "--db", str(db), "--mask"]).output
        assert info["pid"] in out.output and info["pid"] not in masked

    csv_file = tmp_path / "r.csv"
    out = runner.invoke(main, ["audit", "report", "--db", str(db), "--format", "csv", "-o", str(csv_file)])
    assert out.exit_code == 0, out.output
    table = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert len(table) == 5 and table[0]["verdict_zh"] == "不得公开" and table[0]["origin"].startswith(str(root))

    html_file = tmp_path / "r.html"
    out = runner.invoke(main, ["audit", "report", "--db", str(db), "--format", "html", "-o", str(html_file)])
    page = html_file.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "x&lt;img src=x onerror=alert(1)&gt;.txt" in page
    assert page.count("<h3>栏目 tzgg") == 1 and page.count("<h3>栏目 xxgk") == 1
    assert "密级标志" in page and "<mark>机密★10年</mark>" in page


def test_csv_cells_cannot_become_formulas() -> None:
    from secscan.audit.report import AuditReport, Row
    from secscan.audit.store import StoredDocument

    doc = StoredDocument("=HYPERLINK(\"x\")", "file", "/", "=HYPERLINK(\"x\")", None, None, "h", "review", 50, (),
                         ({"kind": "corrupt", "message": "-1+1"},), "text/plain", 1, "now")
    from secscan.types import ErrorKind, ReadError

    report = AuditReport(1, [Row(doc, Verdict.REVIEW, 50, (), (ReadError(ErrorKind.CORRUPT, "-1+1"),))])
    (row,) = list(csv.DictReader(io.StringIO("".join(render_csv(report)).lstrip("\ufeff"))))
    assert row["origin"].startswith("'=") and row["errors"].startswith("'-")


def test_cli_run_exit_code_list_and_resume_rules(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.txt").write_text("绝密★长期\n" + NOTICE, encoding="utf-8")
    db = tmp_path / "a.db"
    runner = CliRunner()
    out = runner.invoke(main, ["audit", "run", str(tmp_path / "site"), "--db", str(db), "--jobs", "1", "--no-model"])
    assert out.exit_code == 4, out.output  # block, as `secscan scan` would say
    assert "不得公开 1" in out.output
    out = runner.invoke(main, ["audit", "run", str(tmp_path / "site"), "--db", str(db), "--resume", "--no-model", "-q"])
    assert out.exit_code == 4  # nothing unfinished to resume: a new audit, nothing rescanned
    listing = runner.invoke(main, ["audit", "list", "--db", str(db)]).output
    assert "#1 finished" in listing and "#2 finished" in listing and "scanned 0" in listing
    assert runner.invoke(main, ["audit", "run", "nowhere", "--db", str(db)]).exit_code == 2
    assert runner.invoke(main, ["audit", "run", str(db), "--db", str(db), "--engine", "dask"]).exit_code == 2
    with AuditStore(db) as store:
        store._db.execute("UPDATE audits SET status='running' WHERE id=2")
        store.commit()
        with pytest.raises(StoreError, match="other lexicon"):
            run_audit([open_source(str(tmp_path / "site"), Fetcher())], store, CONFIG, jobs=1, resume=True,
                      progress=False)


class InlineEngine:
    """Runs the task function in this process; a batch holding a document named ``bad*`` makes the 'worker' die."""

    slots = 2
    window = 4
    batch_docs = 8
    batch_bytes = 1 << 20

    def __init__(self, config: Config) -> None:
        self.config = config
        self.batches: list[int] = []

    def submit(self, batch: Batch) -> Future:
        self.batches.append(len(batch.jobs))
        future: Future = Future()
        if any(job.name.startswith("bad") for job in batch.jobs):
            future.set_exception(RuntimeError("worker lost"))
        else:
            future.set_result(scan_batch(batch, self.config))
        return future

    def wait_some(self, futures: set, block: bool = True) -> tuple[set, set]:
        return set(futures), set()

    def close(self) -> None:
        pass


def test_a_lost_worker_is_recorded_as_review_and_retried_next_audit(tmp_path: Path, capsys) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "bad.txt").write_text(NOTICE, encoding="utf-8")
    (tmp_path / "site" / "good.txt").write_text("秘密★5年\n" + NOTICE, encoding="utf-8")
    db = tmp_path / "a.db"
    with AuditStore(db) as store:
        source = open_source(str(tmp_path / "site"), Fetcher())
        engine = InlineEngine(CONFIG)
        first = run_audit([source], store, CONFIG, engine=engine, progress=True)
    assert "审查" in capsys.readouterr().err  # the progress bar went to stderr
    assert engine.batches == [2, 1, 1]  # the lost batch is retried document by document
    assert first.failed == 1 and first.documents == 2 and first.verdicts == {"review": 1, "block": 1}
    bad = next(r for r in rows(db) if r.doc.path.endswith("bad.txt"))
    assert bad.verdict is Verdict.REVIEW and "worker lost" in bad.errors[0].message
    with AuditStore(db) as store:
        (tmp_path / "site" / "bad.txt").rename(tmp_path / "site" / "fine.txt")
        second = run_audit([source], store, CONFIG, engine=InlineEngine(CONFIG), progress=False)
    assert second.scanned == 1 and second.reused == 1  # only the failed content is scanned again
    assert second.verdicts == {"pass": 1, "block": 1}


def test_a_database_from_before_links_and_referrers_is_upgraded(tmp_path: Path) -> None:
    import sqlite3

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.txt").write_text("秘密★5年\n" + NOTICE, encoding="utf-8")
    db = tmp_path / "old.db"
    _audit(db, tmp_path / "site")
    with sqlite3.connect(db) as conn:  # as the first release wrote it
        conn.execute("ALTER TABLE documents DROP COLUMN referrer")
        conn.execute("ALTER TABLE results DROP COLUMN links")
    assert [r.verdict for r in rows(db)] == [Verdict.BLOCK]  # read-only: readable as it is
    again = _audit(db, tmp_path / "site")  # read-write: the columns are added, the results reused
    assert again.scanned == 0 and again.reused == 1
    with AuditStore(db, readonly=True) as store:
        (doc,) = store.documents(again.audit_id)
    assert doc.referrer is None and doc.verdict == "block"
