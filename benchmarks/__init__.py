"""Benchmarks of the engine; run them with ``python -m benchmarks.<name>`` from the repository root."""
