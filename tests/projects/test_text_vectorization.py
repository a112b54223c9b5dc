"""The Text Vectorization block: string Input shapes, adaptation on the training split only,
the vocabulary saved with the model (loaded in a fresh process), training on a text table,
and the checks that keep an Embedding after it large enough."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from projects import events as ev
from projects.data_checks import project_data
from projects.document import Project
from projects.evaluation import open_run
from projects.export.script import export_python
from projects.fixes import apply_fix
from projects.predict import Predictor
from projects.shapes import ShapeInference
from projects.training import RunOptions, Trainer
from projects.validation import validate

INFERENCE = ShapeInference()
GOOD = ["great", "lovely", "superb", "fine", "happy"]
BAD = ["awful", "poor", "dreadful", "sad", "broken"]
FILLER = ["the", "movie", "was", "really", "quite", "and", "plot", "acting"]
UNSEEN = "zebra"  # only in validation rows


def _texts_csv(path: Path, rows: int = 240, seed: int = 0) -> Path:
    """Short reviews whose class is decided by one sentiment word; a quarter of the rows
    are marked for validation and only those may hold the word ``UNSEEN``."""
    rng = random.Random(seed)
    lines = ["text,label,split"]
    for i in range(rows):
        label = i % 2
        words = rng.sample(FILLER, 4)
        words.insert(rng.randrange(5), rng.choice(GOOD if label else BAD))
        split = "validation" if i % 4 == 3 else "train"
        if split == "validation" and i % 8 == 7:
            words.append(UNSEEN)
        lines.append(f"\"{' '.join(words).capitalize()}!\",{'good' if label else 'bad'},"
                     f"{split}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def text_project(max_tokens: int = 64, length: int = 8, input_dim: int = 64) -> Project:
    project = Project("text classifier")
    chain = [("input", {"shape": [1], "dtype": "string"}),
             ("text_vectorization", {"max_tokens": max_tokens,
                                     "output_sequence_length": length}),
             ("embedding", {"input_dim": input_dim, "output_dim": 8, "mask_zero": True}),
             ("global_average_pooling1d", {}),
             ("dense", {"units": 2, "activation": "softmax"}),
             ("output", {})]
    previous = None
    for i, (block, params) in enumerate(chain):
        node = project.add_node(block, params, (i * 200.0, 0.0))
        if previous is not None:
            project.add_link(previous, "out", node.id, "in")
        previous = node.id
    project.dataset = {"name": "text_table", "path": "texts.csv"}
    project.training = replace(project.training, epochs=12, batch_size=16,
                               learning_rate=0.02)
    return project


def _node(project: Project, block: str) -> str:
    return next(i for i, n in project.nodes.items() if n.block == block)


def test_string_input_gives_integer_tokens_of_the_sequence_length() -> None:
    project = text_project(length=12)
    report = validate(project, INFERENCE)
    assert report.ok, [str(i) for i in report.issues]
    tokens = report.shapes[_node(project, "text_vectorization")].outputs["out"]
    assert tokens.shape == (None, 12) and tokens.dtype == "int64"
    assert report.shapes[_node(project, "input")].outputs["out"].dtype == "string"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Trainer, ev.Event, Path]:
    folder = tmp_path_factory.mktemp("texts")
    _texts_csv(folder / "texts.csv")
    project = text_project()
    trainer = Trainer(project, folder / "texts.deepwire",
                      RunOptions(runs_dir=folder / "runs", tensorboard=False, probes=False,
                                 batch_interval=0.0))
    result = trainer.run()
    return trainer, result, folder


def test_training_on_a_text_table_learns_the_deciding_words(trained) -> None:
    _, result, _ = trained
    assert isinstance(result, ev.Finished), result
    assert result.status == "completed"
    assert result.final_metrics["val_accuracy"] >= 0.9


def test_the_vocabulary_comes_from_the_training_split_only(trained) -> None:
    trainer, _, _ = trained
    layer = trainer.compiled.model.get_layer(_node(trainer.project, "text_vectorization"))
    vocabulary = layer.get_vocabulary()
    assert vocabulary[:2] == ["", "[UNK]"]
    assert set(GOOD + BAD + FILLER) <= set(vocabulary)
    assert UNSEEN not in vocabulary
    ids = layer(["zebra great"]).numpy()[0].tolist()
    assert ids[0] == 1 and ids[1] == vocabulary.index("great") and ids[2:] == [0] * 6


def test_the_saved_model_takes_raw_text_in_a_fresh_process(trained) -> None:
    _, result, _ = trained
    model = Path(result.run_dir) / "model.keras"
    code = ("import json, sys, numpy as np, keras\n"
            "model = keras.models.load_model(sys.argv[1])\n"
            "texts = np.array(['What a lovely superb film', 'awful, dreadful acting'],\n"
            "                 dtype=object)\n"
            "print(json.dumps(model.predict(texts, verbose=0).argmax(-1).tolist()))\n")
    done = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True,
                          text=True, timeout=240, env={"TF_CPP_MIN_LOG_LEVEL": "2",
                                                       "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    # class names are sorted: bad = 0, good = 1
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, 0]


def test_an_embedding_smaller_than_the_vocabulary_is_fixed(tmp_path: Path) -> None:
    _texts_csv(tmp_path / "texts.csv", rows=24)
    project = text_project(max_tokens=100, input_dim=40)
    report = validate(project, INFERENCE, check_data=True,
                      data=project_data(project, tmp_path))
    errors = [i for i in report.issues if i.severity == "error"]
    assert len(errors) == 1, [str(i) for i in report.issues]
    issue = errors[0]
    embedding = _node(project, "embedding")
    assert issue.node_id == embedding and issue.param == "input_dim"
    assert "ids up to 99" in issue.message
    apply_fix(project, issue.fix)
    assert project.node(embedding).params["input_dim"] == 100
    report = validate(project, INFERENCE, check_data=True,
                      data=project_data(project, tmp_path))
    assert report.ok, [str(i) for i in report.issues]


def test_texts_need_a_string_input_and_a_direct_wire(tmp_path: Path) -> None:
    _texts_csv(tmp_path / "texts.csv", rows=24)
    project = text_project()
    project.node(_node(project, "input")).params["dtype"] = "float32"
    report = validate(project, INFERENCE, check_data=True,
                      data=project_data(project, tmp_path))
    messages = [i.message for i in report.issues if i.severity == "error"]
    assert any("holds texts" in m for m in messages), messages
    assert any("straight from an Input block of type string" in m for m in messages), messages
    dtype_issue = next(i for i in report.issues if "holds texts" in i.message)
    apply_fix(project, dtype_issue.fix)
    assert project.node(_node(project, "input")).params["dtype"] == "string"


def test_the_exported_script_adapts_on_texts_and_takes_raw_text(tmp_path: Path) -> None:
    script = export_python(text_project())
    assert "def adapt_text(model, texts):" in script and "call ``adapt_text" in script
    (tmp_path / "model_script.py").write_text(script)
    texts = ([f"a {GOOD[i % 5]} film" for i in range(40)]
             + [f"an {BAD[i % 5]} film" for i in range(40)])
    code = ("import json, sys, numpy as np\n"
            "from model_script import adapt_text, build_model\n"
            "texts = json.loads(sys.argv[1])\n"
            "model = build_model()\n"
            "adapt_text(model, texts)\n"
            "x = np.array(texts, dtype=object)\n"
            "y = np.array([1] * 40 + [0] * 40)\n"
            "model.fit(x, y, epochs=30, batch_size=16, verbose=0)\n"
            "new = np.array(['a lovely film', 'an awful film'], dtype=object)\n"
            "print(json.dumps(model.predict(new, verbose=0).argmax(-1).tolist()))\n")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=240,
                          env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, 0]


def test_an_unmasked_embedding_after_it_is_warned_about(tmp_path: Path) -> None:
    _texts_csv(tmp_path / "texts.csv", rows=24)
    project = text_project()
    embedding = _node(project, "embedding")
    project.node(embedding).params["mask_zero"] = False
    report = validate(project, INFERENCE, check_data=True,
                      data=project_data(project, tmp_path))
    warning = next(i for i in report.issues if i.param == "mask_zero")
    assert warning.severity == "warning" and warning.node_id == embedding
    apply_fix(project, warning.fix)
    assert project.node(embedding).params["mask_zero"] is True


def attention_project() -> Project:
    """Texts through both attention blocks: multi-head self-attention, then additive
    attention pooling the sequence."""
    project = text_project(length=10)
    pooling = _node(project, "global_average_pooling1d")
    dense = _node(project, "dense")
    project.remove_node(pooling)
    mha = project.add_node("multi_head_attention", {"d_model": 8, "num_heads": 2},
                           (600.0, 0.0))
    additive = project.add_node("simple_attention", {"units": 8}, (800.0, 0.0))
    project.add_link(_node(project, "embedding"), "out", mha.id, "query")
    project.add_link(mha.id, "out", additive.id, "values")
    project.add_link(additive.id, "context", dense, "in")
    return project


def test_attention_over_words_leaves_the_padding_out(tmp_path: Path) -> None:
    _texts_csv(tmp_path / "texts.csv", rows=64)
    project = attention_project()
    project.training = replace(project.training, epochs=1)
    probes: list[ev.AttentionProbe] = []
    trainer = Trainer(project, tmp_path / "texts.deepwire",
                      RunOptions(runs_dir=tmp_path / "runs", tensorboard=False,
                                 batch_interval=0.0, probe_interval=0.0),
                      lambda e: probes.append(e) if isinstance(e, ev.AttentionProbe) else None)
    result = trainer.run()
    assert isinstance(result, ev.Finished), result
    probe = probes[-1]
    vocabulary = set(trainer.compiled.model.get_layer(
        _node(project, "text_vectorization")).get_vocabulary())
    assert probe.tokens and all(0 < len(t) <= 10 for t in probe.tokens)
    assert all(word in vocabulary and word != "" for t in probe.tokens for word in t)
    assert any(word in GOOD + BAD for word in probe.tokens[0])
    mha, additive = (next(i for i, n in project.nodes.items() if n.block == b)
                     for b in ("multi_head_attention", "simple_attention"))
    assert probe.weights[mha].shape[-1] == probe.weights[additive].shape[-1] == 10
    for i, tokens in enumerate(probe.tokens):
        n = len(tokens)
        assert n < 10  # short reviews: padding to mask
        assert probe.weights[additive][i, n:].max() == 0.0
        assert abs(probe.weights[additive][i, :n].sum() - 1.0) < 1e-4
        assert probe.weights[mha][i, :, :n, n:].max() == 0.0

    # The saved run gives the same words and attention (its vocabulary travels with it).
    predictor = Predictor(open_run(Path(result.run_dir)))
    samples = predictor.split("validation")
    predictions = predictor.predict(samples)
    layer = trainer.compiled.model.get_layer(_node(project, "text_vectorization"))
    expected = [[layer.get_vocabulary()[t] for t in row if t]
                for row in layer(samples.x[0]).numpy()]
    assert predictions.tokens == expected
    n = len(expected[0])
    assert predictions.attention[additive][0, n:].max() == 0.0


@pytest.mark.parametrize(("params", "text", "expected"), [
    ({"split": "character", "standardize": "lower"}, "Ab a", ["a", "b", " ", "a"]),
    ({"ngrams": 2}, "big red dog", ["big", "red", "dog", "big red", "red dog"]),
    ({"standardize": "none"}, "Big, dog", ["Big,", "dog"]),
])
def test_the_parameters_reach_keras(params: dict, text: str, expected: list[str]) -> None:
    import blocks

    spec = blocks.get("text_vectorization")
    layer = spec.build(spec.resolve({"max_tokens": 50, "output_sequence_length": 6, **params}),
                       {"in": keras_input()}, "tv")["out"]._keras_history.operation
    layer.adapt([text])
    vocabulary = layer.get_vocabulary()
    ids = layer([text]).numpy()[0].tolist()
    assert sorted(vocabulary[i] for i in ids if i) == sorted(expected[:6])


def keras_input():
    import keras

    return keras.Input(shape=(), dtype="string")
