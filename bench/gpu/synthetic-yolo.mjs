// A YOLO-format detector of realistic size for timing (weights are random; only shape and cost matter):
// input [N,3,640,640] → conv backbone (stride 32, ~5 GFLOPs at batch 1, YOLOv8n-class) → three 1×1 heads on the
// stride-8/16/32 maps → output [N, 4+80, 8400] exactly like a YOLOv8/YOLO11 ONNX export.
import protobuf from 'protobufjs';

const ONNX = `
syntax = "proto2";
package onnx;
message AttributeProto { optional string name = 1; optional int64 i = 3; repeated int64 ints = 8; optional int32 type = 20; }
message TensorShapeProto { message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } } repeated Dimension dim = 1; }
message TypeProto { message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; } oneof value { Tensor tensor_type = 1; } }
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message TensorProto { repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true]; repeated int64 int64_data = 7 [packed = true]; optional string name = 8; }
message NodeProto { repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4; repeated AttributeProto attribute = 5; }
message GraphProto { repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto { optional int64 ir_version = 1; optional string producer_name = 2; optional GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; }`;
const ModelProto = protobuf.parse(ONNX).root.lookupType('onnx.ModelProto');
const INT = 2;
const INTS = 7;

export function buildSyntheticYolo({ classes = 80 } = {}) {
  const nodes = [];
  const initializer = [];
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.1;
  const weight = (name, dims) => {
    const n = dims.reduce((a, b) => a * b, 1);
    initializer.push({ name, dims, dataType: 1, floatData: Array.from({ length: n }, random) });
  };
  let current = 'images';
  let channels = 3;
  const conv = (out, k, stride) => {
    const id = nodes.length;
    weight(`w${id}`, [out, channels, k, k]);
    weight(`b${id}`, [out]);
    const pad = (k - 1) / 2;
    nodes.push({
      opType: 'Conv',
      name: `conv${id}`,
      input: [current, `w${id}`, `b${id}`],
      output: [`c${id}`],
      attribute: [
        { name: 'kernel_shape', ints: [k, k], type: INTS },
        { name: 'strides', ints: [stride, stride], type: INTS },
        { name: 'pads', ints: [pad, pad, pad, pad], type: INTS },
      ],
    });
    nodes.push({ opType: 'Relu', name: `relu${id}`, input: [`c${id}`], output: [`r${id}`] });
    current = `r${id}`;
    channels = out;
    return current;
  };
  conv(16, 3, 2);
  conv(32, 3, 2);
  conv(32, 3, 1);
  conv(32, 3, 1);
  conv(64, 3, 2);
  conv(64, 3, 1);
  const p3 = conv(64, 3, 1);
  conv(128, 3, 2);
  conv(128, 3, 1);
  const p4 = conv(128, 3, 1);
  conv(256, 3, 2);
  conv(256, 3, 1);
  const p5 = conv(256, 3, 1);
  const heads = [
    [p3, 64],
    [p4, 128],
    [p5, 256],
  ].map(([input, c], i) => {
    weight(`hw${i}`, [4 + classes, c, 1, 1]);
    nodes.push({
      opType: 'Conv',
      name: `head${i}`,
      input: [input, `hw${i}`],
      output: [`h${i}`],
      attribute: [{ name: 'kernel_shape', ints: [1, 1], type: INTS }],
    });
    nodes.push({ opType: 'Reshape', name: `flat${i}`, input: [`h${i}`, 'flat_shape'], output: [`f${i}`] });
    return `f${i}`;
  });
  initializer.push({ name: 'flat_shape', dims: [3], dataType: 7, int64Data: [0, 4 + classes, -1] });
  nodes.push({ opType: 'Concat', name: 'concat', input: heads, output: ['raw'], attribute: [{ name: 'axis', i: 2, type: INT }] });
  nodes.push({ opType: 'Sigmoid', name: 'sigmoid', input: ['raw'], output: ['output0'] });
  const info = (name, dims) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = {
    irVersion: 8,
    producerName: 'sightline-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'synthetic-yolo',
      node: nodes,
      initializer,
      input: [info('images', ['batch', 3, 640, 640])],
      output: [info('output0', ['batch', 4 + classes, 8400])],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
