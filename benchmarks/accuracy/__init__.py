"""Accuracy benchmark: a labelled corpus built from templates, and a scorer.

    python -m benchmarks.accuracy [--out DIR] [--no-model] [--per-family N]
"""
