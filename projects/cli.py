"""The ``deepwire`` command line: every GUI capability except drawing, without Qt."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import blocks
from blocks.describe import describe_param, describe_ports

COMMANDS = ("blocks", "validate", "summary", "export")
EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def _load(path: str):
    """The project at ``path``, or None after printing why it cannot be read."""
    from projects import files

    try:
        return files.load(path)
    except files.ProjectFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return None


def _cmd_validate(args: argparse.Namespace) -> int:
    from projects.validation import validate

    project = _load(args.file)
    if project is None:
        return EXIT_UNREADABLE
    report = validate(project)
    for issue in report.issues:
        print(issue)
    if report.ok:
        print(f"{args.file}: valid ({len(project.nodes)} blocks, "
              f"{report.total_params:,} parameters, {len(report.warnings)} warnings)")
        return EXIT_OK
    print(f"{args.file}: {len(report.errors)} errors, {len(report.warnings)} warnings")
    return EXIT_INVALID


def _cmd_summary(args: argparse.Namespace) -> int:
    from blocks.spec import format_shape
    from projects.validation import validate

    project = _load(args.file)
    if project is None:
        return EXIT_UNREADABLE
    report = validate(project)
    nodes = project.nodes
    rows = []
    for node_id in project.topological_order():
        node, shapes = nodes[node_id], report.shapes[node_id]
        outputs = ", ".join(
            (f"{port}: " if len(shapes.outputs) > 1 else "") + format_shape(info.shape)
            for port, info in shapes.outputs.items()
        ) or ("error" if shapes.error else "?")
        rows.append((node.title or node.spec.title, node.block, node_id, outputs,
                     f"{shapes.params:,}"))
    headers = ("Block", "Type", "Id", "Output shape", "Params")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(f"Project: {project.name}  (task: {project.task.get('kind')})")
    print(line)
    print("-" * len(line))
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)]
        print("  ".join([*cells, row[-1].rjust(widths[-1])]))
    print("-" * len(line))
    trainable = sum(s.trainable_params for s in report.shapes.values())
    print(f"Total params: {report.total_params:,}  (trainable {trainable:,}, "
          f"non-trainable {report.total_params - trainable:,})")
    for issue in report.issues:
        print(issue)
    return EXIT_OK if report.ok else EXIT_INVALID


def _cmd_export(args: argparse.Namespace) -> int:
    from projects import export
    from projects.compiler import CompileError
    from projects.files import atomic_write

    project = _load(args.file)
    if project is None:
        return EXIT_UNREADABLE
    try:
        if args.python:
            atomic_write(Path(args.python), export.export_python(project).encode("utf-8"))
            print(f"wrote {args.python}")
        if args.keras:
            export.export_keras(project, args.keras)
            print(f"wrote {args.keras}")
    except CompileError as err:
        for issue in err.issues:
            print(issue, file=sys.stderr)
        return EXIT_INVALID
    except (OSError, export.ExportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


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

    p_validate = sub.add_parser("validate", help="check a project: exit 0 valid, 1 invalid, "
                                "2 unreadable")
    p_validate.add_argument("file")
    p_validate.set_defaults(func=_cmd_validate)

    p_summary = sub.add_parser("summary", help="blocks in order with output shapes and "
                               "parameter counts")
    p_summary.add_argument("file")
    p_summary.set_defaults(func=_cmd_summary)

    p_export = sub.add_parser("export", help="write a standalone Python script or a .keras "
                              "file")
    p_export.add_argument("file")
    target = p_export.add_argument_group("targets (one or both)")
    target.add_argument("--python", metavar="OUT.py", help="standalone Keras script")
    target.add_argument("--keras", metavar="OUT.keras", help="saved Keras model")
    p_export.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "export" and not (args.python or args.keras):
        parser.error("export needs --python OUT.py and/or --keras OUT.keras")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
