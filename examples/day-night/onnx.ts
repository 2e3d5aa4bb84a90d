import protobuf from 'protobufjs';

/**
 * Writes ONNX models with protobufjs. The message definitions below are the subset of the ONNX
 * format (onnx.proto, IR version 7) that a model of dense layers needs, with the field numbers
 * of the official schema.
 */
const onnxProto = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1; float f = 2; int64 i = 3; bytes s = 4;
  repeated float floats = 7; repeated int64 ints = 8; int32 type = 20;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4;
  repeated AttributeProto attribute = 5; string doc_string = 6; string domain = 7;
}
message ModelProto {
  int64 ir_version = 1; string producer_name = 2; string producer_version = 3; string domain = 4;
  int64 model_version = 5; string doc_string = 6; GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
message GraphProto {
  repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5;
  string doc_string = 10; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4; string name = 8;
  bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

const FLOAT = 1;
const ATTRIBUTE_INT = 2;

const root = protobuf.parse(onnxProto).root;
const Model = root.lookupType('onnx.ModelProto');

/** A dense layer: `weight` is [out, in] row-major (ONNX Gemm with transB = 1). */
export interface DenseLayer {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly outputs: number;
}

function tensor(name: string, dims: number[], values: Float32Array) {
  return {
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

function valueInfo(name: string, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/**
 * An ONNX model (opset 13): input `image` [N, ...inputShape] → Flatten → (Gemm → Relu)* → Gemm
 * → output `logits` [N, classes].
 */
export function denseModelToOnnx(
  layers: readonly DenseLayer[],
  inputShape: readonly number[],
  docString: string,
): Uint8Array {
  const nodes: object[] = [
    { opType: 'Flatten', input: ['image'], output: ['flat'], name: 'flatten' },
  ];
  const initializers: object[] = [];
  let previous = 'flat';
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const out = last ? 'logits' : `dense${i}`;
    initializers.push(tensor(`w${i}`, [layer.outputs, layer.inputs], layer.weight));
    initializers.push(tensor(`b${i}`, [layer.outputs], layer.bias));
    nodes.push({
      opType: 'Gemm',
      name: `gemm${i}`,
      input: [previous, `w${i}`, `b${i}`],
      output: [out],
      attribute: [{ name: 'transB', i: 1, type: ATTRIBUTE_INT }],
    });
    if (!last) {
      nodes.push({ opType: 'Relu', name: `relu${i}`, input: [out], output: [`relu${i}`] });
      previous = `relu${i}`;
    }
  });
  const classes = layers[layers.length - 1]?.outputs ?? 0;
  const model = Model.fromObject({
    irVersion: 7,
    producerName: 'drivetrain-examples',
    producerVersion: '1',
    modelVersion: 1,
    docString,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'day-night',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('image', ['N', ...inputShape])],
      output: [valueInfo('logits', ['N', classes])],
    },
  });
  return Model.encode(model).finish();
}
