"""The context classifier: held-out checks, explanations, scoring limits, reproducible training."""

from __future__ import annotations

import cProfile
import json
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import docx_bytes
from click.testing import CliRunner

from secscan.cli import main
from secscan.config import Config
from secscan.detect.classifier import MODEL_FILE, Featurizer, load_model, model_path, model_version
from secscan.normalize import normalize
from secscan.pipeline import Scanner
from secscan.resources import model_dir
from secscan.train import TrainingError, load_corpus, refuse_seeds, seed_texts, train
from secscan.types import Verdict

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted((REPO / "tests" / "fixtures" / "seeds").glob("*.txt"))
FIXTURES = sorted((REPO / "tests" / "fixtures" / "context").glob("*.txt"))
TRAINING = REPO / "training"
THRESHOLD = 0.5  # the stated threshold: the model's own, checked below
CONFIG = Config(today="2026-11-23")


@pytest.fixture(scope="module")
def model():
    return load_model(model_path(CONFIG))


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(CONFIG)


def probability(model, text: str) -> float:
    return model.probability(normalize(text)[0])


def test_model_is_plain_data_with_its_provenance(model) -> None:
    path = model_dir() / MODEL_FILE
    raw = path.read_bytes()
    assert not raw.startswith(b"\x80")  # no pickle
    data = json.loads(raw)
    assert path.stat().st_size < 3 * 1024 * 1024
    assert data["version"] == (model_dir() / "VERSION").read_text().strip()
    assert data["training_sha256"] == load_corpus(TRAINING).sha256  # the shipped model is of the shipped corpus
    for split in ("holdout", "cross_validation"):
        assert {"precision", "recall", "f1", "confusion"} <= set(data["evaluation"][split])
    assert model.threshold == THRESHOLD
    assert model_version(CONFIG).startswith(data["version"] + "+")


def test_seeds_are_held_out_and_pass(model, scanner: Scanner) -> None:
    assert len(SEEDS) == 5
    refuse_seeds(load_corpus(TRAINING), seed_texts())  # raises if any seed text is in training/
    for seed in SEEDS:
        assert probability(model, seed.read_text(encoding="utf-8")) < THRESHOLD, seed.name
        report = scanner.scan_path(seed)
        assert report.verdict is Verdict.PASS, (seed.name, [f.rule for f in report.findings])


def test_a_seed_copied_into_training_is_refused(tmp_path: Path) -> None:
    corpus = _tiny_corpus(tmp_path / "c", per_class=5)
    shutil.copy(SEEDS[0], corpus / "public" / "seed.txt")
    with pytest.raises(TrainingError, match="seed"):
        refuse_seeds(load_corpus(corpus), seed_texts())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_held_out_fixture_is_classified(model, scanner: Scanner, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text not in {p.read_text(encoding="utf-8") for p in TRAINING.rglob("*.txt")}
    sensitive = path.name.startswith("sen_")
    assert (probability(model, text) >= THRESHOLD) is sensitive
    verdict = scanner.scan_path(path).verdict
    assert (verdict is not Verdict.PASS) if sensitive else (verdict is Verdict.PASS)


def test_fixture_set_is_large_and_balanced() -> None:
    pub = [p for p in FIXTURES if p.name.startswith("pub_")]
    sen = [p for p in FIXTURES if p.name.startswith("sen_")]
    assert len(FIXTURES) >= 20 and len(pub) >= 10 and len(sen) >= 10


def test_finding_points_at_the_paragraph_and_names_its_words() -> None:
    paragraphs = [
        "关于近期工作的几点说明",
        "今年以来,各项工作总体平稳有序推进,全年目标任务完成情况良好。",
        "经党组会酝酿,初步考虑将财务科科长吴某调整到规划科,办公室副主任郑某拟任财务科科长,考察人选待下次会议确定。",
        "下一步,我们将继续抓好各项工作落实。",
    ]
    # rules off: the model's own finding, and its location, are what is under test
    scanner = Scanner(Config(today="2026-11-23", disabled_rules=("context",)))
    report = scanner.scan_bytes(docx_bytes(paragraphs), "draft.docx")
    found = [f for f in report.findings if f.rule == "model.sensitive_context"]
    assert len(found) == 1
    finding = found[0]
    assert finding.location.part.value == "body"
    assert finding.location.paragraph == 3
    body = next(p for p in report.parts if p.kind.value == "body")
    assert body.text[finding.start:finding.end] == finding.text
    assert finding.text in paragraphs[2]
    named = [w.strip("“”") for w in finding.reason.split("权重最大的词语是")[1].split(",")[0].split("、")]
    assert named and all(normalize(w)[0] in normalize(paragraphs[2])[0] for w in named)
    assert report.verdict is Verdict.REVIEW  # the model alone never blocks


def test_model_alone_never_blocks_and_markings_stay_block(model, scanner: Scanner) -> None:
    draft = (TRAINING / "sensitive" / "minutes_cadre.txt").read_text(encoding="utf-8")
    only_model = Scanner(Config(today="2026-11-23", disabled_rules=("context",)))
    report = only_model.scan_text(draft)
    assert {f.rule for f in report.findings} == {"model.sensitive_context"}
    assert report.verdict is Verdict.REVIEW and report.score < CONFIG.block_threshold
    # an article the model reads as publishable, under a real marking: block all the same
    article = SEEDS[2].read_text(encoding="utf-8")
    assert probability(model, article) < 0.1
    for head in ("机密★10年\n", "本文件含国家秘密\n"):
        assert scanner.scan_text(head + article).verdict is Verdict.BLOCK, head


def test_model_raises_pass_to_review(scanner: Scanner) -> None:
    text = (REPO / "tests" / "fixtures" / "context" / "sen_10_discipline.txt").read_text(encoding="utf-8")
    rules_only = Scanner(Config(today="2026-11-23", use_model=False)).scan_text(text)
    assert rules_only.verdict is Verdict.PASS
    assert scanner.scan_text(text).verdict is Verdict.REVIEW


def test_model_lowers_a_rule_in_an_article() -> None:
    article = SEEDS[2].read_text(encoding="utf-8") + "\n例如某单位涉密人员:王建国、李红梅、张志强三人曾违规使用U盘。"
    with_model = Scanner(CONFIG).scan_text(article)
    rules_only = Scanner(Config(today="2026-11-23", use_model=False)).scan_text(article)
    rule = "context.secret_staff_list"
    assert [f.score for f in rules_only.findings if f.rule == rule] == [60]
    lowered = [f for f in with_model.findings if f.rule == rule]
    assert lowered and lowered[0].score < CONFIG.review_threshold and "分类模型" in lowered[0].reason


def test_scoring_is_fast(model) -> None:
    text = normalize((SEEDS[4].read_text(encoding="utf-8") * 2)[:10_000])[0]
    model.probability(text)
    start = time.process_time()  # CPU time: the test machine is shared
    for _ in range(20):
        model.probability(text)
    per_doc = (time.process_time() - start) / 20
    assert per_doc < 0.05, f"{per_doc * 1000:.1f} ms per 10,000 characters"


def test_model_loads_in_a_fresh_process() -> None:
    code = (
        "from secscan.config import Config; from secscan.detect.classifier import load_model, model_path, model_version;"
        "m = load_model(model_path(Config())); print(model_version(Config()));"
        "print(round(m.probability('会议酝酿了干部调整意见,王某拟任办公室主任,考察人选待定。'), 3))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO, timeout=60)
    version, prob = out.stdout.split()
    assert version == model_version(CONFIG)
    assert float(prob) >= THRESHOLD


def test_no_model_and_a_broken_model(tmp_path: Path) -> None:
    sensitive = str(REPO / "tests" / "fixtures" / "context" / "sen_10_discipline.txt")
    result = CliRunner().invoke(main, ["scan", "--no-model", "--format", "json", sensitive])
    report = json.loads(result.output)
    assert report["model_version"] == "none"
    assert not [f for f in report["files"][0]["findings"] if f["rule"].startswith("model.")]
    broken = tmp_path / "broken.json"
    broken.write_text("{}", encoding="utf-8")
    failed = Scanner(Config(model_path=broken)).scan_path(sensitive)
    assert failed.verdict is not Verdict.PASS and failed.errors  # fails closed


def _tiny_corpus(root: Path, per_class: int = 6) -> Path:
    for label in ("public", "sensitive"):
        (root / label).mkdir(parents=True)
        for path in sorted((TRAINING / label).glob("*.txt"))[:per_class]:
            shutil.copy(path, root / label / path.name)
    return root


def test_training_is_deterministic_and_a_custom_model_is_used(tmp_path: Path) -> None:
    corpus = _tiny_corpus(tmp_path / "corpus")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    train(corpus, first, "custom", evaluate_model=False, log=lambda *_: None)
    result = CliRunner().invoke(main, ["train", str(corpus), "--output", str(second), "--no-eval"])
    assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    config = Config(model_path=second)
    assert model_version(config).startswith("custom+")
    assert json.loads(second.read_bytes())["training_sha256"] == load_corpus(corpus).sha256


def test_training_refuses_a_folder_without_labels(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    result = CliRunner().invoke(main, ["train", str(tmp_path), "--output", str(tmp_path / "m.json")])
    assert result.exit_code == 2 and "sensitive" in result.output


def test_load_model_resolves_a_path_once_not_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    path = model_path(CONFIG)
    first = load_model(path)
    resolved = []
    original = Path.resolve
    monkeypatch.setattr(Path, "resolve", lambda self, *a, **k: resolved.append(self) or original(self, *a, **k))
    assert all(load_model(path) is first for _ in range(50))
    assert load_model(str(path)) is first
    assert not resolved


def test_trie_build_makes_no_python_call_per_term(model) -> None:
    def calls(vocabulary: tuple[str, ...]) -> int:
        prof = cProfile.Profile()
        prof.runcall(lambda: Featurizer(vocabulary)._trie)
        return pstats.Stats(prof).total_calls  # type: ignore[attr-defined]

    calls(("ab", "abc", "x"))  # first calls of numpy functions import and cache: not counted
    assert len(model.vocabulary) > 2000
    assert calls(model.vocabulary) < 300  # a few per prefix length, none per term or node
