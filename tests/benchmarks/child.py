"""Run one benchmark case in a fresh interpreter, to measure its peak memory alone.

Usage: ``python -m tests.benchmarks.child MODULE:FUNC ARGS-JSON``. A fresh process is the
only honest way to measure a case's peak memory: the parent has already imported,
allocated and cached things that would hide in (or inflate) the peak.
``FUNC(**ARGS)`` must return a JSON-able dict; this prints it as the last line of stdout
with the process's peak RSS added as ``ru_maxrss_bytes``.
"""

from __future__ import annotations

import importlib
import json
import sys

from tests.benchmarks.harness import peak_rss_bytes


def main(argv: list[str]) -> int:
    """Import and call the target, print its result plus peak RSS as one JSON line."""
    if len(argv) != 2 or ":" not in argv[0]:
        print("usage: python -m tests.benchmarks.child MODULE:FUNC ARGS-JSON", file=sys.stderr)
        return 2
    module_name, func_name = argv[0].split(":", 1)
    func = getattr(importlib.import_module(module_name), func_name)
    result = dict(func(**json.loads(argv[1])))
    result["ru_maxrss_bytes"] = peak_rss_bytes()
    sys.stdout.flush()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
