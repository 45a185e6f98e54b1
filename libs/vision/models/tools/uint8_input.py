#!/usr/bin/python3
"""Derives a copy of a BlazeFace model that takes the frame's bytes as they are: uint8 RGB, NHWC, 0-255.

The vendored models take float32 RGB in [-1, 1], so every frame was converted value by value in JavaScript (a
256x256 frame: 196,608 values, and a float tensor four times the frame's size to copy to the device). Here the graph
input becomes uint8 of the same shape and the conversion moves into the graph, in front of the unchanged model:
  input (uint8) -> Cast(float) -> Mul(2/255) -> Sub(1) -> the model's first operators
so a frame's bytes are the tensor (one copy, or none), and on a GPU the conversion runs there.

Usage (Debian's python3-onnx): /usr/bin/python3 uint8_input.py SOURCE.onnx TARGET.onnx
Checked by onnx.checker here and, against the source model, by the vision tests.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def make_input_uint8(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    if len(graph.input) != 1:
        raise ValueError("expected one graph input")
    source = graph.input[0]
    if source.type.tensor_type.elem_type != TensorProto.FLOAT:
        raise ValueError(f"{source.name}: input is not float32")
    name = source.name
    normalised = f"{name}_normalised"
    # Every consumer of the input now reads the normalised value.
    for node in graph.node:
        node.input[:] = [normalised if i == name else i for i in node.input]
    source.type.tensor_type.elem_type = TensorProto.UINT8
    scale, one = f"{name}_scale", f"{name}_one"
    graph.initializer.extend([
        numpy_helper.from_array(np.array(2 / 255, dtype=np.float32), scale),
        numpy_helper.from_array(np.array(1, dtype=np.float32), one),
    ])
    prefix = [
        helper.make_node("Cast", [name], [f"{name}_float"], name=f"{name}/Cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", [f"{name}_float", scale], [f"{name}_scaled"], name=f"{name}/Scale"),
        helper.make_node("Sub", [f"{name}_scaled", one], [normalised], name=f"{name}/Shift"),
    ]
    nodes = prefix + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model, full_check=True)
    return model


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1:]
    onnx.save(make_input_uint8(onnx.load(source)), target)
    print(f"{target}: uint8 input, normalised in the graph")
