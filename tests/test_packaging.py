"""The wheel holds the data: lexicons/ and models/ travel with the package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_lexicons_and_models_and_works_from_elsewhere(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True, timeout=300,
    )
    wheel = next(tmp_path.glob("secscan-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {p.name for p in (ROOT / "lexicons").iterdir() if p.is_file()}
    assert shipped <= {Path(n).name for n in names if n.startswith("secscan/_data/lexicons/")}
    assert "secscan/_data/models/VERSION" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "d.txt").write_text("机密★10年\n正文", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run(
        [sys.executable, "-c",
         "import secscan, secscan.resources as r, sys;"
         "assert str(r.lexicon_dir()).startswith(sys.argv[1]), r.lexicon_dir();"
         "print(secscan.Scanner().scan_path('d.txt').verdict)", str(target)],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "block"
