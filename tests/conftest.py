"""Shared fixtures: the seed texts and a scanner with a pinned date."""

from __future__ import annotations

from pathlib import Path

import pytest

from secscan import Config, Scanner

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    """Rules and model as shipped, with 'today' pinned so expiry tests do not drift."""
    return Scanner(Config(today="2026-11-23")).warm_up()


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    assert len(SEEDS) == 5
    return SEEDS
