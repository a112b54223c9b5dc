"""Deepwire's performance harness: ``python -m tests.benchmarks --help``.

Each ``bench_*`` module registers benchmarks with :func:`tests.benchmarks.harness.benchmark`;
the budget they check is docs/architecture.md, Performance budget.
"""
