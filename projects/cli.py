"""The ``deepwire`` command line: every GUI capability except drawing, without Qt."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import blocks
from blocks.describe import describe_param, describe_ports
from projects.text import count_text

COMMANDS = ("blocks", "datasets", "validate", "summary", "export", "import", "train",
            "evaluate", "predict")
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
    from projects.datasets import DatasetError

    data, unreadable = None, ""
    if not args.no_data:
        from projects.data_checks import project_data

        try:
            data = project_data(project, Path(args.file).resolve().parent)
        except DatasetError as err:
            unreadable = f"warning: the data was not checked, it could not be loaded: {err}"
    report = validate(project, check_data=not args.no_data, data=data)
    for issue in report.issues:
        print(issue)
        if issue.fix is not None:
            print(f"  fix: {issue.fix.title}")
    if unreadable:  # the model may well be valid: say so, and why the data was not checked
        print(unreadable)
    warnings = len(report.warnings) + bool(unreadable)
    if report.ok and args.dry_run:
        return _dry_run(project, args.file)
    if report.ok:
        print(f"{args.file}: valid ({len(project.nodes)} blocks, "
              f"{count_text(report.total_params)} parameters, {warnings} warnings)")
        return EXIT_OK
    print(f"{args.file}: {len(report.errors)} errors, {warnings} warnings")
    return EXIT_INVALID


def _dry_run(project, path: str) -> int:
    """One batch of the real data forward and backward (projects/dry_run.py)."""
    from projects import events as ev
    from projects.training import RunOptions, Trainer

    trainer = Trainer(project, path, RunOptions(record=False, dry_run_only=True))
    result = trainer.run()
    if isinstance(result, ev.Failed):
        block = f"{result.node_id}: " if result.node_id else ""
        print(f"error: {block}{result.message}\n  hint: {result.hint}")
        print(f"{path}: the dry run failed")
        return EXIT_INVALID
    estimate = trainer.estimate.text() if trainer.estimate else "no estimate"
    print(f"{path}: valid, and one batch trains ({estimate})")
    return EXIT_OK


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
                     count_text(shapes.params)))
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
    print(f"Total params: {count_text(report.total_params)}  (trainable "
          f"{count_text(trainable)}, non-trainable "
          f"{count_text(report.total_params - trainable)})")
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
            export.export_keras(project, args.keras, Path(args.file).resolve().parent)
            print(f"wrote {args.keras}")
    except CompileError as err:
        for issue in err.issues:
            print(issue, file=sys.stderr)
        return EXIT_INVALID
    except (OSError, export.ExportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from projects import files
    from projects.keras_import import KerasImportError, import_keras

    out = Path(args.out)
    if out.suffix != files.EXTENSION:
        print(f"error: the project file must end in {files.EXTENSION}. Received: {out.name}",
              file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        project = import_keras(args.model, keep_weights=not args.fresh_weights)
        files.save(project, out)
    except KerasImportError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID if err.layers else EXIT_UNREADABLE
    except files.ProjectSaveError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(f"wrote {out}: {count_text(len(project.nodes))} blocks from {args.model}")
    if project.notes:
        print(project.notes)
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
    _print_grouped(specs, lambda s: s.category, lambda s: [
        f"{s.id:<32} {s.title}  (v{s.version})", s.doc, f"ports:  {describe_ports(s)}",
        *(f"param:  {describe_param(p)}" for p in s.params)])
    print(f"\n{len(specs)} block types")
    return 0


def _print_grouped(specs: list, group_of: Callable[[Any], str],
                   lines_of: Callable[[Any], list[str]]) -> None:
    """A catalog listing: a heading per group, each spec's first line indented, the rest
    under it."""
    group = None
    for spec in specs:
        if group_of(spec) != group:
            group = group_of(spec)
            print(f"\n{group}")
        first, *rest = lines_of(spec)
        print(f"  {first}")
        for line in rest:
            print(f"      {line}")


def _cmd_datasets(args: argparse.Namespace) -> int:
    from projects.datasets import registry

    specs = registry.all_specs()
    if args.task:
        specs = [s for s in specs if args.task in s.tasks]
    _print_grouped(specs, lambda s: s.source, lambda s: [
        f"{s.name:<24} {s.title}  ({s.kind}: {', '.join(s.tasks)})", s.doc,
        *(f"field:  {describe_param(p)}" for p in s.params)])
    print(f"\n{len(specs)} datasets")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import signal

    project = _load(args.file)
    if project is None:
        return EXIT_UNREADABLE
    if args.strategy == "mirrored" and args.cpu_replicas:
        from projects.devices import split_cpu

        split_cpu(args.cpu_replicas)
    from projects import events as ev
    from projects.training import RunOptions, Trainer

    printer = ProgressPrinter(sys.stdout)
    options = RunOptions(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        seed=args.seed, training=_training_flags(args), device=args.device,
        strategy=args.strategy,
        mixed_precision=args.mixed_precision,
        runs_dir=Path(args.runs_dir) if args.runs_dir else None,
        tensorboard=not args.no_tensorboard,
    )
    trainer = Trainer(project, args.file, options, printer)
    printer.trainer = trainer  # to say which epoch's weights an early stop kept

    def interrupt(signum, frame) -> None:
        if trainer.stopping:
            raise KeyboardInterrupt
        print("\nstopping after this step (Ctrl-C again to abort)", file=sys.stderr)
        trainer.stop()

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        result = trainer.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    if isinstance(result, ev.Failed):
        return EXIT_INVALID
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from projects.evaluation import evaluate_run
    from projects.training import RunFailure

    try:
        metrics = evaluate_run(args.run_dir, args.split)
    except RunFailure as err:
        print(f"error: {err}", file=sys.stderr)
        if err.hint:
            print(f"  hint: {err.hint}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{args.split}: {_metrics_line(metrics)}")
    return EXIT_OK


def _cmd_predict(args: argparse.Namespace) -> int:
    from projects.predict import predict_run, summary, write_predictions
    from projects.training import RunFailure

    if (args.input is None) == (not args.text):
        print("error: give either an INPUT file or --text (not both)", file=sys.stderr)
        return EXIT_INVALID
    try:
        predictions = predict_run(args.run_dir, args.input, attention=False,
                                  texts=args.text or ())
    except RunFailure as err:
        print(f"error: {err}", file=sys.stderr)
        if err.hint:
            print(f"  hint: {err.hint}", file=sys.stderr)
        return EXIT_INVALID
    try:
        out = write_predictions(predictions, args.out)
    except OSError as err:
        print(f"error: cannot write {args.out}: {err}", file=sys.stderr)
        return EXIT_UNREADABLE
    for note in predictions.notes:
        print(f"note: {note}")
    if args.text and predictions.classes:  # typed texts: their answers, not only a file
        for text, name, p in zip(predictions.texts, predictions.predicted(),
                                 predictions.probabilities.max(axis=1).tolist(), strict=True):
            print(f"{name} ({p:.1%}): {text}")
    print(summary(predictions, out))
    return EXIT_OK


def _metrics_line(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())


class ProgressPrinter:
    """Prints training events: a live progress bar on a terminal, epoch lines always."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.epochs = 0
        self.trainer: Any = None

    def __call__(self, event) -> None:
        from projects import events as ev

        out = self.stream
        if isinstance(event, ev.RunStarted):
            self.epochs = event.epochs
            print(f"Training {event.project!r} ({event.task}) on {event.device}", file=out)
            print(f"  data: {event.dataset}", file=out)
            print(f"  {event.epochs} epochs x {event.steps_per_epoch} steps, batch "
                  f"{event.batch_size}, seed {event.seed}", file=out)
        elif isinstance(event, ev.BatchEnd) and self.live:
            done = event.epoch_step / max(event.steps_per_epoch, 1)
            bar = "#" * int(done * 30)
            out.write(f"\r  epoch {event.epoch}/{self.epochs} [{bar:<30}] loss "
                      f"{event.loss:.4f}  {event.samples_per_second:,.0f} samples/s  "
                      f"ETA {_duration(event.eta_seconds)} ")
            out.flush()
        elif isinstance(event, ev.EpochEnd):
            if self.live:
                out.write("\r" + " " * 100 + "\r")
            metrics = "  ".join(f"{k} {v:.4f}" for k, v in event.metrics.items())
            val = "  ".join(f"val_{k} {v:.4f}" for k, v in event.val_metrics.items())
            print(f"  epoch {event.epoch}/{self.epochs}  {metrics}  {val}  "
                  f"({event.seconds:.1f} s)".rstrip(), file=out)
        elif isinstance(event, ev.RunWarning):
            print(f"  warning: {event.message}", file=out)
        elif isinstance(event, ev.Failed):
            where = f" [block {event.node_id}]" if event.node_id else ""
            print(f"failed{where}: {event.message}", file=out)
            if event.hint:
                print(f"  hint: {event.hint}", file=out)
        elif isinstance(event, ev.Finished):
            kept = self.trainer.kept if self.trainer is not None else {}
            if kept.get("stopped_epoch"):
                print(f"  early stopping at epoch {kept['stopped_epoch']}: the model keeps "
                      f"the weights of epoch {kept['weights_epoch']}", file=out)
            final = "  ".join(f"{k} {v:.4f}" for k, v in event.final_metrics.items())
            print(f"{event.status} in {_duration(event.seconds)}: {final}", file=out)
            if event.test_metrics:
                print(f"test: {_metrics_line(event.test_metrics)}", file=out)
            if event.run_dir:
                print(f"run folder: {event.run_dir}", file=out)
        if not isinstance(event, ev.BatchEnd):
            out.flush()  # lines show as they happen, also through a pipe or into a log file


def _training_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The training settings that --weight-decay, --early-stopping, --monitor and
    --reduce-lr-on-plateau override (patiences turn the callbacks on)."""
    chosen: dict[str, Any] = {}
    if args.weight_decay is not None:
        chosen["weight_decay"] = args.weight_decay
    if args.early_stopping is not None:
        chosen.update(early_stopping=True, early_stopping_patience=args.early_stopping)
    if args.reduce_lr_on_plateau is not None:
        chosen.update(reduce_lr_on_plateau=True, reduce_lr_patience=args.reduce_lr_on_plateau)
    if args.monitor is not None:
        chosen["monitor"] = args.monitor
    return chosen


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1: {text!r}")
    return value


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

    p_datasets = sub.add_parser("datasets", help="list every dataset with its fields")
    p_datasets.add_argument("--task", choices=("supervised", "node_classification",
                                               "adversarial"),
                            help="only the datasets this task kind can train on")
    p_datasets.set_defaults(func=_cmd_datasets)

    p_validate = sub.add_parser("validate", help="check a project: exit 0 valid, 1 invalid, "
                                "2 unreadable")
    p_validate.add_argument("file")
    p_validate.add_argument("--no-data", action="store_true",
                            help="check the model alone, without the dataset")
    p_validate.add_argument("--dry-run", action="store_true",
                            help="also train one batch of the real data forward and backward")
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

    p_import = sub.add_parser("import", help="open a .keras model as a project (safe mode: "
                              "no Lambda layers or custom code)")
    p_import.add_argument("model", metavar="MODEL.keras")
    p_import.add_argument("--out", metavar="P.deepwire", required=True,
                          help="the project file to write")
    p_import.add_argument("--fresh-weights", action="store_true",
                          help="train from fresh weights instead of the imported ones")
    p_import.set_defaults(func=_cmd_import)

    from projects.document import MONITORS

    p_train = sub.add_parser("train", help="train a project headless; Ctrl-C stops cleanly")
    p_train.add_argument("file")
    p_train.add_argument("--epochs", type=int)
    p_train.add_argument("--batch-size", type=int)
    p_train.add_argument("--learning-rate", type=float)
    p_train.add_argument("--seed", type=int)
    p_train.add_argument("--weight-decay", type=float, help="the optimizer's weight decay "
                         "(default: the project's; AdamW's own is 0.004)")
    p_train.add_argument("--early-stopping", type=int, metavar="PATIENCE",
                         help="stop after PATIENCE epochs without a better --monitor figure, "
                         "keeping the best epoch's weights")
    p_train.add_argument("--reduce-lr-on-plateau", type=int, metavar="PATIENCE",
                         help="lower the learning rate after PATIENCE epochs without a "
                         "better --monitor figure")
    p_train.add_argument("--monitor", choices=MONITORS,
                         help="what early stopping and reduce-on-plateau watch "
                         "(default: the project's, val_loss unless set)")
    p_train.add_argument("--device", help="cpu, gpu or gpu:N (default: a GPU if TensorFlow "
                         "sees one)")
    p_train.add_argument("--strategy", choices=("none", "mirrored", "multiworker"),
                         help="distribute with TensorFlow: mirrored (all local GPUs) or "
                         "multiworker (TF_CONFIG cluster: run on every worker; worker 0 "
                         "owns the run folder, the others write <folder>_workerN)")
    p_train.add_argument("--cpu-replicas", type=_positive_int, default=0, metavar="N",
                         help="with --strategy mirrored and no GPU: split the CPU into N "
                         "logical devices")
    p_train.add_argument("--mixed-precision", action="store_true",
                         help="compute in float16 (GPU) or bfloat16 (CPU)")
    p_train.add_argument("--runs-dir", help="where run folders go (default: <project>.runs "
                         "beside the file)")
    p_train.add_argument("--no-tensorboard", action="store_true",
                         help="skip TensorBoard logs in the run folder")
    p_train.set_defaults(func=_cmd_train)

    p_evaluate = sub.add_parser("evaluate", help="evaluate a past run's model again on its "
                                "validation or test part")
    p_evaluate.add_argument("run_dir", metavar="RUN_DIR", help="one run's folder (it holds "
                            "model.keras and the project's snapshot)")
    p_evaluate.add_argument("--split", choices=("validation", "test"), default="test",
                            help="which part of the run's data (default: test)")
    p_evaluate.set_defaults(func=_cmd_evaluate)

    p_predict = sub.add_parser(
        "predict", help="predict new samples with a past run's model, into a CSV",
        description="Predict samples with a past run's model and write one row per sample: "
        "id, predicted (class name or value) and p_<class> per class. The input is prepared "
        "as the run's data was (the same columns, channels and scaling).")
    p_predict.add_argument("run_dir", metavar="RUN_DIR", help="one run's folder (it holds "
                           "model.keras and the project's snapshot)")
    p_predict.add_argument(
        "input", metavar="INPUT", nargs="?",
        help="a CSV (the run's feature columns by name, in any order; label and split "
        "columns are ignored; for a model of sequences or images, each row flattened), an "
        ".npz (one array per Input block, by its id, or one array), an .npy, or a folder "
        "of images (converted to the model's channels; images of another size are resized "
        "to the model's). For a node-classification run: 'graph' (or its graph file), "
        "which predicts every node of the graph it trained on. For a model that takes text: "
        "a CSV/TSV with the run's text column, or a .txt file with one text per line")
    p_predict.add_argument("--text", action="append", metavar="TEXT",
                           help="a text to predict, for a model that takes text (instead of "
                           "INPUT; repeat for more texts)")
    p_predict.add_argument("--out", default="predictions.csv", metavar="CSV",
                           help="where to write the predictions (default: predictions.csv)")
    p_predict.set_defaults(func=_cmd_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "export" and not (args.python or args.keras):
        parser.error("export needs --python OUT.py and/or --keras OUT.keras")
    if args.command == "train" and args.cpu_replicas and args.strategy != "mirrored":
        parser.error("--cpu-replicas needs --strategy mirrored")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
