"""The design's top-level entry: ``python cli.py scan …`` from a checkout."""

from secscan.cli import run

if __name__ == "__main__":
    run()
