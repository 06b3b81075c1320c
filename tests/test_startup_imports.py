"""Start-up guard: a plain-text scan with a JSON report loads no parser it does not use.

Counts imported modules in a fresh interpreter, never time: each format's extractor and
each report format is imported when a file of that kind / that format is first used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = next((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt"))

# Parsers of other formats, the terminal renderer, and optional command groups; and tomllib,
# since the context rules are read from their parsed twin (see secscan.detect.context).
HEAVY = ("tomllib", "lxml", "pdfminer", "olefile", "charset_normalizer", "cssselect", "tinycss2", "rich", "zipfile",
         "email", "secscan.extract.html", "secscan.extract.docx", "secscan.extract.ooxml",
         "secscan.extract.legacy", "secscan.extract.pdf", "secscan.report.text", "secscan.report.html",
         "secscan.serve", "secscan.audit", "secscan.train_cli", "secscan.baseline",
         "numpy.ma")  # np.unique/isin load numpy.ma (~15 ms): secscan.arrays does without


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_txt_scan_with_json_report_loads_no_other_parser() -> None:
    loaded = _loaded_after(
        "from secscan.pipeline import Scanner\n"
        "from secscan.report import render\n"
        "s = Scanner().warm_up()\n"
        f"render(s.report([s.scan_path({str(SEED)!r})]), 'json')\n"
    )
    assert "secscan.extract.text" in loaded
    assert _heavy(loaded) == []


def test_cli_scan_json_loads_no_other_parser(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    loaded = _loaded_after(
        "import sys\nfrom secscan.cli import main\n"
        f"sys.argv = ['secscan', 'scan', '--format', 'json', {str(SEED)!r}, '-o', {str(out)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )
    assert json.loads(out.read_text(encoding="utf-8"))["files"][0]["verdict"] == "pass"
    assert _heavy(loaded) == []


def test_importing_the_cli_or_the_package_builds_nothing() -> None:
    loaded = _loaded_after("import secscan, secscan.cli")
    assert not {"secscan.pipeline", "secscan.detect", "numpy"} & loaded
    assert _heavy(loaded) == []


def test_package_attributes_resolve_lazily() -> None:
    import secscan
    from secscan.pipeline import Scanner
    from secscan.types import Verdict

    assert secscan.Scanner is Scanner and secscan.Verdict is Verdict
    assert set(secscan.__all__) <= set(dir(secscan))
    with pytest.raises(AttributeError):
        _ = secscan.NoSuchThing


def test_format_tables_import_on_lookup() -> None:
    from secscan.extract import EXTRACTORS, legacy
    from secscan.report import FORMATS

    assert set(EXTRACTORS) == {"txt", "html", "docx", "xlsx", "pptx", "pdf", "ofd", "zip", "doc", "works", "xls",
                               "ppt", "ole_object"}
    assert EXTRACTORS["doc"].__name__ == "extract_doc" and EXTRACTORS["ole_object"] is legacy.extract_ole_object
    assert all(callable(EXTRACTORS[fmt]) for fmt in EXTRACTORS)
    assert set(FORMATS) == {"text", "json", "jsonl", "html", "sarif"} and all(map(callable, FORMATS.values()))


def test_forked_extraction_preloads_every_extractor_in_the_parent() -> None:
    # A batch of office files must not pay each parser's import once per forked child.
    loaded = _loaded_after("from secscan.extract.isolate import preload\npreload()")
    assert {"secscan.extract.docx", "secscan.extract.xlsx", "secscan.extract.legacy", "secscan.extract.html",
            "secscan.extract.pdf_reader", "lxml.etree"} <= loaded


def test_a_one_file_scan_forks_without_loading_every_parser(tmp_path: Path) -> None:
    # A reviewer's single draft.docx: its child imports the docx parser; the parent loads
    # no PDF parser.  From the second forked file on, the parent preloads them all.
    from builders import docx_bytes

    draft, other = tmp_path / "草稿.docx", tmp_path / "附件.docx"
    draft.write_bytes(docx_bytes(["关于召开年度工作会议的通知", "内部资料 请勿外传"]))
    other.write_bytes(docx_bytes(["附件一"]))
    code = ("from secscan.pipeline import Scanner\n"
            "import sys\n"
            f"r = Scanner().scan_path({str(draft)!r})\n"
            "assert r.verdict.value != 'pass' and not r.errors, r\n"
            "print('after one', 'pdfminer' in sys.modules, 'secscan.extract.docx' in sys.modules)\n"
            f"Scanner().scan_path({str(other)!r})\n")
    out = subprocess.run([sys.executable, "-c", code + "print('after two', 'pdfminer' in sys.modules)"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split("\n")
    assert out[0] == "after one False False"  # the child read the docx; the parent imported nothing of it
    assert out[1] == "after two True"


def test_lazy_regex_is_the_compiled_pattern_once_used() -> None:
    import re

    from secscan.lazy import lazy_regex

    rx = lazy_regex(r"(机密|秘密)★(\d+)年", re.I)
    assert "search" not in vars(rx)  # nothing compiled yet
    m = rx.search("标注为机密★10年的文件")
    assert m is not None and m.group(2) == "10"
    assert "search" in vars(rx)  # the compiled pattern's own method from now on
    assert rx.sub("X", "秘密★5年") == "X" and rx.flags & re.I and rx.groups == 2
    assert [x.span() for x in rx.finditer("机密★1年 秘密★2年")] == [(0, 5), (6, 11)]


def test_a_plain_article_compiles_few_of_the_pii_and_credential_regexes() -> None:
    loaded = subprocess.run([sys.executable, "-c", (
        "from secscan.pipeline import Scanner\n"
        "from secscan.detect import pii, credentials\n"
        "from secscan.lazy import _LazyRegex\n"
        f"Scanner().scan_path({str(SEED)!r})\n"
        "lazy = [v for m in (pii, credentials) for v in vars(m).values() if isinstance(v, _LazyRegex)]\n"
        "print(len(lazy), sum('search' in vars(v) for v in lazy))\n"
    )], capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    total, compiled = int(loaded[0]), int(loaded[1])
    assert total > 20 and compiled < total / 3, (total, compiled)


def test_in_sorted_is_isin_for_a_sorted_array() -> None:
    import numpy as np

    from secscan.arrays import in_sorted

    rng = np.random.default_rng(3)
    for size in (0, 1, 7, 200):
        haystack = np.sort(rng.choice(500, size=size, replace=False))
        values = rng.integers(-5, 510, size=300)
        assert in_sorted(values, haystack).tolist() == np.isin(values, haystack).tolist()


def test_unique_inverse_is_np_unique() -> None:
    import numpy as np

    from secscan.arrays import unique_inverse

    values = np.random.default_rng(4).integers(0, 50, size=400)
    for arr in (values, values[:1], values[:0]):
        got, inverse = unique_inverse(arr)
        want, want_inverse = np.unique(arr, return_inverse=True)
        assert got.tolist() == want.tolist() and inverse.tolist() == want_inverse.tolist()


def test_a_scans_records_are_structs_and_it_compiles_no_masking_regex() -> None:
    # A frozen dataclass costs ~1 ms at import on Python 3.11 (five methods exec'd from
    # source), a msgspec Struct ~0.04 ms: as dataclasses, the ~50 record classes a scan
    # loads took 55 ms of its start-up.  The masking regexes are for masked reports only.
    out = subprocess.run([sys.executable, "-c", (
        "import inspect, sys, msgspec\n"
        "from secscan.pipeline import Scanner\n"
        "from secscan.report import render\n"
        "from secscan.report import mask\n"
        "s = Scanner().warm_up()\n"
        f"render(s.report([s.scan_path({str(SEED)!r})]), 'json')\n"
        "structs = [v for name, m in list(sys.modules.items()) if name.startswith('secscan')\n"
        "           for v in vars(m).values() if inspect.isclass(v) and issubclass(v, msgspec.Struct) and v.__module__ == name]\n"
        "print(len(structs), 'dataclasses' in sys.modules)\n"
        "print(any('sub' in vars(rx) or 'fullmatch' in vars(rx) for rx in (mask._SCRUB_RE, mask._NUMBER_LIKE_RE)))\n"
    )], capture_output=True, text=True, check=True, cwd=ROOT).stdout.splitlines()
    count, dataclasses_loaded = out[0].split(" ", 1)
    assert int(count) > 40 and dataclasses_loaded == "False"
    assert out[1] == "False"


def _threads_after_numpy(setup: str) -> int:
    # OpenBLAS reads these three; the audit tests leave OMP_NUM_THREADS=1 in this environment
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    code = f"{setup}\nimport os, numpy\nprint(len(os.listdir('/proc/self/task')))"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              cwd=ROOT, env=env).stdout.strip())


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_the_console_run_keeps_numpys_blas_pool_to_one_thread() -> None:
    # OpenBLAS's idle threads spin: on the core where the side detectors run.
    if _threads_after_numpy("") < 2:
        pytest.skip("one CPU: OpenBLAS starts no second thread anyway")
    assert _threads_after_numpy("import os\nfrom secscan.cli import tune_console_process\n"
                                "tune_console_process(os.environ)") == 1


def test_a_users_own_blas_thread_count_is_kept() -> None:
    import gc

    from secscan.cli import tune_console_process

    before = gc.get_threshold()
    try:
        environ = {"OPENBLAS_NUM_THREADS": "4"}
        tune_console_process(environ)
        assert environ == {"OPENBLAS_NUM_THREADS": "4"}
        environ = {}
        tune_console_process(environ)
        assert environ == {"OPENBLAS_NUM_THREADS": "1"} and gc.get_threshold()[:2] == (10_000, 50)
    finally:
        gc.set_threshold(*before)
