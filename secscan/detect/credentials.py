"""Placeholder until its issue lands: declares no rules and finds nothing."""

from __future__ import annotations

from secscan.detect.base import DetectorSpec


def build(config, lexicon):  # noqa: ANN001 - the DetectorSpec signature
    return lambda doc: ()


SPEC = DetectorSpec("credentials", (), build)
