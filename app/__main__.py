"""Entry point of ``deepwire`` and ``python -m app``.

With a command (``deepwire blocks``) it runs the Qt-free CLI; without one it opens the
window, or says why it cannot (app/platform_check.py). Qt is imported only on the GUI path
so the CLI starts fast and runs headless.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from projects.cli import COMMANDS

    if args and (args[0] in COMMANDS or args[0] in ("-h", "--help")):
        from projects.cli import main as cli_main

        return cli_main(args)
    from app.application import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
