"""Plain-text descriptions of block specs, shared by the CLI catalog and the GUI."""

from __future__ import annotations

from blocks.spec import BlockSpec, Param, Port, format_shape


def describe_port(port: Port) -> str:
    extra = "" if port.kind == "tensor" else f":{port.kind}"
    return f"{port.name}{extra}{'?' if port.optional else ''}"


def describe_param(param: Param) -> str:
    """``name: type = default [limits]`` in one short line."""
    default = param.default
    if param.type == "shape":
        default = format_shape(default)
    elif param.type == "choice":
        default = repr(default)
    text = f"{param.name}: {param.type} = {default}"
    if param.type == "choice":
        text += f" ({'|'.join(str(c) for c in param.choices)})"
    elif param.minimum is not None or param.maximum is not None:
        low = "" if param.minimum is None else f"{param.minimum:g}"
        high = "" if param.maximum is None else f"{param.maximum:g}"
        text += f" [{low}..{high}]"
    return text


def describe_ports(spec: BlockSpec) -> str:
    inputs = ", ".join(describe_port(p) for p in spec.input_ports()) or "-"
    outputs = ", ".join(describe_port(p) for p in spec.output_ports()) or "-"
    return f"{inputs} -> {outputs}"
