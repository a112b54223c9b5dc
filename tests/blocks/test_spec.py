"""Block specs and the registry: typed parameters, migrations, duplicate ids."""

from __future__ import annotations

import pytest

import blocks
from blocks import registry
from blocks.spec import BlockSpec, Param, ParamError, Port, format_shape, parse_shape


def _noop_build(params, inputs, name):
    return {"out": inputs.get("in")}


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        (Param("n", "int", 1, "", minimum=1, maximum=10), 4, 4),
        (Param("n", "int", 1, "", minimum=1, maximum=10), 4.0, 4),
        (Param("r", "float", 0.5, "", minimum=0, maximum=1), 1, 1.0),
        (Param("b", "bool", False, ""), True, True),
        (Param("c", "choice", "a", "", choices=("a", "b")), "b", "b"),
        (Param("t", "text", "", ""), "hello", "hello"),
        (Param("s", "shape", (1,), "", min_length=1), [28, 28, 1], (28, 28, 1)),
        (Param("s", "shape", (1,), "", allow_none=True), "(None, 16)", (None, 16)),
    ],
)
def test_param_coerces_valid_values(param: Param, value, expected) -> None:
    assert param.coerce(value) == expected
    assert type(param.coerce(value)) is type(expected)


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (Param("units", "int", 1, "", minimum=1), 0, "units must be at least 1. Received: units=0"),
        (Param("units", "int", 1, ""), 2.5, "units must be a whole number"),
        (Param("units", "int", 1, ""), True, "units must be a whole number"),
        (Param("units", "int", 1, ""), "3", "units must be a whole number"),
        (Param("rate", "float", 0.0, "", maximum=0.99), 1.0, "rate must be at most 0.99"),
        (Param("rate", "float", 0.0, ""), float("nan"), "rate must be a finite number"),
        (Param("flag", "bool", False, ""), 1, "flag must be true or false"),
        (Param("act", "choice", "a", "", choices=("a", "b")), "c", "act must be one of 'a', 'b'"),
        (Param("shape", "shape", (1,), "", min_length=1), [], "between 1 and 8 dimensions"),
        (Param("shape", "shape", (1,), ""), [3, None], "positive whole numbers"),
        (Param("shape", "shape", (1,), ""), [3, 0], "positive whole numbers"),
        (Param("shape", "shape", (1,), ""), "abc", "must be a list of dimensions"),
    ],
)
def test_param_refuses_invalid_values_with_a_message(param: Param, value, message) -> None:
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        param.coerce(value)
    assert err.value.param == param.name


def test_choice_titles_must_match_the_choices() -> None:
    with pytest.raises(ValueError, match="2 choices but 1 choice titles"):
        Param("c", "choice", "a", "", choices=("a", "b"), choice_titles=("A",))
    titled = Param("c", "choice", "a", "", choices=("a", "b"), choice_titles=("A", "B"))
    assert titled.coerce("b") == "b"


def test_whole_number_choices_keep_their_type() -> None:
    channels = Param("channels", "choice", None, "", choices=(1, 3, 4), allow_none=True)
    assert channels.coerce(None) is None
    assert type(channels.coerce(3.0)) is int and channels.coerce(3.0) == 3
    for bad in (True, 2, "3"):
        with pytest.raises(ParamError, match="channels must be one of 1, 3, 4"):
            channels.coerce(bad)


def test_spec_with_invalid_default_is_refused() -> None:
    with pytest.raises(ParamError):
        Param("units", "int", 0, "", minimum=1)


def test_shape_text_round_trips() -> None:
    assert parse_shape("28, 28, 1") == (28, 28, 1)
    assert parse_shape("[None, 16]") == (None, 16)
    assert format_shape((None, 10, 16)) == "(None, 10, 16)"
    assert format_shape((None,)) == "(None,)"


def test_resolve_fills_defaults_and_rejects_unknown_names() -> None:
    spec = blocks.get("dense")
    assert spec.resolve({"units": 8}) == {"units": 8, "activation": "relu", "use_bias": True,
                                          "l1": 0.0, "l2": 0.0, "regularize_bias": False}
    with pytest.raises(ParamError, match="has no parameter 'unit'"):
        spec.resolve({"unit": 8})


def test_duplicate_block_id_raises() -> None:
    with pytest.raises(ValueError, match="'dense' is already registered"):
        registry.register(BlockSpec(id="dense", title="Dense again", category="Core",
                                    doc="", build=_noop_build))


def test_unknown_block_id_raises_typed_error() -> None:
    with pytest.raises(blocks.UnknownBlockError, match="Unknown block type 'nope'"):
        blocks.get("nope")


def test_migration_upgrades_old_parameters_step_by_step() -> None:
    def migrate(version: int, params: dict) -> dict:
        if version == 1:  # v2 renamed "size" to "units"
            params = dict(params)
            params["units"] = params.pop("size")
        elif version == 2:  # v3 added "use_bias", default off for old files
            params = {**params, "use_bias": False}
        return params

    spec = BlockSpec(
        id="test_migrating", title="T", category="Core", doc="", build=_noop_build,
        inputs=(Port("in"),),
        params=(Param("units", "int", 1, "", minimum=1), Param("use_bias", "bool", True, "")),
        version=3, migrate=migrate,
    )
    assert spec.upgrade(1, {"size": 5}) == {"units": 5, "use_bias": False}
    assert spec.upgrade(3, {"units": 5}) == {"units": 5}
    with pytest.raises(ValueError, match="version 4 is newer than this Deepwire knows"):
        spec.upgrade(4, {})


def test_versioned_spec_without_migration_is_refused() -> None:
    with pytest.raises(ValueError, match="no migrate"):
        BlockSpec(id="x", title="X", category="Core", doc="", build=_noop_build, version=2)


def test_merge_blocks_have_one_port_per_input() -> None:
    spec = blocks.get("concatenate")
    assert [p.name for p in spec.input_ports({"num_inputs": 3})] == ["in1", "in2", "in3"]
    assert [p.name for p in spec.input_ports()] == ["in1", "in2"]


def test_every_spec_is_complete() -> None:
    for spec in blocks.all_specs():
        assert spec.title and spec.doc and spec.category in registry.CATEGORY_ORDER, spec.id
        for param in spec.params:
            assert param.help, f"{spec.id}.{param.name} has no help text"
        ports = [p.name for p in spec.input_ports()] + [p.name for p in spec.output_ports()]
        assert len(ports) == len(set(ports)), spec.id
