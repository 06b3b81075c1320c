"""Benchmarks: each runnable with one command (see benchmarks/README.md)."""
