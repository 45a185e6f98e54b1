/**
 * Builds small real ONNX models for tests: a ModelProto encoded with protobufjs from the subset of onnx.proto
 * (field numbers as in onnx/onnx.proto) that a graph of plain operators with float/int64 constants needs.
 */
import protobuf from 'protobufjs';

const ONNX_SUBSET = `
syntax = "proto2";
package onnx;
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
`;

const FLOAT = 1;
const INT64 = 7;
const ModelProto = protobuf.parse(ONNX_SUBSET).root.lookupType('onnx.ModelProto');

/** A dimension: a size, or a name for a symbolic (dynamic) one. */
export type Dim = number | string;

export interface GraphSpec {
  inputs: Record<string, Dim[]>;
  outputs: Record<string, Dim[]>;
  nodes: { op: string; inputs: string[]; outputs: string[] }[];
  floatConstants?: Record<string, { dims: number[]; values: number[] }>;
  int64Constants?: Record<string, { dims: number[]; values: number[] }>;
}

const valueInfo = ([name, dims]: [string, Dim[]]) => ({
  name,
  type: {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** Serialised ONNX model (IR 8, opset 17) of float32 tensors. */
export function buildOnnxModel(spec: GraphSpec): Uint8Array {
  const constants = (table: GraphSpec['floatConstants'], dataType: number, field: string) =>
    Object.entries(table ?? {}).map(([name, { dims, values }]) => ({ name, dims, dataType, [field]: values }));
  const model = {
    irVersion: 8,
    producerName: 'sightline-vision-tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, i) => ({ name: `${n.op}_${i}`, opType: n.op, input: n.inputs, output: n.outputs })),
      initializer: [...constants(spec.floatConstants, FLOAT, 'floatData'), ...constants(spec.int64Constants, INT64, 'int64Data')],
      input: Object.entries(spec.inputs).map(valueInfo),
      output: Object.entries(spec.outputs).map(valueInfo),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
