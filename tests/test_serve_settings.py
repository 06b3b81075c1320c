"""The server's rules on listening, tokens and upload names (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan.serve.app import safe_name
from secscan.serve.settings import ServeSettings, SettingsError, is_loopback, load_token


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("10.1.2.3", False), ("intranet.example.gov.cn", False), ("", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(SettingsError, match="needs a token"):
        ServeSettings(host="0.0.0.0")
    assert ServeSettings(host="0.0.0.0", token="a" * 32).host == "0.0.0.0"
    assert ServeSettings().token is None  # loopback: may run open
    assert "a" * 32 not in repr(ServeSettings(token="a" * 32))  # never printed


@pytest.mark.parametrize("bad", [{"workers": 0}, {"queue": -1}, {"scan_timeout": 0}, {"max_request_bytes": 0}])
def test_settings_refuse_nonsense(bad: dict) -> None:
    with pytest.raises(SettingsError):
        ServeSettings(**bad)


def test_token_from_file_beats_environment(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("  s3cr3t-token-from-file-0123\n")
    path.chmod(0o600)
    assert load_token(path, {"SECSCAN_TOKEN": "from-env-xxxxxxxxxxxx"}) == "s3cr3t-token-from-file-0123"
    assert load_token(None, {"SECSCAN_TOKEN": " from-env-xxxxxxxxxxxx "}) == "from-env-xxxxxxxxxxxx"
    assert load_token(None, {}) is None
    assert load_token(None, {"SECSCAN_TOKEN": "  "}) is None


@pytest.mark.parametrize("content", ["", "\n", "two words", "tab\there"])
def test_unusable_token_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "token"
    path.write_text(content)
    with pytest.raises(SettingsError):
        load_token(path, {})


def test_missing_token_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_token(tmp_path / "nope", {})


@pytest.mark.parametrize(("raw", "shown"), [
    ("通知.docx", "通知.docx"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\办公室\\关于印发.docx", "关于印发.docx"),
    ("/abs/path/", "upload"),
    ("..", "upload"),
    (".hidden.txt", "hidden.txt"),
    ("a\x00b\x1fc\x7f.pdf", "abc.pdf"),
    (None, "upload"),
    ("x" * 500 + ".txt", "x" * 200),
])
def test_upload_names_are_labels(raw: str | None, shown: str) -> None:
    assert safe_name(raw, "upload") == shown
