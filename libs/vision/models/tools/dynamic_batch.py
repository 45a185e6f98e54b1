#!/usr/bin/python3
"""Derives a dynamic-batch copy of a BlazeFace Barracuda model: same weights, same operators per frame, any batch.

The vendored models fix the batch dimension to 1 in three places; each is rewritten so that one inference run can
serve frames of many sessions (on a GPU, one run of N frames costs little more than a run of one):
  1. the graph input and outputs: batch dimension 1 -> symbolic "batch";
  2. the output Reshapes: target shape [1, anchors, values] -> [-1, anchors, values];
  3. channel zero-padding, exported by tf2onnx as Concat(x, ConstantOfShape([1, C, H, W])): -> Pad(x) on the channel
     axis, which pads whatever the batch is with the same zeros.
Intermediate shape annotations (value_info) are dropped; ONNX Runtime infers them again.

Usage (Debian's python3-onnx): /usr/bin/python3 dynamic_batch.py SOURCE.onnx TARGET.onnx
The result is checked by onnx.checker here and, against the source model frame by frame, by the vision tests.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

BATCH = "batch"


def make_batch_dynamic(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}

    for value in list(graph.input) + list(graph.output):
        first = value.type.tensor_type.shape.dim[0]
        if first.dim_value != 1:
            raise ValueError(f"{value.name}: batch dimension is {first}, expected 1")
        first.Clear()
        first.dim_param = BATCH
    del graph.value_info[:]

    replaced = []
    for node in graph.node:
        if node.op_type == "Reshape":
            shape = initializers[node.input[1]]
            target = numpy_helper.to_array(shape).copy()
            if target[0] != 1:
                raise ValueError(f"{node.name}: reshape to {target.tolist()} does not start with the batch")
            target[0] = -1
            shape.CopyFrom(numpy_helper.from_array(target, shape.name))
        elif node.op_type == "Concat":
            zeros = producers.get(node.input[1])
            if len(node.input) != 2 or zeros is None or zeros.op_type != "ConstantOfShape":
                raise ValueError(f"{node.name}: only Concat(x, ConstantOfShape) channel padding is supported")
            axis = helper.get_attribute_value(node.attribute[0])
            zero_shape = numpy_helper.to_array(initializers[zeros.input[0]])
            if axis != 1 or zero_shape[0] != 1 or any(a.name == "value" and numpy_helper.to_array(a.t).any() for a in zeros.attribute):
                raise ValueError(f"{node.name}: not zero padding of the channel axis")
            pads_name = f"{node.output[0]}_pads"
            pads = np.zeros(2 * len(zero_shape), dtype=np.int64)
            pads[len(zero_shape) + 1] = zero_shape[1]  # end of axis 1
            graph.initializer.append(numpy_helper.from_array(pads, pads_name))
            replaced.append((node, zeros, helper.make_node("Pad", [node.input[0], pads_name], list(node.output), name=f"{node.output[0]}/Pad", mode="constant")))

    for concat, zeros, pad in replaced:
        concat.CopyFrom(pad)
        graph.node.remove(zeros)
    used = {name for node in graph.node for name in node.input}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)

    onnx.checker.check_model(model, full_check=True)
    return model


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, target = sys.argv[1:]
    onnx.save(make_batch_dynamic(onnx.load(source)), target)
    print(f"{target}: batch dimension dynamic")
