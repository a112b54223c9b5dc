"""The ``deepwire`` command line: every GUI capability except drawing, without Qt."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import blocks
from blocks.describe import describe_param, describe_ports

COMMANDS = ("blocks",)


def _cmd_blocks(args: argparse.Namespace) -> int:
    specs = blocks.all_specs()
    if args.category:
        wanted = args.category.lower()
        specs = [s for s in specs if s.category.lower() == wanted]
        if not specs:
            known = sorted({s.category for s in blocks.all_specs()})
            print(f"No category {args.category!r}; known: {', '.join(known)}", file=sys.stderr)
            return 2
    category = None
    for spec in specs:
        if spec.category != category:
            category = spec.category
            print(f"\n{category}")
        print(f"  {spec.id:<32} {spec.title}  (v{spec.version})")
        print(f"      {spec.doc}")
        print(f"      ports:  {describe_ports(spec)}")
        for param in spec.params:
            print(f"      param:  {describe_param(param)}")
    print(f"\n{len(specs)} block types")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepwire",
        description="Deepwire: build, train and understand deep-learning models. "
        "Run without a command to open the app.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_blocks = sub.add_parser("blocks", help="list every block type with ports and parameters")
    p_blocks.add_argument("--category", help="only this category, e.g. Attention")
    p_blocks.set_defaults(func=_cmd_blocks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
